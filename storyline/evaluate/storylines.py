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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..cluster import ClusterStage
from ..config import Settings
from ..embed import load_embedder
from ..errors import StorylineError
from ..model import Article, Event, Storyline
from ..pipeline import Pipeline, Progress, clustering_stages, preparation_stages
from .clustering import evaluation_store, ingest_file
from .metrics import Scores, bcubed
from .records import read_records

# Storylines shown for a person to judge: the largest ones, then others picked at random (seeded).
_LARGEST_SHOWN = 5
_RANDOM_SHOWN = 5
_EVENT_TITLES_SHOWN = 8
# How far a repeat moves each vector component: the rounding by which two BLAS builds, or one with another
# thread count, give the same text's vector (1.7e-7 at most measured between 1 and 2 threads).
_ROUNDING_NOISE = 1e-7


@dataclass(frozen=True, slots=True)
class StorylineSample:
    """One storyline as a reader sees it: its title and its events' titles, oldest first."""

    title: str
    events: int
    event_titles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Repeat:
    """One more clustering of the same articles, the vectors moved by rounding noise."""

    bcubed: Scores | None
    storylines: int
    largest_share: float

    def to_json(self) -> dict[str, Any]:
        return {
            "f1": self.bcubed.f1 if self.bcubed else None,
            "storylines": self.storylines,
            "largest_storyline_share": round(self.largest_share, 4),
        }


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
    # The runs after the first (``repeats``), for the spread of the figures.
    repeats: tuple[Repeat, ...] = ()

    @property
    def f1_runs(self) -> list[float]:
        """BCubed F1 of every run, the first (the vectors as they are) included."""
        runs = [self.bcubed, *(r.bcubed for r in self.repeats)]
        return [s.f1 for s in runs if s is not None]

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
            "repeats": [r.to_json() for r in self.repeats],
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


class _JitteredClusterStage(ClusterStage):
    """The cluster stage given vectors moved by seeded rounding noise (``_ROUNDING_NOISE``), renormalized."""

    def __init__(self, settings: Settings, seed: int) -> None:
        embedder = load_embedder(settings.embed)
        super().__init__(settings.cluster, embedder.name, embedder.dimensions, embedder.languages)
        self._random = np.random.default_rng(seed)

    def _jitter(self, vector: np.ndarray | None) -> np.ndarray | None:
        if vector is None:
            return None
        moved = vector + self._random.normal(0.0, _ROUNDING_NOISE, vector.shape)
        return (moved / np.linalg.norm(moved)).astype(np.float32)

    def __call__(self, articles: list[Article]) -> list[Article]:
        moved = [
            replace(a, embedding=self._jitter(a.embedding), headline_embedding=self._jitter(a.headline_embedding))
            for a in articles
        ]
        return super().__call__(moved)


def evaluate_storylines(
    path: str, settings: Settings, cache: str | None = None, progress: Progress | None = None, repeats: int = 1
) -> StorylineResult:
    """Stream the file through the pipeline; score storylines against topics where the file has them.

    With ``repeats`` > 1 the clustering runs that many times in all, every run after the first on vectors moved
    by rounding noise: storylines are made one decision at a time, and a near tie decided the other way early in
    the stream changes much of what follows, so one run's figure is one draw.
    """
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
            placed = [a for a in store.articles(with_sentences=False) if a.event]
            articles = sum(1 for a in placed if topics is None or a.external_id in topics)
            gold, predicted = _scored(placed, events, topics)
            more = []
            for seed in range(1, repeats):
                store.reset_stage(ClusterStage.name, ClusterStage.writes)
                jittered = [*preparation_stages(settings), _JitteredClusterStage(settings, seed)]
                Pipeline.configured(jittered, settings.pipeline).run(store)
                found, made = store.storylines(), store.events()
                again = _scored(store.articles(with_sentences=False), made, topics)
                more.append(Repeat(
                    bcubed(*again) if topics is not None else None,
                    len(found),
                    max((len(s.events) for s in found), default=0) / max(len(made), 1),
                ))  # fmt: skip
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
        repeats=tuple(more),
    )


def _scored(
    articles: Iterable[Article], events: list[Event], topics: dict[str, str] | None
) -> tuple[list[str], list[str]]:
    """Gold topics and predicted storylines of the placed articles (both empty without topics)."""
    storyline_of = {e.id: e.storyline for e in events}
    gold, predicted = [], []
    for article in articles:
        if article.event and topics is not None and article.external_id in topics:
            gold.append(topics[str(article.external_id)])
            predicted.append(storyline_of.get(article.event) or article.event)
    return gold, predicted


def _sample(storylines: list[Storyline], titles: dict[str, str]) -> tuple[StorylineSample, ...]:
    """The largest storylines, then a seeded random few of the others that hold more than one event."""
    largest = sorted(storylines, key=lambda s: (-len(s.events), s.id))[:_LARGEST_SHOWN]
    others = sorted((s for s in storylines if s not in largest and len(s.events) > 1), key=lambda s: s.id)
    picked = largest + random.Random(0).sample(others, min(_RANDOM_SHOWN, len(others)))
    return tuple(
        StorylineSample(s.title, len(s.events), tuple(titles.get(e, e) for e in s.events[:_EVENT_TITLES_SHOWN]))
        for s in picked
    )
