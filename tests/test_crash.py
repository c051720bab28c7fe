"""Crash safety: an ingest, and watch mode, killed at random points and started again end with the store an
uninterrupted run makes: every article once, processed once by every stage, in the same events and storylines,
every event analysis current, the database intact."""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from storyline.config import Settings, load_settings
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.pipeline import Pipeline, clustering_stages, default_stages, ingest
from storyline.store import SQLiteStore, open_store

from .conftest import ROOT
from .summits import SEED, summit_reports

# Small batches: many commits, so that kills land between them as well as inside them.
_BATCH = 16
# Everything but the NLP analysis (spaCy, seconds per batch): the clustering and the event analysis run.
_SKIP = ["analysis"]
# Generous: a slow CI machine loads the embedding model at every start. Nothing asserts how long anything took.
_WAIT_SECONDS = 180.0
# How often a test looks at the store while a process works on it.
_POLL_SECONDS = 0.02


def _write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _settings(skip: list[str], embedding: str = "use-m-v3") -> Settings:
    return load_settings(overrides={"pipeline": {"skip": skip, "batch_size": _BATCH}, "embed": {"model": embedding}})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_jsonl(tmp_path_factory.mktemp("crash") / "summits.jsonl", summit_reports(SEED))


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store of one uninterrupted ingest of the corpus."""
    path = tmp_path_factory.mktemp("reference") / "reference.db"
    with open_store(str(path)) as store:
        result = ingest(store, [str(corpus)], _settings(_SKIP))
    assert not result.failures and result.added >= 150
    return path


# -- what a store holds, and whether it is whole ----------------------------------------------------------------


def _on_postgres(location: Path | str) -> bool:
    return str(location).startswith("postgresql://")


@contextmanager
def _reading(location: Path | str) -> Iterator[Any]:
    """A connection to read the store at ``location`` (a SQLite file, read-only; a PostgreSQL URL)."""
    if _on_postgres(location):
        import psycopg

        with psycopg.connect(str(location), autocommit=True) as pg:
            yield pg
        return
    db = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
    try:
        yield db
    finally:
        db.close()


def _outcome(path: Path | str) -> dict[str, Any]:
    """Everything the runs decided, as comparable values: articles and what stages wrote on them, events,
    storylines, event analyses, the stages' saved states."""
    with _reading(path) as db:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted(db.execute(sql).fetchall())

        return {
            "articles": rows(
                "SELECT id, lang, published, published_source, duplicate_of, event_id, not_before FROM articles"
            ),
            "sentences": rows('SELECT article_id, idx, start, "end", text FROM sentences'),
            "embeddings": rows("SELECT article_id, model, vector, headline FROM embeddings"),
            "stage_runs": rows("SELECT article_id, stage, version FROM stage_runs"),
            "events": rows("SELECT id, title, storyline_id FROM events"),
            "storylines": rows("SELECT id, title FROM storylines"),
            "analyses": rows("SELECT event_id, signature, analysis FROM event_analyses"),
            "states": _whole_states(path, [row[0] for row in rows("SELECT stage FROM stage_state")]),
        }


@functools.cache
def _stateful_stages() -> dict[str, Any]:
    return {stage.name: stage for stage in clustering_stages(load_settings())}


def _whole_states(path: Path | str, stages: list[str]) -> list[tuple[str, bytes | None]]:
    """Each stage's saved state as a run resumes from it: the whole state with the changes saved after it applied
    (which batches saved their changes, and which the whole state, depends on where the runs before ended)."""
    with open_store(str(path)) as store:
        return [(name, Pipeline.whole_state(_stateful_stages()[name], store.load_state(name))) for name in stages]


# What a consistent store has none of: an article in no event, an event without articles or storyline, a storyline
# without events, an article's sentences twice (or numbered with gaps).
_BROKEN = (
    "SELECT id FROM articles WHERE event_id IS NULL",
    "SELECT id FROM events WHERE id NOT IN (SELECT event_id FROM articles WHERE event_id IS NOT NULL)",
    "SELECT id FROM events WHERE storyline_id IS NULL",
    "SELECT id FROM storylines WHERE id NOT IN (SELECT storyline_id FROM events WHERE storyline_id IS NOT NULL)",
    "SELECT article_id FROM sentences GROUP BY article_id HAVING COUNT(*) != MAX(idx) + 1 OR MIN(idx) != 0",
)


