"""Online event clustering and storyline linking, in one pass in time order.

Following Miranda et al. (2018): for an arriving article, candidate events come
from a vector index over the *active* (recent) events, and from the events filed
under its rarest names; several similarities between the article and each
candidate (dense embedding, TF-IDF of words, of title words and of names, time
gaps to the event's first, last and mean timestamps) are combined by a learned
model into a score; a second learned model decides whether to join the best
candidate or to start a new event. Each pair is judged by the features that mean
something for its languages (``TIERS``). Events that fall out of the time window
leave the index, so the cost and the memory per article stay flat however long
the stream. Storylines link events weeks or years apart by the same principal
actors and theme, and by the events an article nearly joined.
"""

from __future__ import annotations

import io
import json
import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from .config import ClusterSettings
from .errors import ConfigError, Errors
from .model import Article, content_id
from .nlp.dates import date_from_own_text
from .nlp.terms import HASH_SIZE, TermBag, TermBags, term_bags

Vector = npt.NDArray[np.float32]

PAIR_FEATURES = (
    "dense_centroid",
    "dense_max",
    "headline_max",
    "body_tfidf",
    "title_tfidf",
    "names_tfidf",
    "log_days_first",
    "log_days_last",
    "log_days_mean",
    "dated",
    "log_size",
)
DECISION_FEATURES = ("best", "second", "margin", "best_dense", "best_body", "best_title", "best_names",
                     "best_log_days_last", "dated")  # fmt: skip
# What a pair is judged by depends on its languages (``OnlineClusterer.tier``):
# - "dense": one language, which the embedding model was made for: every feature;
# - "sparse": one language the embedding was not made for, as its cosines say little there (two unrelated
#   Chinese articles score 0.8): no embedding features;
# - "names": two languages: only what carries across them, names, numbers and time. Such candidates are
#   judged only when no candidate in the article's language is joined (their scores are not comparable).
_NOT_SPARSE = ("dense_centroid", "dense_max", "headline_max", "best_dense")
_NOT_NAMES = (*_NOT_SPARSE, "body_tfidf", "title_tfidf", "best_body", "best_title")
TIERS = ("dense", "sparse", "names")
# Languages py3langid tells apart that are one for matching terms: Indonesian within the Malay macrolanguage.
_ONE_LANGUAGE = {"id": "ms", "nb": "no", "nn": "no"}


def _without(features: tuple[str, ...], dropped: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in features if f not in dropped)


# Each tier's (pair features, decision features).
TIER_FEATURES = {
    "dense": (PAIR_FEATURES, DECISION_FEATURES),
    "sparse": (_without(PAIR_FEATURES, _NOT_SPARSE), _without(DECISION_FEATURES, _NOT_SPARSE)),
    "names": (_without(PAIR_FEATURES, _NOT_NAMES), _without(DECISION_FEATURES, _NOT_NAMES)),
}
# Most frequent terms kept per event bag: bounds memory without losing what identifies the event.
_EVENT_BAG_TERMS = 400
# Eviction scans the active pool, so it runs every so many articles, not on each.
_EVICT_EVERY = 32
# A candidate event the pair scorer finds at least this likely to be the article's, though the decision did
# not join it, is a step of the same story: the article's event shares its storyline (a new event links to
# it; a joined event's storyline and its are folded into one). Measured on t17-dev (RESULTS): 0.5 chained
# topics together.
_SAME_STORY = 0.95
# Name terms an event is filed under, at most, for finding candidates by name (memory stays bounded).
_POSTED_NAMES = 100
# An article looks up events under this many of its rarest names.
_LOOKUP_NAMES = 5
# Member embeddings kept per event for the "closest member" feature.
_EVENT_MEMBERS = 8


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


# -- the learned models --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Logistic regression weights over named features (trained by `storyline train clustering`)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def probability(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        z = ((rows - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.weights) + self.bias
        probability: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return probability

    def to_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "weights": list(self.weights), "bias": self.bias,
                "mean": list(self.mean), "scale": list(self.scale)}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        return cls(tuple(data["features"]), tuple(data["weights"]), float(data["bias"]),
                   tuple(data["mean"]), tuple(data["scale"]))  # fmt: skip


def columns(subset: tuple[str, ...], features: tuple[str, ...]) -> list[int]:
    """Where each of ``subset`` sits in ``features``."""
    return [features.index(f) for f in subset]


