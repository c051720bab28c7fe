"""Watch mode: each file that appears in a folder is ingested once it is written, through the one ingest and one
pipeline that stays loaded between files; the store records the files read, so a restart reads only what is new
or changed.

A file counts as written once no process has it open for writing, where the system can tell (Linux leases);
elsewhere once it has not changed for ``watch.settle_ms``. A file that cannot be read is recorded as failed and
read again only when it changes.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..cluster import ClusterStage
from ..config import Settings
from ..errors import Errors, InputError
from ..ingest import READERS, Notice
from ..model import SeenFile
from ..store import Store
from .ingest import ingest
from .runner import Pipeline, PipelineRun
from .stages import default_stages

if TYPE_CHECKING:
    from watchfiles import Change

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class FileIngested:
    """What watch mode did with one file."""

    path: str
    status: str
    # The articles read from it (new or already stored), and how many of them were new.
    articles: list[str]
    added: int
    # The events its articles are in, in the order of the articles.
    events: list[str]
    error: str | None
    # When the file was last written (its modification time), when its articles' events were stored (None when
    # the cluster stage is skipped) and when the whole pipeline was done with it: seconds since the epoch.
    written: float
    assigned: float | None
    done: float

    @property
    def latency_ms(self) -> float:
        """From the file's last write to its event assignment (or to the end, without one)."""
        return 1000 * ((self.assigned or self.done) - self.written)


def open_for_writing(path: str) -> bool | None:
    """Whether some process has the file open for writing; None where the system cannot tell.

    Linux refuses a read lease on a file open for writing. The lease is held for microseconds; a writer that
    opens the file meanwhile breaks it, which signals the holder: with SIGURG, ignored by default, not with
    SIGIO, which would end the process.
    """
    if sys.platform != "linux":
        return None
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        try:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            # EAGAIN: open for writing; anything else (not the owner, a network file system): cannot tell.
            return True if exc.errno == errno.EAGAIN else None
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


class Watcher:
    """Ingests the files of one folder as they are written, each once (as long as it does not change)."""

    def __init__(
        self,
        store: Store,
        folder: str | os.PathLike[str],
        settings: Settings,
        report: Callable[[FileIngested], None] | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise InputError(str(folder), Errors.E022.format(path=folder))
        self.store = store
        self.settings = settings
        self.report = report
        # Built once: the models stay loaded from one file to the next.
        self.pipeline = pipeline or Pipeline.configured(default_stages(settings), settings.pipeline)
        self.seen = store.files_seen()
        # Files found that are still being written: looked at again every watch.poll_ms.
        self.waiting: set[str] = set()
        # What the pipeline did for the last file(s) ingested: each stage's time, for profiling.
        self.last_run = PipelineRun()

    def wanted(self, path: str) -> bool:
        """Whether ``path`` is a file watch mode reads: a supported type, not hidden (nor in a hidden folder)."""
        try:
            relative = Path(path).relative_to(self.folder)
        except ValueError:
            return False
        return Path(path).suffix.lower() in READERS and not any(p.startswith(".") for p in relative.parts)

    def scan(self) -> list[str]:
        """Every file in the folder watch mode reads, sorted."""
        return sorted(str(p) for p in self.folder.rglob("*") if p.is_file() and self.wanted(str(p)))

    def step(self, candidates: Iterable[str]) -> list[FileIngested]:
        """Ingest those of ``candidates`` (and of the files waiting) that are written and not read as they are."""
        ready: dict[str, os.stat_result] = {}
        settle_ns = self.settings.watch.settle_ms * 1_000_000
        for path in sorted(set(candidates) | self.waiting):
            self.waiting.discard(path)
            try:
                stat = os.stat(path)
            except OSError:
                continue  # gone (moved away, deleted): nothing to read
            known = self.seen.get(path)
            if known is not None and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                continue
            writing = open_for_writing(path)
            if writing is None:
                writing = time.time_ns() - stat.st_mtime_ns < settle_ns
            if writing:
                self.waiting.add(path)
            else:
                ready[path] = stat
        return self._ingest(ready) if ready else []

    def _ingest(self, ready: dict[str, os.stat_result]) -> list[FileIngested]:
        errors: dict[str, list[str]] = {}

        def note(item: InputError | Notice) -> None:
            if isinstance(item, InputError):
                errors.setdefault(item.path, []).append(item.message)

        # No progress report: counting what each stage has pending reads the whole store.
        result = ingest(self.store, list(ready), self.settings, None, note, self.pipeline)
        self.last_run = result.run
        done = time.time()
        assigned = result.run.finished.get(ClusterStage.name)
        added = set(result.new)
        outcomes, records = [], []
        for path, stat in ready.items():
            ids = result.articles.get(path, [])
            problems = errors.get(path, [])
            status = "failed" if problems and not ids else "ingested"
            error = " ".join(problems) or None
            events = []
            for article_id in ids:
                article = self.store.article(article_id)
                if article is not None and article.event is not None and article.event not in events:
                    events.append(article.event)
            records.append(SeenFile(path, stat.st_size, stat.st_mtime_ns, status, len(ids), error))  # type: ignore[arg-type]
            outcomes.append(
                FileIngested(
                    path, status, ids, len(added.intersection(ids)), events, error,
                    stat.st_mtime_ns / _NS, assigned if ids else None, done,
                )
            )  # fmt: skip
        self.store.mark_files_seen(records)
        self.seen.update((r.path, r) for r in records)
        if self.report:
            for outcome in outcomes:
                self.report(outcome)
        return outcomes

    def run(self, stop: threading.Event | None = None) -> None:
        """Ingest what the folder holds that was not read (or changed since), then each file as it is written,
        until ``stop`` is set (or Ctrl-C)."""
        from watchfiles import watch

        settings = self.settings.watch
        caught_up = False

        def wanted(_change: Change, path: str) -> bool:
            return self.wanted(path)

        # The watcher starts before the folder is scanned (on the first, empty, yield after poll_ms): a file
        # written meanwhile is in the scan or among the changes, never lost between them.
        for changes in watch(
            self.folder,
            watch_filter=wanted,
            step=settings.step_ms,
            debounce=max(settings.step_ms, settings.poll_ms),
            rust_timeout=settings.poll_ms,
            yield_on_timeout=True,
            stop_event=stop,
        ):
            candidates = [path for change, path in changes if change.name != "deleted"]
            if not caught_up:
                candidates += self.scan()
                caught_up = True
            self.step(candidates)
