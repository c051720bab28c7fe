"""Runs the stages in order over the articles each has not seen yet."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .cluster import ClusterStage
from .config import Settings
from .dedupe import DedupeStage
from .embed import EmbeddingStage, load_embedder
from .errors import ConfigError, Errors
from .model import Article, ClusterRecord
from .nlp.analysis import AnalysisStage
from .nlp.dates import DateBoundStage
from .nlp.language import LanguageStage
from .nlp.sentences import SentenceStage
from .store import SQLiteStore

# What ingest fills in on every Article; stages may read these without declaring a writer.
INGEST_FIELDS = frozenset(
    {"id", "text", "title", "url", "outlet", "path", "external_id", "author", "published",
     "published_source", "lang"}
)  # fmt: skip


class Stage(Protocol):
    """A pipeline step: a batch of articles in, the same articles (updated) out."""

    name: str
    version: int
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    def __call__(self, articles: list[Article]) -> list[Article]: ...


@runtime_checkable
class StatefulStage(Stage, Protocol):
    """A stage that carries state across batches and runs (the online clusterer, the deduplicator)."""

    def restore(self, state: bytes | None) -> None: ...

    def snapshot(self) -> bytes: ...


@runtime_checkable
class RecordingStage(Stage, Protocol):
    """A stage that decides more than what it writes on articles (the cluster stage: events, storylines,
    folds), and says so in records the store writes with the batch."""

    def drain_records(self) -> list[ClusterRecord]: ...


@runtime_checkable
class EntityStage(Stage, Protocol):
    """A stage that decides store-wide entities (their names and types) as it links mentions to them."""

    def changed_entities(self) -> list[tuple[str, str, str]]: ...


Progress = Callable[[str, int], None]
"""Called with (stage name, number of articles just processed)."""


@dataclass
class PipelineRun:
    """What one run did: articles processed and seconds spent, per stage."""

    processed: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def check_order(stages: Sequence[Stage]) -> None:
    """Raise if a stage reads a field that neither ingest nor an earlier stage writes."""
    available = set(INGEST_FIELDS)
    for stage in stages:
        for read in stage.reads:
            if read not in available:
                raise ConfigError(Errors.E011.format(stage=stage.name, field=read))
        available.update(stage.writes)


def preparation_stages(settings: Settings) -> list[Stage]:
    """The stages before clustering: language, sentences, duplicates, embeddings."""
    return [
        LanguageStage(settings.nlp),
        SentenceStage(settings.nlp),
        DateBoundStage(),
        DedupeStage(settings.dedupe),
        EmbeddingStage(settings.embed),
    ]


def clustering_stages(settings: Settings) -> list[Stage]:
    """The stages up to events and storylines (what clustering evaluations run)."""
    embedder = load_embedder(settings.embed)
    return [
        *preparation_stages(settings),
        ClusterStage(settings.cluster, embedder.name, embedder.dimensions, embedder.languages),
    ]


def default_stages(settings: Settings) -> list[Stage]:
    """The engine's stages, in order."""
    return [*clustering_stages(settings), AnalysisStage(settings.nlp, settings.entities)]


class Pipeline:
    """Ordered stages, run incrementally against a store."""

    def __init__(self, stages: Sequence[Stage], batch_size: int) -> None:
        if batch_size < 1:
            raise ConfigError(f"[E013] pipeline.batch_size must be at least 1, got {batch_size}.")
        check_order(stages)
        self.stages = list(stages)
        self.batch_size = batch_size

    def pending(self, store: SQLiteStore) -> dict[str, int]:
        """How many articles each stage still has to process."""
        return {s.name: store.count_pending(s.name, s.version) for s in self.stages}

    def stale_embeddings(self, store: SQLiteStore) -> bool:
        """Whether the store holds vectors of another embedding model than this pipeline's."""
        models = {s.settings.model for s in self.stages if isinstance(s, EmbeddingStage)}
        return bool(models) and bool(store.embedding_models() - models)

    def reembed(self, store: SQLiteStore) -> None:
        """Forget the stored vectors and what was computed from them, so the next run redoes both.

        Vectors of two models are not comparable (not even of one size): every stage from the
        embedding on that reads them starts again from scratch.
        """
        after_embedding = False
        for stage in self.stages:
            after_embedding = after_embedding or isinstance(stage, EmbeddingStage)
            if after_embedding and "embedding" in (*stage.reads, *stage.writes):
                store.reset_stage(stage.name, stage.writes)

    def run(self, store: SQLiteStore, progress: Progress | None = None) -> PipelineRun:
        """Run every stage over the articles it has not processed; safe to repeat."""
        run = PipelineRun()
        if self.stale_embeddings(store):
            self.reembed(store)
        for stage in self.stages:
            needs_sentences = "sentences" in stage.reads
            needs_embeddings = "embedding" in stage.reads
            stateful = stage if isinstance(stage, StatefulStage) else None
            recording = stage if isinstance(stage, RecordingStage) else None
            started = time.perf_counter()
            if stateful:
                stateful.restore(store.load_state(stage.name))
            while batch := store.pending(stage.name, stage.version, self.batch_size, needs_sentences, needs_embeddings):
                done = stage(batch)
                if [a.id for a in done] != [a.id for a in batch]:
                    # Otherwise the same batch would come back forever.
                    raise ConfigError(f"Stage '{stage.name}' must return the articles it was given, in order.")
                records = recording.drain_records() if recording else []
                store.save_stage(stage.name, stage.version, done, stage.writes, records)
                if isinstance(stage, EntityStage):
                    store.save_entities(stage.changed_entities())
                if stateful:
                    # After every batch: a crash loses at most the batch in flight.
                    store.save_state(stage.name, stateful.snapshot())
                run.processed[stage.name] = run.processed.get(stage.name, 0) + len(batch)
                if progress:
                    progress(stage.name, len(batch))
            run.seconds[stage.name] = time.perf_counter() - started
        store.prune_events()
        return run
