"""storyline: turns news articles from many outlets into cited, cross-checked stories."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Settings, load_settings
    from .ingest import read_inputs
    from .model import Article, Citation, Event, EventAnalysis, Sentence, Storyline
    from .pipeline import Pipeline, default_stages
    from .report import build_report, render_report, validate_report
    from .store import open_store

# Where each public name lives. They are imported on first use: `import storyline.serve.cli` (every
# command, `--help` too) must not pay for the pipeline's models and libraries.
_EXPORTS = {
    "Article": ".model",
    "Citation": ".model",
    "Event": ".model",
    "EventAnalysis": ".model",
    "Pipeline": ".pipeline",
    "Sentence": ".model",
    "Settings": ".config",
    "Storyline": ".model",
    "build_report": ".report",
    "default_stages": ".pipeline",
    "load_settings": ".config",
    "open_store": ".store",
    "read_inputs": ".ingest",
    "render_report": ".report",
    "validate_report": ".report",
}

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'storyline' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value  # once: later lookups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
