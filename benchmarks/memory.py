"""Memory as the stream grows: RSS after 1k, 10k, 100k articles of a synthetic stream.

    python benchmarks/memory.py [--sizes 1000,10000,100000,1000000] [--cache .cache/eval]

The stream is resampled from the clustering dev files: each synthetic article joins the
first half of one real article to the second half of another (so it is new text, not a
duplicate), its embedding is the normalized sum of theirs, and dates advance steadily
(about 100 articles an hour), so the stream spans years. It runs through the stateful
stages, deduplication and online clustering with storylines, which are what could grow
with history; embedding and the SQLite store hold nothing across batches.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from storyline.cluster import OnlineClusterer, load_clustering_model
from storyline.config import load_settings
from storyline.dedupe import Deduplicator
from storyline.embed import load_embedder
from storyline.evaluate.clustering import evaluation_store, ingest_file
from storyline.model import Article
from storyline.pipeline import Pipeline, preparation_stages

FILES = ("basil", "allsides", "mmds-dev")
ARTICLES_PER_HOUR = 100


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory now (``VmRSS``) or at its peak so far (``VmHWM``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def source_pool(data: Path, cache: str) -> list[Article]:
    settings = load_settings()
    pool: list[Article] = []
    for name in FILES:
        with evaluation_store(str(data / f"{name}.jsonl"), cache) as store:
            ingest_file(store, str(data / f"{name}.jsonl"), settings)
            Pipeline(preparation_stages(settings), settings.pipeline.batch_size).run(store)
            pool.extend(a for a in store.articles(with_embeddings=True) if a.embedding is not None)
    return pool


def synthetic(pool: list[Article], index: int, rng: random.Random, start: datetime) -> Article:
    a, b = rng.sample(pool, 2)
    half_a, half_b = a.sentences[: max(1, len(a.sentences) // 2)], b.sentences[len(b.sentences) // 2 :]
    text = " ".join(s.text for s in (*half_a, *half_b)) + f" (Synthetic item {index}.)"
    assert a.embedding is not None and b.embedding is not None
    vector = a.embedding + b.embedding
    published = start + timedelta(hours=index / ARTICLES_PER_HOUR)
    return Article(
        id=Article.make_id(text, a.title, None, None),
        text=text,
        title=a.title,
        published=published.strftime("%Y-%m-%dT%H:%M:%S"),
        sentences=(*half_a, *half_b),
        embedding=(vector / np.linalg.norm(vector)).astype(np.float32),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/clustering")
    parser.add_argument("--cache", default=".cache/eval")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", default="benchmarks/results/memory.json")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    settings = load_settings()
    pool = source_pool(Path(args.data), args.cache)
    rng = random.Random(7)
    deduplicator = Deduplicator(settings.dedupe)
    model = load_clustering_model(settings.cluster.model, settings.embed.model)
    clusterer = OnlineClusterer(model, settings.cluster, load_embedder(settings.embed).dimensions)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows = []
    began = time.perf_counter()
    baseline = rss_mib()
    for index in range(sizes[-1]):
        article = synthetic(pool, index, rng, start)
        article = replace(article, duplicate_of=deduplicator.original_of(article))
        clusterer.assign(article)
        if (index + 1) % settings.pipeline.batch_size == 0:
            # What the runner does after each batch: the changes are saved (here: made and dropped), and what
            # the stages keep to say what changed starts again. Without it that record grows with the stream.
            clusterer.changes()
            deduplicator.changes()
        if index + 1 in sizes:
            row = {
                "articles": index + 1,
                "rss_mib": round(rss_mib(), 1),
                "peak_rss_mib": round(rss_mib("VmHWM"), 1),
                "active_events": len(clusterer.events),
                "active_storylines": len(clusterer.storylines),
                "remembered_articles": len(deduplicator.signatures),
                "articles_per_second": round((index + 1) / (time.perf_counter() - began), 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {"date": time.strftime("%Y-%m-%d"), "rss_before_stream_mib": round(baseline, 1), "points": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
