"""Concurrency: the web app read while an ingest writes, and two `storyline ingest` processes on one SQLite file
and on one PostgreSQL database. Every read is answered (200, or 404 for what a run just replaced), the second
ingest waits its turn, and afterwards the store holds every article once, in an event, nothing pending, every
event's analysis current. Runs are counted in test-artifacts/concurrency.json (benchmarks/RESULTS.md cites it)."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyline.config import load_settings
from storyline.errors import StoreError
from storyline.model import Article
from storyline.pipeline import Pipeline, default_stages
from storyline.stateful import unpack_arrays
from storyline.store import open_store
from storyline.store import sqlite as sqlite_store
from storyline.web import create_app

from .conftest import EXAMPLES, ROOT

SUMMARY = ROOT / "test-artifacts" / "concurrency.json"
# Stories of the synthetic stream: a few events, each reported by several outlets on nearby days.
_STORIES = [
    ("Lisbourne", "harbour strike", "Dockers in {place} walked out on {day} over pay, union leader Ana Brito said. "
                                    "The port authority said ships were waiting outside the harbour."),
    ("Varnsk", "bridge collapse", "A road bridge in {place} collapsed on {day}, injuring 12 people, the fire service "
                                  "said. Engineers blamed corrosion in the steel cables."),
    ("Mirova", "mayoral election", "Voters in {place} elected a new mayor on {day}, the electoral commission said. "
                                   "Turnout was 61 percent, up from the last vote."),
    ("Kestrel", "flood", "Heavy rain flooded the centre of {place} on {day}, the city council said. Hundreds of homes "
                         "were evacuated as the river rose."),
]  # fmt: skip
# The NLP analysis is not what these tests are about (one test runs it all, on the sample): left out elsewhere.
_LEAN = '[pipeline]\nskip = ["analysis"]\n'


def _write_stream(path: Path, numbers: range) -> set[str]:
    """Synthetic articles ``numbers`` as JSON lines; their ids as the store will know them."""
    lines = []
    for n in numbers:
        place, story, text = _STORIES[n % len(_STORIES)]
        day = 3 + (n // len(_STORIES)) % 5
        outlet = f"outlet{n % 9}.example"
        lines.append({"id": f"s{n}", "outlet": outlet, "published": f"2022-05-{day:02d}",
                      "title": f"{place}: {story}, report {n}",
                      "text": text.format(place=place, day=f"May {day}") + f" Report {n} from {outlet} adds that "
                      f"{place} officials promised an update on May {day + 1}."})  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return {a.id for a in _read(path)}


def _read(path: Path) -> list[Article]:
    from storyline.ingest import read_inputs

    return [a for a in read_inputs([str(path)], load_settings().ingest) if isinstance(a, Article)]


def _ingest(db: str, paths: list[Path], config: Path | None = None) -> subprocess.Popen[str]:
    """`storyline --db DB ingest PATHS` in its own process, this checkout's code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "storyline", "--db", db]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.Popen([*command, "ingest", *map(str, paths)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip


def _finish(process: subprocess.Popen[str], timeout: float = 300) -> str:
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    for sign in ("Traceback", "database is locked", "deadlock"):
        assert sign not in stderr, stderr[-3000:]
    return stderr


def _assert_complete(location: str, expected: set[str], config: Path | None = None) -> dict[str, int]:
    """Every article stored once and in an event, nothing pending for any stage, every event's analysis current."""
    settings = load_settings(str(config) if config else None, {"store": {"path": location}})
    pipeline = Pipeline(default_stages(settings), settings.pipeline.batch_size)
    with open_store(location) as store:
        stored = [a.id for a in store.articles()]
        assert sorted(stored) == sorted(expected)  # each once, none lost, none extra
        members = store.event_members()
        in_events = [article for articles in members.values() for article in articles]
        assert sorted(in_events) == sorted(expected)
        assert not any(pipeline.pending(store).values()), pipeline.pending(store)
        for stage in pipeline.event_stages:
            assert not pipeline.stale_events(store, stage)
        if pipeline.event_stages:
            assert set(store.event_analyses()) == set(members)
        # The clusterer's saved state (what the next run resumes from) knows every article, in its stored event:
        # two runs at once would each save a state missing the other's articles.
        (cluster,) = [stage for stage in pipeline.stages if stage.name == "cluster"]
        saved = Pipeline.whole_state(cluster, store.load_state("cluster"))  # type: ignore[arg-type]
        assert saved is not None
        meta = json.loads(unpack_arrays(saved)["meta"].tobytes())
        stored_events = {a.id: a.event for a in store.articles()}
        assert dict(meta["article_events"]) == stored_events
        return {"articles": len(stored), "events": len(members)}


