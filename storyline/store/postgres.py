"""PostgreSQL store (psycopg 3): the SQLite store's schema and answers, on a server many processes share.

Concurrent ingests are safe because writers take turns: a pipeline run holds the database's advisory lock
(``serialized``) from its first stage to its last, and every write transaction takes the same lock, so no
other process writes while a run is in it (a run never sees articles arrive between its stages, and the
stateful stages, deduplication and clustering, never run twice at once on stale state). Ingests still read
and parse their files in parallel; reads never wait.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..errors import Errors, StoreError
from ..model import (
    Article,
    ClusterRecord,
    Event,
    EventAnalysis,
    EventDigest,
    EventQuery,
    EventRecord,
    SeenFile,
    Sentence,
    Storyline,
    StorylineDigest,
    StorylineFold,
    StorylineRecord,
    from_data,
)
from .base import (
    ANNOTATION_TABLES,
    ARTICLE_COLUMNS,
    CACHED_ANSWERS,
    SNIPPET_CLOSE,
    SNIPPET_OPEN,
    STAGE_VERSIONS_SQL,
    WRITABLE_FIELDS,
    SavedState,
    SearchHit,
    analysis_rows,
    article_from_row,
    article_row,
    event_digest_from_row,
    read_migrations,
    search_terms,
    shown_location,
    spans_json,
    storyline_digest_from_row,
    storylines_of,
    with_annotations,
)

# Advisory lock keys (two int4s: "STOR", then what is locked). Locks are per database.
_MIGRATION_LOCK = (0x53544F52, 1)
_WRITER_LOCK = (0x53544F52, 2)
# Search is over words as written (lower-cased): the 'simple' configuration neither stems nor drops stop words.
_TEXT_SEARCH = "simple"
# ts_headline's snippet: about as long as SQLite's (16 tokens), matches between the marks every store uses.
_HEADLINE = f"StartSel={SNIPPET_OPEN}, StopSel={SNIPPET_CLOSE}, MaxWords=16, MinWords=8, MaxFragments=1"
_COLUMNS = ", ".join(ARTICLE_COLUMNS)
_A_COLUMNS = ", ".join("a." + c for c in ARTICLE_COLUMNS)
_ARTICLE_ORDER = "published IS NULL, published, seq"


def _migrations() -> list[tuple[int, str, str]]:
    return read_migrations("pg_migrations")


def schema_version() -> int:
    """The newest PostgreSQL schema this code knows."""
    return _migrations()[-1][0]


class PostgresStore:
    """A store in a PostgreSQL database. One connection, in autocommit for reads; each write is a transaction."""

    def __init__(self, url: str) -> None:
        self.path = shown_location(url)
        try:
            self._db: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.Error as exc:
            raise StoreError(Errors.E020.format(path=self.path, reason=str(exc).strip())) from exc
        # Re-entrant: a run holds it (serialized) while its stages write.
        self._lock = threading.RLock()
        self._cache: dict[Any, tuple[int, Any]] = {}
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        """One write transaction: all of it lands, or none of it. It waits for any other process's run."""
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", _WRITER_LOCK)
            yield self._db
            self._db.execute("UPDATE store_changes SET counter = counter + 1")

    @contextmanager
    def serialized(self) -> Iterator[None]:
        """Hold the database's writer lock (a session advisory lock, dropped with the connection if the
        process dies): other processes' runs and writes wait until this one is done."""
        with self._lock:
            self._db.execute("SELECT pg_advisory_lock(%s::int, %s::int)", _WRITER_LOCK)
            try:
                yield
            finally:
                self._db.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", _WRITER_LOCK)

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, reused until any process commits a write (the store's change counter moves). For
        aggregates that every page shows: keep the answers immutable."""
        version = int(self._one("SELECT counter FROM store_changes")["counter"])
        hit = self._cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = compute()
        if len(self._cache) > CACHED_ANSWERS:
            self._cache.clear()
        self._cache[key] = (version, value)
        return value

    def _migrate(self) -> None:
        known = schema_version()
        try:
            # Under a lock: two processes opening a new database at once must not both create the schema.
            with self._lock, self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", _MIGRATION_LOCK)
                self._db.execute("CREATE TABLE IF NOT EXISTS storyline_schema (version INTEGER NOT NULL)")
                row = self._db.execute("SELECT version FROM storyline_schema").fetchone()
                if row is None:
                    self._db.execute("INSERT INTO storyline_schema (version) VALUES (0)")
                current = int(row["version"]) if row else 0
                if current > known:
                    raise StoreError(Errors.E016.format(path=self.path, found=current, known=known))
                for number, _name, sql in _migrations():
                    if number > current:
                        # No parameters: psycopg sends the file as one simple query, every statement in it.
                        self._db.execute(sql)
                        self._db.execute("UPDATE storyline_schema SET version = %s", (number,))
        except psycopg.Error as exc:
            raise StoreError(Errors.E020.format(path=self.path, reason=str(exc).strip())) from exc

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        row: dict[str, Any] | None = self._db.execute(sql, params).fetchone()
        assert row is not None, sql
        return row

    # -- writes --------------------------------------------------------------------

    def add_articles(self, articles: Iterable[Article]) -> list[str]:
        """Store articles not seen before; return the ids that were new."""
        added: list[str] = []
        marks = ", ".join(["%s"] * len(ARTICLE_COLUMNS))
        with self._write() as db:
            for article in articles:
                cursor = db.execute(
                    # Only an existing id is skipped; any other constraint failure is an error.
                    f"INSERT INTO articles ({_COLUMNS}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING",
                    article_row(article),
                )
                if cursor.rowcount:
                    added.append(article.id)
                    _insert_sentences(db, article)
        return added

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
        """Persist what ``stage`` wrote on ``articles``, the ``records`` it made (events, storylines), the
        ``entities`` it named anew and its ``state`` after the batch (or ``state_change``, what the batch changed in
        it), and mark the articles done for it: all in one transaction, so that a crash never leaves the articles
        marked done and the state from before them."""
        columns = [WRITABLE_FIELDS[f] for f in fields if f in WRITABLE_FIELDS]
        with self._write() as db:
            # Before the articles: an article's event must exist.
            _write_records(db, records)
            if columns:
                db.cursor().executemany(
                    f"UPDATE articles SET {', '.join(f'{c} = %s' for c in columns)} WHERE id = %s",
                    [[*(getattr(a, f) for f in fields if f in WRITABLE_FIELDS), a.id] for a in articles],
                )
            for article in articles:
                if "sentences" in fields:
                    db.execute("DELETE FROM sentences WHERE article_id = %s", (article.id,))
                    _insert_sentences(db, article)
                if "embedding" in fields and article.embedding is not None:
                    headline = (
                        article.headline_embedding if article.headline_embedding is not None else article.embedding
                    )
                    db.execute(
                        "INSERT INTO embeddings (article_id, model, vector, headline) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (article_id) DO UPDATE SET model = excluded.model, vector = excluded.vector, "
                        "headline = excluded.headline",
                        (article.id, article.embedding_model or stage, article.embedding.astype("float32").tobytes(),
                         headline.astype("float32").tobytes()),
                    )  # fmt: skip
                _save_annotations(db, article, fields)
            db.cursor().executemany(
                "INSERT INTO stage_runs (article_id, stage, version) VALUES (%s, %s, %s) "
                "ON CONFLICT (article_id, stage) DO UPDATE SET version = excluded.version",
                [(a.id, stage, version) for a in articles],
            )
            _write_entities(db, entities)
            if state is not None:
                _write_state(db, stage, state)
            elif state_change is not None:
                _write_state_change(db, stage, state_change)

    def mark_files_seen(self, files: Iterable[SeenFile]) -> None:
        """Record files as read (or failed) as they are now, replacing what was recorded of them before."""
        with self._write() as db:
            db.cursor().executemany(
                "INSERT INTO seen_files (path, size, mtime_ns, status, articles, error) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (path) DO UPDATE SET size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, status = excluded.status, articles = excluded.articles, "
                "error = excluded.error",
                [(f.path, f.size, f.mtime_ns, f.status, f.articles, f.error) for f in files],
            )

    def files_seen(self, paths: Iterable[str] | None = None) -> dict[str, SeenFile]:
        """What was recorded of ``paths`` (of every file when None), by path."""
        sql = "SELECT path, size, mtime_ns, status, articles, error FROM seen_files"
        rows = (
            self._rows(sql + " WHERE path = ANY(%s)", (sorted(set(paths)),)) if paths is not None else self._rows(sql)
        )
        return {r["path"]: SeenFile(r["path"], r["size"], r["mtime_ns"], r["status"], r["articles"], r["error"])
                for r in rows}  # fmt: skip

    def save_entities(self, entities: Iterable[tuple[str, str, str]]) -> None:
        """Store (id, name, type) of entities whose name or type a stage decided anew."""
        with self._write() as db:
            _write_entities(db, entities)

    def entities(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """The stored (name, type) of each of ``ids`` the store knows."""
        rows = self._rows("SELECT id, name, type FROM entities WHERE id = ANY(%s)", (sorted(set(ids)),))
        return {row["id"]: (row["name"], row["type"]) for row in rows}

    def save_event_analyses(self, analyses: Iterable[EventAnalysis]) -> None:
        """Store each event's analysis, replacing the one it had, with what lists of events read of it."""
        rows = analysis_rows(list(analyses))
        events = [event for event, _, _ in rows.analyses]
        with self._write() as db:
            cursor = db.cursor()
            cursor.executemany(
                "INSERT INTO event_analyses (event_id, signature, analysis) VALUES (%s, %s, %s) ON CONFLICT "
                "(event_id) DO UPDATE SET signature = excluded.signature, analysis = excluded.analysis",
                rows.analyses,
            )
            cursor.executemany(
                "INSERT INTO event_heads (event_id, title, lead, corroboration) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (event_id) DO UPDATE SET title = excluded.title, lead = excluded.lead, "
                "corroboration = excluded.corroboration",
                rows.heads,
            )
            db.execute("DELETE FROM event_outlets WHERE event_id = ANY(%s)", (events,))
            db.execute("DELETE FROM event_entities WHERE event_id = ANY(%s)", (events,))
            cursor.executemany(
                "INSERT INTO event_outlets (event_id, outlet) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                rows.outlets,
            )
            cursor.executemany(
                "INSERT INTO event_entities (event_id, entity_id, mentions) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                rows.entities,
            )

    def event_analyses(self, ids: Iterable[str] | None = None) -> dict[str, EventAnalysis]:
        """The stored analysis of each of ``ids`` (default: every event) that has one."""
        if ids is None:
            rows = self._rows("SELECT event_id, analysis FROM event_analyses")
        else:
            rows = self._rows(
                "SELECT event_id, analysis FROM event_analyses WHERE event_id = ANY(%s)", (sorted(set(ids)),)
            )
        return {row["event_id"]: from_data(EventAnalysis, json.loads(row["analysis"])) for row in rows}

    def event_analysis_data(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored analyses of ``ids`` as their JSON data (what the report and the API serve as they are)."""
        rows = self._rows("SELECT event_id, analysis FROM event_analyses WHERE event_id = ANY(%s)", (sorted(set(ids)),))
        return {row["event_id"]: json.loads(row["analysis"]) for row in rows}

    def event_titles(self, ids: Iterable[str]) -> dict[str, str]:
        """The title each of ``ids`` was given by its analysis (its most central headline), where it has one."""
        rows = self._rows(
            "SELECT event_id, title FROM event_heads WHERE title != '' AND event_id = ANY(%s)", (sorted(set(ids)),)
        )
        return {row["event_id"]: row["title"] for row in rows}

    def event_entity_counts(self, ids: Iterable[str]) -> list[tuple[str, str, int]]:
        """(event, entity, mentions) for every entity the analyses of ``ids`` name."""
        rows = self._rows(
            "SELECT event_id, entity_id, mentions FROM event_entities WHERE event_id = ANY(%s)", (sorted(set(ids)),)
        )
        return sorted((row["event_id"], row["entity_id"], row["mentions"]) for row in rows)

    def event_signatures(self) -> dict[str, str]:
        """The signature each stored analysis was computed for, by event."""
        return {
            row["event_id"]: row["signature"] for row in self._rows("SELECT event_id, signature FROM event_analyses")
        }

    def event_members(self) -> dict[str, list[str]]:
        """The ids of each event's articles, sorted."""
        members: dict[str, list[str]] = {}
        for row in self._rows("SELECT event_id, id FROM articles WHERE event_id IS NOT NULL ORDER BY event_id, id"):
            members.setdefault(row["event_id"], []).append(row["id"])
        return members

    def prune_events(self) -> None:
        """Drop events no article points to any more, and storylines left without events."""
        with self._write() as db:
            db.execute(
                "DELETE FROM events WHERE id NOT IN (SELECT DISTINCT event_id FROM articles WHERE event_id IS NOT NULL)"
            )
            db.execute(
                "DELETE FROM storylines WHERE id NOT IN "
                "(SELECT DISTINCT storyline_id FROM events WHERE storyline_id IS NOT NULL)"
            )

    def reset_stage(self, stage: str, fields: Sequence[str]) -> None:
        """Forget what ``stage`` did, so the next run redoes it from scratch (e.g. with a new model)."""
        # A publication date is only the stage's own when the stage inferred it.
        columns = [WRITABLE_FIELDS[f] for f in fields if f in WRITABLE_FIELDS and not f.startswith("published")]
        with self._write() as db:
            db.execute("DELETE FROM stage_runs WHERE stage = %s", (stage,))
            db.execute("DELETE FROM stage_state WHERE stage = %s", (stage,))
            db.execute("DELETE FROM stage_state_changes WHERE stage = %s", (stage,))
            if columns:
                db.execute(f"UPDATE articles SET {', '.join(f'{c} = NULL' for c in columns)}")
            if "published" in fields:
                db.execute(
                    "UPDATE articles SET published = NULL, published_source = NULL WHERE published_source = 'inferred'"
                )
            if "embedding" in fields:
                db.execute("DELETE FROM embeddings")
            for kind, table in ANNOTATION_TABLES.items():
                if kind in fields:
                    db.execute(f"DELETE FROM {table}")
            if "mentions" in fields:
                db.execute("DELETE FROM entities")
        self.prune_events()

    # -- reads ---------------------------------------------------------------------

    def embedding_models(self) -> set[str]:
        """The models that made the stored embeddings (one, unless ``embed.model`` changed)."""
        return {row["model"] for row in self._rows("SELECT DISTINCT model FROM embeddings")}

    def stage_versions(self, stage: str) -> set[int]:
        """The versions of ``stage`` that processed the stored articles (one, unless the stage changed)."""
        return {row["version"] for row in self._rows(STAGE_VERSIONS_SQL.format("%s"), (stage, stage))}

    def load_state(self, stage: str) -> SavedState | None:
        """The saved state of a stateful stage, if any: whole, and the changes saved after it."""
        # One statement: the whole state and its changes as of one moment.
        rows = self._rows(
            "SELECT 0 AS seq, data FROM stage_state WHERE stage = %s "
            "UNION ALL SELECT seq, data FROM stage_state_changes WHERE stage = %s ORDER BY seq",
            (stage, stage),
        )
        if not rows or rows[0]["seq"] != 0:
            return None
        return SavedState(bytes(rows[0]["data"]), tuple(bytes(row["data"]) for row in rows[1:]))

    def save_state(self, stage: str, data: bytes) -> None:
        """Save a stage's whole state (the changes saved after the one before are dropped)."""
        with self._write() as db:
            _write_state(db, stage, data)

    def pending(
        self, stage: str, version: int, limit: int, with_sentences: bool = True, with_embeddings: bool = False
    ) -> list[Article]:
        """Articles ``stage`` (at ``version``) has not processed yet, oldest first."""
        rows = self._rows(
            f"SELECT {_A_COLUMNS} FROM articles a "
            "LEFT JOIN stage_runs r ON r.article_id = a.id AND r.stage = %s AND r.version = %s "
            "WHERE r.article_id IS NULL ORDER BY a.published IS NULL, a.published, a.seq LIMIT %s",
            (stage, version, limit),
        )
        articles = [article_from_row(row) for row in rows]
        if with_embeddings:
            articles = _with_embeddings(self._db, articles)
        return _with_sentences(self._db, articles) if with_sentences else articles

    def count_pending(self, stage: str, version: int) -> int:
        return int(
            self._one(
                "SELECT COUNT(*) AS n FROM articles a LEFT JOIN stage_runs r ON r.article_id = a.id "
                "AND r.stage = %s AND r.version = %s WHERE r.article_id IS NULL",
                (stage, version),
            )["n"]
        )

    def count_articles(self) -> int:
        return int(self._one("SELECT COUNT(*) AS n FROM articles")["n"])

    def article(self, article_id: str) -> Article | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM articles WHERE id = %s", (article_id,))
        return _with_sentences(self._db, [article_from_row(rows[0])])[0] if rows else None

    def articles(
        self,
        event: str | None = None,
        with_sentences: bool = True,
        with_embeddings: bool = False,
        with_annotations: bool = False,
        events: Sequence[str] | None = None,
    ) -> list[Article]:
        """Articles in publication order (undated last), optionally of one event or of several."""
        select = f"SELECT {_COLUMNS} FROM articles"
        if events is not None:
            rows = self._rows(f"{select} WHERE event_id = ANY(%s) ORDER BY {_ARTICLE_ORDER}", (sorted(set(events)),))
        elif event:
            rows = self._rows(f"{select} WHERE event_id = %s ORDER BY {_ARTICLE_ORDER}", (event,))
        else:
            rows = self._rows(f"{select} ORDER BY {_ARTICLE_ORDER}")
        articles = [article_from_row(row) for row in rows]
        if with_embeddings:
            articles = _with_embeddings(self._db, articles)
        if with_annotations:
            articles = _with_annotations(self._db, articles)
        return _with_sentences(self._db, articles) if with_sentences else articles

    def events(self, ids: Iterable[str] | None = None, storylines: Iterable[str] | None = None) -> list[Event]:
        """Events ordered by when they were first reported (undated last), then id: every one, or those of
        ``ids``, or those of the ``storylines`` given."""
        where, params = "", []
        if ids is not None:
            where, params = "WHERE e.id = ANY(%s)", [sorted(set(ids))]
        elif storylines is not None:
            where, params = "WHERE e.storyline_id = ANY(%s)", [sorted(set(storylines))]
        rows = self._rows(
            "SELECT e.id, e.title, e.storyline_id, MIN(a.published) AS first_seen, MAX(a.published) AS last_seen, "
            "array_agg(a.id ORDER BY a.published IS NULL, a.published, a.seq) AS article_ids "
            f"FROM events e JOIN articles a ON a.event_id = e.id {where} "
            "GROUP BY e.id ORDER BY MIN(a.published) IS NULL, MIN(a.published), e.id",
            params,
        )
        return [
            Event(
                id=row["id"],
                title=row["title"],
                storyline=row["storyline_id"],
                articles=tuple(row["article_ids"]),
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
            )
            for row in rows
        ]

    def storylines(self, ids: Iterable[str] | None = None, events: list[Event] | None = None) -> list[Storyline]:
        """Storylines ordered like their first events: every one, or those of ``ids``; ``events``, when the
        caller has read them already, must hold every event of those storylines."""
        wanted = sorted(set(ids)) if ids is not None else None
        if events is None:
            events = self.events(storylines=wanted) if wanted is not None else self.events()
        return storylines_of(events, self._rows("SELECT id, title FROM storylines ORDER BY id"), wanted)

    def event_digests(
        self, query: EventQuery | None = None, limit: int = 50, after: tuple[str, str] | None = None
    ) -> list[EventDigest]:
        """Events as lists show them, latest reported first (undated last), then by id; ``after`` is the
        (``last_seen`` or "", id) of the last one of the previous page."""
        query = query or EventQuery()
        where: list[str] = []
        params: list[Any] = []
        if query.since:
            where.append("s.last_key >= %s")
            params.append(query.since)
        if query.until:
            # A day "until" takes all of that day's timestamps.
            where.append("s.first_seen IS NOT NULL AND s.first_seen < %s::text || '~'")
            params.append(query.until)
        if query.entity:
            where.append("e.id IN (SELECT event_id FROM event_entities WHERE entity_id = %s)")
            params.append(query.entity)
        if query.outlets is not None:
            where.append("e.id IN (SELECT event_id FROM event_outlets WHERE outlet = ANY(%s))")
            params.append(list(query.outlets))
        if query.text:
            terms = search_terms(query.text)
            if not terms:
                return []
            where.append(
                "e.id IN (SELECT event_id FROM articles "
                f"WHERE event_id IS NOT NULL AND search @@ plainto_tsquery('{_TEXT_SEARCH}', %s))"
            )
            params.append(" ".join(terms))
        if query.min_corroboration:
            where.append("COALESCE(x.corroboration, 0) >= %s")
            params.append(query.min_corroboration)
        if query.storyline:
            where.append("e.storyline_id = %s")
            params.append(query.storyline)
        if after is not None:
            where.append("(s.last_key < %s OR (s.last_key = %s AND s.event_id > %s))")
            params.extend([after[0], after[0], after[1]])
        rows = self._rows(
            "SELECT e.id, COALESCE(NULLIF(x.title, ''), e.title) AS title, e.storyline_id, s.first_seen, "
            "s.last_seen, s.articles, COALESCE(x.lead, '') AS lead, COALESCE(x.corroboration, 0) AS corroboration, "
            "ARRAY(SELECT outlet FROM event_outlets o WHERE o.event_id = e.id) AS outlets "
            "FROM event_spans s JOIN events e ON e.id = s.event_id LEFT JOIN event_heads x ON x.event_id = e.id "
            f"{'WHERE ' + ' AND '.join(where) if where else ''} "
            "ORDER BY s.last_key DESC, s.event_id LIMIT %s",
            [*params, limit],
        )
        return [event_digest_from_row(row, row["outlets"]) for row in rows]

    def storyline_digests(self, limit: int = 50, offset: int = 0) -> tuple[list[StorylineDigest], int]:
        """Storylines as lists show them, latest reported first, and how many there are."""
        digests, total = self.cached(("storylines", limit, offset), lambda: self._storyline_digests(limit, offset))
        return list(digests), total

    def _storyline_digests(self, limit: int, offset: int) -> tuple[list[StorylineDigest], int]:
        rows = self._rows(
            "WITH lines AS (SELECT e.storyline_id AS id, COUNT(*) AS events, SUM(z.articles) AS articles, "
            "MIN(z.first_seen) AS first_seen, MAX(z.last_seen) AS last_seen FROM events e "
            "JOIN event_spans z ON z.event_id = e.id WHERE e.storyline_id IS NOT NULL GROUP BY e.storyline_id) "
            "SELECT l.*, (SELECT COALESCE(NULLIF(x.title, ''), e.title) FROM events e "
            "JOIN event_spans z ON z.event_id = e.id LEFT JOIN event_heads x ON x.event_id = e.id "
            "WHERE e.storyline_id = l.id ORDER BY z.articles DESC, e.id LIMIT 1) AS title, "
            "COUNT(*) OVER () AS total FROM lines l ORDER BY COALESCE(l.last_seen, '') DESC, l.id LIMIT %s OFFSET %s",
            (limit, offset),
        )
        total = (
            int(rows[0]["total"])
            if rows
            else int(self._one("SELECT COUNT(DISTINCT storyline_id) AS n FROM events")["n"])
        )
        digests = [storyline_digest_from_row(row) for row in rows]
        return digests, total

    def event_exists(self, event_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM events WHERE id = %s", (event_id,)))

    def outlets(self) -> list[tuple[str, int, int]]:
        """Every outlet with how many articles and events it has, most articles first."""
        return list(self.cached("outlets", self._outlets))

    def _outlets(self) -> list[tuple[str, int, int]]:
        rows = self._rows(
            "SELECT outlet, COUNT(*) AS articles, COUNT(DISTINCT event_id) AS events FROM articles "
            "WHERE outlet IS NOT NULL AND outlet != '' GROUP BY outlet ORDER BY articles DESC, outlet"
        )
        return [(row["outlet"], int(row["articles"]), int(row["events"])) for row in rows]

    def find_entities(self, name: str, limit: int = 20) -> list[tuple[str, str, str, int]]:
        """Entities whose shown name contains ``name`` (any case): id, name, type and how many events name
        them, the most covered first."""
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._rows(
            "SELECT n.id, n.name, n.type, COUNT(x.event_id) AS events FROM entities n "
            "LEFT JOIN event_entities x ON x.entity_id = n.id WHERE n.name ILIKE %s ESCAPE '\\' "
            "GROUP BY n.id ORDER BY events DESC, n.name LIMIT %s",
            (pattern, limit),
        )
        return [(row["id"], row["name"], row["type"], int(row["events"])) for row in rows]

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Articles matching ``query`` (all its words, any order), best first."""
        terms = search_terms(query)
        if not terms:
            return []
        # Snippets are made for the page of hits only: ts_headline reads the whole text.
        rows = self._rows(
            f"WITH q AS (SELECT plainto_tsquery('{_TEXT_SEARCH}', %s) AS q), "
            "hits AS (SELECT a.seq, ts_rank(a.search, q.q) AS score FROM articles a, q WHERE a.search @@ q.q "
            "ORDER BY score DESC, a.seq LIMIT %s) "
            "SELECT a.id, a.title, a.text, a.outlet, a.published, a.event_id, h.score, "
            f"ts_headline('{_TEXT_SEARCH}', a.text, q.q, %s) AS snippet "
            "FROM hits h JOIN articles a ON a.seq = h.seq, q ORDER BY h.score DESC, h.seq",
            (" ".join(terms), limit, _HEADLINE),
        )
        return [
            SearchHit(
                article=row["id"],
                title=row["title"] or row["text"].split("\n", 1)[0],
                outlet=row["outlet"],
                published=row["published"],
                event=row["event_id"],
                snippet=row["snippet"],
                score=float(row["score"]),
            )
            for row in rows
        ]


def _write_records(db: psycopg.Connection[Any], records: Sequence[ClusterRecord]) -> None:
    """Write what the cluster stage decided, in the order it decided it; a record for a stored event or
    storyline updates it (a later title, another storyline)."""
    for record in records:
        if isinstance(record, StorylineRecord):
            db.execute(
                "INSERT INTO storylines (id, title) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET title = excluded.title",
                (record.id, record.title),
            )
        elif isinstance(record, EventRecord):
            db.execute(
                "INSERT INTO events (id, title, storyline_id) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET title = excluded.title, storyline_id = excluded.storyline_id",
                (record.id, record.title, record.storyline),
            )
        elif isinstance(record, StorylineFold):
            db.execute("UPDATE events SET storyline_id = %s WHERE storyline_id = %s", (record.into, record.absorbed))
            db.execute("DELETE FROM storylines WHERE id = %s", (record.absorbed,))


def _write_entities(db: psycopg.Connection[Any], entities: Iterable[tuple[str, str, str]]) -> None:
    rows = list(entities)
    if rows:
        db.cursor().executemany(
            "INSERT INTO entities (id, name, type) VALUES (%s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type",
            rows,
        )


def _write_state(db: psycopg.Connection[Any], stage: str, data: bytes) -> None:
    db.execute(
        "INSERT INTO stage_state (stage, data) VALUES (%s, %s) ON CONFLICT (stage) DO UPDATE SET data = excluded.data",
        (stage, data),
    )
    db.execute("DELETE FROM stage_state_changes WHERE stage = %s", (stage,))


def _write_state_change(db: psycopg.Connection[Any], stage: str, data: bytes) -> None:
    db.execute(
        "INSERT INTO stage_state_changes (stage, seq, data) "
        "VALUES (%s, (SELECT COALESCE(MAX(seq), 0) + 1 FROM stage_state_changes WHERE stage = %s), %s)",
        (stage, stage, data),
    )


def _insert_sentences(db: psycopg.Connection[Any], article: Article) -> None:
    db.cursor().executemany(
        'INSERT INTO sentences (article_id, idx, paragraph, start, "end", text) VALUES (%s, %s, %s, %s, %s, %s)',
        [(article.id, s.index, s.paragraph, s.start, s.end, s.text) for s in article.sentences],
    )


def _with_embeddings(db: psycopg.Connection[Any], articles: list[Article]) -> list[Article]:
    # Here, not at the top: the read commands never load vectors, and numpy costs them a tenth of a second.
    import numpy as np

    found = {
        row["article_id"]: row
        for row in db.execute(
            "SELECT article_id, vector, headline, model FROM embeddings WHERE article_id = ANY(%s)",
            ([a.id for a in articles],),
        )
    }
    return [
        replace(
            a,
            embedding=np.frombuffer(found[a.id]["vector"], dtype=np.float32),
            headline_embedding=np.frombuffer(found[a.id]["headline"], dtype=np.float32),
            embedding_model=found[a.id]["model"],
        )
        if a.id in found
        else a
        for a in articles
    ]


def _with_sentences(db: psycopg.Connection[Any], articles: list[Article]) -> list[Article]:
    if not articles:
        return articles
    by_article: dict[str, list[Sentence]] = {a.id: [] for a in articles}
    for row in db.execute(
        'SELECT article_id, idx, paragraph, start, "end", text FROM sentences WHERE article_id = ANY(%s) '
        "ORDER BY article_id, idx",
        (list(by_article),),
    ):
        by_article[row["article_id"]].append(Sentence(row["idx"], row["start"], row["end"], row["paragraph"],
                                                      row["text"]))  # fmt: skip
    return [replace(a, sentences=tuple(by_article[a.id])) for a in articles]


def _save_annotations(db: psycopg.Connection[Any], article: Article, fields: Sequence[str]) -> None:
    """Replace the article's mentions, time expressions and quotes with what a stage found."""
    for kind, table in ANNOTATION_TABLES.items():
        if kind in fields:
            db.execute(f"DELETE FROM {table} WHERE article_id = %s", (article.id,))
    cursor = db.cursor()
    if "mentions" in fields:
        # A repeated span keeps its last mention, as SQLite's INSERT OR REPLACE does.
        cursor.executemany(
            'INSERT INTO mentions (article_id, start, "end", text, type, entity_id, label) '
            'VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (article_id, start, "end") DO UPDATE SET '
            "text = excluded.text, type = excluded.type, entity_id = excluded.entity_id, label = excluded.label",
            [(article.id, m.start, m.end, m.text, m.type, m.entity, m.label) for m in article.mentions],
        )
    if "times" in fields:
        cursor.executemany(
            'INSERT INTO time_refs (article_id, start, "end", text, type, value, mod, end_value, tense) '
            'VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (article_id, start, "end") DO UPDATE SET '
            "text = excluded.text, type = excluded.type, value = excluded.value, mod = excluded.mod, "
            "end_value = excluded.end_value, tense = excluded.tense",
            [(article.id, t.start, t.end, t.text, t.type, t.value, t.mod, t.end_value, t.tense) for t in article.times],
        )
    if "quotes" in fields:
        cursor.executemany(
            "INSERT INTO quotes (article_id, idx, direct, speaker, entity_id, content, cue, source, speech) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (article.id, i, q.direct, q.speaker, q.entity, spans_json(q.content), spans_json(q.cue),
                 spans_json(q.source), q.speech)
                for i, q in enumerate(article.quotes)
            ],
        )  # fmt: skip


def _rows_by_article(db: psycopg.Connection[Any], sql: str, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in db.execute(sql, (ids,)):
        found.setdefault(row["article_id"], []).append(row)
    return found


def _with_annotations(db: psycopg.Connection[Any], articles: list[Article]) -> list[Article]:
    ids = [a.id for a in articles]
    mentions = _rows_by_article(
        db, 'SELECT * FROM mentions WHERE article_id = ANY(%s) ORDER BY article_id, start, "end"', ids
    )
    times = _rows_by_article(
        db, 'SELECT * FROM time_refs WHERE article_id = ANY(%s) ORDER BY article_id, start, "end"', ids
    )
    quotes = _rows_by_article(db, "SELECT * FROM quotes WHERE article_id = ANY(%s) ORDER BY article_id, idx", ids)
    return with_annotations(articles, mentions, times, quotes)