def _assert_whole(path: Path | str, settings: Settings) -> None:
    """The database is intact and the store consistent: nothing pending, every article in an existing event,
    no event or storyline left empty, every event analysis current."""
    with _reading(path) as db:
        if not _on_postgres(path):  # PostgreSQL checks its pages and foreign keys as it writes
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        for broken in _BROKEN:
            assert db.execute(broken).fetchall() == [], broken
    pipeline = Pipeline(default_stages(settings), settings.pipeline.batch_size)
    with open_store(str(path)) as store:
        assert set(pipeline.pending(store).values()) == {0}
        for stage in pipeline.event_stages:
            assert pipeline.stale_events(store, stage) == {}
            assert set(store.event_signatures()) == set(store.event_members())


def _assert_same(crashed: Path | str, reference: Path | str, parts: tuple[str, ...]) -> None:
    """What the crashed runs stored is what the uninterrupted one did (each part on its own, to show which)."""
    found, expected = _outcome(crashed), _outcome(reference)
    for part in parts:
        missing = set(expected[part]) - set(found[part])
        extra = set(found[part]) - set(expected[part])
        assert not missing and not extra, (
            f"{part}: {len(missing)} missing, {len(extra)} extra, e.g. {sorted(extra)[:3]}"
        )


_ARTICLE_PARTS = ("articles", "sentences", "embeddings", "stage_runs", "events", "storylines", "states")
try:
    import psycopg

    _PG_ERRORS: tuple[type[Exception], ...] = (psycopg.Error,)
except ImportError:  # pragma: no cover - psycopg is a dev dependency
    _PG_ERRORS = ()


# -- an ingest that crashes at commits, in this process ---------------------------------------------------------


class _Crash(BaseException):
    """The process ending right after a commit: what a kill leaves, at each point where the store changes."""


class _CrashingStore(SQLiteStore):
    """A SQLite store that crashes (raises ``_Crash``) right after its ``crash_at``-th commit."""

    def __init__(self, path: Path, crash_at: int) -> None:
        # Counted from the first write after opening: the migrations' commits are not among them.
        self.crash_at, self.commits = 0, 0
        super().__init__(path)
        self.crash_at, self.commits = crash_at, 0

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with super()._write() as db:
            yield db
        self.commits += 1
        if self.commits == self.crash_at:
            raise _Crash


def test_crash_after_any_commit_resumes_to_the_uninterrupted_result(
    corpus: Path, reference: Path, tmp_path: Path
) -> None:
    """Ended after a random commit, again and again, each time with a fresh pipeline (nothing kept in memory),
    the ingest ends with what one uninterrupted ingest stores."""
    rng = random.Random(SEED)
    settings = _settings(_SKIP)
    path = tmp_path / "crashed.db"
    crashes = 0
    while True:
        with _CrashingStore(path, crash_at=rng.randint(1, 12)) as store:
            try:
                ingest(store, [str(corpus)], settings, pipeline=Pipeline(default_stages(settings), _BATCH))
                break
            except _Crash:
                crashes += 1
    assert crashes >= 10
    _assert_whole(path, settings)
    _assert_same(path, reference, (*_ARTICLE_PARTS, "analyses"))


def test_crash_while_switching_embedding_models_resumes_the_switch(tmp_path: Path) -> None:
    """Ended after each of the first commits of the run that re-embeds a store for another model (forgetting
    the vectors and what was computed from them), the next run still re-embeds and re-clusters all of it."""
    skip = ["analysis", "event-analysis"]
    before, after = _settings(skip, "use-m-v3"), _settings(skip, "minilm-l6-v2")
    source = _write_jsonl(tmp_path / "few.jsonl", summit_reports(SEED)[:40])
    first = tmp_path / "first.db"
    with open_store(str(first)) as store:
        ingest(store, [str(source)], before)
    reference = tmp_path / "reference.db"
    shutil.copy(first, reference)
    with open_store(str(reference)) as store:
        assert ingest(store, [str(source)], after).reembedded
    for crash_at in range(1, 5):
        path = tmp_path / f"crashed-{crash_at}.db"
        shutil.copy(first, path)
        with _CrashingStore(path, crash_at) as store, pytest.raises(_Crash):
            ingest(store, [str(source)], after, pipeline=Pipeline(default_stages(after), _BATCH))
        with open_store(str(path)) as store:
            ingest(store, [str(source)], after)
            assert store.embedding_models() == {"minilm-l6-v2"}
        _assert_whole(path, after)
        _assert_same(path, reference, _ARTICLE_PARTS)


# -- the command line, killed with SIGKILL ------------------------------------------------------------------------


