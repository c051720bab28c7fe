"""What the clusterer remembers while a stream runs: active events and storylines, their vector index,
the clock and keys its parts share, and the record of each decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from ..nlp.terms import TermBag, TermBags

Vector = npt.NDArray[np.float32]

# Most frequent terms kept per event (and storyline) bag: bounds memory without losing what identifies it.
EVENT_BAG_TERMS = 400
# Member embeddings kept per event for the "closest member" feature.
EVENT_MEMBERS = 8


@lru_cache(maxsize=1)
def _thread_pools() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> Any:
    """A context in which numpy's products run on the calling thread. The clusterer's products are small (a few
    thousand centres): a second BLAS thread halves one on an idle machine and, on two busy cores (the NLP workers,
    another process), spin-waits for a core instead (the memory benchmark held both cores for one stream)."""
    return _thread_pools().limit(limits=1, user_api="blas")


def timestamp_days(published: str | None) -> float | None:
    """Days since 1970 of an ISO date or timestamp (any precision), or None."""
    if not published:
        return None
    text = published.replace("Z", "+00:00")
    padded = {4: "-07-01", 7: "-15"}.get(len(text), "")  # mid-year / mid-month for coarse dates
    try:
        moment = datetime.fromisoformat(text + padded)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() / 86400.0


def day_of(days: float) -> str:
    """The ISO date of a :func:`timestamp_days` value."""
    return datetime.fromtimestamp(days * 86400.0, UTC).date().isoformat()


@dataclass
class Clock:
    """What the clusterer's parts share as the stream runs: articles seen, the latest date, keys handed out.

    Events and storylines draw their keys from one sequence, so a snapshot saves one number.
    """

    tick: int = 0
    now: float | None = None
    next_key: int = 0

    def new_key(self) -> int:
        """A key no event or storyline has had."""
        key = self.next_key
        self.next_key += 1
        return key


@dataclass
class Journal:
    """What the clusterer changed since its state was last saved, for saving only that (``snapshot.changes``):
    the keys of the events and storylines made or changed, of those forgotten, and each article's event."""

    events: set[int] = field(default_factory=set)
    storylines: set[int] = field(default_factory=set)
    dropped_events: set[int] = field(default_factory=set)
    dropped_storylines: set[int] = field(default_factory=set)
    assigned: list[tuple[str, str]] = field(default_factory=list)

    def clear(self) -> None:
        """The state was saved (or restored): nothing has changed since."""
        self.events.clear()
        self.storylines.clear()
        self.dropped_events.clear()
        self.dropped_storylines.clear()
        self.assigned.clear()


@dataclass
class ActiveEvent:
    """What the clusterer remembers of an event while it is active."""

    id: str
    storyline: str
    key: int
    centroid: Vector
    members: Vector  # the last EVENT_MEMBERS articles' embeddings, a row each
    headlines: Vector  # and their headlines' embeddings
    size: int
    body: TermBag
    title: TermBag
    names: TermBag
    first: float | None = None
    last: float | None = None
    time_sum: float = 0.0
    time_count: int = 0
    touched: int = 0
    # The languages of its articles (None: too short to tell).
    languages: set[str | None] = field(default_factory=set)
    # The name terms under which it is filed in ``OnlineClusterer.name_postings``.
    posted: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # The centre as a unit vector, computed once per article added (every candidate pair reads it).
    unit: Vector | None = None
    # Its title: the headline of its first article.
    headline: str = ""

    def add(
        self, embedding: Vector, headline: Vector, bags: TermBags, when: float | None, tick: int, lang: str | None
    ) -> None:
        self.centroid = self.centroid + embedding
        self.unit = None
        self.languages.add(lang)
        self.members = np.vstack([self.members[-(EVENT_MEMBERS - 1) :], embedding[None, :]])
        self.headlines = np.vstack([self.headlines[-(EVENT_MEMBERS - 1) :], headline[None, :]])
        self.size += 1
        self.body = self.body.merged(bags.body, EVENT_BAG_TERMS)
        self.title = self.title.merged(bags.title, EVENT_BAG_TERMS)
        self.names = self.names.merged(bags.names, EVENT_BAG_TERMS)
        if when is not None:
            self.first = when if self.first is None else min(self.first, when)
            self.last = when if self.last is None else max(self.last, when)
            self.time_sum += when
            self.time_count += 1
        self.touched = tick

    @property
    def unit_centroid(self) -> Vector:
        if self.unit is None:
            self.unit = unit_vector(self.centroid)
        return self.unit


