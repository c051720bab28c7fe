"""Ingest: read inputs into the store and run the pipeline over what is new, the one way in that the
CLI, an API upload, watch mode and a backfill all call."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
) -> IngestResult:
    """Store the articles read from ``paths`` that are new, then process everything pending.

    An input that cannot be read is recorded (and passed to ``report`` as it happens) and the rest goes on;
    re-running on the same inputs stores nothing twice. ``pipeline`` is the settings' one when not given: a
    caller that ingests again and again (watch mode) passes its own, to keep the models loaded.
    """
    result = IngestResult()
    batch: list[Article] = []
    for item in read_inputs(paths, settings.ingest):
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
        pipeline = Pipeline(default_stages(settings), settings.pipeline.batch_size)
    # One turn for both: another process's run must not embed with the old model in between.
    with store.serialized():
        if pipeline.stale_embeddings(store):
            result.reembedded = True
            pipeline.reembed(store)
        result.run = pipeline.run(store, progress)
    return result