@dataclass(frozen=True, slots=True)
class Judge:
    """The pair scorer and the join-or-new decision of one tier, over that tier's features."""

    pair: LinearModel
    decision: LinearModel
    # Join the best candidate when the decision's probability reaches this (chosen on the training files).
    join_probability: float = 0.5

    def pair_scores(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Scores of full pair rows (PAIR_FEATURES), read through this judge's features."""
        return self.pair.probability(rows[:, columns(self.pair.features, PAIR_FEATURES)])

    def joins(self, decision_row: list[float]) -> bool:
        """Whether a full decision row (DECISION_FEATURES) joins its best candidate."""
        row = np.array([decision_row])[:, columns(self.decision.features, DECISION_FEATURES)]
        return bool(self.decision.probability(row)[0] >= self.join_probability)

    def to_json(self) -> dict[str, Any]:
        return {"pair": self.pair.to_json(), "decision": self.decision.to_json(),
                "join_probability": self.join_probability}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Judge:
        return cls(LinearModel.from_json(data["pair"]), LinearModel.from_json(data["decision"]),
                   float(data.get("join_probability", 0.5)))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClusteringModel:
    """A judge per tier (TIERS), with what they were trained on."""

    judges: dict[str, Judge]
    trained_on: tuple[str, ...] = ()

    def pair_scores(self, rows: npt.NDArray[np.float64], tiers: list[str]) -> npt.NDArray[np.float64]:
        """Each candidate's probability of being the article's event, each by its pair's tier."""
        scores = np.zeros(len(rows))
        for tier in set(tiers):
            mine = np.array([t == tier for t in tiers])
            scores[mine] = self.judges[tier].pair_scores(rows[mine])
        return scores

    def to_json(self) -> dict[str, Any]:
        return {"tiers": {tier: judge.to_json() for tier, judge in self.judges.items()},
                "trained_on": list(self.trained_on)}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClusteringModel:
        if set(data.get("tiers", {})) != set(TIERS):
            raise ConfigError("[E013] clustering model: made by an older version of storyline; retrain it.")
        judges = {tier: Judge.from_json(data["tiers"][tier]) for tier in TIERS}
        if any((j.pair.features, j.decision.features) != TIER_FEATURES[t] for t, j in judges.items()):
            raise ConfigError("[E013] clustering model: its features do not match this version of storyline.")
        return cls(judges, tuple(data.get("trained_on", ())))


def load_clustering_model(path: str) -> ClusteringModel:
    """A model file; an empty path means the shipped model."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("storyline").joinpath("models", "clustering.json").read_text(encoding="utf-8")
    return ClusteringModel.from_json(json.loads(text))


# -- sparse similarity ---------------------------------------------------------------


class DocumentFrequencies:
    """Online document frequencies over hashed terms: a fixed-size array."""

    def __init__(self) -> None:
        self.counts = np.zeros(HASH_SIZE, dtype=np.int32)
        self.documents = 0

    def add(self, bag: TermBag) -> None:
        self.counts[bag.keys] += 1
        self.documents += 1

    def cosines(self, article: Weighted, bags: list[TermBag]) -> npt.NDArray[np.float64]:
        """TF-IDF cosine of ``article`` to each bag: one pass over all their terms, not a loop per bag."""
        sizes = np.array([len(b) for b in bags], dtype=np.int64)
        if not sizes.sum() or not article.norm:
            return np.zeros(len(bags))
        keys = np.concatenate([b.keys for b in bags])
        values = self._tf_idf(keys, np.concatenate([b.counts for b in bags]))
        owner = np.repeat(np.arange(len(bags)), sizes)
        norms = np.sqrt(np.bincount(owner, weights=values * values, minlength=len(bags)))
        at = np.minimum(np.searchsorted(article.keys, keys), len(article.keys) - 1)
        shared = article.keys[at] == keys
        dots = np.bincount(owner[shared], weights=values[shared] * article.values[at[shared]], minlength=len(bags))
        return np.divide(dots, norms * article.norm, out=np.zeros(len(bags)), where=norms > 0)

    def weights(self, bag: TermBag) -> Weighted:
        """TF-IDF weights of ``bag``."""
        values = self._tf_idf(bag.keys, bag.counts)
        return Weighted(bag.keys, values, float(np.sqrt(values @ values)))

    def _tf_idf(self, keys: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Sublinear term frequency times smoothed inverse document frequency."""
        idf = np.log((1.0 + self.documents) / (1.0 + self.counts[keys])) + 1.0
        weights: npt.NDArray[np.float64] = (1.0 + np.log(counts)) * idf
        return weights


@dataclass(frozen=True, slots=True)
class Weighted:
    """A bag's TF-IDF weights, by ascending term id, and their norm."""

    keys: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    norm: float


# -- state ---------------------------------------------------------------------------


@dataclass
class ActiveEvent:
    """What the clusterer remembers of an event while it is active."""

    id: str
    storyline: str
    key: int
    centroid: Vector
    members: Vector  # the last _EVENT_MEMBERS articles' embeddings, a row each
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

    def add(
        self, embedding: Vector, headline: Vector, bags: TermBags, when: float | None, tick: int, lang: str | None
    ) -> None:
        self.centroid = self.centroid + embedding
        self.unit = None
        self.languages.add(lang)
        self.members = np.vstack([self.members[-(_EVENT_MEMBERS - 1) :], embedding[None, :]])
        self.headlines = np.vstack([self.headlines[-(_EVENT_MEMBERS - 1) :], headline[None, :]])
        self.size += 1
        self.body = self.body.merged(bags.body, _EVENT_BAG_TERMS)
        self.title = self.title.merged(bags.title, _EVENT_BAG_TERMS)
        self.names = self.names.merged(bags.names, _EVENT_BAG_TERMS)
        if when is not None:
            self.first = when if self.first is None else min(self.first, when)
            self.last = when if self.last is None else max(self.last, when)
            self.time_sum += when
            self.time_count += 1
        self.touched = tick

    @property
    def unit_centroid(self) -> Vector:
        if self.unit is None:
            self.unit = _unit(self.centroid)
        return self.unit


@dataclass
class ActiveStoryline:
    """A storyline's running centre: the sum of its events' articles' embeddings, and their names."""

    id: str
    key: int
    centroid: Vector
    names: TermBag
    last: float | None
    touched: int

    @property
    def unit_centroid(self) -> Vector:
        return _unit(self.centroid)


def _unit(vector: Vector) -> Vector:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass
class Decision:
    """Why an article went where it went: the features, for training and for inspection."""

    candidates: list[str] = field(default_factory=list)
    pair_rows: list[list[float]] = field(default_factory=list)
    # The tier each pair is judged in (TIERS).
    tiers: list[str] = field(default_factory=list)
    decision_row: list[float] | None = None
    joined: str | None = None


class _Index:
    """Exact inner-product search over unit vectors (faiss), keyed by integers, with removal."""

    def __init__(self, dimensions: int) -> None:
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimensions))

    def upsert(self, key: int, vector: Vector) -> None:
        self.remove(key)
        self.index.add_with_ids(vector.reshape(1, -1).astype(np.float32), np.array([key], dtype=np.int64))

    def remove(self, key: int) -> None:
        self.index.remove_ids(np.array([key], dtype=np.int64))  # type: ignore[arg-type]

    def search(self, vector: Vector, k: int) -> list[int]:
        if self.index.ntotal == 0:
            return []
        _, keys = self.index.search(vector.reshape(1, -1).astype(np.float32), min(k, self.index.ntotal))
        return [int(x) for x in keys[0] if x >= 0]


