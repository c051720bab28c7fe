"""Runs the stages in order: each article stage over the articles it has not seen yet, then the event
stages over the events whose articles changed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..config import PipelineSettings
from ..embed import EmbeddingStage
from ..errors import ConfigError
from ..store import SavedState, Store
from .stages import (
    EntityStage,
    EventStage,
    IncrementalStage,
    PrefetchingStage,
    RecordingStage,
    Stage,
    StatefulStage,
    check_order,
)

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

    def __init__(
        self,
        stages: Sequence[Stage | EventStage],
        batch_size: int,
        *,
        state_changes: int = 0,
        state_changes_share: float = 0.0,
    ) -> None:
        """``state_changes`` and ``state_changes_share`` (``pipeline`` settings): a stateful stage that can saves only
        what each batch changed, up to so many batches, or so large a share of its whole state's size, after the
        whole state; 0, the whole state after every batch."""
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
        self._incremental = {s.name: s for s in self.stages if isinstance(s, IncrementalStage)}
        self.state_changes = state_changes
        self.state_changes_share = state_changes_share
        # The state each stateful stage last saved, while its in-memory state is still that one: a later run
        # that finds the same bytes in the store goes on from memory instead of restoring (watch mode runs
        # the pipeline once per arriving file, and restoring costs more than the file's own work).
        self._saved: dict[str, SavedState] = {}

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
        """Whether the store holds vectors of another embedding model than this pipeline's, or made by another
        version of its embedding stage (another text embedded: vectors as far from this one's as a model's)."""
        embedding = [s for s in self.stages if isinstance(s, EmbeddingStage)]
        if not embedding:
            return False
        stage = embedding[0]
        return bool(store.embedding_models() - {stage.settings.model}) or bool(
            store.stage_versions(stage.name) - {stage.version}
        )

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

    @classmethod
    def configured(cls, stages: Sequence[Stage | EventStage], settings: PipelineSettings) -> Pipeline:
        """A pipeline of ``stages`` run as the ``pipeline`` settings say (batch size, saving the stages' state)."""
        return cls(
            stages,
            settings.batch_size,
            state_changes=settings.state_changes,
            state_changes_share=settings.state_changes_share,
        )

    @staticmethod
    def whole_state(stage: StatefulStage, saved: SavedState | None) -> bytes | None:
        """The state ``stage`` resumes from: the whole state saved, with the changes saved after it applied."""
        if saved is None:
            return None
        if not saved.changes:
            return saved.data
        if not isinstance(stage, IncrementalStage):
            raise ConfigError(f"Stage '{stage.name}' has changes saved after its state but cannot apply them.")
        return stage.merged(saved.data, saved.changes)

    def _state_to_save(self, stage: StatefulStage, saved: SavedState | None) -> tuple[bytes | None, bytes | None]:
        """The whole state to save after a batch, or what the batch changed: the changes while they are few and
        small beside the whole state saved before them (``state_changes``, ``state_changes_share``)."""
        incremental = self._incremental.get(stage.name)
        if incremental is not None and saved is not None and len(saved.changes) < self.state_changes:
            change = incremental.changes()
            if change is not None:
                size = sum(len(c) for c in saved.changes) + len(change)
                if size <= self.state_changes_share * len(saved.data):
                    return None, change
        return stage.snapshot(), None

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
            saved = store.load_state(stage.name) if stateful else None
            if stateful and (saved is None or saved != self._saved.get(stage.name)):
                stateful.restore(self.whole_state(stateful, saved))
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
                whole, change = self._state_to_save(stateful, saved) if stateful else (None, None)
                store.save_stage(
                    stage.name,
                    stage.version,
                    done,
                    stage.writes,
                    records,
                    entities=entities,
                    state=whole,
                    state_change=change,
                )
                if whole is not None:
                    saved = self._saved[stage.name] = SavedState(whole)
                elif change is not None and saved is not None:
                    saved = self._saved[stage.name] = saved.with_change(change)
                run.processed[stage.name] = run.processed.get(stage.name, 0) + len(batch)
                if progress:
                    progress.advance(stage.name, len(batch))
            run.seconds[stage.name] = time.perf_counter() - started
            run.finished[stage.name] = time.time()
