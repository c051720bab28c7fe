"""One spaCy parse per article, read three ways: entities, time expressions, quotes.

Runs after clustering, so that an undated article's time expressions are
resolved against the date inferred from its event.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import date

from spacy.tokens import Doc
from threadpoolctl import threadpool_limits

from ..config import EntitySettings, NlpSettings
from ..model import Article, Mention, Quote, TimeRef
from ..workers import WorkerPool
from .entities import EntityLinker, find_mentions, normalize_name
from .quotes import find_quotes, unattributed_quotes
from .spacy_pipeline import PARSED_LANGUAGES, load_spacy
from .timexes import tag_times, time_ranges

# Articles per share of a parse started ahead of its stage (``AnalysisStage.prefetch``).
_AHEAD_SHARE_ARTICLES = 16


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
    """The entity the article names as the quote's speaker: its full name, or a mention inside the source.

    With a speaker the extractor found, a mention inside the source is the speaker only when it is a person
    whose name words are among the speaker's: "U.S." in "Multiple U.S. officials" (speaker "U.S. officials")
    and "Kremlin" in "the Kremlin's ambassador" are what the speaker belongs to, not who spoke.
    """
    wanted = normalize_name(quote.speaker or "")
    for mention in mentions:
        if wanted and normalize_name(mention.text) == wanted:
            return mention.entity
    for span in quote.source:
        for mention in mentions:
            if not span.start <= mention.start or not mention.end <= span.end:
                continue
            if not wanted or (mention.type == "PERSON" and _within(normalize_name(mention.text), wanted)):
                return mention.entity
    return None


def _within(name: str, speaker: str) -> bool:
    words, speaker_words = name.split(), speaker.split()
    return bool(words) and set(words) <= set(speaker_words)


@dataclass(frozen=True, slots=True)
class Annotations:
    """What one article's parse yields before entities get store-wide ids."""

    mentions: tuple[Mention, ...]
    times: tuple[TimeRef, ...]
    quotes: tuple[Quote, ...]
    seconds: dict[str, float]


def annotate(texts: list[tuple[str, str | None]], nlp: NlpSettings, entities: EntitySettings) -> list[Annotations]:
    """Parse each (text, publication date) once and read entities, time expressions and quotes from it.

    A pure function of its arguments, so that worker processes can run it on their share of a batch.
    """
    started = time.perf_counter()
    # Beyond spacy_max_chars only the opening is parsed: spaCy refuses texts over its max_length, and a
    # parse needs memory in proportion to the text.
    parsed = (text[: nlp.spacy_max_chars] for text, _ in texts)
    model = load_spacy(nlp.spacy_model)
    # Every new word a parse meets stays in the model's string store for good, so a process that parses a stream
    # (a worker, watch mode) would grow without end: spaCy frees what a memory zone added when it closes. Nothing
    # of a parse outlives the zone (annotations hold plain strings and offsets).
    with model.memory_zone():
        docs = list(model.pipe(parsed, batch_size=nlp.spacy_batch_size))
        parse = (time.perf_counter() - started) / max(len(texts), 1)
        return [
            _annotate(doc, text, published, entities, parse) for doc, (text, published) in zip(docs, texts, strict=True)
        ]


def _annotate(doc: Doc, text: str, published: str | None, entities: EntitySettings, parse: float) -> Annotations:
    clock = time.perf_counter()
    seconds = {"parse": parse}
    mentions = tuple(find_mentions(doc, entities))
    seconds["entities"], clock = time.perf_counter() - clock, time.perf_counter()
    # The word-based tense clues score as well as the parse's on TimeBank, and cost nothing.
    times = tuple(time_ranges(tag_times(text, anchor_date(published)), text))
    seconds["times"], clock = time.perf_counter() - clock, time.perf_counter()
    quotes = tuple(find_quotes(doc))
    seconds["quotes"] = time.perf_counter() - clock
    return Annotations(mentions, times, quotes, seconds)


def balanced_chunks(texts: list[tuple[str, str | None]], count: int) -> list[list[tuple[str, str | None]]]:
    """``texts`` cut, in order, into at most ``count`` runs of about equal total length."""
    total = sum(len(text) for text, _ in texts)
    chunks: list[list[tuple[str, str | None]]] = [[]]
    done = 0
    for item in texts:
        # Start the next run once this one holds its share of the characters.
        if chunks[-1] and done >= total * len(chunks) / count:
            chunks.append([])
        chunks[-1].append(item)
        done += len(item[0])
    return chunks


def _one_thread_per_worker() -> None:
    """Workers multiply on one BLAS thread each: together they already fill every core."""
    threadpool_limits(limits=1)