class OnlineClusterer:
    """Assigns articles, one at a time in time order, to events and storylines."""

    def __init__(
        self,
        model: ClusteringModel,
        settings: ClusterSettings,
        dimensions: int,
        languages: tuple[str, ...] | None = None,
        only_tier: str | None = None,
    ) -> None:
        self.model = model
        self.settings = settings
        self.dimensions = dimensions
        # The languages the embedding model was made for; None: all of them.
        self.languages = languages
        # Judge every pair in this tier, whatever its languages (training uses it to tune each tier).
        self.only_tier = only_tier
        self.df_body = DocumentFrequencies()
        self.df_title = DocumentFrequencies()
        self.df_names = DocumentFrequencies()
        self.events: dict[int, ActiveEvent] = {}
        self.event_keys: dict[str, int] = {}
        self.storyline_keys: dict[str, int] = {}
        self.storylines: dict[int, ActiveStoryline] = {}
        self.event_index = _Index(dimensions)
        # Name term -> keys of the active events filed under it: candidates the embedding does not find
        # (an event in another language shares an article's names, not its vector).
        self.name_postings: dict[int, set[int]] = {}
        self.storyline_index = _Index(dimensions)
        self.article_events: OrderedDict[str, str] = OrderedDict()
        self.next_key = 0
        self.tick = 0
        self.now: float | None = None

    # -- features ------------------------------------------------------------------

    def covers(self, lang: str | None) -> bool:
        """Whether the embedding speaks ``lang``; an unknown language (a text too short to tell) counts."""
        return self.languages is None or lang is None or lang in self.languages

    def tier(self, lang: str | None, event: ActiveEvent) -> str:
        """The tier (TIERS) an article in ``lang`` and ``event`` are judged in."""
        if self.only_tier:
            return self.only_tier
        known = {_ONE_LANGUAGE.get(x, x) for x in event.languages if x}
        if lang and known and _ONE_LANGUAGE.get(lang, lang) not in known:
            return "names"
        return "dense" if all(self.covers(x) for x in event.languages | {lang}) else "sparse"

    def _pair_rows(
        self,
        embedding: Vector,
        headline: Vector,
        weights: tuple[Weighted, ...],
        when: float | None,
        events: list[ActiveEvent],
    ) -> list[list[float]]:
        """The pair features (PAIR_FEATURES) of the article against each candidate event."""
        if not events:
            return []
        body, title, names = weights
        sparse = zip(
            self.df_body.cosines(body, [e.body for e in events]),
            self.df_title.cosines(title, [e.title for e in events]),
            self.df_names.cosines(names, [e.names for e in events]),
            strict=True,
        )
        # Each dense feature of all candidates from one product: centres, then members and headlines.
        centres = np.stack([e.unit_centroid for e in events]) @ embedding
        starts = np.cumsum([0] + [len(e.members) for e in events[:-1]])
        closest = np.maximum.reduceat(np.concatenate([e.members for e in events]) @ embedding, starts)
        closest_headline = np.maximum.reduceat(np.concatenate([e.headlines for e in events]) @ headline, starts)
        rows = []
        for i, (event, (body_cosine, title_cosine, names_cosine)) in enumerate(zip(events, sparse, strict=True)):
            dated = when is not None and event.first is not None and event.last is not None
            if dated:
                assert when is not None and event.first is not None and event.last is not None
                mean = event.time_sum / max(event.time_count, 1)
                gaps = [math.log1p(abs(when - t)) for t in (event.first, event.last, mean)]
            else:
                gaps = [0.0, 0.0, 0.0]
            rows.append([
                float(centres[i]),
                float(closest[i]),
                float(closest_headline[i]),
                float(body_cosine),
                float(title_cosine),
                float(names_cosine),
                *gaps,
                1.0 if dated else 0.0,
                math.log(event.size),
            ])  # fmt: skip
        return rows

    @staticmethod
    def decision_row(scores: list[float], pair_rows: list[list[float]], best: int) -> list[float]:
        """Features of the join-or-new decision, from the scored candidates."""
        ordered = sorted(scores, reverse=True)
        second = ordered[1] if len(ordered) > 1 else 0.0
        row = pair_rows[best]
        taken = ("dense_centroid", "body_tfidf", "title_tfidf", "names_tfidf", "log_days_last", "dated")
        return [ordered[0], second, ordered[0] - second, *(row[PAIR_FEATURES.index(f)] for f in taken)]

    # -- the pass ------------------------------------------------------------------

    def _decide(
        self, candidates: list[ActiveEvent], decision: Decision
    ) -> tuple[ActiveEvent | None, ActiveEvent | None]:
        """The event to join, or None; and an event of the same story, to share its storyline, or None.

        Candidates in the article's language are judged first; those in other languages only when
        none of these is joined. A candidate in the article's language that the pair scorer gives
        ``_SAME_STORY`` but is not joined is a step of the same story.
        """
        scores = self.model.pair_scores(np.array(decision.pair_rows), decision.tiers).tolist()
        same = [i for i, tier in enumerate(decision.tiers) if tier != "names"]
        other = [i for i, tier in enumerate(decision.tiers) if tier == "names"]
        ranked = sorted(same, key=lambda i: -scores[i])
        chosen = None
        for group in (same, other):
            if not group:
                continue
            local = [scores[i] for i in group]
            at = int(np.argmax(local))
            best = group[at]
            decision.decision_row = self.decision_row(local, [decision.pair_rows[i] for i in group], at)
            if self.model.judges[decision.tiers[best]].joins(decision.decision_row):
                chosen = candidates[best]
                break
        storyline = chosen.storyline if chosen is not None else None
        sibling = next((candidates[i] for i in ranked if scores[i] >= _SAME_STORY
                        and candidates[i].storyline != storyline), None)  # fmt: skip
        return chosen, sibling

    def assign(self, article: Article, gold: str | None = None) -> tuple[str, str, Decision]:
        """The (event id, storyline id) for ``article``; ``gold`` (training) forces the event."""
        if article.embedding is None:
            raise ConfigError(f"Article {article.id} reaches clustering without an embedding.")
        embedding = article.embedding.astype(np.float32)
        headline = (
            article.headline_embedding.astype(np.float32) if article.headline_embedding is not None else embedding
        )
        when = timestamp_days(article.published)
        self.tick += 1
        if when is not None:
            self.now = when if self.now is None else max(self.now, when)
        bags = term_bags(article.title, article.text, article.lang)
        weights = (self.df_body.weights(bags.body), self.df_title.weights(bags.title),
                   self.df_names.weights(bags.names))  # fmt: skip
        decision = Decision()
        chosen: ActiveEvent | None = None
        sibling: ActiveEvent | None = None
        nearest: list[ActiveEvent] = []

        original = self.article_events.get(article.duplicate_of or "")
        if original is not None and original in self.event_keys:
            chosen = self.events[self.event_keys[original]]
        if chosen is None:
            nearest = [self.events[k] for k in self.event_index.search(embedding, self.settings.candidates)]
            candidates = nearest + self._named_events(bags.names, {e.key for e in nearest})
            bound = timestamp_days(article.not_before) if when is None else None
            if bound is not None:
                # It reports, in the past, something later than everything in these events.
                candidates = [e for e in candidates if e.last is None or e.last >= bound - 1]
            decision.candidates = [e.id for e in candidates]
            decision.pair_rows = self._pair_rows(embedding, headline, weights, when, candidates)
            decision.tiers = [self.tier(article.lang, e) for e in candidates]
            if gold is not None:
                chosen = self.events[self.event_keys[gold]] if gold in self.event_keys else None
            elif candidates:
                chosen, sibling = self._decide(candidates, decision)

        if chosen is None:
            # The nearest events, even those the article did not join, may share its storyline.
            chosen = self._new_event(article, embedding, bags, when, gold, nearest, self.covers(article.lang), sibling)
        elif chosen.storyline in self.storyline_keys:
            if sibling is not None:
                self._merge_storylines(chosen.storyline, sibling.storyline)
            # Every article of its events, not only their first, makes a storyline's centre.
            self._grow_storyline(self.storylines[self.storyline_keys[chosen.storyline]], embedding, bags, when)
        chosen.add(embedding, headline, bags, when, self.tick, article.lang)
        self._file_names(chosen, bags.names)
        self.event_index.upsert(chosen.key, chosen.unit_centroid)
        decision.joined = chosen.id
        self.df_body.add(bags.body)
        self.df_title.add(bags.title)
        self.df_names.add(bags.names)
        self._remember(article.id, chosen.id)
        if self.tick % _EVICT_EVERY == 0:
            self._evict()
        return chosen.id, chosen.storyline, decision

    def _new_event(
        self,
        article: Article,
        embedding: Vector,
        bags: TermBags,
        when: float | None,
        gold: str | None,
        related: list[ActiveEvent],
        covered: bool,
        sibling: ActiveEvent | None,
    ) -> ActiveEvent:
        key = self.next_key
        self.next_key += 1
        event_id = gold or content_id("e", article.id)
        event = ActiveEvent(
            id=event_id,
            storyline=self._link_storyline(event_id, embedding, bags, when, related, covered, sibling),
            key=key,
            centroid=np.zeros(self.dimensions, dtype=np.float32),
            members=np.zeros((0, self.dimensions), np.float32),
            headlines=np.zeros((0, self.dimensions), np.float32),
            size=0,
            body=TermBag.empty(),
            title=TermBag.empty(),
            names=TermBag.empty(),
        )
        self.events[key] = event
        self.event_keys[event_id] = key
        return event

    def _link_storyline(
        self,
        event_id: str,
        embedding: Vector,
        bags: TermBags,
        when: float | None,
        related: list[ActiveEvent],
        covered: bool,
        sibling: ActiveEvent | None = None,
    ) -> str:
        """Join the storyline of ``sibling`` (an event the article nearly joined), else the closest active
        storyline if it is close enough, else start one."""
        if sibling is not None and sibling.storyline in self.storyline_keys:
            best: ActiveStoryline | None = self.storylines[self.storyline_keys[sibling.storyline]]
            score = math.inf
        else:
            best, score = self._closest_storyline(embedding, bags.names, related, covered)
        if best is None or score < self.settings.storyline_threshold:
            key = self.next_key
            self.next_key += 1
            best = ActiveStoryline(content_id("s", event_id), key, np.zeros(self.dimensions, np.float32),
                                   TermBag.empty(), when, self.tick)  # fmt: skip
            self.storylines[key] = best
            self.storyline_keys[best.id] = key
        self._grow_storyline(best, embedding, bags, when)
        return best.id

    def _closest_storyline(
        self, vector: Vector, names: TermBag, related: list[ActiveEvent], covered: bool
    ) -> tuple[ActiveStoryline | None, float]:
        """The closest active storyline to ``vector`` and ``names``, and its score.

        Closeness is to a storyline as a whole (its running centre) or to one of its
        events: a storyline's events drift apart over months, and the newest is often
        the nearest. In a language the embedding does not cover, only shared names count.
        """
        weighted = self.df_names.weights(names)
        # Candidates: the nearest storylines, and the storylines of the nearest events.
        storylines = [self.storylines[k] for k in self.storyline_index.search(vector, self.settings.candidates)]
        events = [e for e in related if e.storyline in self.storyline_keys]
        dense = [
            *(float(vector @ s.unit_centroid) for s in storylines),
            *(float(vector @ e.unit_centroid) for e in events),
        ]
        shared_names = self.df_names.cosines(weighted, [s.names for s in storylines] + [e.names for e in events])
        owners = storylines + [self.storylines[self.storyline_keys[e.storyline]] for e in events]
        best: ActiveStoryline | None = None
        best_score = -1.0
        for storyline, closeness, names_cosine in zip(owners, dense, shared_names, strict=True):
            score = self._storyline_score(closeness if covered else 0.0, float(names_cosine))
            if score > best_score:
                best, best_score = storyline, score
        return best, best_score

    def _storyline_score(self, closeness: float, names_cosine: float) -> float:
        """How close something is to a storyline: dense closeness plus weighted shared names."""
        return closeness + self.settings.storyline_names_weight * names_cosine

    def _named_events(self, names: TermBag, found: set[int]) -> list[ActiveEvent]:
        """Up to half as many candidates as the index gives, from the events filed under the article's
        rarest names, most shared rarity first; ``found`` are left out."""
        present = [t for t in names.keys.tolist() if t in self.name_postings]
        rarest = sorted(present, key=lambda t: (self.df_names.counts[t], t))[:_LOOKUP_NAMES]
        weight: dict[int, float] = {}
        for term in rarest:
            idf = math.log((1.0 + self.df_names.documents) / (1.0 + self.df_names.counts[term]))
            for key in self.name_postings[term] - found:
                weight[key] = weight.get(key, 0.0) + idf
        ranked = sorted(weight, key=lambda k: (-weight[k], k))[: self.settings.candidates // 2]
        return [self.events[k] for k in ranked]

    def _file_names(self, event: ActiveEvent, names: TermBag) -> None:
        """File ``event`` under the article's name terms, up to ``_POSTED_NAMES`` in all."""
        new = np.setdiff1d(names.keys, event.posted, assume_unique=True)[: _POSTED_NAMES - len(event.posted)]
        event.posted = np.concatenate([event.posted, new])
        for term in new.tolist():
            self.name_postings.setdefault(term, set()).add(event.key)

    def _unfile_names(self, event: ActiveEvent) -> None:
        """Take an evicted event out of the name postings."""
        for term in event.posted.tolist():
            keys = self.name_postings.get(term)
            if keys is not None:
                keys.discard(event.key)
                if not keys:
                    del self.name_postings[term]

    def _merge_storylines(self, absorbed: str, into: str) -> None:
        """Fold storyline ``absorbed`` into ``into``: an article of one nearly joined an event of the other.

        The article's own storyline is the one absorbed, so that the article, which now names ``into``,
        tells the store to rename every event of ``absorbed`` (``SQLiteStore.save_stage``).
        """
        if absorbed == into or absorbed not in self.storyline_keys or into not in self.storyline_keys:
            return
        gone, survivor = self.storylines[self.storyline_keys[absorbed]], self.storylines[self.storyline_keys[into]]
        # Only storylines as close as a new event must be to link: one bridging article does not chain two
        # stories together.
        names = float(self.df_names.cosines(self.df_names.weights(gone.names), [survivor.names])[0])
        closeness = self._storyline_score(float(gone.unit_centroid @ survivor.unit_centroid), names)
        if closeness < self.settings.storyline_threshold:
            return
        del self.storylines[self.storyline_keys.pop(absorbed)]
        self.storyline_index.remove(gone.key)
        survivor.centroid = survivor.centroid + gone.centroid
        survivor.names = survivor.names.merged(gone.names, _EVENT_BAG_TERMS)
        if gone.last is not None:
            survivor.last = gone.last if survivor.last is None else max(survivor.last, gone.last)
        self.storyline_index.upsert(survivor.key, survivor.unit_centroid)
        for event in self.events.values():
            if event.storyline == absorbed:
                event.storyline = into

    def _grow_storyline(
        self, storyline: ActiveStoryline, embedding: Vector, bags: TermBags, when: float | None
    ) -> None:
        """Add an article of one of its events to a storyline's centre and names."""
        storyline.centroid = storyline.centroid + embedding
        storyline.names = storyline.names.merged(bags.names, _EVENT_BAG_TERMS)
        storyline.touched = self.tick
        if when is not None:
            storyline.last = when if storyline.last is None else max(storyline.last, when)
        self.storyline_index.upsert(storyline.key, storyline.unit_centroid)

    def _remember(self, article_id: str, event_id: str) -> None:
        self.article_events[article_id] = event_id
        while len(self.article_events) > self.settings.remembered_articles:
            self.article_events.popitem(last=False)

    def _evict(self) -> None:
        """Forget events (and storylines) that are too old or too many: memory stays bounded."""
        for pool, index, window, limit in (
            (self.events, self.event_index, self.settings.event_window_days, self.settings.max_active_events),
            (self.storylines, self.storyline_index, self.settings.storyline_window_days,
             self.settings.max_active_storylines),
        ):  # fmt: skip
            stale = [k for k, item in pool.items() if self.now is not None and item.last is not None
                     and self.now - item.last > window]  # fmt: skip
            if len(pool) - len(stale) > limit:
                by_age = sorted((item.touched, k) for k, item in pool.items() if k not in stale)
                stale += [k for _, k in by_age[: len(pool) - len(stale) - limit]]
            for key in stale:
                removed = pool.pop(key)
                index.remove(key)
                if isinstance(removed, ActiveEvent):
                    self.event_keys.pop(removed.id, None)
                    self._unfile_names(removed)
                else:
                    self.storyline_keys.pop(removed.id, None)

    def event_date(self, event_id: str) -> str | None:
        """The first day of an active event with dated articles (ISO), else None."""
        key = self.event_keys.get(event_id)
        first = self.events[key].first if key is not None else None
        return datetime.fromtimestamp(first * 86400.0, UTC).date().isoformat() if first is not None else None

    # -- persistence ---------------------------------------------------------------

    def _frequencies(self) -> dict[str, DocumentFrequencies]:
        return {"body": self.df_body, "title": self.df_title, "names": self.df_names}

    def snapshot(self) -> bytes:
        """The state as bytes (numpy arrays and JSON), to resume in a later run."""
        events = [
            {"id": e.id, "storyline": e.storyline, "key": e.key, "size": e.size, "first": e.first, "last": e.last,
             "time_sum": e.time_sum, "time_count": e.time_count, "touched": e.touched,
             "languages": sorted(e.languages, key=str), "posted": e.posted.tolist()}
            for e in self.events.values()
        ]  # fmt: skip
        storylines = [
            {"id": s.id, "key": s.key, "last": s.last, "touched": s.touched} for s in self.storylines.values()
        ]
        meta = {"events": events, "storylines": storylines, "article_events": list(self.article_events.items()),
                "next_key": self.next_key, "tick": self.tick, "now": self.now,
                "documents": [self.df_body.documents, self.df_title.documents, self.df_names.documents]}  # fmt: skip
        buffer = io.BytesIO()
        empty = np.zeros((0, self.dimensions), np.float32)
        # This runs every batch: document frequencies are saved sparse (most of the hashed space is zero),
        # term bags as flat arrays, which numpy writes far faster than JSON, and nothing is compressed
        # (vectors hardly compress, and compressing took 25x the time of writing).
        bags: dict[str, Any] = {}
        for part, df in self._frequencies().items():
            keys = np.flatnonzero(df.counts)
            bags[f"df_{part}_keys"], bags[f"df_{part}_counts"] = keys, df.counts[keys]
        bags |= _packed([e.body for e in self.events.values()], "event_body")
        bags |= _packed([e.title for e in self.events.values()], "event_title")
        bags |= _packed([e.names for e in self.events.values()], "event_names")
        bags |= _packed([s.names for s in self.storylines.values()], "storyline_names")
        np.savez(
            buffer,
            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            **bags,
            centroids=np.stack([e.centroid for e in self.events.values()]) if events else empty,
            members=np.concatenate([e.members for e in self.events.values()]) if events else empty,
            headlines=np.concatenate([e.headlines for e in self.events.values()]) if events else empty,
            member_counts=np.array([len(e.members) for e in self.events.values()], dtype=np.int64),
            storyline_centroids=np.stack([s.centroid for s in self.storylines.values()]) if storylines else empty,
        )
        return buffer.getvalue()

    def restore(self, data: bytes) -> None:
        """Resume from a snapshot."""
        arrays = np.load(io.BytesIO(data))
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        for row, (part, df) in enumerate(self._frequencies().items()):
            if "df" in arrays:  # older snapshots saved the dense arrays
                df.counts = arrays["df"][row].copy()
            else:
                df.counts[arrays[f"df_{part}_keys"]] = arrays[f"df_{part}_counts"]
        self.df_body.documents, self.df_title.documents, self.df_names.documents = meta["documents"]
        self.next_key, self.tick, self.now = meta["next_key"], meta["tick"], meta["now"]
        self.article_events = OrderedDict((a, e) for a, e in meta["article_events"])
        offsets = np.concatenate([[0], np.cumsum(arrays["member_counts"])]).astype(int)
        body, title, names = (_unpacked(arrays, meta["events"], part) for part in ("body", "title", "names"))
        for i, item in enumerate(meta["events"]):
            members = arrays["members"][offsets[i] : offsets[i + 1]]
            headlines = arrays["headlines"][offsets[i] : offsets[i + 1]]
            event = ActiveEvent(
                id=item["id"], storyline=item["storyline"], key=item["key"], centroid=arrays["centroids"][i],
                members=members, headlines=headlines, size=item["size"],
                body=body[i], title=title[i], names=names[i],
                first=item["first"], last=item["last"], time_sum=item["time_sum"],
                time_count=item["time_count"], touched=item["touched"],
                languages=set(item.get("languages", [])), posted=np.array(item.get("posted", []), np.int64),
            )  # fmt: skip
            self.events[event.key] = event
            self.event_keys[event.id] = event.key
            self.event_index.upsert(event.key, event.unit_centroid)
            for term in event.posted.tolist():
                self.name_postings.setdefault(term, set()).add(event.key)
        storyline_names = _unpacked(arrays, meta["storylines"], "names", owner="storyline")
        for i, item in enumerate(meta["storylines"]):
            storyline = ActiveStoryline(
                item["id"],
                item["key"],
                arrays["storyline_centroids"][i],
                storyline_names[i],
                item["last"],
                item["touched"],
            )
            self.storylines[storyline.key] = storyline
            self.storyline_keys[storyline.id] = storyline.key
            self.storyline_index.upsert(storyline.key, storyline.unit_centroid)


def _packed(bags: list[TermBag], name: str) -> dict[str, npt.NDArray[np.int64]]:
    """Bags as three flat arrays: every key, every count, and each bag's size."""
    empty = np.zeros(0, np.int64)
    return {
        f"{name}_keys": np.concatenate([b.keys for b in bags]) if bags else empty,
        f"{name}_counts": np.concatenate([b.counts for b in bags]) if bags else empty,
        f"{name}_sizes": np.array([len(b) for b in bags], dtype=np.int64),
    }


def _unpacked(arrays: Any, items: list[dict[str, Any]], part: str, owner: str = "event") -> list[TermBag]:
    """The bags :func:`_packed` saved; older snapshots kept them as [term, count] pairs in the JSON."""
    name = f"{owner}_{part}"
    if f"{name}_sizes" not in arrays:
        return [TermBag.from_pairs(item[part]) for item in items]
    ends = np.cumsum(arrays[f"{name}_sizes"])
    keys, counts = arrays[f"{name}_keys"], arrays[f"{name}_counts"]
    return [
        TermBag(keys[end - size : end], counts[end - size : end])
        for end, size in zip(ends, arrays[f"{name}_sizes"], strict=True)
    ]


class ClusterStage:
    """Assigns each new article to an event (and each new event to a storyline), in time order."""

    name: str = "cluster"
    version: int = 1
    reads: tuple[str, ...] = ("text", "lang", "sentences", "embedding", "duplicate_of", "published", "not_before")
    writes: tuple[str, ...] = ("event", "storyline", "published", "published_source")

    def __init__(self, settings: ClusterSettings, dimensions: int, languages: tuple[str, ...] | None = None) -> None:
        self.settings = settings
        self.dimensions = dimensions
        self.languages = languages
        self.model = load_clustering_model(settings.model)
        self.clusterer = OnlineClusterer(self.model, settings, dimensions, languages)

    def restore(self, state: bytes | None) -> None:
        """Start from the saved state (or from nothing), whatever this instance saw before."""
        self.clusterer = OnlineClusterer(self.model, self.settings, self.dimensions, self.languages)
        if state:
            self.clusterer.restore(state)

    def snapshot(self) -> bytes:
        return self.clusterer.snapshot()

    def __call__(self, articles: list[Article]) -> list[Article]:
        out = []
        for article in articles:
            event, storyline, _ = self.clusterer.assign(article)
            article = replace(article, event=event, storyline=storyline)
            if article.published is None:
                inferred = self.clusterer.event_date(event)
                # An article with no past date of its own (no ``not_before``) cannot be dated from its text.
                if inferred is None and article.not_before:
                    inferred = date_from_own_text([s.text for s in article.sentences])
                if inferred:
                    article = replace(article, published=inferred, published_source="inferred")
            out.append(article)
        return out


def check_model_name(name: str) -> None:
    """Fail early on a model path that does not exist."""
    if name and not Path(name).is_file():
        raise ConfigError(Errors.E012.format(kind="clustering model file", name=name, known="a path to a .json file"))
