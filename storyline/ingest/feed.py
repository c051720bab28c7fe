"""Reader for RSS and Atom files (feedparser): one article per entry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser

from ..config import IngestSettings
from ..errors import Errors, InputError
from ..model import Article
from .build import build_article
from .html import html_fragment_paragraphs
from .metadata import format_date, outlet_from_url


def _entry_date(entry: Any) -> str | None:
    parsed: time.struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return format_date(datetime(*parsed[:6], tzinfo=UTC), 4)


def _entry_body(entry: Any) -> str:
    for content in entry.get("content") or []:
        if content.get("value", "").strip():
            return str(content["value"])
    return str(entry.get("summary") or entry.get("description") or "")


def read_feed(data: bytes, path: str, settings: IngestSettings) -> Iterator[Article | InputError]:
    """Each entry's content (else its summary) becomes an article, dated by the feed."""
    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        yield InputError(path, Errors.E008.format(path=path, reason=parsed.get("bozo_exception", "unknown")))
        return
    if not parsed.entries:
        yield InputError(path, Errors.E017.format(path=path))
        return
    feed_outlet = outlet_from_url(parsed.feed.get("link"))
    for number, entry in enumerate(parsed.entries, start=1):
        where = f"{path}#entry{number}"
        url = entry.get("link")
        published = _entry_date(entry)
        try:
            yield build_article(
                path=where,
                paragraphs=html_fragment_paragraphs(_entry_body(entry)),
                title=entry.get("title"),
                url=url,
                outlet=outlet_from_url(url) or feed_outlet,
                author=entry.get("author"),
                published=published,
                published_source="feed" if published else None,
                external_id=entry.get("id"),
                settings=settings,
            )
        except InputError as exc:
            yield exc
