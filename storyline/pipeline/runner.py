"""Runs the stages in order: each article stage over the articles it has not seen yet, then the event
stages over the events whose articles changed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..embed import EmbeddingStage
from ..errors import ConfigError
from ..store import Store
from .stages import EntityStage, EventStage, PrefetchingStage, RecordingStage, Stage, StatefulStage, check_order

# At most this many articles are parsed ahead of their stage (their parses wait in memory until it comes).
_PREFETCH_ARTICLES = 2048


class Progress(Protocol):
    """Told how much work each stage has, then how much it just did."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, stage: str, done: int) -> None: ...


@dataclass
class PipelineRun:
    """What one run did: articles (or events) processed, seconds spent and when it was done (seconds since the
    epoch), per stage; and whether it first forgot another embedding model's vectors."""

    processed: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    finished: dict[str, float] = field(default_factory=dict)
    reembedded: bool = False


class Pipeline:
    """Ordered stages, run incrementally against a store."""

    def __init__(self, stages: Sequence[Stage | EventStage], batch_size: int) -> None:
        if batch_size < 1:
            raise ConfigError(f"[E013] pipeline.batch_size must be at least 1, got {batch_size}.")
        check_order(stages)
        self.stages: list[Stage] = [s for s in stages if not isinstance(s, EventStage)]
        self.event_stages = [s for s in stages if isinstance(s, EventStage)]
        self.batch_size = batch_size
        # What each stage is, found once: an isinstance check against a runtime protocol inspects the class's
        # attributes every time, and watch mode runs the pipeline once per file.
        self._prefetching = [s for s in self.stages if isinstance(s, PrefetchingStage)]
        self._stateful = {s.name: s for s in self.stages if isinstance(s, StatefulStage)}
        self._recording = {s.name: s for s in self.stages if isinstance(s, RecordingStage)}
        self._entities = {s.name: s for s in self.stages if isinstance(s, EntityStage)}
        # The state each stateful stage last saved, while its in-memory state is still that one: a later run
        # that finds the same bytes in the store goes on from memory instead of restoring (watch mode runs
        # the pipeline once per arriving file, and restoring costs more than the file's own work).
        self._saved: dict[str, bytes] = {}

    def pending(self, store: Store) -> dict[str, int]:
        """How many articles each article stage still has to process."""
        return {s.name: store.count_pending(s.name, s.version) for s in self.stages}

    def stale_events(self, store: Store, stage: EventStage) -> dict[str, str]:
        """The events ``stage`` has to analyse (again), with the signature each should have."""
        # What the articles hold depends on the stages that write on them (a new version may write otherwise).
        versions = [(s.name, s.version) for s in self.stages if s.writes]
        stored = store.event_signatures()
        current = {event: stage.signature(articles, versions) for event, articles in store.event_members().items()}
        return {event: signature for event, signature in current.items() if stored.get(event) != signature}

    def stale_embeddings(self, store: Store) -> bool:
        """Whether the store holds vectors of another embedding model than this pipeline's."""
        models = {s.settings.model for s in self.stages if isinstance(s, EmbeddingStage)}
        return bool(models) and bool(store.embedding_models() - models)

    def reembed(self, store: Store) -> None:
        """Forget the stored vectors and what was computed from them, so the next run redoes both.

        Vectors of two models are not comparable (not even of one size): every stage from the
        embedding on that reads them starts again from scratch.
        """
        after_embedding = False
        forgotten = []
        for stage in self.stages:
            after_embedding = after_embedding or isinstance(stage, EmbeddingStage)
            if after_embedding and "embedding" in (*stage.reads, *stage.writes):
                forgotten.append(stage)
        # The vectors last: until they are gone the store still says it holds another model's, so a run that
        # ends halfway (a crash) leaves the next one to start over; the other way round, the next run would
        # embed anew and go on clustering from the old model's state.
        for stage in reversed(forgotten):
            store.reset_stage(stage.name, stage.writes)

    def run(self, store: Store, progress: Progress | None = None) -> PipelineRun:
        """Run every stage over the articles (events) it has not processed; safe to repeat, and safe to start
        from several processes on one store that allows it (PostgreSQL): runs take turns (``store.serialized``),
        and each processes whatever is pending when its turn comes."""
        run = PipelineRun()
        with store.serialized():
            if self.stale_embeddings(store):
                run.reembedded = True
                self.reembed(store)
            if progress:
                for name, count in self.pending(store).items():
                    progress.start(name, count)
            for stage in self._prefetching:
                stage.prefetch(store.pending(stage.name, stage.version, _PREFETCH_ARTICLES, False, False))
            self._run_article_stages(store, run, progress)
            store.prune_events()
            for event_stage in self.event_stages:
                self._run_event_stage(store, event_stage, run, progress)
        return run

    def _run_event_stage(self, store: Store, stage: EventStage, run: PipelineRun, progress: Progress | None) -> None:
        started = time.perf_counter()
        stale = sorted(self.stale_events(store, stage).items())
        if progress:
            progress.start(stage.name, len(stale))
        # A batch of events per transaction, as of articles: a crash loses at most the batch in flight.
        size = self.batch_size
        chunks = [dict(stale[start : start + size]) for start in range(0, len(stale), size)]
        # Each chunk's articles are read as the stage asks for them (it reads a few ahead, no more).
        loaded = ((c, store.articles(events=list(c), with_annotations=True, with_embeddings=True)) for c in chunks)
        for chunk, analyses in zip(chunks, stage.map(loaded, len(stale)), strict=True):
            store.save_event_analyses(analyses)
            run.processed[stage.name] = run.processed.get(stage.name, 0) + len(chunk)
            if progress:
                progress.advance(stage.name, len(chunk))
        run.seconds[stage.name] = time.perf_counter() - started
        run.finished[stage.name] = time.time()

    def _run_article_stages(self, store: Store, run: PipelineRun, progress: Progress | None) -> None:
        for stage in self.stages:
            needs_sentences = "sentences" in stage.reads
            needs_embeddings = "embedding" in stage.reads
            stateful = self._stateful.get(stage.name)
            recording = self._recording.get(stage.name)
            entity = self._entities.get(stage.name)
            started = time.perf_counter()
            if stateful:
                saved = store.load_state(stage.name)
                if saved is None or saved != self._saved.get(stage.name):
                    stateful.restore(saved)
            while batch := store.pending(stage.name, stage.version, self.batch_size, needs_sentences, needs_embeddings):
                # Until the state is saved again, memory may hold more than the store (or a failed batch's half).
                self._saved.pop(stage.name, None)
                done = stage(batch)
                if [a.id for a in done] != [a.id for a in batch]:
                    # Otherwise the same batch would come back forever.
                    raise ConfigError(f"Stage '{stage.name}' must return the articles it was given, in order.")
                records = recording.drain_records() if recording else []
                entities = entity.changed_entities() if entity else []
                # After every batch, with the batch: a crash loses at most the batch in flight, and never leaves
                # articles marked done that the saved state has not seen (a restart would go on without them).
                snapshot = stateful.snapshot() if stateful else None
                store.save_stage(
                    stage.name, stage.version, done, stage.writes, records, entities=entities, state=snapshot
                )
                if snapshot is not None:
                    self._saved[stage.name] = snapshot
                run.processed[stage.name] = run.processed.get(stage.name, 0) + len(batch)
                if progress:
                    progress.advance(stage.name, len(batch))
            run.seconds[stage.name] = time.perf_counter() - started
            run.finished[stage.name] = time.time()