def _config(path: Path, skip: list[str]) -> dict[str, str]:
    """The environment of a ``storyline`` process with these settings (a settings file at ``path``)."""
    path.write_text(f"[pipeline]\nbatch_size = {_BATCH}\nskip = {json.dumps(skip)}\n", encoding="utf-8")
    return {**os.environ, "STORYLINE_CONFIG": str(path), "PYTHONPATH": str(ROOT)}


def _progress(path: Path | str) -> tuple[int, int]:
    """(articles marked done by a stage, events analysed) in the store so far; (0, 0) before it exists."""
    try:
        with _reading(path) as db:
            marks = db.execute("SELECT COUNT(*) FROM stage_runs").fetchone()[0]
            analysed = db.execute("SELECT COUNT(*) FROM event_analyses").fetchone()[0]
    except (sqlite3.Error, *_PG_ERRORS):
        return 0, 0
    return int(marks), int(analysed)


def _kill_when(process: subprocess.Popen[bytes], reached: Callable[[], bool], delay: float) -> bool:
    """SIGKILL ``process`` ``delay`` seconds after ``reached()`` holds; whether it was still running then."""
    deadline = time.monotonic() + _WAIT_SECONDS
    while not reached() and process.poll() is None:
        assert time.monotonic() < deadline, "the store did not get there"
        time.sleep(_POLL_SECONDS)
    time.sleep(delay)
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return running


def test_crash_killed_ingest_resumes_to_the_uninterrupted_result(corpus: Path, reference: Path, tmp_path: Path) -> None:
    """``storyline ingest`` killed with SIGKILL at random points of the article stages and of the event analysis,
    and started again each time, ends with what one uninterrupted ingest stores."""
    rng = random.Random(SEED)
    marks, analysed = _progress(reference)
    # Each kill after the store holds a random amount of work, plus a random delay: inside a batch or between two.
    plan = [(m, 0, rng.uniform(0, 0.3)) for m in sorted(rng.sample(range(1, marks - 2 * _BATCH), 3))]
    plan += [(marks, a, rng.uniform(0, 0.3)) for a in sorted(rng.sample(range(analysed - 2 * _BATCH), 2))]
    path = tmp_path / "killed.db"
    assert _kill_and_restart(path, corpus, plan, tmp_path) == len(plan)
    settings = _settings(_SKIP)
    _assert_whole(path, settings)
    _assert_same(path, reference, (*_ARTICLE_PARTS, "analyses"))


def _kill_and_restart(location: Path | str, corpus: Path, plan: list[tuple[int, int, float]], tmp_path: Path) -> int:
    """``storyline ingest`` of ``corpus`` into ``location``, killed with SIGKILL as ``plan`` says (a kill each:
    ``delay`` seconds after the store holds ``marks`` stage marks and ``analysed`` event analyses), started again
    after each, then run to its end; how many kills found it running."""
    command = [sys.executable, "-m", "storyline", "--db", str(location), "ingest", str(corpus)]
    env = _config(tmp_path / "storyline.toml", _SKIP)
    hit = 0
    for marks_at, analysed_at, delay in plan:
        with (tmp_path / "stderr.log").open("ab") as log:
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)

        def reached(marks_at: int = marks_at, analysed_at: int = analysed_at) -> bool:
            done = _progress(location)
            return done[0] >= marks_at and done[1] >= analysed_at

        hit += _kill_when(process, reached, delay)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=_WAIT_SECONDS, check=False)
    assert finished.returncode == 0, finished.stderr
    return hit


def test_crash_killed_ingest_on_postgresql_resumes_to_the_uninterrupted_result(
    postgres_server: str, postgres_url: str, tmp_path: Path
) -> None:
    """The same against a PostgreSQL store (a smaller stream): every kill leaves what a restart completes into
    the store one uninterrupted ingest makes, in another database of the same server."""
    import psycopg

    corpus = _write_jsonl(tmp_path / "summits.jsonl", summit_reports(SEED + 2, events=12))
    reference = postgres_url + "_reference"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {reference.rsplit('/', 1)[1]}")
    try:
        with open_store(reference) as store:
            result = ingest(store, [str(corpus)], _settings(_SKIP))
        assert not result.failures and result.added >= 50
        rng = random.Random(SEED)
        marks, _ = _progress(reference)
        # Two kills at random points of the article stages, one as the event analysis begins.
        plan = [(m, 0, rng.uniform(0, 0.3)) for m in sorted(rng.sample(range(1, marks - 2 * _BATCH), 2))]
        plan.append((marks, 0, rng.uniform(0, 0.2)))
        assert _kill_and_restart(postgres_url, corpus, plan, tmp_path) == len(plan)
        settings = _settings(_SKIP)
        _assert_whole(postgres_url, settings)
        _assert_same(postgres_url, reference, (*_ARTICLE_PARTS, "analyses"))
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {reference.rsplit('/', 1)[1]} WITH (FORCE)")


