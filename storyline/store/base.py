"""What every store offers (the ``Store`` protocol) and what the backends share: search hits, column lists."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any, Protocol

from ..model import (
    Article,
    ClusterRecord,
    Event,
    EventAnalysis,
    EventDigest,
    EventQuery,
    Mention,
    Quote,
    SeenFile,
    Span,
    Storyline,
    StorylineDigest,
    TimeRef,
    to_data,
)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
ARTICLE_COLUMNS = (
    "id", "path", "external_id", "url", "outlet", "title", "author",
    "published", "published_source", "lang", "text", "duplicate_of", "event_id", "not_before",
)  # fmt: skip
# Article fields a stage may write, and the column each is stored in.
WRITABLE_FIELDS = {
    "lang": "lang",
    "published": "published",
    "published_source": "published_source",
    "duplicate_of": "duplicate_of",
    "event": "event_id",
    "not_before": "not_before",
}
# Per-article annotations a stage may write, and the table each lives in.
ANNOTATION_TABLES = {"mentions": "mentions", "times": "time_refs", "quotes": "quotes"}
# Whole-store answers a connection keeps (see Store.cached) before it starts over.
CACHED_ANSWERS = 64
# Words of a search query: every backend matches all of them, none read as query syntax.
SEARCH_TERM = re.compile(r"\w+", re.UNICODE)
_URL_PASSWORD = re.compile(r"^(\w+://[^:/@]*:)[^@]*@")
# Control characters mark matches in snippets: they cannot occur in article text.
SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class SavedState:
    """What a stateful stage saved: its whole state after some batch, and what each batch after it changed (oldest
    first), which the stage folds back into a whole state to resume from."""

    data: bytes
    changes: tuple[bytes, ...] = ()

    def with_change(self, change: bytes) -> SavedState:
        return SavedState(self.data, (*self.changes, change))


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article matching a full-text query."""

    article: str
    title: str
    outlet: str | None
    published: str | None
    event: str | None
    snippet: str
    score: float

    def highlighted(self, before: str, after: str) -> str:
        """The snippet with each matched word wrapped in ``before``/``after``."""
        return self.snippet.replace(SNIPPET_OPEN, before).replace(SNIPPET_CLOSE, after)


class Row(Protocol):
    """A result row read by column name (sqlite3.Row, psycopg's dict rows)."""

    def __getitem__(self, key: str, /) -> Any: ...


# The distinct versions of one stage in its stage runs, lowest first, one index seek each (a loose index scan:
# DISTINCT would read every article's run). Parameters: the stage, twice.
STAGE_VERSIONS_SQL = """
WITH RECURSIVE found(version) AS (
    SELECT MIN(version) FROM stage_runs WHERE stage = {0}
    UNION ALL
    SELECT (SELECT MIN(version) FROM stage_runs WHERE stage = {0} AND version > found.version)
    FROM found WHERE found.version IS NOT NULL
)
SELECT version FROM found WHERE version IS NOT NULL
"""


def read_migrations(folder: str) -> list[tuple[int, str, str]]:
    """(number, file name, SQL) of each numbered migration in the package folder ``folder``, in order."""
    found = []
    for entry in resources.files("storyline.store").joinpath(folder).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def article_row(article: Article) -> tuple[Any, ...]:
    """The values of ``ARTICLE_COLUMNS`` for ``article``."""
    return (
        article.id, article.path, article.external_id, article.url, article.outlet, article.title,
        article.author, article.published, article.published_source, article.lang, article.text,
        article.duplicate_of, article.event, article.not_before,
    )  # fmt: skip


def article_from_row(row: Row) -> Article:
    """The article of a row of ``ARTICLE_COLUMNS``."""
    return Article(
        id=row["id"],
        text=row["text"],
        title=row["title"],
        url=row["url"],
        outlet=row["outlet"],
        path=row["path"],
        external_id=row["external_id"],
        author=row["author"],
        published=row["published"],
        published_source=row["published_source"],
        lang=row["lang"],
        duplicate_of=row["duplicate_of"],
        event=row["event_id"],
        not_before=row["not_before"],
    )


