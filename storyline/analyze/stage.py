"""The event analysis stage: what each event says, computed once from its articles and stored.

Runs after every article stage, over the events whose articles changed (their signature): entities and
labels, who said what, facts with their independent outlets, the summary and the timeline. The report, the
CLI and the API read what it stored; none of them loads a model.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import asdict
from itertools import groupby

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from ..config import Settings
from ..embed import Embedder, SentenceVectors, load_embedder
from ..model import (
    Article,
    EntityProfile,
    EventAnalysis,
    Label,
    QuoteGroup,
    SummaryLine,
    TimelineEntry,
    content_id,
    from_data,
)
from ..workers import WorkerPool
from .citations import cite
from .conflicts import checked_facts
from .coverage import event_coverage
from .entities import event_entities, event_labels
from .facts import FactSentence, ParaphraseScorer, fact_sentences
from .framing import distinctive_terms
from .paraphrase import load_paraphrase_model
from .quotes import event_quotes
from .summary import SummarySentence, event_summary
from .timeline import event_timeline


class EventAnalysisStage:
    """Analyses events as a whole; see the module docstring."""

    name: str = "event-analysis"
    # 6: one speaker's words or statement on a date are one timeline line (5: a figure one report rounds agrees
    # with the exact one; 4: timeline lines per happening)
    version: int = 6

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedder: Embedder | None = None
        self._sentence_vectors: SentenceVectors | None = None
        # Loaded now (a small JSON file): a retrained pair model changes the facts, so it is part of what the
        # analyses are computed from.
        self._scorer = ParaphraseScorer(load_paraphrase_model(settings.embed.model), settings.facts.cross_encoder)
        self.processes = settings.pipeline.event_processes or os.cpu_count() or 1
        self._workers = WorkerPool(self.processes, _start_worker, (settings,))
        # What else decides the output: a change of these analyses every event again.
        self._fingerprint = json.dumps(
            [
                asdict(settings.report),
                asdict(settings.facts),
                asdict(settings.summary),
                asdict(settings.outlets),
                settings.embed.model,
                # A digest, not the weights: the fingerprint is hashed again into every event's signature.
                content_id("m", json.dumps(self._scorer.model.to_json(), sort_keys=True)),
            ],
            sort_keys=True,
        )

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embed)
        return self._embedder

    @property
    def sentence_vectors(self) -> SentenceVectors:
        """Kept between runs: watch mode analyses an event again, every sentence of it, for each new article."""
        if self._sentence_vectors is None:
            self._sentence_vectors = SentenceVectors(self.embedder, self.settings.pipeline.event_sentence_vectors)
        return self._sentence_vectors

    @property
    def scorer(self) -> ParaphraseScorer:
        return self._scorer

    def signature(self, articles: Sequence[str], article_stages: Sequence[tuple[str, int]]) -> str:
        """What an event's analysis is computed from: its articles, the stages that made them, the settings."""
        stages = [f"{name}:{version}" for name, version in article_stages]
        return content_id("x", str(self.version), self._fingerprint, *stages, *sorted(articles))

    def map(self, chunks: Iterable[tuple[dict[str, str], list[Article]]], events: int) -> Iterator[list[EventAnalysis]]:
        """The analyses of each chunk of (events, their articles), in order; ``events`` is how many there are in
        all. Enough of them are shared among worker processes (every step here runs on one core), with a few
        chunks read ahead, so that the articles of at most those are in memory at once."""
        if self.processes < 2 or events < self.settings.pipeline.event_worker_min_events:
            for stale, articles in chunks:
                yield self(stale, articles)
            return
        workers = self._workers.executor()
        pending: deque[Future[list[EventAnalysis]]] = deque()
        for stale, articles in chunks:
            pending.append(workers.submit(_analyse_in_worker, stale, articles))
            if len(pending) > 2 * self.processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        self._workers.close()

    def __call__(self, events: dict[str, str], articles: list[Article]) -> list[EventAnalysis]:
        """The analysis of each of ``events`` (id -> signature) from its ``articles``."""
        by_event: dict[str, list[Article]] = {event: [] for event in events}
        for article in articles:
            if article.event in by_event:
                by_event[article.event].append(article)
        sentences = {event: fact_sentences(found) for event, found in by_event.items()}
        # Each article's sentences in one call of the model (see SentenceVectors), events one after another; an
        # event's sentences come article by article.
        vectors = self.sentence_vectors.of(
            [[s.text for s in run] for found in sentences.values() for _, run in groupby(found, lambda s: s.article)]
        )
        analyses, offset = [], 0
        for event, signature in events.items():
            count = len(sentences[event])
            mine = vectors[offset : offset + count]
            offset += count
            analyses.append(self.analyse(event, signature, by_event[event], sentences[event], mine))
        return analyses

    def analyse(
        self,
        event: str,
        signature: str,
        articles: list[Article],
        sentences: list[FactSentence],
        vectors: npt.NDArray[np.float32],
    ) -> EventAnalysis:
        """One event's analysis."""
        entities = tuple(from_data(EntityProfile, e) for e in event_entities(articles))
        names = {e.id: e.name for e in entities}
        quotes = event_quotes(articles, names, self.embedder, self.settings.report)
        facts, conflicts = checked_facts(
            event, articles, sentences, vectors, self.scorer, self.settings.facts, self.scorer.regression
        )
        summary = event_summary(articles, sentences, vectors, facts, self.settings.summary)
        return EventAnalysis(
            event=event,
            signature=signature,
            title=central_headline(articles),
            entities=entities,
            facts=tuple(facts),
            conflicts=tuple(conflicts),
            quotes=tuple(from_data(QuoteGroup, q) for q in quotes),
            labels=tuple(from_data(Label, label) for label in event_labels(articles)),
            summary=tuple(_summary_lines(articles, summary)),
            timeline=tuple(from_data(TimelineEntry, entry) for entry in event_timeline(articles, facts=facts)),
            terms=tuple(distinctive_terms(articles)),
            coverage=event_coverage(articles, self.settings.outlets),
        )


# The stage of a worker process, loaded once by ``_start_worker``.
_worker_stage: EventAnalysisStage | None = None


def _start_worker(settings: Settings) -> None:
    """Workers multiply on one BLAS thread each (together they fill every core) with their own models."""
    global _worker_stage
    threadpool_limits(limits=1)
    _worker_stage = EventAnalysisStage(settings)


def _analyse_in_worker(events: dict[str, str], articles: list[Article]) -> list[EventAnalysis]:
    assert _worker_stage is not None, "the worker was not started by _start_worker"
    return _worker_stage(events, articles)


def central_headline(articles: Sequence[Article]) -> str:
    """The headline of the article closest to the mean of the event's articles (the first, without vectors)."""
    embedded = [a for a in articles if a.embedding is not None and a.duplicate_of is None]
    if not embedded:
        return articles[0].headline if articles else ""
    vectors = np.stack([a.embedding for a in embedded if a.embedding is not None])
    return embedded[int(np.argmax(vectors @ vectors.mean(axis=0)))].headline


def _summary_lines(articles: list[Article], lines: list[SummarySentence]) -> list[SummaryLine]:
    """Summary lines citing their sentences (the summarizer gives article and sentence indices)."""
    return [
        SummaryLine(line.text, tuple(cite(articles[a], i) for a, i in line.sources), line.outlets) for line in lines
    ]
