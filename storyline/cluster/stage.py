"""The cluster stage: places each new article in an event and a storyline, dates the undated, and says what
it decided about events and storylines as records for the store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

from ..config import ClusterSettings
from ..model import Article, ClusterRecord, EventRecord, StorylineFold, StorylineRecord
from ..nlp.dates import date_from_own_text
from ..stateful import Resuming
from .events import OnlineClusterer
from .judges import load_clustering_model
from .state import Decision


class ClusterStage(Resuming[OnlineClusterer]):
    """Assigns each new article to an event (and each new event to a storyline), in time order."""

    name: str = "cluster"
    version: int = 1
    reads: tuple[str, ...] = ("text", "lang", "sentences", "embedding", "duplicate_of", "published", "not_before")
    writes: tuple[str, ...] = ("event", "storyline", "published", "published_source")

    def __init__(
        self, settings: ClusterSettings, embedding: str, dimensions: int, languages: tuple[str, ...] | None = None
    ) -> None:
        model = load_clustering_model(settings.model, embedding)
        super().__init__(lambda: OnlineClusterer(model, settings, dimensions, languages))
        self.settings = settings
        self.dimensions = dimensions
        self.languages = languages
        self.model = model
        self._records: list[ClusterRecord] = []
        # Events given, not decided: article id -> event id (``given_events``).
        self._given: Mapping[str, str] = {}

    @property
    def clusterer(self) -> OnlineClusterer:
        return self.state

    def restore(self, state: bytes | None) -> None:
        """Start from the saved state (or from nothing); records not yet drained are dropped with the rest."""
        super().restore(state)
        self._records.clear()

    @contextmanager
    def given_events(self, events: Mapping[str, str]) -> Iterator[None]:
        """Within it, an article ``events`` names (by id) goes to that event, no join decision made (a backfill's
        merged events); its event's storyline, the records and its date are made as ever: given one machine's
        events, one machine's storylines."""
        self._given = events
        try:
            yield
        finally:
            self._given = {}

    def __call__(self, articles: list[Article]) -> list[Article]:
        out = []
        for article in articles:
            event, storyline, decision = self.clusterer.assign(article, self._given.get(article.id))
            self._records += self.records_of(article, event, storyline, decision)
            article = replace(article, event=event, storyline=storyline)
            if article.published is None:
                article = self._dated(article)
            out.append(article)
        return out

    def drain_records(self) -> list[ClusterRecord]:
        """The records of the articles placed since the last call, in the order they were made."""
        records, self._records = self._records, []
        return records

    @staticmethod
    def records_of(article: Article, event: str, storyline: str, decision: Decision) -> list[ClusterRecord]:
        """What placing ``article`` changed: an event is titled by its first article; a storyline by its first
        event, then by whichever of its events becomes the most central."""
        made: list[ClusterRecord] = []
        if decision.new_event:
            title = article.headline
            made = [StorylineRecord(storyline, title)] if decision.new_storyline else []
            made.append(EventRecord(event, storyline, title))
        if decision.folded is not None:
            made.append(StorylineFold(decision.folded, storyline))
        if decision.retitled is not None:
            made.append(StorylineRecord(storyline, decision.retitled))
        return made

    def _dated(self, article: Article) -> Article:
        """An undated article with the date of its event, else (if it has a past of its own) of its text."""
        assert article.event is not None
        inferred = self.clusterer.event_date(article.event)
        # An article with no past date of its own (no ``not_before``) cannot be dated from its text.
        if inferred is None and article.not_before:
            inferred = date_from_own_text([s.text for s in article.sentences])
        return replace(article, published=inferred, published_source="inferred") if inferred else article