def with_annotations(
    articles: list[Article],
    mentions: Mapping[str, Sequence[Row]],
    times: Mapping[str, Sequence[Row]],
    quotes: Mapping[str, Sequence[Row]],
) -> list[Article]:
    """``articles`` with the mentions, time expressions and quotes of the rows read for them (by article id)."""
    return [
        replace(
            a,
            mentions=tuple(
                Mention(r["start"], r["end"], r["text"], r["type"], r["entity_id"], r["label"])
                for r in mentions.get(a.id, [])
            ),
            times=tuple(
                TimeRef(r["start"], r["end"], r["text"], r["type"], r["value"], r["mod"], r["end_value"], r["tense"])
                for r in times.get(a.id, [])
            ),
            quotes=tuple(
                Quote(
                    spans_from_json(r["content"]),
                    spans_from_json(r["cue"]),
                    spans_from_json(r["source"]),
                    bool(r["direct"]),
                    r["speaker"],
                    r["entity_id"],
                    bool(r["speech"]),
                )
                for r in quotes.get(a.id, [])
            ),
        )
        for a in articles
    ]


def storylines_of(events: list[Event], rows: Iterable[Row], wanted: Sequence[str] | None) -> list[Storyline]:
    """The storylines of the (id, title) ``rows`` that are ``wanted`` (all when None), each with its events
    among ``events``, ordered like their first events."""
    events_by_storyline: dict[str, list[str]] = {}
    for event in events:
        if event.storyline:
            events_by_storyline.setdefault(event.storyline, []).append(event.id)
    found = [Storyline(row["id"], row["title"], tuple(events_by_storyline.get(row["id"], ())))
             for row in rows if wanted is None or row["id"] in wanted]  # fmt: skip
    order = {event.id: i for i, event in enumerate(events)}
    return sorted(found, key=lambda s: min((order.get(e, 0) for e in s.events), default=0))


@dataclass(frozen=True, slots=True)
class AnalysisRows:
    """What saving event analyses writes, as rows: the analyses (JSON), the heads lists read, each event's
    outlets and entities."""

    analyses: list[tuple[str, str, str]]
    heads: list[tuple[str, str, str, int]]
    outlets: list[tuple[str, str]]
    entities: list[tuple[str, str, int]]


def analysis_rows(analyses: Sequence[EventAnalysis]) -> AnalysisRows:
    """The rows both stores write for ``analyses``."""
    return AnalysisRows(
        analyses=[(a.event, a.signature, json.dumps(to_data(a), ensure_ascii=False)) for a in analyses],
        heads=[(a.event, a.title, a.summary[0].text if a.summary else "",
                max((f.independent_outlets for f in a.facts), default=0)) for a in analyses],
        outlets=[(a.event, o.outlet) for a in analyses for o in a.coverage.outlets],
        entities=[(a.event, e.id, e.mentions) for a in analyses for e in a.entities],
    )  # fmt: skip