def _record(name: str, **figures: Any) -> None:
    summary = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    summary[name] = figures
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")


def test_reads_while_an_ingest_writes(tmp_path: Path) -> None:
    """The full default pipeline over the sample and a few dozen more, in another process; meanwhile every read
    route is hammered: never a 500, only what the store holds at that moment."""
    db = tmp_path / "reads.db"
    stream = tmp_path / "stream.jsonl"
    expected = _write_stream(stream, range(30)) | {a.id for a in _read(EXAMPLES)}
    settings = load_settings(overrides={"store": {"path": str(db)}})
    client = TestClient(create_app(settings))  # made first: the database exists before the ingest opens it
    writer = _ingest(str(db), [EXAMPLES, stream])
    statuses: dict[int, int] = {}
    rounds = 0
    chooser = random.Random(19)
    while writer.poll() is None or rounds == 0:
        rounds += 1
        urls = ["/api/events", "/", "/api/storylines", "/storylines", "/api/outlets", "/outlets",
                "/api/search?q=harbour", "/search?q=Xi", "/api/entities?q=Putin"]  # fmt: skip
        events = client.get("/api/events").json()["events"]
        for event in chooser.sample(events, min(3, len(events))):
            urls += [f"/api/events/{event['id']}", f"/events/{event['id']}", f"/api/storylines/{event['storyline']}"]
            report = client.get(f"/api/events/{event['id']}")
            if report.status_code == 200:
                article = report.json()["articles"][0]["id"]
                urls += [f"/api/articles/{article}", f"/articles/{article}"]
        for url in urls:
            response = client.get(url, headers={"accept": "text/html"})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (200, 404), (url, response.status_code, response.text[:500])
            # A 404 only for an event or storyline a later batch replaced (the clusterer may retitle or fold).
            assert response.status_code == 200 or "/events/" in url or "/storylines/" in url, url
    _finish(writer)
    figures = _assert_complete(str(db), expected)
    assert client.get("/api/events").json()["events"]  # and the app reads the finished store
    assert rounds >= 3 and statuses.get(200, 0) > 50, (rounds, statuses)
    _record("reads_while_ingesting", reads=sum(statuses.values()), statuses=statuses, **figures)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_ingests_on_one_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Two `storyline ingest` processes at once, on overlapping inputs: both succeed (the second waits for the
    first's run, then processes what is left), and the store ends as one ingest of everything would leave it."""
    location = str(tmp_path / "two.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    config = tmp_path / "lean.toml"
    config.write_text(_LEAN)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    expected = _write_stream(first, range(0, 40)) | _write_stream(second, range(20, 60))
    started = time.monotonic()
    runs = [_ingest(location, [first], config), _ingest(location, [second], config)]
    for run in runs:
        _finish(run)
    seconds = time.monotonic() - started
    figures = _assert_complete(location, expected, config)
    _record(f"two_ingests_{backend}", runs=2, read=80, distinct=len(expected), lost=0, seconds=round(seconds, 1),
            **figures)  # fmt: skip


def test_a_write_locked_too_long_fails_with_a_coded_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holding the write lock past the busy timeout: [E025] naming the database, nothing half
    written, and the store works again once the lock is gone."""
    monkeypatch.setattr(sqlite_store, "_BUSY_TIMEOUT_MS", 200)
    db = tmp_path / "locked.db"
    articles = _read(EXAMPLES)
    with open_store(str(db)) as store:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match=r"^\[E025\] .*locked\.db: another process"):
            store.add_articles(articles)
        other.execute("ROLLBACK")
        other.close()
        assert store.count_articles() == 0
        assert len(store.add_articles(articles)) == len(articles)


def _open_at_once(path: str, barrier: Any, errors: Any) -> None:
    barrier.wait()
    try:
        open_store(path).close()
    except Exception as exc:  # reported to the test, which fails on it
        errors.put(repr(exc))


def test_first_opens_of_a_new_file_at_once(tmp_path: Path) -> None:
    """Processes opening one new SQLite file at the same moment (two ingests started together) all get the store:
    each migration runs once, the switch to WAL waits its turn (were: "table ... already exists", "database is
    locked")."""
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    for round_ in range(5):
        path = str(tmp_path / f"new{round_}.db")
        barrier = context.Barrier(3)
        processes = [context.Process(target=_open_at_once, args=(path, barrier, errors)) for _ in range(3)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        assert [p.exitcode for p in processes] == [0, 0, 0]
        assert errors.empty(), errors.get()
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == sqlite_store.schema_version()
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
