"""Watch mode: files written into a folder are ingested once written, once each, across restarts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.config import Settings, load_settings
from storyline.errors import ConfigError
from storyline.model import SeenFile
from storyline.pipeline import default_stages
from storyline.pipeline.watch import FileIngested, Watcher, open_for_writing
from storyline.serve.cli import cli
from storyline.store import SQLiteStore

from .conftest import EXAMPLES

# Generous: a slow CI machine loads the embedding model first. Nothing asserts how long anything took.
_WAIT_SECONDS = 120.0
SAMPLES = sorted(EXAMPLES.glob("*.txt"))


@pytest.fixture
def fast_settings() -> Settings:
    """Placing articles in events without the NLP analysis: what watch mode's latency figure runs."""
    return load_settings(overrides={"pipeline": {"skip": ["analysis", "event-analysis"]}})


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def _drop(folder: Path, sample: Path, name: str | None = None) -> Path:
    target = folder / (name or sample.name)
    target.write_bytes(sample.read_bytes())
    return target


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + _WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "watch mode did not get there"
        time.sleep(0.02)


@pytest.fixture
def running(store: SQLiteStore, inbox: Path, fast_settings: Settings) -> Iterator[list[FileIngested]]:
    """A watcher on ``inbox`` in a thread; what it reports, as it reports it."""
    reported: list[FileIngested] = []
    watcher = Watcher(store, inbox, fast_settings, reported.append)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    yield reported
    stop.set()
    thread.join(_WAIT_SECONDS)
    assert not thread.is_alive()


def test_watch_ingests_a_file_written_after_start_once(
    running: list[FileIngested], inbox: Path, store: SQLiteStore
) -> None:
    first = _drop(inbox, SAMPLES[0])
    _wait_for(lambda: len(running) == 1)
    (bad := inbox / "bad.jsonl").write_text('{"title": "no text"}\n', encoding="utf-8")
    second = _drop(inbox, SAMPLES[1])
    _wait_for(lambda: {r.path for r in running} >= {str(second.resolve())})
    by_path = {r.path: r for r in running}
    assert [r.path for r in running].count(str(first.resolve())) == 1
    assert by_path[str(bad.resolve())].status == "failed"
    assert "[E006]" in (by_path[str(bad.resolve())].error or "")
    for path in (first, second):
        done = by_path[str(path.resolve())]
        assert done.status == "ingested" and done.added == 1 and len(done.events) == 1
        assert done.assigned is not None and done.written <= done.assigned <= done.done
        assert store.article(done.articles[0]).event == done.events[0]  # type: ignore[union-attr]
    assert store.count_articles() == 2


def test_watch_restart_reads_only_new_and_changed_files(
    store: SQLiteStore, inbox: Path, fast_settings: Settings
) -> None:
    old = [_drop(inbox, sample) for sample in SAMPLES[:2]]
    first = Watcher(store, inbox, fast_settings)
    assert sorted(r.path for r in first.step(first.scan())) == [str(p.resolve()) for p in old]

    new = _drop(inbox, SAMPLES[2])
    restarted = Watcher(store, inbox, fast_settings, pipeline=first.pipeline)
    assert [r.path for r in restarted.step(restarted.scan())] == [str(new.resolve())]
    assert restarted.step(restarted.scan()) == []

    changed = _drop(inbox, SAMPLES[3], old[0].name)
    (again,) = restarted.step(restarted.scan())
    assert again.path == str(changed.resolve()) and again.added == 1
    assert store.files_seen([again.path])[again.path].size == changed.stat().st_size


@pytest.mark.skipif(open_for_writing(__file__) is None, reason="this system cannot tell a file open for writing")
def test_watch_waits_for_a_file_still_open_for_writing(
    store: SQLiteStore, inbox: Path, fast_settings: Settings
) -> None:
    watcher = Watcher(store, inbox, fast_settings)
    text = SAMPLES[0].read_text(encoding="utf-8")
    path = inbox / "partial.txt"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text[: len(text) // 2])
        handle.flush()
        assert watcher.step([str(path)]) == []
        assert watcher.waiting == {str(path.resolve())}
        handle.write(text[len(text) // 2 :])
    (done,) = watcher.step([])
    assert store.article(done.articles[0]).text.endswith(text.strip()[-40:])  # type: ignore[union-attr]


def test_watch_waits_for_a_recent_file_where_writers_cannot_be_seen(
    store: SQLiteStore, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storyline.pipeline.watch.open_for_writing", lambda _path: None)
    skip = ["analysis", "event-analysis"]
    settings = load_settings(overrides={"pipeline": {"skip": skip}, "watch": {"settle_ms": 0}})
    path = _drop(inbox, SAMPLES[0])
    patient = Watcher(store, inbox, load_settings(overrides={"watch": {"settle_ms": 3_600_000}}))
    assert patient.step([str(path)]) == [] and patient.waiting == {str(path.resolve())}
    (done,) = Watcher(store, inbox, settings).step([str(path)])
    assert done.status == "ingested"


def test_watch_records_a_bad_file_and_reads_it_again_only_once_changed(
    store: SQLiteStore, inbox: Path, fast_settings: Settings
) -> None:
    bad = inbox / "feed.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    watcher = Watcher(store, inbox, fast_settings)
    (failed,) = watcher.step([str(bad)])
    assert failed.status == "failed" and "[E005]" in (failed.error or "")
    assert watcher.step([str(bad)]) == []
    assert Watcher(store, inbox, fast_settings, pipeline=watcher.pipeline).step([str(bad)]) == []
    bad.write_text('{"title": "Fixed", "text": "The file was fixed and now holds an article."}\n', encoding="utf-8")
    (fixed,) = watcher.step([str(bad)])
    assert fixed.status == "ingested" and fixed.added == 1


def test_watch_ignores_hidden_and_unsupported_files(store: SQLiteStore, inbox: Path, fast_settings: Settings) -> None:
    (inbox / ".partial.txt").write_text("being copied", encoding="utf-8")
    (inbox / "notes.pdf").write_bytes(b"%PDF")
    watcher = Watcher(store, inbox, fast_settings)
    assert watcher.scan() == [] and watcher.step(watcher.scan()) == []


def test_store_files_seen_round_trip(store: SQLiteStore) -> None:
    store.mark_files_seen([SeenFile("/a.txt", 10, 5, "ingested", 1), SeenFile("/b.txt", 3, 7, "failed", 0, "bad")])
    store.mark_files_seen([SeenFile("/a.txt", 12, 6, "ingested", 2)])
    assert store.files_seen() == {
        "/a.txt": SeenFile("/a.txt", 12, 6, "ingested", 2),
        "/b.txt": SeenFile("/b.txt", 3, 7, "failed", 0, "bad"),
    }
    assert list(store.files_seen(["/b.txt", "/c.txt"])) == ["/b.txt"]


def test_pipeline_skip_leaves_stages_out(fast_settings: Settings) -> None:
    names = [stage.name for stage in default_stages(fast_settings)]
    assert names == ["language", "sentences", "date-bounds", "dedupe", "embed", "cluster"]


@pytest.mark.parametrize(("skip", "code"), [(["nlp"], "[E012]"), (["embed"], "[E011]")])
def test_pipeline_skip_rejects_unknown_and_needed_stages(skip: list[str], code: str) -> None:
    with pytest.raises(ConfigError, match=code.replace("[", r"\[")):
        default_stages(load_settings(overrides={"pipeline": {"skip": skip}}))


def test_cli_watch_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "s.db"), "watch", str(tmp_path / "nowhere")])
    assert result.exit_code != 0 and "nowhere" in result.output
