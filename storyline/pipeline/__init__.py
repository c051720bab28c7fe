"""The engine's stages and the one runner that every way in (CLI, API, watch, backfill) calls."""

from __future__ import annotations

from .ingest import IngestResult, ingest
from .runner import Pipeline, PipelineRun, Progress
from .stages import (
    INGEST_FIELDS,
    EntityStage,
    EventStage,
    RecordingStage,
    Stage,
    StatefulStage,
    check_order,
    clustering_stages,
    default_stages,
    preparation_stages,
)

__all__ = [
    "INGEST_FIELDS",
    "EntityStage",
    "EventStage",
    "IngestResult",
    "Pipeline",
    "PipelineRun",
    "Progress",
    "RecordingStage",
    "Stage",
    "StatefulStage",
    "check_order",
    "clustering_stages",
    "default_stages",
    "ingest",
    "preparation_stages",
]