class AnalysisStage:
    """Entities with store-wide ids, normalized time expressions and attributed quotes, per article.

    Parsing runs in worker processes (``nlp.spacy_processes``) that live as long as the stage; the
    entity linker, which remembers every name seen, stays in this process.
    """

    name: str = "analysis"
    # 2: store-wide entity types, surnames, acronyms (new linker state); 3: quotes marked speech or not,
    # described groups of speakers, balanced quote marks; 4: a talk to come as its announcer's whole clause,
    # counted groups as speakers, an expression's own words giving its tense; 5: "USA Today", the "Today" show
    # and "This Week" are no dates
    version: int = 5
    reads: tuple[str, ...] = ("published",)
    writes: tuple[str, ...] = ("mentions", "times", "quotes")

    def __init__(self, nlp: NlpSettings, entities: EntitySettings) -> None:
        self.settings = nlp
        self.entity_settings = entities
        self.linker = EntityLinker(entities)
        self.processes = nlp.spacy_processes or os.cpu_count() or 1
        self._workers = WorkerPool(self.processes, _one_thread_per_worker)
        # Parses started ahead (``prefetch``): by article id, the date it was parsed with, its share's parses
        # to come and its place in that share.
        self._ahead: dict[str, tuple[str | None, Future[list[Annotations]], int]] = {}
        # Seconds spent in each part (summed over workers), for benchmarks.
        self.seconds: dict[str, float] = {"parse": 0.0, "entities": 0.0, "times": 0.0, "quotes": 0.0}

    def restore(self, state: bytes | None) -> None:
        self.linker.restore(state)

    def snapshot(self) -> bytes:
        return self.linker.snapshot()

    def changed_entities(self) -> list[tuple[str, str, str]]:
        """(id, name, type) of the entities whose name or type changed since the last call."""
        return self.linker.changed()

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        self._workers.close()

    def prefetch(self, articles: Sequence[Article]) -> None:
        """Start parsing, in the worker processes, articles this stage will be given later in the run, so that
        the workers parse while the stages before this one run here. An article whose publication date has
        changed by then (an undated one dated from its event) is parsed again: its dates count from that day."""
        self._ahead = {}
        dated = [a for a in articles if a.published]
        if not self._uses_workers(len(dated)):
            return
        workers = self._workers.executor()
        # Shares of a few articles each: the first are ready soon, and none is left finishing alone at the end.
        count = max(4 * self.processes, -(-len(dated) // _AHEAD_SHARE_ARTICLES))
        start = 0
        for share in balanced_chunks([(a.text, a.published) for a in dated], count):
            parses = workers.submit(annotate, share, self.settings, self.entity_settings)
            for place, article in enumerate(dated[start : start + len(share)]):
                self._ahead[article.id] = (article.published, parses, place)
            start += len(share)

    def link(self, articles: list[Article], found: Iterable[Annotations]) -> list[Article]:
        """``articles`` with what their parses (:func:`annotate`, in order) found, entities given store-wide ids:
        the half of a call that must run in this process, for parses made elsewhere (a backfill's Ray actors)."""
        return [self._link(article, annotations) for article, annotations in zip(articles, found, strict=True)]

    def __call__(self, articles: list[Article]) -> list[Article]:
        ahead = {a.id: self._ahead.pop(a.id) for a in articles if a.id in self._ahead}
        ready = {a.id for a in articles if a.id in ahead and ahead[a.id][0] == a.published}
        texts = [(a.text, a.published) for a in articles if a.id not in ready]
        # Starting workers costs seconds: worth it only for batches that give each several articles.
        if self._uses_workers(len(texts)):
            fresh: Iterator[Annotations] = self._annotate_in_workers(texts)
        else:
            fresh = iter(annotate(texts, self.settings, self.entity_settings))
        linked = []
        # Articles are linked in order as their share comes back, while the workers parse the rest.
        for article in articles:
            if article.id in ready:
                _, parses, place = ahead[article.id]
                found = parses.result()[place]
            else:
                found = next(fresh)
            linked.append(self._link(article, found))
        return linked

    def _uses_workers(self, articles: int) -> bool:
        return self.processes > 1 and articles >= self.processes * self.settings.spacy_worker_min_articles

    def _annotate_in_workers(self, texts: list[tuple[str, str | None]]) -> Iterator[Annotations]:
        workers = self._workers.executor()
        # Four tasks per worker, of about equal length: none is left finishing a long share alone at the end.
        chunks = balanced_chunks(texts, 4 * self.processes)
        settings = [self.settings] * len(chunks), [self.entity_settings] * len(chunks)
        for part in workers.map(annotate, chunks, *settings):
            yield from part

    def _link(self, article: Article, found: Annotations) -> Article:
        for part, spent in found.seconds.items():
            self.seconds[part] += spent
        started = time.perf_counter()
        mentions = tuple(self.linker.link(found.mentions))
        quotes = tuple(replace(q, entity=speaker_entity(q, mentions)) for q in found.quotes)
        if article.lang and article.lang not in PARSED_LANGUAGES:
            # The parse found no speakers in a language it does not read: keep the quoted words themselves.
            quotes = tuple(unattributed_quotes(article.text))
        self.seconds["entities"] += time.perf_counter() - started
        return replace(article, mentions=mentions, times=found.times, quotes=quotes)
