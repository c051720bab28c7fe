"""SQLite store: WAL mode, numbered migrations, one write connection, FTS5 search."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    spans_json,
    storyline_digest_from_row,
    storylines_of,
    with_annotations,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: runs are not serialized across processes there
    fcntl = None  # type: ignore[assignment]

_BUSY_TIMEOUT_MS = 30_000
_WAL_RETRY_S = 0.02
# Beside the database: the file a pipeline run locks (SQLite's own locks guard single writes, not a whole run).
_RUN_LOCK_SUFFIX = "-lock"
# SQLite caps the parameters of one statement: ids are looked up this many at a time.
_CHUNK = 500


def _migrations() -> list[tuple[int, str, str]]:
    return read_migrations("migrations")


def schema_version() -> int:
    """The newest schema this code knows."""
    return _migrations()[-1][0]


class SQLiteStore:
    """The default store. All writes go through one connection, serialized by a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._use_wal()
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the database ({exc}).") from exc
        self._lock = threading.Lock()
        # The run lock: re-entrant (ingest holds it around the pipeline's run, which takes it too).
        self._run_lock = threading.RLock()
        self._run_depth = 0
        self._run_file: int | None = None
        # Answers of whole-store aggregates, kept while the database is unchanged (see cached).
        self._cache: dict[Any, tuple[tuple[int, int], Any]] = {}
        self._writes = 0
        # The state this connection last saved for each stage, with the database's data_version then: while no
        # other connection has committed since, the table still holds it, and a run (watch mode's, once per file)
        # need not read it back (megabytes, with many active events) only to find it unchanged.
        self._states: dict[str, tuple[int, SavedState]] = {}
        # Per stage, the data_version, the stage's version and an ingest number (seq) below which every article was
        # done by the stage at that version when this connection last looked: while no other connection has
        # committed since (articles added later come above it), ``pending`` looks only above it, not through every
        # article stored (watch mode asks each stage once or twice per file).
        self._done_below: dict[str, tuple[int, int, int]] = {}
        self._migrate()

    def _use_wal(self) -> None:
        """Switch a new file to WAL. The switch takes the whole file and, unlike a write, fails at once when another
        process has it (two first opens of a new file at once): retried until the busy timeout."""
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(_WAL_RETRY_S)

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it. It waits up to the busy timeout for another
        process's write; longer, and it fails with [E025], not sqlite's bare "database is locked"."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(
                    Errors.E025.format(path=self.path, seconds=_BUSY_TIMEOUT_MS / 1000, reason=exc)
                ) from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._writes += 1

    @contextmanager
    def serialized(self) -> Iterator[None]:
        """Hold the database's run lock (an exclusive ``flock`` of ``<database>-lock``, which the system drops if
        the process dies): another process's run waits until this one is done, then processes whatever is still
        pending. Without it two runs would cluster the same articles and overwrite each other's clusterer state."""
        with self._run_lock:
            if self._run_depth == 0 and fcntl is not None and self.path != ":memory:":
                descriptor = os.open(self.path + _RUN_LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX)
                except BaseException:
                    os.close(descriptor)
                    raise
                self._run_file = descriptor
            self._run_depth += 1
            try:
                yield
            finally:
                self._run_depth -= 1
                if self._run_depth == 0 and self._run_file is not None:
                    os.close(self._run_file)  # releases the lock
                    self._run_file = None

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, reused until the database changes: a commit by this connection, or by any other
        (SQLite's data_version tells). For aggregates that every page shows: keep the answers immutable."""
        version = (self._data_version(), self._writes)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = compute()
        if len(self._cache) > CACHED_ANSWERS:
            self._cache.clear()
        self._cache[key] = (version, value)
        return value

    def _migrate(self) -> None:
        try:
            current = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a storyline database ({exc}).") from exc
        known = schema_version()
        if current > known:
            raise StoreError(Errors.E016.format(path=self.path, found=current, known=known))
        for number, _name, sql in _migrations():
            if number <= current:
                continue
            with self._write() as db:
                # Read again under the write lock: another process opening the same new file may have got there
                # first (two ingests started at once), and a migration must not run twice.
                if int(db.execute("PRAGMA user_version").fetchone()[0]) >= number:
                    continue
                for statement in _split_sql(sql):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    # -- writes --------------------------------------------------------------------

    def add_articles(self, articles: Iterable[Article]) -> list[str]:
        """Store articles not seen before; return the ids that were new."""
        added: list[str] = []
        with self._write() as db:
            for article in articles:
                cursor = db.execute(
                    # Only an existing id is skipped; any other constraint failure is an error.
                    f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))}) ON CONFLICT(id) DO NOTHING",
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
        saved: SavedState | None = None
        if (self._done_below.get(stage) or (0, version))[1] != version:
            # Marks of this version replace those of the one looked at: its done articles may be pending again.
            self._done_below.pop(stage, None)
        with self._write() as db:
            # Before the articles: an article's event must exist.
            _write_records(db, records)
            for article in articles:
                if columns:
                    values = [getattr(article, f) for f in fields if f in WRITABLE_FIELDS]
                    db.execute(
                        f"UPDATE articles SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                        [*values, article.id],
                    )
                if "sentences" in fields:
                    db.execute("DELETE FROM sentences WHERE article_id = ?", (article.id,))
                    _insert_sentences(db, article)
                if "embedding" in fields and article.embedding is not None:
                    headline = (
                        article.headline_embedding if article.headline_embedding is not None else article.embedding
                    )
                    db.execute(
                        "INSERT OR REPLACE INTO embeddings (article_id, model, vector, headline) VALUES (?, ?, ?, ?)",
                        (article.id, article.embedding_model or stage, article.embedding.astype("float32").tobytes(),
                         headline.astype("float32").tobytes()),
                    )  # fmt: skip
                _save_annotations(db, article, fields)
                db.execute(
                    "INSERT OR REPLACE INTO stage_runs (article_id, stage, version) VALUES (?, ?, ?)",
                    (article.id, stage, version),
                )
            _write_entities(db, entities)
            if state is not None or state_change is not None:
                known = self._states.pop(stage, None)
                # Inside the transaction: no other connection can commit between this and the commit.
                version = self._data_version()
                if state is not None:
                    _write_state(db, stage, state)
                    saved = SavedState(state)
                else:
                    assert state_change is not None
                    _write_state_change(db, stage, state_change)
                    # Kept only when what this connection saved before is still what the table holds.
                    saved = known[1].with_change(state_change) if known and known[0] == version else None
        if saved is not None:
            self._states[stage] = (version, saved)

    def save_entities(self, entities: Iterable[tuple[str, str, str]]) -> None:
        """Store (id, name, type) of entities whose name or type a stage decided anew."""
        with self._write() as db:
            _write_entities(db, entities)

    def entities(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """The stored (name, type) of each of ``ids`` the store knows."""
        found: dict[str, tuple[str, str]] = {}
        wanted = sorted(set(ids))
        for chunk_start in range(0, len(wanted), _CHUNK):
            chunk = wanted[chunk_start : chunk_start + _CHUNK]
            for row in self._db.execute(
                f"SELECT id, name, type FROM entities WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            ):
                found[row["id"]] = (row["name"], row["type"])
        return found

    def save_event_analyses(self, analyses: Iterable[EventAnalysis]) -> None:
        """Store each event's analysis, replacing the one it had, with what lists of events read of it."""
        rows = analysis_rows(list(analyses))
        events = [(event,) for event, _, _ in rows.analyses]
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO event_analyses (event_id, signature, analysis) VALUES (?, ?, ?)", rows.analyses
            )
            db.executemany(
                "INSERT OR REPLACE INTO event_heads (event_id, title, lead, corroboration) VALUES (?, ?, ?, ?)",
                rows.heads,
            )
            db.executemany("DELETE FROM event_outlets WHERE event_id = ?", events)
            db.executemany("DELETE FROM event_entities WHERE event_id = ?", events)
            db.executemany(
                "INSERT OR IGNORE INTO event_outlets (event_id, outlet) VALUES (?, ?)",
                rows.outlets,
            )
            db.executemany(
                "INSERT OR IGNORE INTO event_entities (event_id, entity_id, mentions) VALUES (?, ?, ?)",
                rows.entities,
            )

    def event_analyses(self, ids: Iterable[str] | None = None) -> dict[str, EventAnalysis]:
        """The stored analysis of each of ``ids`` (default: every event) that has one."""
        sql = "SELECT event_id, analysis FROM event_analyses"
        if ids is None:
            rows = self._db.execute(sql).fetchall()
        else:
            wanted = sorted(set(ids))
            rows = []
            for chunk_start in range(0, len(wanted), _CHUNK):
                chunk = wanted[chunk_start : chunk_start + _CHUNK]
                rows += self._db.execute(f"{sql} WHERE event_id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
        return {row["event_id"]: from_data(EventAnalysis, json.loads(row["analysis"])) for row in rows}

    def event_analysis_data(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored analyses of ``ids`` as their JSON data (what the report and the API serve as they are)."""
        rows = self._in_chunks("SELECT event_id, analysis FROM event_analyses WHERE event_id IN ({})", ids)
        return {row[0]: json.loads(row[1]) for row in rows}

    def event_titles(self, ids: Iterable[str]) -> dict[str, str]:
        """The title each of ``ids`` was given by its analysis (its most central headline), where it has one."""
        rows = self._in_chunks("SELECT event_id, title FROM event_heads WHERE title != '' AND event_id IN ({})", ids)
        return {row[0]: row[1] for row in rows}

    def event_entity_counts(self, ids: Iterable[str]) -> list[tuple[str, str, int]]:
        """(event, entity, mentions) for every entity the analyses of ``ids`` name."""
        rows = self._in_chunks("SELECT event_id, entity_id, mentions FROM event_entities WHERE event_id IN ({})", ids)
        return sorted((row[0], row[1], row[2]) for row in rows)

    def _in_chunks(self, sql: str, ids: Iterable[str]) -> list[sqlite3.Row]:
        """``sql`` (an ``IN ({})`` for the ids) run over ``ids`` a chunk at a time: SQLite caps parameters."""
        wanted = sorted(set(ids))
        rows: list[sqlite3.Row] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows += self._db.execute(sql.format(", ".join("?" * len(chunk))), chunk).fetchall()
        return rows

    def event_signatures(self) -> dict[str, str]:
        """The signature each stored analysis was computed for, by event."""
        return dict(self._db.execute("SELECT event_id, signature FROM event_analyses").fetchall())

    def event_members(self) -> dict[str, list[str]]:
        """The ids of each event's articles, sorted."""
        members: dict[str, list[str]] = {}
        for event, article in self._db.execute(
            "SELECT event_id, id FROM articles WHERE event_id IS NOT NULL ORDER BY event_id, id"
        ):
            members.setdefault(event, []).append(article)
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

    def mark_files_seen(self, files: Iterable[SeenFile]) -> None:
        """Record files as read (or failed) as they are now, replacing what was recorded of them before."""
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO seen_files (path, size, mtime_ns, status, articles, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(f.path, f.size, f.mtime_ns, f.status, f.articles, f.error) for f in files],
            )

    def files_seen(self, paths: Iterable[str] | None = None) -> dict[str, SeenFile]:
        """What was recorded of ``paths`` (of every file when None), by path."""
        sql = "SELECT path, size, mtime_ns, status, articles, error FROM seen_files"
        rows = self._in_chunks(sql + " WHERE path IN ({})", paths) if paths is not None else self._db.execute(sql)
        return {row[0]: SeenFile(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows}

    # -- reads ---------------------------------------------------------------------

    def reset_stage(self, stage: str, fields: Sequence[str]) -> None:
        """Forget what ``stage`` did, so the next run redoes it from scratch (e.g. with a new model)."""
        # A publication date is only the stage's own when the stage inferred it.
        columns = [WRITABLE_FIELDS[f] for f in fields if f in WRITABLE_FIELDS and not f.startswith("published")]
        self._states.pop(stage, None)
        self._done_below.clear()
        with self._write() as db:
            db.execute("DELETE FROM stage_runs WHERE stage = ?", (stage,))
            db.execute("DELETE FROM stage_state WHERE stage = ?", (stage,))
            db.execute("DELETE FROM stage_state_changes WHERE stage = ?", (stage,))
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

    def embedding_models(self) -> set[str]:
        """The models that made the stored embeddings (one, unless ``embed.model`` changed)."""
        return {row[0] for row in self._db.execute("SELECT DISTINCT model FROM embeddings")}

    def stage_versions(self, stage: str) -> set[int]:
        """The versions of ``stage`` that processed the stored articles (one, unless the stage changed)."""
        return {row[0] for row in self._db.execute(STAGE_VERSIONS_SQL.format("?"), (stage, stage))}

    def load_state(self, stage: str) -> SavedState | None:
        """The saved state of a stateful stage, if any: whole, and the changes saved after it."""
        known = self._states.get(stage)
        if known is not None and known[0] == self._data_version():
            return known[1]
        # One statement: the whole state and its changes as of one moment.
        rows = self._db.execute(
            "SELECT 0 AS seq, data FROM stage_state WHERE stage = ? "
            "UNION ALL SELECT seq, data FROM stage_state_changes WHERE stage = ? ORDER BY seq",
            (stage, stage),
        ).fetchall()
        if not rows or rows[0][0] != 0:
            return None
        return SavedState(bytes(rows[0][1]), tuple(bytes(row[1]) for row in rows[1:]))

    def save_state(self, stage: str, data: bytes) -> None:
        """Save a stage's whole state (the changes saved after the one before are dropped)."""
        self._states.pop(stage, None)
        with self._write() as db:
            _write_state(db, stage, data)
            version = self._data_version()
        self._states[stage] = (version, SavedState(data))

    def _data_version(self) -> int:
        """A number that changes when another connection commits (this one's commits leave it)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def pending(
        self, stage: str, version: int, limit: int, with_sentences: bool = True, with_embeddings: bool = False
    ) -> list[Article]:
        """Articles ``stage`` (at ``version``) has not processed yet, oldest first."""
        data_version = self._data_version()
        known = self._done_below.get(stage)
        floor = known[2] if known is not None and known[:2] == (data_version, version) else 0
        rows = self._db.execute(
            f"SELECT {', '.join('a.' + c for c in ARTICLE_COLUMNS)}, a.seq AS seq FROM articles a "
            "LEFT JOIN stage_runs r ON r.article_id = a.id AND r.stage = ? AND r.version = ? "
            "WHERE a.seq >= ? AND r.article_id IS NULL ORDER BY a.published IS NULL, a.published, a.seq LIMIT ?",
            (stage, version, floor, limit),
        ).fetchall()
        if len(rows) < limit:  # every pending article is here: those below the first of them are done
            lowest = min(row["seq"] for row in rows) if rows else self._next_seq()
            self._done_below[stage] = (data_version, version, lowest)
        articles = [article_from_row(row) for row in rows]
        if with_embeddings:
            articles = _with_embeddings(self._db, articles)
        return _with_sentences(self._db, articles) if with_sentences else articles

    def _next_seq(self) -> int:
        """The ingest number above every stored article's."""
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM articles").fetchone()[0])

    def count_pending(self, stage: str, version: int) -> int:
        return int(
            self._db.execute(
                "SELECT COUNT(*) FROM articles a LEFT JOIN stage_runs r ON r.article_id = a.id "
                "AND r.stage = ? AND r.version = ? WHERE r.article_id IS NULL",
                (stage, version),
            ).fetchone()[0]
        )

    def count_articles(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def article(self, article_id: str) -> Article | None:
        row = self._db.execute(
            f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return _with_sentences(self._db, [article_from_row(row)])[0] if row else None

    def articles(
        self,
        event: str | None = None,
        with_sentences: bool = True,
        with_embeddings: bool = False,
        with_annotations: bool = False,
        events: Sequence[str] | None = None,
    ) -> list[Article]:
        """Articles in publication order (undated last), optionally of one event or of several."""
        order = "ORDER BY published IS NULL, published, seq"
        select = f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles"
        if events is not None:
            wanted = sorted(set(events))
            rows = []
            for chunk_start in range(0, len(wanted), _CHUNK):
                chunk = wanted[chunk_start : chunk_start + _CHUNK]
                rows += self._db.execute(
                    f"{select} WHERE event_id IN ({', '.join('?' * len(chunk))}) {order}", chunk
                ).fetchall()
        else:
            where, params = ("WHERE event_id = ?", (event,)) if event else ("", ())
            rows = self._db.execute(f"{select} {where} {order}", params).fetchall()
        articles = [article_from_row(row) for row in rows]
        if events is not None and len(wanted) > _CHUNK:
            articles.sort(key=lambda a: (a.published is None, a.published or ""))
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
            params = sorted(set(ids))
            where = f"WHERE event_id IN ({', '.join('?' * len(params))})"
        elif storylines is not None:
            params = sorted(set(storylines))
            where = f"WHERE event_id IN (SELECT id FROM events WHERE storyline_id IN ({', '.join('?' * len(params))}))"
        if len(params) > _CHUNK:
            wanted = set(params)
            return [e for e in self.events() if (e.id if ids is not None else e.storyline) in wanted]
        rows = self._db.execute(
            "SELECT e.id, e.title, e.storyline_id, MIN(a.published) AS first_seen, "
            "MAX(a.published) AS last_seen, GROUP_CONCAT(a.id) AS article_ids "
            f"FROM events e JOIN (SELECT id, event_id, published FROM articles {where} "
            "ORDER BY published IS NULL, published, seq) a ON a.event_id = e.id "
            "GROUP BY e.id ORDER BY first_seen IS NULL, first_seen, e.id",
            params,
        ).fetchall()
        return [
            Event(
                id=row["id"],
                title=row["title"],
                storyline=row["storyline_id"],
                articles=tuple(row["article_ids"].split(",")),
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
        return storylines_of(
            events, self._db.execute("SELECT id, title FROM storylines ORDER BY id").fetchall(), wanted
        )

    def event_digests(
        self, query: EventQuery | None = None, limit: int = 50, after: tuple[str, str] | None = None
    ) -> list[EventDigest]:
        """Events as lists show them, latest reported first (undated last), then by id; ``after`` is the
        (``last_seen`` or "", id) of the last one of the previous page."""
        query = query or EventQuery()
        where: list[str] = []
        params: list[Any] = []
        if query.since:
            where.append("s.last_key >= ?")
            params.append(query.since)
        if query.until:
            # A day "until" takes all of that day's timestamps.
            where.append("s.first_seen IS NOT NULL AND s.first_seen < ? || '~'")
            params.append(query.until)
        if query.entity:
            where.append("e.id IN (SELECT event_id FROM event_entities WHERE entity_id = ?)")
            params.append(query.entity)
        if query.outlets is not None:
            marks = ", ".join("?" * len(query.outlets))
            where.append(f"e.id IN (SELECT event_id FROM event_outlets WHERE outlet IN ({marks}))")
            params.extend(query.outlets)
        if query.text:
            match = _fts_match(query.text)
            if match is None:
                return []
            where.append(
                "e.id IN (SELECT a.event_id FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid "
                "WHERE articles_fts MATCH ?)"
            )
            params.append(match)
        if query.min_corroboration:
            where.append("COALESCE(x.corroboration, 0) >= ?")
            params.append(query.min_corroboration)
        if query.storyline:
            where.append("e.storyline_id = ?")
            params.append(query.storyline)
        if after is not None:
            where.append("(s.last_key < ? OR (s.last_key = ? AND s.event_id > ?))")
            params.extend([after[0], after[0], after[1]])
        rows = self._db.execute(
            "SELECT e.id, COALESCE(NULLIF(x.title, ''), e.title) AS title, e.storyline_id, s.first_seen, "
            "s.last_seen, s.articles, COALESCE(x.lead, '') AS lead, COALESCE(x.corroboration, 0) AS corroboration, "
            "(SELECT GROUP_CONCAT(outlet, char(31)) FROM event_outlets o WHERE o.event_id = e.id) AS outlets "
            "FROM event_spans s JOIN events e ON e.id = s.event_id LEFT JOIN event_heads x ON x.event_id = e.id "
            f"{'WHERE ' + ' AND '.join(where) if where else ''} "
            "ORDER BY s.last_key DESC, s.event_id LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [event_digest_from_row(row, row["outlets"].split("\x1f") if row["outlets"] else ()) for row in rows]

    def storyline_digests(self, limit: int = 50, offset: int = 0) -> tuple[list[StorylineDigest], int]:
        """Storylines as lists show them, latest reported first, and how many there are."""
        digests, total = self.cached(("storylines", limit, offset), lambda: self._storyline_digests(limit, offset))
        return list(digests), total

    def _storyline_digests(self, limit: int, offset: int) -> tuple[list[StorylineDigest], int]:
        rows = self._db.execute(
            "WITH lines AS (SELECT e.storyline_id AS id, COUNT(*) AS events, SUM(z.articles) AS articles, "
            "MIN(z.first_seen) AS first_seen, MAX(z.last_seen) AS last_seen FROM events e "
            "JOIN event_spans z ON z.event_id = e.id WHERE e.storyline_id IS NOT NULL GROUP BY e.storyline_id) "
            "SELECT l.*, (SELECT COALESCE(NULLIF(x.title, ''), e.title) FROM events e "
            "JOIN event_spans z ON z.event_id = e.id LEFT JOIN event_heads x ON x.event_id = e.id "
            "WHERE e.storyline_id = l.id ORDER BY z.articles DESC, e.id LIMIT 1) AS title, "
            "COUNT(*) OVER () AS total FROM lines l ORDER BY COALESCE(l.last_seen, '') DESC, l.id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        total = (
            rows[0]["total"]
            if rows
            else int(self._db.execute("SELECT COUNT(DISTINCT storyline_id) FROM events").fetchone()[0])
        )
        digests = [storyline_digest_from_row(row) for row in rows]
        return digests, total

    def event_exists(self, event_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None

    def outlets(self) -> list[tuple[str, int, int]]:
        """Every outlet with how many articles and events it has, most articles first."""
        return list(self.cached("outlets", self._outlets))

    def _outlets(self) -> list[tuple[str, int, int]]:
        rows = self._db.execute(
            "SELECT outlet, COUNT(*) AS articles, COUNT(DISTINCT event_id) AS events FROM articles "
            "WHERE outlet IS NOT NULL AND outlet != '' GROUP BY outlet ORDER BY articles DESC, outlet"
        ).fetchall()
        return [(row["outlet"], row["articles"], row["events"]) for row in rows]

    def find_entities(self, name: str, limit: int = 20) -> list[tuple[str, str, str, int]]:
        """Entities whose shown name contains ``name`` (any case): id, name, type and how many events name
        them, the most covered first."""
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            "SELECT n.id, n.name, n.type, COUNT(x.event_id) AS events FROM entities n "
            "LEFT JOIN event_entities x ON x.entity_id = n.id WHERE n.name LIKE ? ESCAPE '\\' "
            "GROUP BY n.id ORDER BY events DESC, n.name LIMIT ?",
            (pattern, limit),
        ).fetchall()
        return [(row["id"], row["name"], row["type"], row["events"]) for row in rows]

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Articles matching ``query`` (all its words, any order), best first."""
        match = _fts_match(query)
        if match is None:
            return []
        rows = self._db.execute(
            "SELECT a.id, a.title, a.text, a.outlet, a.published, a.event_id, "
            "snippet(articles_fts, 1, char(2), char(3), '…', 16) AS snippet, bm25(articles_fts) AS score "
            "FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid "
            "WHERE articles_fts MATCH ? ORDER BY score, a.seq LIMIT ?",
            (match, limit),
        ).fetchall()
        return [
            SearchHit(
                article=row["id"],
                title=row["title"] or row["text"].split("\n", 1)[0],
                outlet=row["outlet"],
                published=row["published"],
                event=row["event_id"],
                snippet=row["snippet"],
                score=-float(row["score"]),
            )
            for row in rows
        ]


def _fts_match(query: str) -> str | None:
    """An FTS5 query for all the words of ``query``, each quoted (so no word is read as FTS syntax)."""
    terms = search_terms(query)
    return " ".join(f'"{term}"' for term in terms) if terms else None


def _write_records(db: sqlite3.Connection, records: Sequence[ClusterRecord]) -> None:
    """Write what the cluster stage decided, in the order it decided it; a record for a stored event or
    storyline updates it (a later title, another storyline)."""
    for record in records:
        if isinstance(record, StorylineRecord):
            db.execute(
                "INSERT INTO storylines (id, title) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title",
                (record.id, record.title),
            )
        elif isinstance(record, EventRecord):
            db.execute(
                "INSERT INTO events (id, title, storyline_id) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET title = excluded.title, storyline_id = excluded.storyline_id",
                (record.id, record.title, record.storyline),
            )
        elif isinstance(record, StorylineFold):
            db.execute("UPDATE events SET storyline_id = ? WHERE storyline_id = ?", (record.into, record.absorbed))
            db.execute("DELETE FROM storylines WHERE id = ?", (record.absorbed,))


def _write_entities(db: sqlite3.Connection, entities: Iterable[tuple[str, str, str]]) -> None:
    db.executemany("INSERT OR REPLACE INTO entities (id, name, type) VALUES (?, ?, ?)", list(entities))


def _write_state(db: sqlite3.Connection, stage: str, data: bytes) -> None:
    db.execute("INSERT OR REPLACE INTO stage_state (stage, data) VALUES (?, ?)", (stage, data))
    db.execute("DELETE FROM stage_state_changes WHERE stage = ?", (stage,))


def _write_state_change(db: sqlite3.Connection, stage: str, data: bytes) -> None:
    db.execute(
        "INSERT INTO stage_state_changes (stage, seq, data) "
        "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM stage_state_changes WHERE stage = ?), ?)",
        (stage, stage, data),
    )


def _split_sql(sql: str) -> list[str]:
    """Statements of a migration file; trigger bodies keep their inner semicolons."""
    statements: list[str] = []
    buffer: list[str] = []
    for line in sql.splitlines():
        if line.strip().startswith("--") and not buffer:
            continue
        buffer.append(line)
        candidate = "\n".join(buffer)
        if sqlite3.complete_statement(candidate):
            statements.append(candidate.strip())
            buffer = []
    if "\n".join(buffer).strip():
        statements.append("\n".join(buffer).strip())
    return statements


def _insert_sentences(db: sqlite3.Connection, article: Article) -> None:
    db.executemany(
        'INSERT INTO sentences (article_id, idx, paragraph, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
        [(article.id, s.index, s.paragraph, s.start, s.end, s.text) for s in article.sentences],
    )


def _with_embeddings(db: sqlite3.Connection, articles: list[Article]) -> list[Article]:
    # Here, not at the top: the read commands never load vectors, and numpy costs them a tenth of a second.
    import numpy as np

    found: dict[str, tuple[bytes, bytes, str]] = {}
    ids = [a.id for a in articles]
    for chunk_start in range(0, len(ids), _CHUNK):
        chunk = ids[chunk_start : chunk_start + _CHUNK]
        for row in db.execute(
            "SELECT article_id, vector, headline, model FROM embeddings "
            f"WHERE article_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            found[row[0]] = (row[1], row[2], row[3])
    return [
        replace(
            a,
            embedding=np.frombuffer(found[a.id][0], dtype=np.float32),
            headline_embedding=np.frombuffer(found[a.id][1], dtype=np.float32),
            embedding_model=found[a.id][2],
        )
        if a.id in found
        else a
        for a in articles
    ]


def _with_sentences(db: sqlite3.Connection, articles: list[Article]) -> list[Article]:
    if not articles:
        return articles
    by_article: dict[str, list[Sentence]] = {a.id: [] for a in articles}
    ids = list(by_article)
    # SQLite caps bound parameters; fetch in chunks.
    for chunk_start in range(0, len(ids), _CHUNK):
        chunk = ids[chunk_start : chunk_start + _CHUNK]
        for row in db.execute(
            f'SELECT article_id, idx, paragraph, start, "end", text FROM sentences '
            f"WHERE article_id IN ({', '.join('?' * len(chunk))}) ORDER BY article_id, idx",
            chunk,
        ):
            by_article[row[0]].append(Sentence(row[1], row[3], row[4], row[2], row[5]))
    return [replace(a, sentences=tuple(by_article[a.id])) for a in articles]


def _save_annotations(db: sqlite3.Connection, article: Article, fields: Sequence[str]) -> None:
    """Replace the article's mentions, time expressions and quotes with what a stage found."""
    for kind, table in ANNOTATION_TABLES.items():
        if kind in fields:
            db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article.id,))
    if "mentions" in fields:
        db.executemany(
            'INSERT OR REPLACE INTO mentions (article_id, start, "end", text, type, entity_id, label) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(article.id, m.start, m.end, m.text, m.type, m.entity, m.label) for m in article.mentions],
        )
    if "times" in fields:
        db.executemany(
            'INSERT OR REPLACE INTO time_refs (article_id, start, "end", text, type, value, mod, end_value, tense) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(article.id, t.start, t.end, t.text, t.type, t.value, t.mod, t.end_value, t.tense) for t in article.times],
        )
    if "quotes" in fields:
        db.executemany(
            "INSERT INTO quotes (article_id, idx, direct, speaker, entity_id, content, cue, source, speech) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (article.id, i, int(q.direct), q.speaker, q.entity, spans_json(q.content), spans_json(q.cue),
                 spans_json(q.source), int(q.speech))
                for i, q in enumerate(article.quotes)
            ],
        )  # fmt: skip


def _rows_by_article(db: sqlite3.Connection, sql: str, ids: list[str]) -> dict[str, list[sqlite3.Row]]:
    found: dict[str, list[sqlite3.Row]] = {}
    for chunk_start in range(0, len(ids), _CHUNK):
        chunk = ids[chunk_start : chunk_start + _CHUNK]
        for row in db.execute(sql.format(ids=", ".join("?" * len(chunk))), chunk):
            found.setdefault(row["article_id"], []).append(row)
    return found


def _with_annotations(db: sqlite3.Connection, articles: list[Article]) -> list[Article]:
    ids = [a.id for a in articles]
    mentions = _rows_by_article(
        db, 'SELECT * FROM mentions WHERE article_id IN ({ids}) ORDER BY article_id, start, "end"', ids
    )
    times = _rows_by_article(
        db, 'SELECT * FROM time_refs WHERE article_id IN ({ids}) ORDER BY article_id, start, "end"', ids
    )
    quotes = _rows_by_article(db, "SELECT * FROM quotes WHERE article_id IN ({ids}) ORDER BY article_id, idx", ids)
    return with_annotations(articles, mentions, times, quotes)
