"""The story report: build it from the store, validate it, render it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from .build import SCHEMA_ID, build_report, event_documents, storyline_documents
from .render import FORMATS, render_report

__all__ = [
    "FORMATS",
    "SCHEMA_ID",
    "build_report",
    "event_documents",
    "render_report",
    "report_schema",
    "storyline_documents",
    "validate_report",
]


@lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    """The JSON Schema of the report contract, as shipped with the package."""
    text = resources.files("storyline.report").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(report: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if ``report`` breaks the contract."""
    # Here, not at the top: jsonschema takes longer to import than the CLI's read commands take to answer.
    import jsonschema

    jsonschema.validate(report, report_schema(), format_checker=jsonschema.FormatChecker())
