"""Reader for JSON Lines: one article a line (the clustering files of the eval data read as they are)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..config import IngestSettings
from ..errors import Errors, InputError
from ..model import Article
from .build import build_article
from .metadata import parse_date

# "source" names the outlet in the eval data's files; "outlet" is accepted as our own name for it.
_OPTIONAL_STRINGS = ("title", "url", "published", "source", "outlet", "id", "author", "lang")


def _field(record: dict[str, Any], name: str, path: str, line: int) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "id":
        return str(value)
    if not isinstance(value, str):
        raise InputError(path, Errors.E014.format(path=path, line=line, field=name, expected="a string"))
    return value.strip() or None


def _article(record: Any, path: str, line: int, settings: IngestSettings) -> Article:
    if not isinstance(record, dict):
        raise InputError(path, Errors.E014.format(path=path, line=line, field="(line)", expected="an object"))
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(path, Errors.E006.format(path=path, line=line))
    fields = {name: _field(record, name, path, line) for name in _OPTIONAL_STRINGS}
    published = parse_date(fields["published"])
    return build_article(
        path=f"{path}#L{line}",
        paragraphs=text.split("\n"),
        title=fields["title"],
        url=fields["url"],
        outlet=fields["source"] or fields["outlet"],
        published=published,
        published_source="metadata" if published else None,
        author=fields["author"],
        external_id=fields["id"],
        lang=fields["lang"],
        settings=settings,
    )


def read_jsonl(source: str, path: str, settings: IngestSettings) -> Iterator[Article | InputError]:
    """Each line an article; a bad line is an error for that line only."""
    for line_number, line in enumerate(source.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(path, Errors.E005.format(path=path, line=line_number, reason=exc.msg))
            continue
        try:
            yield _article(record, path, line_number, settings)
        except InputError as exc:
            yield exc