def event_digest_from_row(row: Row, outlets: Iterable[str]) -> EventDigest:
    """The digest of a row of a store's event-digest query (its outlets read apart)."""
    return EventDigest(
        id=row["id"],
        title=row["title"],
        storyline=row["storyline_id"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        articles=row["articles"],
        outlets=tuple(sorted(outlets)),
        corroboration=row["corroboration"],
        lead=row["lead"],
    )


def storyline_digest_from_row(row: Row) -> StorylineDigest:
    return StorylineDigest(row["id"], row["title"] or "", int(row["events"]), int(row["articles"]),
                           row["first_seen"], row["last_seen"])  # fmt: skip


def spans_json(spans: Sequence[Span]) -> str:
    return json.dumps([[s.start, s.end, s.text] for s in spans], ensure_ascii=False)


def spans_from_json(data: str) -> tuple[Span, ...]:
    return tuple(Span(start, end, text) for start, end, text in json.loads(data))


def shown_location(location: str) -> str:
    """``location`` as messages show it: a database URL without its password."""
    return _URL_PASSWORD.sub(r"\1***@", location)


def search_terms(query: str) -> list[str]:
    """The words of a search query (punctuation and query syntax dropped)."""
    return SEARCH_TERM.findall(query)


class Store(Protocol):
    """A storyline store: what the pipeline, the report, the CLI and the web app read and write.

    ``path`` names the store in messages (a file, or a database URL without its password).
    """

    path: str

    # -- lifecycle
    def close(self) -> None: ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...

    def serialized(self) -> AbstractContextManager[None]:
        """Held around a pipeline run and each write of new articles: runs against one store take turns."""
        ...

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any: ...

    # -- writes
    def add_articles(self, articles: Iterable[Article]) -> list[str]: ...

    def save_stage(
        self,
        stage: str,
        version: int,
        articles: Sequence[Article],
        fields: Sequence[str],
        records: Sequence[ClusterRecord] = (),
        *,
        entities: Iterable[tuple[str, str, str]] = (),
        state: bytes | None = None,
        state_change: bytes | None = None,
    ) -> None:
        """What a stage did to a batch, in one transaction: its fields, records, new entity names and its state
        after the batch (a stateful stage: whole, or what the batch changed, kept after the whole state and the
        changes before it), and the articles marked done."""
        ...

    def save_entities(self, entities: Iterable[tuple[str, str, str]]) -> None: ...

    def mark_files_seen(self, files: Iterable[SeenFile]) -> None: ...

    def files_seen(self, paths: Iterable[str] | None = None) -> dict[str, SeenFile]: ...

    def save_event_analyses(self, analyses: Iterable[EventAnalysis]) -> None: ...

    def save_state(self, stage: str, data: bytes) -> None:
        """Save a stage's whole state (the changes saved after the one before are dropped)."""
        ...

    def prune_events(self) -> None: ...

    def reset_stage(self, stage: str, fields: Sequence[str]) -> None: ...

    # -- pipeline reads
    def load_state(self, stage: str) -> SavedState | None:
        """A stateful stage's saved state, if any: whole, and the changes saved after it."""
        ...

    def pending(
        self, stage: str, version: int, limit: int, with_sentences: bool = True, with_embeddings: bool = False
    ) -> list[Article]: ...

    def count_pending(self, stage: str, version: int) -> int: ...

    def embedding_models(self) -> set[str]: ...

    def stage_versions(self, stage: str) -> set[int]: ...

    def event_signatures(self) -> dict[str, str]: ...

    def event_members(self) -> dict[str, list[str]]: ...

    # -- reads
    def count_articles(self) -> int: ...

    def article(self, article_id: str) -> Article | None: ...

    def articles(
        self,
        event: str | None = None,
        with_sentences: bool = True,
        with_embeddings: bool = False,
        with_annotations: bool = False,
        events: Sequence[str] | None = None,
    ) -> list[Article]: ...

    def events(self, ids: Iterable[str] | None = None, storylines: Iterable[str] | None = None) -> list[Event]: ...

    def storylines(self, ids: Iterable[str] | None = None, events: list[Event] | None = None) -> list[Storyline]: ...

    def event_exists(self, event_id: str) -> bool: ...

    def entities(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]: ...

    def event_analyses(self, ids: Iterable[str] | None = None) -> dict[str, EventAnalysis]: ...

    def event_analysis_data(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]: ...

    def event_titles(self, ids: Iterable[str]) -> dict[str, str]: ...

    def event_entity_counts(self, ids: Iterable[str]) -> list[tuple[str, str, int]]: ...

    def event_digests(
        self, query: EventQuery | None = None, limit: int = 50, after: tuple[str, str] | None = None
    ) -> list[EventDigest]: ...

    def storyline_digests(self, limit: int = 50, offset: int = 0) -> tuple[list[StorylineDigest], int]: ...

    def outlets(self) -> list[tuple[str, int, int]]: ...

    def find_entities(self, name: str, limit: int = 20) -> list[tuple[str, str, str, int]]: ...

    def search(self, query: str, limit: int = 20) -> list[SearchHit]: ...
