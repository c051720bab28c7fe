"""`storyline eval clustering`, on files in the clustering format.

A file is streamed in publication order (file order where there are no dates)
through the real pipeline and store; predicted events are compared with the
gold ``cluster`` labels.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cluster import ClusterStage
from ..config import Settings
from ..embed import EmbeddingStage
from ..errors import InputError, StorylineError
from ..ingest import read_inputs
from ..model import Article
from ..pipeline import Pipeline, Progress, clustering_stages
from ..store import Store, open_store
from .metrics import Scores, bcubed, pairwise
from .records import read_records


@dataclass(frozen=True, slots=True)
class ClusteringResult:
    file: str
    articles: int
    gold_clusters: int
    predicted_clusters: int
    bcubed: Scores
    pairwise: Scores
    seconds: float
    stage_seconds: dict[str, float]
    model: str
    # Seconds inside the embedding model, in the same run: the yardstick for the pipeline's speed.
    embedding_model_seconds: float = 0.0

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "articles": self.articles, "gold_clusters": self.gold_clusters,
            "predicted_clusters": self.predicted_clusters,
            "bcubed": {"precision": self.bcubed.precision, "recall": self.bcubed.recall, "f1": self.bcubed.f1},
            "pairwise": {"precision": self.pairwise.precision, "recall": self.pairwise.recall,
                         "f1": self.pairwise.f1},
            "seconds": round(self.seconds, 2), "articles_per_second": round(self.articles_per_second, 2),
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()}, "model": self.model,
            "embedding_model_seconds": round(self.embedding_model_seconds, 2),
        }  # fmt: skip


def gold_labels(path: str) -> dict[str, str]:
    """Record id -> gold cluster, from a clustering file."""
    labels: dict[str, str] = {}
    for number, record in read_records(Path(path)):
        if "cluster" not in record or "id" not in record:
            raise StorylineError(f"[E014] {path}: line {number}: a clustering file needs 'id' and 'cluster'.")
        labels[str(record["id"])] = str(record["cluster"])
    return labels


@contextmanager
def evaluation_store(path: str, cache: str | None) -> Iterator[Store]:
    """A throwaway store for one evaluation file, or a kept one in ``cache`` (articles and embeddings reused)."""
    if cache:
        Path(cache).mkdir(parents=True, exist_ok=True)
        with open_store(str(Path(cache) / (Path(path).stem + ".db"))) as store:
            yield store
        return
    with tempfile.TemporaryDirectory(prefix="storyline-eval-") as folder, open_store(f"{folder}/eval.db") as store:
        yield store


def ingest_file(store: Store, path: str, settings: Settings) -> int:
    """Store the file's articles; return how many records could not be read (left out of the scores)."""
    articles = []
    failed = 0
    for item in read_inputs([path], settings.ingest):
        if isinstance(item, InputError):
            failed += 1
        elif isinstance(item, Article):
            articles.append(item)
    store.add_articles(articles)
    return failed


def _predictions(store: Store, labels: dict[str, str]) -> tuple[list[str], list[str]]:
    gold, predicted = [], []
    for article in store.articles(with_sentences=False):
        if article.external_id in labels and article.event:
            gold.append(labels[article.external_id])
            predicted.append(article.event)
    return gold, predicted


def evaluate_clustering(
    path: str, settings: Settings, cache: str | None = None, progress: Progress | None = None
) -> ClusteringResult:
    """Stream ``path`` through the pipeline and score the events against the gold clusters.

    With ``cache`` (a folder), articles and embeddings are kept between runs and only
    clustering is redone; the speed figure then covers clustering alone.
    """
    labels = gold_labels(path)
    stages = clustering_stages(settings)
    pipeline = Pipeline.configured(stages, settings.pipeline)
    with evaluation_store(path, cache) as store:
        started = time.perf_counter()
        ingest_file(store, path, settings)
        store.reset_stage(ClusterStage.name, ClusterStage.writes)
        run = pipeline.run(store, progress)
        seconds = time.perf_counter() - started
        gold, predicted = _predictions(store, labels)
    return ClusteringResult(
        file=path,
        articles=len(gold),
        gold_clusters=len(set(gold)),
        predicted_clusters=len(set(predicted)),
        bcubed=bcubed(gold, predicted),
        pairwise=pairwise(gold, predicted),
        seconds=seconds,
        stage_seconds=run.seconds,
        model=settings.cluster.model or "shipped",
        embedding_model_seconds=sum(s.model_seconds for s in stages if isinstance(s, EmbeddingStage)),
    )
