"""One spaCy parse per article, read three ways: entities, time expressions, quotes.

Runs after clustering, so that an undated article's time expressions are
resolved against the date inferred from its event.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import date

from spacy.tokens import Doc

from ..config import EntitySettings, NlpSettings
from ..model import Article, Mention, Quote
from .entities import EntityLinker, find_mentions, normalize_name
from .quotes import find_quotes
from .spacy_pipeline import load_spacy
from .timexes import tag_times, time_ranges


def anchor_date(published: str | None) -> date | None:
    """The day relative expressions count from: the article's own date, when it has one."""
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        # A date known only to the month or year anchors nothing to the day.
        return None


def speaker_entity(quote: Quote, mentions: tuple[Mention, ...]) -> str | None:
    """The entity the article names as the quote's speaker: its full name, or a mention inside the source."""
    wanted = normalize_name(quote.speaker or "")
    for mention in mentions:
        if wanted and normalize_name(mention.text) == wanted:
            return mention.entity
    for span in quote.source:
        for mention in mentions:
            if span.start <= mention.start and mention.end <= span.end:
                return mention.entity
    return None


class AnalysisStage:
    """Entities with store-wide ids, normalized time expressions and attributed quotes, per article."""

    name: str = "analysis"
    version: int = 1
    reads: tuple[str, ...] = ("published",)
    writes: tuple[str, ...] = ("mentions", "times", "quotes")

    def __init__(self, nlp: NlpSettings, entities: EntitySettings) -> None:
        self.settings = nlp
        self.entity_settings = entities
        self.linker = EntityLinker(entities)
        # Seconds spent in each part, for benchmarks.
        self.seconds: dict[str, float] = {"parse": 0.0, "entities": 0.0, "times": 0.0, "quotes": 0.0}

    def restore(self, state: bytes | None) -> None:
        self.linker.restore(state)

    def snapshot(self) -> bytes:
        return self.linker.snapshot()

    def __call__(self, articles: list[Article]) -> list[Article]:
        started = time.perf_counter()
        nlp = load_spacy(self.settings.spacy_model)
        processes = self.settings.spacy_processes or os.cpu_count() or 1
        # Starting worker processes costs more than it saves on a handful of articles.
        if len(articles) < processes * self.settings.spacy_batch_size:
            processes = 1
        docs = list(
            nlp.pipe((a.text for a in articles), batch_size=self.settings.spacy_batch_size, n_process=processes)
        )
        self.seconds["parse"] += time.perf_counter() - started
        return [self.analyse(article, doc) for article, doc in zip(articles, docs, strict=True)]

    def analyse(self, article: Article, doc: Doc) -> Article:
        """One article's annotations from its parse."""
        started = time.perf_counter()
        mentions = tuple(self.linker.link(find_mentions(doc, self.entity_settings)))
        self.seconds["entities"] += time.perf_counter() - started
        started = time.perf_counter()
        # The word-based tense clues score as well as the parse's on TimeBank, and cost nothing.
        times = tuple(time_ranges(tag_times(article.text, anchor_date(article.published)), article.text))
        self.seconds["times"] += time.perf_counter() - started
        started = time.perf_counter()
        quotes = tuple(replace(q, entity=speaker_entity(q, mentions)) for q in find_quotes(doc))
        self.seconds["quotes"] += time.perf_counter() - started
        return replace(article, mentions=mentions, times=times, quotes=quotes)
