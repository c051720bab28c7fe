"""`storyline eval storylines`: how events are threaded into storylines.

- A Timeline17 file: every topic mixed into one stream; each article's predicted storyline (the storyline of
  its event) is scored with BCubed against its topic.
- A clustering file (articles with gold events but no storylines, as allsides.jsonl): no gold, so what can be
  checked without it: the largest storyline's share of the events (one storyline swallowing a year of
  unrelated news is chaining), and a sample of storylines with their events' titles, for a person to judge.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cluster import ClusterStage
from ..config import Settings
from ..errors import StorylineError
from ..model import Storyline
from ..pipeline import Pipeline, Progress, clustering_stages
from .clustering import evaluation_store, ingest_file
from .metrics import Scores, bcubed
from .records import read_records

# Storylines shown for a person to judge: the largest ones, then others picked at random (seeded).
_LARGEST_SHOWN = 5
_RANDOM_SHOWN = 5
_EVENT_TITLES_SHOWN = 8


@dataclass(frozen=True, slots=True)
class StorylineSample:
    """One storyline as a reader sees it: its title and its events' titles, oldest first."""

    title: str
    events: int
    event_titles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StorylineResult:
    file: str
    articles: int
    topics: int  # 0 where the file has no topics
    storylines: int
    events: int
    bcubed: Scores | None  # None where the file has no topics
    seconds: float
    largest_events: int = 0
    sample: tuple[StorylineSample, ...] = ()

    @property
    def largest_share(self) -> float:
        """The largest storyline's share of all events."""
        return self.largest_events / self.events if self.events else 0.0

    def to_json(self) -> dict[str, Any]:
        scores = self.bcubed
        return {
            "file": self.file, "articles": self.articles, "topics": self.topics, "storylines": self.storylines,
            "events": self.events,
            "bcubed": {"precision": scores.precision, "recall": scores.recall, "f1": scores.f1} if scores else None,
            "largest_storyline_events": self.largest_events, "largest_storyline_share": round(self.largest_share, 4),
            "seconds": round(self.seconds, 2),
            "sample": [{"title": s.title, "events": s.events, "event_titles": list(s.event_titles)}
                       for s in self.sample],
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


def _is_timelines_file(path: str) -> bool:
    """Whether ``path`` holds Timeline17 topics (records with 'articles'), not one article a line."""
    for _, record in read_records(Path(path)):
        return "articles" in record
    return False


def evaluate_storylines(
    path: str, settings: Settings, cache: str | None = None, progress: Progress | None = None
) -> StorylineResult:
    """Stream the file through the pipeline; score storylines against topics where the file has them."""
    with tempfile.TemporaryDirectory(prefix="storyline-t17-") as folder:
        if _is_timelines_file(path):
            stream = Path(folder) / (Path(path).stem + "-stream.jsonl")
            topics: dict[str, str] | None = _flatten(path, stream)
        else:
            stream, topics = Path(path), None
        with evaluation_store(str(stream), cache) as store:
            started = time.perf_counter()
            ingest_file(store, str(stream), settings)
            store.reset_stage(ClusterStage.name, ClusterStage.writes)
            Pipeline.configured(clustering_stages(settings), settings.pipeline).run(store, progress)
            seconds = time.perf_counter() - started
            events = store.events()
            storylines = store.storylines()
            storyline_of = {e.id: e.storyline for e in events}
            gold, predicted = [], []
            articles = 0
            for article in store.articles(with_sentences=False):
                if article.event and (topics is None or article.external_id in topics):
                    articles += 1
                    if topics is not None:
                        gold.append(topics[str(article.external_id)])
                        predicted.append(storyline_of.get(article.event) or article.event)
    return StorylineResult(
        file=path,
        articles=articles,
        topics=len(set(gold)),
        storylines=len(storylines),
        events=len(events),
        bcubed=bcubed(gold, predicted) if topics is not None else None,
        seconds=seconds,
        largest_events=max((len(s.events) for s in storylines), default=0),
        sample=_sample(storylines, {e.id: e.title for e in events}),
    )


def _sample(storylines: list[Storyline], titles: dict[str, str]) -> tuple[StorylineSample, ...]:
    """The largest storylines, then a seeded random few of the others that hold more than one event."""
    largest = sorted(storylines, key=lambda s: (-len(s.events), s.id))[:_LARGEST_SHOWN]
    others = sorted((s for s in storylines if s not in largest and len(s.events) > 1), key=lambda s: s.id)
    picked = largest + random.Random(0).sample(others, min(_RANDOM_SHOWN, len(others)))
    return tuple(
        StorylineSample(s.title, len(s.events), tuple(titles.get(e, e) for e in s.events[:_EVENT_TITLES_SHOWN]))
        for s in picked
    )
