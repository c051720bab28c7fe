"""Storylines: which storyline a new event joins, and when two storylines fold into one.

A storyline links events weeks or years apart by the same principal actors and theme
(its running centre and names), and by the events an article nearly joined. A new event joins only a
storyline whose reason it shows: a principal name of the storyline, and a word of its theme.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from ..config import ClusterSettings
from ..model import content_id
from ..nlp.terms import TermBag, TermBags
from .similarity import DocumentFrequencies
from .state import EVENT_BAG_TERMS, ActiveEvent, ActiveStoryline, Clock, Journal, Vector, VectorIndex, stale_keys


class StorylineLinker:
    """The active storylines, by id: links new events to them, folds them together, forgets old ones."""

    def __init__(
        self,
        settings: ClusterSettings,
        dimensions: int,
        df_names: DocumentFrequencies,
        df_words: DocumentFrequencies,
        clock: Clock,
        journal: Journal,
    ) -> None:
        self.settings = settings
        self.dimensions = dimensions
        # The clusterer's own name and word frequencies, clock and journal: storylines are scored, aged and saved
        # as events are.
        self.df_names = df_names
        self.df_words = df_words
        self.clock = clock
        self.journal = journal
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
        event: ActiveEvent,
        embedding: Vector,
        bags: TermBags,
        when: float | None,
        related: list[ActiveEvent],
        covered: bool,
        sibling: ActiveEvent | None = None,
    ) -> tuple[str, bool]:
        """The storyline of a new event, and whether it is new: the closest active storyline when it is close
        enough as a whole, else a new one.

        Closeness is always to a storyline's centre and names, never to one of its events: a bridge of one
        article or one event between two stories does not chain them (single linkage would). The storylines
        of the nearest events and of ``sibling`` (an event the article nearly joined) are candidates; the
        sibling's needs only ``storyline_sibling_threshold``, as the pair model already vouched for the step.
        Only storylines whose principal name and theme word the event shares are candidates at all.
        """
        weighted = self.df_names.weights(bags.names)
        candidates = {
            s.key: s for s in (self.active[k] for k in self.index.search(embedding, self.settings.candidates))
        }
        candidates |= {self[e.storyline].key: self[e.storyline] for e in related if e.storyline in self}
        nominated = self[sibling.storyline] if sibling is not None and sibling.storyline in self else None
        if nominated is not None:
            candidates[nominated.key] = nominated
        pool = list(candidates.values())
        names = self.df_names.cosines(weighted, [c.names for c in pool])
        mentioned = np.union1d(bags.body.keys, bags.title.keys)
        best: ActiveStoryline | None = None
        best_margin = 0.0
        for storyline, names_cosine in zip(pool, names, strict=True):
            # An article whose names are numbers alone (a script without capitals) cannot show a shared name.
            if bags.worded and not (
                self.shares_principal_name(storyline, bags.names.keys) and self.shares_theme(storyline, mentioned)
            ):
                continue
            closeness = self.closeness(embedding, storyline) if covered else 0.0
            needed = self.settings.storyline_threshold
            if storyline is nominated:
                needed = min(needed, self.settings.storyline_sibling_threshold)
            # Ranked by how far each clears what it needs: a nominated storyline competes on equal terms.
            score = self.score(closeness, float(names_cosine))
            margin = score - needed
            if margin >= 0 and self.silent(storyline, when) and score < self.settings.storyline_gap_threshold:
                continue
            if margin >= 0 and (best is None or margin > best_margin):
                best, best_margin = storyline, margin
        created = best is None
        if best is None:
            centre = np.zeros(self.dimensions, np.float32)
            best = ActiveStoryline(content_id("s", event.id), self.clock.new_key(), centre, TermBag.empty(), when,
                                   self.clock.tick, title=event.headline, title_event=event.id)  # fmt: skip
            # Not ``add``: it enters the index once its first article has grown it.
            self.active[best.key] = best
            self.keys[best.id] = best.key
        best.events += 1
        self.journal.storylines.add(best.key)
        present = TermBag(bags.names.keys, np.ones(len(bags.names), np.int64))
        best.event_names = best.event_names.merged(present, EVENT_BAG_TERMS)
        keywords = self.keywords(bags)
        best.event_words = best.event_words.merged(TermBag(keywords, np.ones(len(keywords), np.int64)), EVENT_BAG_TERMS)
        self.grow(best, embedding, bags, when)
        return best.id, created

    def silent(self, storyline: ActiveStoryline, when: float | None) -> bool:
        """Whether a storyline has had no event for more than ``storyline_gap_days`` before ``when``: what joins it
        then must be as close as ``storyline_gap_threshold`` (the same domain months later is another story, and
        political news alone chains a year of events at the storyline threshold)."""
        gap = self.settings.storyline_gap_days
        return gap > 0 and when is not None and storyline.last is not None and when - storyline.last > gap

    def principal_names(self, storyline: ActiveStoryline) -> npt.NDArray[np.int64]:
        """The name terms in at least ``storyline_principal_share`` of a storyline's events."""
        needed = max(1.0, self.settings.storyline_principal_share * storyline.events)
        return storyline.event_names.keys[storyline.event_names.counts >= needed]

    def shares_principal_name(self, storyline: ActiveStoryline, names: npt.NDArray[np.int64]) -> bool:
        """Whether ``names`` hold one of the storyline's principal names that is rare enough in the stream
        (inverse document frequency at least ``storyline_principal_idf``) to say what it is about: the reason
        a reader can check. A name in most of the stream's articles says nothing of what one storyline is about.
        (The bar is low: on allsides, a year of Washington news, "Biden" is in 31% of the articles and clears it.)"""
        if (
            self.settings.storyline_principal_idf <= 0
            or self.df_names.documents < self.settings.storyline_principal_after
        ):
            # Until the stream holds a sample of the news, every name is "rare": document frequencies say nothing.
            return True
        shared = np.intersect1d(self.principal_names(storyline), names, assume_unique=True)
        if not len(shared):
            return False
        return bool(self.df_names.idf(shared).max() >= self.settings.storyline_principal_idf)

    def keywords(self, bags: TermBags) -> npt.NDArray[np.int64]:
        """An article's most distinctive words, names left out: the ``storyline_theme_keywords`` words of its
        title and body with the highest TF-IDF in the stream, ascending by term id."""
        both = TermBag.summed(np.concatenate([bags.body.keys, bags.title.keys]),
                              np.concatenate([bags.body.counts, bags.title.counts]))  # fmt: skip
        plain = TermBag(*(part[~np.isin(both.keys, bags.names.keys)] for part in (both.keys, both.counts)))
        values = self.df_words.weights(plain).values
        # Ties go to the lower term id: the same article gives the same words in any run.
        top = np.lexsort((plain.keys, -values))[: max(0, self.settings.storyline_theme_keywords)]
        return np.sort(plain.keys[top])

    def theme(self, storyline: ActiveStoryline) -> npt.NDArray[np.int64]:
        """A storyline's theme: the words among the most distinctive of at least ``storyline_theme_share`` of
        its events."""
        needed = max(1.0, self.settings.storyline_theme_share * storyline.events)
        return storyline.event_words.keys[storyline.event_words.counts >= needed]

    def shares_theme(self, storyline: ActiveStoryline, words: npt.NDArray[np.int64]) -> bool:
        """Whether ``words`` (ascending, distinct) hold a word of the storyline's theme, one at least
        ``storyline_theme_idf`` rare in the stream once it holds ``storyline_principal_after`` articles.

        A storyline whose events spread over many things ("Biden" on the climate, a hate-crimes bill and a vaccine
        pause) has no word in a large share of them, and takes no more events: a blend stops growing, and a
        storyline about one thing ("vaccine", "withdrawal") keeps taking its next steps. Unlike names, this
        holds from the first article: a handful of articles is enough to say which words stand out."""
        if self.settings.storyline_theme_keywords <= 0:
            return True
        shared = np.intersect1d(self.theme(storyline), words, assume_unique=True)
        if self.df_words.documents < self.settings.storyline_principal_after:
            return bool(len(shared))
        return bool(len(shared)) and bool(self.df_words.idf(shared).max() >= self.settings.storyline_theme_idf)

    @staticmethod
    def closeness(vector: Vector, storyline: ActiveStoryline) -> float:
        """How close ``vector`` is to a storyline: to its centre, and no less to the event it is titled after
        (its core): a storyline whose centre drifts as it grows keeps to what it is about."""
        centre = float(vector @ storyline.unit_centroid)
        core = storyline.title_centre
        return centre if core is None else min(centre, float(vector @ core))

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
        if (
            closeness < self.settings.storyline_threshold
            or not self.shares_principal_name(survivor, self.principal_names(gone))
            or not self.shares_theme(survivor, self.theme(gone))
        ):
            return False
        del self.active[self.keys.pop(absorbed)]
        self.index.remove(gone.key)
        self.journal.dropped_storylines.add(gone.key)
        self.journal.storylines.add(survivor.key)
        survivor.centroid = survivor.centroid + gone.centroid
        survivor.names = survivor.names.merged(gone.names, EVENT_BAG_TERMS)
        survivor.event_names = survivor.event_names.merged(gone.event_names, EVENT_BAG_TERMS)
        survivor.event_words = survivor.event_words.merged(gone.event_words, EVENT_BAG_TERMS)
        survivor.events += gone.events
        if gone.last is not None:
            survivor.last = gone.last if survivor.last is None else max(survivor.last, gone.last)
        self.index.upsert(survivor.key, survivor.unit_centroid)
        if gone.title_centre is not None:
            self.consider_title(survivor, gone.title_event, gone.title, gone.title_centre)
        for event in events:
            if event.storyline == absorbed:
                event.storyline = into
                self.journal.events.add(event.key)
        return True

    def grow(self, storyline: ActiveStoryline, embedding: Vector, bags: TermBags, when: float | None) -> None:
        """Add an article of one of its events to a storyline's centre and names."""
        storyline.centroid = storyline.centroid + embedding
        storyline.names = storyline.names.merged(bags.names, EVENT_BAG_TERMS)
        storyline.touched = self.clock.tick
        self.journal.storylines.add(storyline.key)
        if when is not None:
            storyline.last = when if storyline.last is None else max(storyline.last, when)
        self.index.upsert(storyline.key, storyline.unit_centroid)

    def consider_title(self, storyline: ActiveStoryline, event_id: str, title: str, centre: Vector) -> bool:
        """Title ``storyline`` after the event (its id, title and unit centre) if that event is now closer to
        the storyline's centre than the one it is titled after; whether it was retitled."""
        middle = storyline.unit_centroid
        held = storyline.title_centre
        if event_id != storyline.title_event and held is not None and float(centre @ middle) <= float(held @ middle):
            return False
        changed = event_id != storyline.title_event and title != storyline.title
        storyline.title, storyline.title_event, storyline.title_centre = title, event_id, centre.copy()
        self.journal.storylines.add(storyline.key)
        return changed

    def evict(self) -> None:
        """Forget storylines that are too old or too many: memory stays bounded."""
        window, limit = self.settings.storyline_window_days, self.settings.max_active_storylines
        for key in stale_keys(self.active, self.clock.now, window, limit):
            removed = self.active.pop(key)
            # Two may share an id (an event given again after it was forgotten: ``OnlineClusterer.assign``; a
            # state an older backfill renamed): the id stays with the other.
            if self.keys.get(removed.id) == key:
                del self.keys[removed.id]
            self.index.remove(key)
            self.journal.dropped_storylines.add(key)
