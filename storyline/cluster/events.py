"""Event assignment: for each arriving article, candidate events, their features, the join-or-new decision.

Following Miranda et al. (2018): candidate events come from a vector index over the
*active* (recent) events, and from the events filed under the article's rarest names;
several similarities between the article and each candidate (dense embedding, TF-IDF of
words, of title words and of names, time gaps to the event's first, last and mean
timestamps) are combined by the pair scorer, and the decision joins the best candidate or
starts a new event (:mod:`storyline.cluster.judges`). Events that fall out of the time
window leave the index, so the cost and the memory per article stay flat however long the
stream. A new event's storyline comes from :class:`~storyline.cluster.storylines.StorylineLinker`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ..config import ClusterSettings
from ..errors import ConfigError
from ..model import Article, content_id
from ..nlp.terms import TermBag, TermBags, term_bags
from . import snapshot
from .judges import LATE_TIERS, PAIR_FEATURES, ClusteringModel
from .similarity import DocumentFrequencies, Weighted
from .state import (
    ActiveEvent,
    Clock,
    Decision,
    Journal,
    Vector,
    VectorIndex,
    day_of,
    one_blas_thread,
    stale_keys,
    timestamp_days,
)
from .storylines import StorylineLinker

# Languages py3langid tells apart that are one for matching terms: Indonesian within the Malay macrolanguage.
_ONE_LANGUAGE = {"id": "ms", "nb": "no", "nn": "no"}
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
        self.clock = Clock()
        self.journal = Journal()
        self.events: dict[int, ActiveEvent] = {}
        self.event_keys: dict[str, int] = {}
        self.event_index = VectorIndex(dimensions)
        # Name term -> keys of the active events filed under it: candidates the embedding does not find
        # (an event in another language shares an article's names, not its vector).
        self.name_postings: dict[int, set[int]] = {}
        self.storylines = StorylineLinker(settings, dimensions, self.df_names, self.df_body, self.clock, self.journal)
        self.article_events: OrderedDict[str, str] = OrderedDict()

    # -- features ------------------------------------------------------------------

    def covers(self, lang: str | None) -> bool:
        """Whether the embedding speaks ``lang``; an unknown language (a text too short to tell) counts."""
        return self.languages is None or lang is None or lang in self.languages

    def tier(self, lang: str | None, event: ActiveEvent) -> str:
        """The tier (TIERS) an article in ``lang`` and ``event`` are judged in."""
        if self.only_tier:
            return self.only_tier
        covered = all(self.covers(x) for x in event.languages | {lang})
        known = {_ONE_LANGUAGE.get(x, x) for x in event.languages if x}
        if lang and known and _ONE_LANGUAGE.get(lang, lang) not in known:
            return "cross" if covered else "names"
        return "dense" if covered else "sparse"

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

    def _join(self, candidates: list[ActiveEvent], scores: list[float], decision: Decision) -> ActiveEvent | None:
        """The event to join, or None: candidates in the article's language are judged first; those in other
        languages only when none of these is joined."""
        same = [i for i, tier in enumerate(decision.tiers) if tier not in LATE_TIERS]
        other = [i for i, tier in enumerate(decision.tiers) if tier in LATE_TIERS]
        for group in (same, other):
            if not group:
                continue
            local = [scores[i] for i in group]
            at = int(np.argmax(local))
            best = group[at]
            decision.decision_row = self.decision_row(local, [decision.pair_rows[i] for i in group], at)
            if self.model.judges[decision.tiers[best]].joins(decision.decision_row):
                return candidates[best]
        return None

    @staticmethod
    def _sibling(
        candidates: list[ActiveEvent], scores: list[float], tiers: list[str], chosen: ActiveEvent | None
    ) -> ActiveEvent | None:
        """An event of the same story as the article, to share its storyline, or None: the candidate in the
        article's language that the pair scorer gives ``_SAME_STORY`` at least, most likely first, in another
        storyline than the event the article went to (``chosen``; None: a new event)."""
        storyline = chosen.storyline if chosen is not None else None
        ranked = sorted((i for i, tier in enumerate(tiers) if tier not in LATE_TIERS), key=lambda i: -scores[i])
        return next((candidates[i] for i in ranked if scores[i] >= _SAME_STORY
                     and candidates[i].storyline != storyline), None)  # fmt: skip

    def assign(self, article: Article, event: str | None = None) -> tuple[str, str, Decision]:
        """The (event id, storyline id) for ``article``.

        ``event`` forces its event (training's gold event; a backfill's merged one), the active event of that id or
        a new one: the join decision is not made, but all else is as ever (candidates, their pair scores, and from
        them the storyline the event links to or folds), so that given the same events, the same storylines.
        """
        with one_blas_thread():
            return self._assign(article, event)

    def _assign(self, article: Article, event: str | None) -> tuple[str, str, Decision]:
        if article.embedding is None:
            raise ConfigError(f"Article {article.id} reaches clustering without an embedding.")
        embedding = article.embedding.astype(np.float32)
        headline = (
            article.headline_embedding.astype(np.float32) if article.headline_embedding is not None else embedding
        )
        when = timestamp_days(article.published)
        self.clock.tick += 1
        if when is not None:
            self.clock.now = when if self.clock.now is None else max(self.clock.now, when)
        bags = term_bags(article.title, article.text, article.lang)
        weights = (self.df_body.weights(bags.body), self.df_title.weights(bags.title),
                   self.df_names.weights(bags.names))  # fmt: skip
        decision = Decision()
        chosen: ActiveEvent | None = None
        sibling: ActiveEvent | None = None
        nearest: list[ActiveEvent] = []

        original = self.article_events.get(article.duplicate_of or "")
        if original is not None and original in self.event_keys and event in (None, original):
            # A near-duplicate goes where its original went, while that event is active: nothing to weigh.
            chosen = self.events[self.event_keys[original]]
        else:
            nearest = [self.events[k] for k in self.event_index.search(embedding, self.settings.candidates)]
            candidates = nearest + self._named_events(bags.names, {e.key for e in nearest})
            bound = timestamp_days(article.not_before) if when is None else None
            if bound is not None:
                # It reports, in the past, something later than everything in these events.
                candidates = [e for e in candidates if e.last is None or e.last >= bound - 1]
            decision.candidates = [e.id for e in candidates]
            decision.pair_rows = self._pair_rows(embedding, headline, weights, when, candidates)
            decision.tiers = [self.tier(article.lang, e) for e in candidates]
            scores = self.model.pair_scores(np.array(decision.pair_rows), decision.tiers).tolist() if candidates else []
            if event is not None:
                chosen = self.events[self.event_keys[event]] if event in self.event_keys else None
            elif candidates:
                chosen = self._join(candidates, scores, decision)
            sibling = self._sibling(candidates, scores, decision.tiers, chosen)

        if chosen is None:
            # The nearest events, even those the article did not join, may share its storyline.
            chosen, decision.new_storyline = self._new_event(
                article, embedding, bags, when, event, nearest, self.covers(article.lang), sibling
            )
            decision.new_event = True
        elif chosen.storyline in self.storylines:
            if sibling is not None:
                absorbed = chosen.storyline
                if self.storylines.fold(absorbed, sibling.storyline, self.events.values()):
                    decision.folded = absorbed
            # Every article of its events, not only their first, makes a storyline's centre.
            self.storylines.grow(self.storylines[chosen.storyline], embedding, bags, when)
        chosen.add(embedding, headline, bags, when, self.clock.tick, article.lang)
        if chosen.storyline in self.storylines:
            storyline = self.storylines[chosen.storyline]
            retitled = self.storylines.consider_title(storyline, chosen.id, chosen.headline, chosen.unit_centroid)
            if retitled or decision.folded:
                decision.retitled = storyline.title
        self._file_names(chosen, bags.names)
        self.event_index.upsert(chosen.key, chosen.unit_centroid)
        decision.joined = chosen.id
        self.df_body.add(bags.body)
        self.df_title.add(bags.title)
        self.df_names.add(bags.names)
        self._remember(article.id, chosen.id)
        self.journal.events.add(chosen.key)
        self.journal.assigned.append((article.id, chosen.id))
        if self.clock.tick % _EVICT_EVERY == 0:
            self._evict()
        return chosen.id, chosen.storyline, decision

    def _new_event(
        self,
        article: Article,
        embedding: Vector,
        bags: TermBags,
        when: float | None,
        event_id: str | None,
        related: list[ActiveEvent],
        covered: bool,
        sibling: ActiveEvent | None,
    ) -> tuple[ActiveEvent, bool]:
        """A new event for ``article`` (``event_id``, else named after it), and whether its storyline is new too."""
        key = self.clock.new_key()  # before the storyline's: keys follow the order things are made
        event_id = event_id or content_id("e", article.id)
        event = ActiveEvent(
            id=event_id,
            storyline="",
            headline=article.headline,
            key=key,
            centroid=np.zeros(self.dimensions, dtype=np.float32),
            members=np.zeros((0, self.dimensions), np.float32),
            headlines=np.zeros((0, self.dimensions), np.float32),
            size=0,
            body=TermBag.empty(),
            title=TermBag.empty(),
            names=TermBag.empty(),
        )
        event.storyline, new_storyline = self.storylines.link(event, embedding, bags, when, related, covered, sibling)
        self.events[key] = event
        self.event_keys[event_id] = key
        return event, new_storyline

    def _named_events(self, names: TermBag, found: set[int]) -> list[ActiveEvent]:
        """Up to half as many candidates as the index gives, from the events filed under the article's
        rarest names, most shared rarity first; ``found`` are left out."""
        present = np.array([t for t in names.keys.tolist() if t in self.name_postings], np.int64)
        # Ascending term ids: a stable sort by count leaves ties in id order.
        rarest = present[np.argsort(self.df_names.counts[present], kind="stable")[:_LOOKUP_NAMES]]
        if not len(rarest):
            return []
        # A common name is filed under hundreds of events: their weights are summed and ranked in numpy.
        posted = [np.fromiter(self.name_postings[term], np.int64) for term in rarest.tolist()]
        keys, slot = np.unique(np.concatenate(posted), return_inverse=True)
        idfs = np.repeat(self.df_names.idf(rarest), [len(p) for p in posted])
        weight = np.bincount(slot, weights=idfs, minlength=len(keys))
        left = ~np.isin(keys, np.fromiter(found, np.int64, len(found)))
        keys, weight = keys[left], weight[left]
        ranked = keys[np.lexsort((keys, -weight))[: self.settings.candidates // 2]]
        return [self.events[k] for k in ranked.tolist()]

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

    def _remember(self, article_id: str, event_id: str) -> None:
        self.article_events[article_id] = event_id
        while len(self.article_events) > self.settings.remembered_articles:
            self.article_events.popitem(last=False)

    def _evict(self) -> None:
        """Forget events (and storylines) that are too old or too many: memory stays bounded."""
        window, limit = self.settings.event_window_days, self.settings.max_active_events
        for key in stale_keys(self.events, self.clock.now, window, limit):
            removed = self.events.pop(key)
            self.event_index.remove(key)
            self.journal.dropped_events.add(key)
            # Two may share an id (in a state an older backfill renamed): the id stays with the other.
            if self.event_keys.get(removed.id) == key:
                del self.event_keys[removed.id]
            self._unfile_names(removed)
        self.storylines.evict()

    def event_date(self, event_id: str) -> str | None:
        """The first day of an active event with dated articles (ISO), else None."""
        key = self.event_keys.get(event_id)
        first = self.events[key].first if key is not None else None
        return day_of(first) if first is not None else None

    def adopt(self, event: ActiveEvent) -> None:
        """Make ``event`` active again, as read back from a snapshot."""
        self.events[event.key] = event
        self.event_keys[event.id] = event.key
        self.event_index.upsert(event.key, event.unit_centroid)
        for term in event.posted.tolist():
            self.name_postings.setdefault(term, set()).add(event.key)

    # -- persistence ---------------------------------------------------------------

    def snapshot(self) -> bytes:
        """The state as bytes (numpy arrays and JSON), to resume in a later run."""
        data = snapshot.dump(self)
        self._saved()
        return data

    def changes(self) -> bytes | None:
        """What changed since the state was last saved (``snapshot``, ``changes``) or restored, as bytes; None when
        only a whole snapshot can say (ids renamed, term counts rewritten)."""
        data = snapshot.dump_changes(self)
        self._saved()
        return data

    def merged(self, data: bytes, changes: Sequence[bytes]) -> bytes:
        """The snapshot ``data`` with ``changes`` applied: the bytes ``snapshot`` gave when the last was made."""
        return snapshot.merge(data, changes, self.settings.remembered_articles)

    def restore(self, data: bytes) -> None:
        """Resume from a snapshot."""
        snapshot.load(self, data)
        self._saved()

    def _saved(self) -> None:
        self.journal.clear()
        for df in (self.df_body, self.df_title, self.df_names):
            df.saved()
