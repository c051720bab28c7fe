"""Speed of the analysis stage (one spaCy parse read three ways: entities, time expressions, quotes).

    python benchmarks/analysis.py [--limit 200] [--out benchmarks/results/analysis.json]

Articles come from the sample corpus and from the evaluation files in ../shared/data
(their texts are read in place, never copied): PolNeAR news (long), BASIL (full text),
AllSides (opening snippets). Sentences are split first, as the pipeline does; then the
stage runs in batches as in the pipeline, with its per-part clocks reported. Worker processes are
started before the clock (a warm-up batch), so the figures are a stream's steady rate.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from storyline.config import NlpSettings, load_settings
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.nlp.analysis import AnalysisStage
from storyline.nlp.sentences import SentenceStage
from storyline.nlp.spacy_pipeline import load_spacy

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def _jsonl_articles(path: Path, limit: int) -> list[Article]:
    articles: list[Article] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if len(articles) >= limit:
                break
            record = json.loads(line)
            text = record["text"]
            articles.append(
                Article(id=f"{path.stem}-{number}", text=text, title=record.get("title"),
                        published=record.get("published"), lang="en")
            )  # fmt: skip
    return articles


def corpora(limit: int) -> dict[str, list[Article]]:
    settings = load_settings()
    sample = [a for a in read_inputs([str(ROOT / "examples")], settings.ingest) if isinstance(a, Article)]
    # The sample is five articles of typical length; as a stream, each comes back under new ids.
    found = {"sample x24": [replace(a, id=f"{a.id}-{copy}") for copy in range(24) for a in sample]}
    for name, path in {
        "polnear-dev": DATA / "quotes" / "polnear-dev.jsonl",
        "basil": DATA / "clustering" / "basil.jsonl",
        "allsides": DATA / "clustering" / "allsides.jsonl",
    }.items():
        if path.exists():
            found[name] = _jsonl_articles(path, limit)
    return found


def measure(articles: list[Article], nlp: NlpSettings | None = None) -> dict[str, float]:
    settings = load_settings()
    articles = SentenceStage(settings.nlp)(articles)
    stage = AnalysisStage(nlp or settings.nlp, settings.entities)
    # Start the worker processes (once per run of the pipeline, seconds) outside the clock: the figure
    # is the stream's steady rate. The warm-up batch is a renamed copy, not counted.
    warm_up = [replace(a, id=f"warm-up-{a.id}") for a in articles[: settings.pipeline.batch_size]]
    stage(warm_up)
    stage.seconds = dict.fromkeys(stage.seconds, 0.0)
    started = time.perf_counter()
    for start in range(0, len(articles), settings.pipeline.batch_size):
        stage(articles[start : start + settings.pipeline.batch_size])
    seconds = time.perf_counter() - started
    stage.close()
    return {
        "articles": len(articles),
        "chars_per_article": round(sum(len(a.text) for a in articles) / len(articles)),
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 2),
        **{f"{part}_seconds": round(value, 2) for part, value in stage.seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=200, help="Articles per evaluation file.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "analysis.json")
    args = parser.parse_args()
    load_spacy(load_settings().nlp.spacy_model)  # loading is not analysis
    results = {}
    for name, articles in corpora(args.limit).items():
        results[name] = measure(articles)
        print(name, results[name], flush=True)
    # A one-process run for comparison (``nlp.spacy_processes = 1``).
    one = replace(load_settings().nlp, spacy_processes=1)
    for name, articles in corpora(args.limit).items():
        results[f"{name} (one process)"] = measure(articles, one)
        print(f"{name} (one process)", results[f"{name} (one process)"], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