@dataclass
class ActiveStoryline:
    """A storyline's running centre: the sum of its events' articles' embeddings, and their names; and the
    event it is titled after, its most central (closest to that centre), with that event's unit centre, so
    that the title can be weighed against newer events after the event itself has left memory."""

    id: str
    key: int
    centroid: Vector
    names: TermBag
    last: float | None
    touched: int
    title: str = ""
    title_event: str = ""
    title_centre: Vector | None = None
    # How many events it holds, and in how many of them each name term appears (their first articles'):
    # its principal names are those in a large share of its events.
    events: int = 0
    event_names: TermBag = field(default_factory=TermBag.empty)
    # In how many of its events each word is among the most distinctive (its theme: what it is about).
    event_words: TermBag = field(default_factory=TermBag.empty)

    @property
    def unit_centroid(self) -> Vector:
        return unit_vector(self.centroid)


def unit_vector(vector: Vector) -> Vector:
    """``vector`` scaled to length 1 (a zero vector stays as it is)."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class Aging(Protocol):
    """An active item that eviction can judge: when it last happened, and the tick it last grew."""

    @property
    def last(self) -> float | None: ...

    @property
    def touched(self) -> int: ...


def stale_keys(pool: Mapping[int, Aging], now: float | None, window: float, limit: int) -> list[int]:
    """Keys of the items older than ``window`` days, then of the least recently grown beyond ``limit``."""
    stale = [k for k, item in pool.items() if now is not None and item.last is not None
             and now - item.last > window]  # fmt: skip
    if len(pool) - len(stale) > limit:
        by_age = sorted((item.touched, k) for k, item in pool.items() if k not in stale)
        stale += [k for _, k in by_age[: len(pool) - len(stale) - limit]]
    return stale


@dataclass
class Decision:
    """Why an article went where it went: the features, for training and for inspection."""

    candidates: list[str] = field(default_factory=list)
    pair_rows: list[list[float]] = field(default_factory=list)
    # The tier each pair is judged in (TIERS).
    tiers: list[str] = field(default_factory=list)
    decision_row: list[float] | None = None
    joined: str | None = None
    # What the article changed, for the records the stage hands the store: it started an event (and with it,
    # maybe a storyline), or its event's storyline (``folded``) was folded into another, now its event's.
    new_event: bool = False
    new_storyline: bool = False
    folded: str | None = None
    # The storyline's new title, when another of its events became its most central.
    retitled: str | None = None


class VectorIndex:
    """Exact inner-product search over unit vectors, keyed by integers, with removal.

    The vectors sit in rows of one matrix, a removed key's row is reused by the next new one: an update or a
    removal writes one row. (faiss's ID map removed by compacting its whole storage and rebuilding its id map
    on every call, most of the clusterer's time once a few thousand events were active.) A search is one
    matrix-vector product over the rows in use, a few thousand here.
    """

    def __init__(self, dimensions: int) -> None:
        self.vectors = np.zeros((0, dimensions), np.float32)
        # The key in each row; -1 for a free one. Rows from ``used`` on were never taken.
        self.keys = np.zeros(0, np.int64)
        self.used = 0
        self.rows: dict[int, int] = {}
        self.free: list[int] = []

    def __len__(self) -> int:
        return len(self.rows)

    def upsert(self, key: int, vector: Vector) -> None:
        row = self.rows.get(key)
        if row is None:
            row = self.free.pop() if self.free else self._grow()
            self.rows[key] = row
            self.keys[row] = key
        self.vectors[row] = vector

    def remove(self, key: int) -> None:
        row = self.rows.pop(key, None)
        if row is not None:
            self.keys[row] = -1
            self.vectors[row] = 0.0
            self.free.append(row)

    def search(self, vector: Vector, k: int) -> list[int]:
        """The keys of the ``k`` rows with the highest inner product, highest first (ties: lower key first)."""
        k = min(k, len(self.rows))
        if k == 0:
            return []
        keys = self.keys[: self.used]
        scores = self.vectors[: self.used] @ vector.astype(np.float32)
        scores[keys < 0] = -np.inf
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        ranked = top[np.lexsort((keys[top], -scores[top]))]
        return [int(key) for key in keys[ranked]]

    def _grow(self) -> int:
        """A row never taken, the matrix doubling when full; its index."""
        if self.used == len(self.keys):
            size = max(64, 2 * self.used)
            grown = np.zeros((size, self.vectors.shape[1]), np.float32)
            grown[: self.used] = self.vectors
            self.vectors = grown
            self.keys = np.concatenate([self.keys, np.full(size - self.used, -1, np.int64)])
        self.used += 1
        return self.used - 1