def _split(records: list[dict[str, str]], folder: Path, per_file: int) -> list[tuple[str, str]]:
    """(name, JSON lines) of files of ``per_file`` records each."""
    return [
        (
            f"batch-{start // per_file:02d}.jsonl",
            "".join(json.dumps(r) + "\n" for r in records[start : start + per_file]),
        )
        for start in range(0, len(records), per_file)
    ]


@contextmanager
def _interruptible_children() -> Iterator[None]:
    """Children started meanwhile take Ctrl-C (SIGINT) as KeyboardInterrupt. A test session started in the
    background (``make test &``, ``nohup``) runs with SIGINT ignored, which its children inherit, and Python then
    leaves it ignored: the SIGINT meant to stop ``storyline watch`` would go unheard. A signal the parent catches
    is at its default in a child, where Python installs its handler."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@_interruptible_children()
def test_crash_killed_watch_reads_each_file_once(tmp_path: Path) -> None:
    """``storyline watch`` killed with SIGKILL at random points while files arrive (and some arriving while it is
    down), started again each time, ends with every article of every file stored and processed once, and never
    reads again a file it reported read."""
    rng = random.Random(SEED)
    skip = ["analysis", "event-analysis"]
    settings = _settings(skip)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = _split(summit_reports(SEED + 1, events=20), inbox, per_file=8)
    stages = len(Pipeline(default_stages(settings), _BATCH).stages)
    articles = sum(text.count("\n") for _, text in files)
    path = tmp_path / "watched.db"
    command = [sys.executable, "-m", "storyline", "--db", str(path), "watch", "--json", str(inbox)]
    env = _config(tmp_path / "storyline.toml", skip)
    queue = list(files)

    def drop() -> None:
        name, text = queue.pop(0)
        (inbox / name).write_text(text, encoding="utf-8")

    reports: list[dict[str, Any]] = []

    def watching(until: Callable[[], bool], delay: float | None) -> bool:
        """Run watch mode, dropping a file every 0.1 to 0.4 s, until ``until()``: then kill it after ``delay``
        seconds (or stop it with Ctrl-C when None); whether it was still running when killed."""
        out = tmp_path / f"run-{len(reports)}-{time.monotonic_ns()}.jsonl"
        with out.open("wb") as stdout, (tmp_path / "stderr.log").open("ab") as stderr:
            process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
        deadline, next_drop = time.monotonic() + _WAIT_SECONDS, 0.0
        while not until() and process.poll() is None:
            assert time.monotonic() < deadline, "watch mode did not get there"
            if queue and time.monotonic() >= next_drop:
                drop()
                next_drop = time.monotonic() + rng.uniform(0.1, 0.4)
            time.sleep(_POLL_SECONDS)
        if delay is None:
            process.send_signal(signal.SIGINT)
            assert process.wait(_WAIT_SECONDS) == 0
            running = False
        else:
            running = _kill_when(process, lambda: True, delay)
        reports.extend(json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line)
        return running

    kills = 0
    for target in sorted(rng.sample(range(1, stages * articles * 3 // 4), 3)):
        kills += watching(lambda target=target: _progress(path)[0] >= target, rng.uniform(0, 0.3))
        # Written while watch mode is down: read on its start.
        if queue:
            drop()
    seen = "SELECT COUNT(*) FROM seen_files"
    watching(lambda: not queue and _count(path, seen) == len(files) and _progress(path)[0] == stages * articles, None)
    assert kills == 3
    reported = [r["path"] for r in reports]
    assert len(reported) == len(set(reported)), "a file reported read was read again"
    with _reading(path) as db:
        recorded = db.execute("SELECT path, status, articles FROM seen_files ORDER BY path").fetchall()
        stored = {row[0] for row in db.execute("SELECT id FROM articles")}
    assert recorded == [(str(inbox.resolve() / name), "ingested", text.count("\n")) for name, text in files]
    expected = {a.id for a in read_inputs([str(inbox)], settings.ingest) if isinstance(a, Article)}
    assert stored == expected and len(expected) == articles
    _assert_whole(path, settings)


def _count(path: Path, sql: str) -> int:
    try:
        with _reading(path) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0
