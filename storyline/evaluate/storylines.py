"""`storyline eval storylines`: every topic of a Timeline17 file mixed into one stream.

Each article's predicted storyline (the storyline of its event) is scored with
BCubed against its topic.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cluster import ClusterStage
from ..config import Settings
from ..errors import StorylineError
from ..pipeline import Pipeline, clustering_stages
from .clustering import evaluation_store, ingest_file
from .metrics import Scores, bcubed
from .records import read_records


@dataclass(frozen=True, slots=True)
class StorylineResult:
    file: str
    articles: int
    topics: int
    storylines: int
    events: int
    bcubed: Scores
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "articles": self.articles, "topics": self.topics, "storylines": self.storylines,
            "events": self.events,
            "bcubed": {"precision": self.bcubed.precision, "recall": self.bcubed.recall, "f1": self.bcubed.f1},
            "seconds": round(self.seconds, 2),
        }  # fmt: skip


def _flatten(path: str, target: Path) -> dict[str, str]:
    """Write the articles of every topic as one JSON Lines stream; return article id -> topic."""
    topics: dict[str, str] = {}
    with target.open("w", encoding="utf-8") as out:
        for number, record in read_records(Path(path)):
            articles = record.get("articles")
            if (
                "topic" not in record
                or not isinstance(articles, list)
                or not all(isinstance(a, dict) for a in articles)
            ):
                raise StorylineError(
                    f"[E014] {path}: line {number}: a timelines file needs 'topic' and a list of 'articles' objects."
                )
            for article in articles:
                if not (article.get("text") or "").strip():
                    continue  # a few pool entries lost their text; they cannot be placed
                key = f"{record['id']}/{article['id']}"
                topics[key] = str(record["topic"])
                out.write(json.dumps({**article, "id": key}, ensure_ascii=False) + "\n")
    return topics


def evaluate_storylines(path: str, settings: Settings, cache: str | None = None) -> StorylineResult:
    """Stream all topics together through the pipeline; BCubed of storylines against topics."""
    with tempfile.TemporaryDirectory(prefix="storyline-t17-") as folder:
        stream = Path(folder) / (Path(path).stem + "-stream.jsonl")
        topics = _flatten(path, stream)
        with evaluation_store(str(stream), cache) as store:
            started = time.perf_counter()
            ingest_file(store, str(stream), settings)
            store.reset_stage(ClusterStage.name, ClusterStage.writes)
            Pipeline(clustering_stages(settings), settings.pipeline.batch_size).run(store)
            seconds = time.perf_counter() - started
            storyline_of = {e.id: e.storyline for e in store.events()}
            gold, predicted, events = [], [], set()
            for article in store.articles(with_sentences=False):
                if article.external_id in topics and article.event:
                    gold.append(topics[article.external_id])
                    predicted.append(storyline_of.get(article.event) or article.event)
                    events.add(article.event)
    return StorylineResult(
        file=path,
        articles=len(gold),
        topics=len(set(gold)),
        storylines=len(set(predicted)),
        events=len(events),
        bcubed=bcubed(gold, predicted),
        seconds=seconds,
    )
