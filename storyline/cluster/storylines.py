"""Storylines: which storyline a new event joins, and when two storylines fold into one.

A storyline links events weeks or years apart by the same principal actors and theme
(its running centre and names), and by the events an article nearly joined.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..config import ClusterSettings
from ..model import content_id
from ..nlp.terms import TermBag, TermBags
from .similarity import DocumentFrequencies
from .state import EVENT_BAG_TERMS, ActiveEvent, ActiveStoryline, Clock, Vector, VectorIndex, stale_keys


class StorylineLinker:
    """The active storylines, by id: links new events to them, folds them together, forgets old ones."""

    def __init__(self, settings: ClusterSettings, dimensions: int, df_names: DocumentFrequencies, clock: Clock) -> None:
        self.settings = settings
        self.dimensions = dimensions
        # The clusterer's own name frequencies and clock: storylines are scored and aged as events are.
        self.df_names = df_names
        self.clock = clock
        self.active: dict[int, ActiveStoryline] = {}
        self.keys: dict[str, int] = {}
        self.index = VectorIndex(dimensions)

    def __len__(self) -> int:
        return len(self.active)

    def __contains__(self, storyline_id: str) -> bool:
        return storyline_id in self.keys

    def __getitem__(self, storyline_id: str) -> ActiveStoryline:
        return self.active[self.keys[storyline_id]]

    def add(self, storyline: ActiveStoryline) -> None:
        """Make ``storyline`` active (a new one, or one read back from a snapshot)."""
        self.active[storyline.key] = storyline
        self.keys[storyline.id] = storyline.key
        self.index.upsert(storyline.key, storyline.unit_centroid)

    def link(
        self,
        event_id: str,
        embedding: Vector,
        bags: TermBags,
        when: float | None,
        related: list[ActiveEvent],
        covered: bool,
        sibling: ActiveEvent | None = None,
    ) -> tuple[str, bool]:
        """The storyline of a new event, and whether it is new: that of ``sibling`` (an event the article
        nearly joined), else the closest active storyline if it is close enough, else a new one."""
        if sibling is not None and sibling.storyline in self:
            best: ActiveStoryline | None = self[sibling.storyline]
            score = math.inf
        else:
            best, score = self.closest(embedding, bags.names, related, covered)
        created = best is None or score < self.settings.storyline_threshold
        if best is None or created:
            centre = np.zeros(self.dimensions, np.float32)
            best = ActiveStoryline(content_id("s", event_id), self.clock.new_key(), centre, TermBag.empty(), when,
                                   self.clock.tick)  # fmt: skip
            # Not ``add``: it enters the index once its first article has grown it.
            self.active[best.key] = best
            self.keys[best.id] = best.key
        self.grow(best, embedding, bags, when)
        return best.id, created

    def closest(
        self, vector: Vector, names: TermBag, related: list[ActiveEvent], covered: bool
    ) -> tuple[ActiveStoryline | None, float]:
        """The closest active storyline to ``vector`` and ``names``, and its score.

        Closeness is to a storyline as a whole (its running centre) or to one of its
        events: a storyline's events drift apart over months, and the newest is often
        the nearest. In a language the embedding does not cover, only shared names count.
        """
        weighted = self.df_names.weights(names)
        # Candidates: the nearest storylines, and the storylines of the nearest events.
        storylines = [self.active[k] for k in self.index.search(vector, self.settings.candidates)]
        events = [e for e in related if e.storyline in self]
        dense = [
            *(float(vector @ s.unit_centroid) for s in storylines),
            *(float(vector @ e.unit_centroid) for e in events),
        ]
        shared_names = self.df_names.cosines(weighted, [s.names for s in storylines] + [e.names for e in events])
        owners = storylines + [self[e.storyline] for e in events]
        best: ActiveStoryline | None = None
        best_score = -1.0
        for storyline, closeness, names_cosine in zip(owners, dense, shared_names, strict=True):
            score = self.score(closeness if covered else 0.0, float(names_cosine))
            if score > best_score:
                best, best_score = storyline, score
        return best, best_score

    def score(self, closeness: float, names_cosine: float) -> float:
        """How close something is to a storyline: dense closeness plus weighted shared names."""
        return closeness + self.settings.storyline_names_weight * names_cosine

    def fold(self, absorbed: str, into: str, events: Iterable[ActiveEvent]) -> bool:
        """Fold storyline ``absorbed`` into ``into`` (an article of one nearly joined an event of the other);
        whether it was. ``events`` (the active ones) of ``absorbed`` move to ``into``."""
        if absorbed == into or absorbed not in self or into not in self:
            return False
        gone, survivor = self[absorbed], self[into]
        # Only storylines as close as a new event must be to link: one bridging article does not chain two
        # stories together.
        names = float(self.df_names.cosines(self.df_names.weights(gone.names), [survivor.names])[0])
        closeness = self.score(float(gone.unit_centroid @ survivor.unit_centroid), names)
        if closeness < self.settings.storyline_threshold:
            return False
        del self.active[self.keys.pop(absorbed)]
        self.index.remove(gone.key)
        survivor.centroid = survivor.centroid + gone.centroid
        survivor.names = survivor.names.merged(gone.names, EVENT_BAG_TERMS)
        if gone.last is not None:
            survivor.last = gone.last if survivor.last is None else max(survivor.last, gone.last)
        self.index.upsert(survivor.key, survivor.unit_centroid)
        for event in events:
            if event.storyline == absorbed:
                event.storyline = into
        return True

    def grow(self, storyline: ActiveStoryline, embedding: Vector, bags: TermBags, when: float | None) -> None:
        """Add an article of one of its events to a storyline's centre and names."""
        storyline.centroid = storyline.centroid + embedding
        storyline.names = storyline.names.merged(bags.names, EVENT_BAG_TERMS)
        storyline.touched = self.clock.tick
        if when is not None:
            storyline.last = when if storyline.last is None else max(storyline.last, when)
        self.index.upsert(storyline.key, storyline.unit_centroid)

    def evict(self) -> None:
        """Forget storylines that are too old or too many: memory stays bounded."""
        window, limit = self.settings.storyline_window_days, self.settings.max_active_storylines
        for key in stale_keys(self.active, self.clock.now, window, limit):
            self.keys.pop(self.active.pop(key).id, None)
            self.index.remove(key)
