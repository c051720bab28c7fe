"""Reader for JSON Lines: one article a line (the clustering files of the eval data read as they are)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..config import IngestSettings
from ..errors import Errors, InputError, Notice, Warnings
from ..model import Article
from .build import build_article
from .metadata import is_after, latest_date, parse_date

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


def _article(record: Any, path: str, line: int, settings: IngestSettings, latest: str) -> tuple[Article, list[str]]:
    """The line's article and the warnings about it."""
    if not isinstance(record, dict):
        raise InputError(path, Errors.E014.format(path=path, line=line, field="(line)", expected="an object"))
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(path, Errors.E006.format(path=path, line=line))
    fields = {name: _field(record, name, path, line) for name in _OPTIONAL_STRINGS}
    where = f"{path}#L{line}"
    warnings = []
    published = parse_date(fields["published"])
    if fields["published"] and published is None:
        warnings.append(Warnings.W002.format(path=where, value=fields["published"]))
    elif published and is_after(published, latest):
        warnings.append(Warnings.W003.format(path=where, value=published, latest=latest))
        published = None
    article = build_article(
        path=where,
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
    return article, warnings


def read_jsonl(source: str, path: str, settings: IngestSettings) -> Iterator[Article | InputError | Notice]:
    """Each line an article; a bad line is an error for that line only."""
    latest = latest_date(settings.max_future_days)
    line_of_id: dict[str, int] = {}
    for line_number, line in enumerate(source.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(path, Errors.E005.format(path=path, line=line_number, reason=exc.msg))
            continue
        except RecursionError:
            # json's C parser recurses once per nested array: "[[[[..." a hundred thousand deep exhausts the stack.
            yield InputError(path, Errors.E005.format(path=path, line=line_number, reason="nested too deep"))
            continue
        try:
            article, warnings = _article(record, path, line_number, settings, latest)
        except InputError as exc:
            yield exc
            continue
        if article.external_id is not None:
            first = line_of_id.setdefault(article.external_id, line_number)
            if first != line_number:
                warnings.append(Warnings.W004.format(path=article.path, id=article.external_id, first=first))
        yield from (Notice(article.path or path, message) for message in warnings)
        yield article
