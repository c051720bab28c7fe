"""Ingest: read inputs into the store and run the pipeline over what is new, the one way in that the
CLI, an API upload, watch mode and a backfill all call."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..config import Settings
from ..errors import InputError
from ..ingest import Notice, read_inputs
from ..model import Article
from ..store import Store
from .runner import Pipeline, PipelineRun, Progress
from .stages import default_stages

# Articles are written to the store in batches of this many while reading.
_INGEST_BATCH = 256
# Where in its file an article was read (a JSON line, a feed entry), after the file's path.
_WITHIN_FILE = re.compile(r"#(L|entry)\d+$")


@dataclass
class IngestResult:
    """What an ingest read, stored and could not read."""

    read: int = 0
    added: int = 0
    # The ids of the articles read from each input file (new or already stored), by the file's path, and of
    # those that were new, in reading order.
    articles: dict[str, list[str]] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)
    failures: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    run: PipelineRun = field(default_factory=PipelineRun)
    reembedded: bool = False


def ingest(
    store: Store,
    paths: Sequence[str],
    settings: Settings,
    progress: Progress | None = None,
    report: Callable[[InputError | Notice], None] | None = None,
    pipeline: Pipeline | None = None,
    names: Mapping[str, str] | None = None,
) -> IngestResult:
    """Store the articles read from ``paths`` that are new, then process everything pending.

    An input that cannot be read is recorded (and passed to ``report`` as it happens) and the rest goes on;
    re-running on the same inputs stores nothing twice. ``pipeline`` is the settings' one when not given: a
    caller that ingests again and again (watch mode) passes its own, to keep the models loaded. ``names``: the
    name to store and report a file of ``paths`` under (an upload's file as sent, not the server's temporary
    copy of it, which is gone once the upload is answered).
    """
    result = IngestResult()
    batch: list[Article] = []
    for item in read_inputs(paths, settings.ingest):
        if names:
            item = _renamed(item, names)
        if isinstance(item, Article):
            result.read += 1
            result.articles.setdefault(_WITHIN_FILE.sub("", item.path or ""), []).append(item.id)
            batch.append(item)
            if len(batch) >= _INGEST_BATCH:
                result.new += store.add_articles(batch)
                batch = []
            continue
        if isinstance(item, Notice):
            result.notices.append(item)
        else:
            result.failures.append(item)
        if report:
            report(item)
    result.new += store.add_articles(batch)
    result.added = len(result.new)
    if pipeline is None:
        pipeline = Pipeline.configured(default_stages(settings), settings.pipeline)
    result.run = pipeline.run(store, progress)
    result.reembedded = result.run.reembedded
    return result


def _renamed(item: Article | InputError | Notice, names: Mapping[str, str]) -> Article | InputError | Notice:
    """``item`` with the paths of ``names`` written as their names (in its path, and in its message)."""
    if isinstance(item, Article):
        path = item.path or ""
        file = _WITHIN_FILE.sub("", path)
        return replace(item, path=names[file] + path[len(file) :]) if file in names else item
    message, path = item.message, item.path
    # Longest first: no path is replaced inside a longer one that begins with it.
    for original in sorted(names, key=len, reverse=True):
        message, path = message.replace(original, names[original]), path.replace(original, names[original])
    return Notice(path, message) if isinstance(item, Notice) else InputError(path, message)
