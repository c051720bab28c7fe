"""storyline: turns news articles from many outlets into cited, cross-checked stories."""

from __future__ import annotations

from .config import Settings, load_settings
from .ingest import read_inputs
from .model import Article, Citation, Event, EventAnalysis, Sentence, Storyline
from .pipeline import Pipeline, default_stages
from .report import build_report, render_report, validate_report
from .store import open_store

__all__ = [
    "Article",
    "Citation",
    "Event",
    "EventAnalysis",
    "Pipeline",
    "Sentence",
    "Settings",
    "Storyline",
    "build_report",
    "default_stages",
    "load_settings",
    "open_store",
    "read_inputs",
    "render_report",
    "validate_report",
]
__version__ = "0.1.0"
