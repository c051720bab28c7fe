"""The stages, what each reads and writes, and the lists of them that the engine and its evaluations run."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, runtime_checkable

from ..analyze.stage import EventAnalysisStage
from ..cluster import ClusterStage
from ..config import Settings
from ..dedupe import DedupeStage
from ..embed import EmbeddingStage, load_embedder
from ..errors import ConfigError, Errors
from ..model import Article, ClusterRecord, EventAnalysis
from ..nlp.analysis import AnalysisStage
from ..nlp.dates import DateBoundStage
from ..nlp.language import LanguageStage
from ..nlp.sentences import SentenceStage

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
class IncrementalStage(StatefulStage, Protocol):
    """A stateful stage that can save what changed since its state was last saved (``stateful.Resumable``)."""

    def changes(self) -> bytes | None: ...

    def merged(self, state: bytes, changes: Sequence[bytes]) -> bytes: ...


@runtime_checkable
class RecordingStage(Stage, Protocol):
    """A stage that decides more than what it writes on articles (the cluster stage: events, storylines,
    folds), and says so in records the store writes with the batch."""

    def drain_records(self) -> list[ClusterRecord]: ...


@runtime_checkable
class EntityStage(Stage, Protocol):
    """A stage that decides store-wide entities (their names and types) as it links mentions to them."""

    def changed_entities(self) -> list[tuple[str, str, str]]: ...


@runtime_checkable
class PrefetchingStage(Stage, Protocol):
    """A stage that can start on articles in other processes before its turn comes (the NLP analysis), so that
    it runs beside the stages before it instead of after them."""

    def prefetch(self, articles: Sequence[Article]) -> None: ...


@runtime_checkable
class EventStage(Protocol):
    """A step over events rather than articles, after every article stage: the event analysis.

    An event is (re)analysed when its ``signature`` (its articles and what made them) is not the one its
    stored analysis was computed for.
    """

    name: str
    version: int

    def signature(self, articles: Sequence[str], article_stages: Sequence[tuple[str, int]]) -> str: ...

    def __call__(self, events: dict[str, str], articles: list[Article]) -> list[EventAnalysis]: ...

    def map(self, chunks: Iterable[tuple[dict[str, str], list[Article]]], events: int) -> Iterator[list[EventAnalysis]]:
        """``__call__`` over each chunk, in order (an implementation may share them among processes)."""
        ...


def check_order(stages: Sequence[Stage | EventStage]) -> None:
    """Raise if a stage reads a field that neither ingest nor an earlier stage writes."""
    available = set(INGEST_FIELDS)
    for stage in stages:
        if isinstance(stage, EventStage):
            continue
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


# Every stage of the engine by name, in order (what ``pipeline.skip`` may name).
STAGE_NAMES: tuple[str, ...] = (
    LanguageStage.name, SentenceStage.name, DateBoundStage.name, DedupeStage.name, EmbeddingStage.name,
    ClusterStage.name, AnalysisStage.name, EventAnalysisStage.name,
)  # fmt: skip


def default_stages(settings: Settings) -> list[Stage | EventStage]:
    """The engine's stages, in order: the article stages, then the event analysis; less those
    ``pipeline.skip`` names (a stage that reads what a skipped one writes is an error)."""
    skip = set(settings.pipeline.skip)
    unknown = sorted(skip - set(STAGE_NAMES))
    if unknown:
        raise ConfigError(
            Errors.E012.format(kind="stage in pipeline.skip", name=", ".join(unknown), known=", ".join(STAGE_NAMES))
        )
    stages: list[Stage | EventStage] = [s for s in preparation_stages(settings) if s.name not in skip]
    if ClusterStage.name not in skip:
        embedder = load_embedder(settings.embed)
        stages.append(ClusterStage(settings.cluster, embedder.name, embedder.dimensions, embedder.languages))
    if AnalysisStage.name not in skip:
        stages.append(AnalysisStage(settings.nlp, settings.entities))
    if EventAnalysisStage.name not in skip:
        stages.append(EventAnalysisStage(settings))
    check_order(stages)
    return stages
