"""Reader for RSS and Atom files (feedparser): one article per entry."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXParseException

import feedparser

from ..config import IngestSettings
from ..errors import Errors, InputError, Notice, Warnings
from ..model import Article
from .build import build_article
from .html import html_fragment_paragraphs
from .metadata import format_date, is_after, latest_date, outlet_from_url

# The prolog ends where the first element starts; entity declarations can only stand before it.
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s([^>]*)>")
# An entity whose value is plain text or one character reference ("&#160;") expands to no more than itself.
_PLAIN_ENTITY = re.compile(rb'\s*[\w.:-]+\s+("(&#\w+;|[^&%"]*)"|\'(&#\w+;|[^&%\']*)\')\s*$')


def _entry_date(entry: Any) -> str | None:
    # `in` first: asked for a missing "updated_parsed", feedparser hands back "published_parsed" with a warning.
    updated = entry.get("updated_parsed") if "updated_parsed" in entry else None
    parsed: time.struct_time | None = entry.get("published_parsed") or updated
    if not parsed:
        return None
    return format_date(datetime(*parsed[:6], tzinfo=UTC), 4)


def _entry_body(entry: Any) -> str:
    for content in entry.get("content") or []:
        if content.get("value", "").strip():
            return str(content["value"])
    return str(entry.get("summary") or entry.get("description") or "")


def _expanding_entity(data: bytes) -> str | None:
    """The first entity declared in the prolog that refers to other entities or to a file, if any."""
    first = _FIRST_ELEMENT.search(data)
    prolog = data[: first.start()] if first else data
    for declaration in _ENTITY_DECLARATION.finditer(prolog):
        if not _PLAIN_ENTITY.match(declaration.group(1)):
            return declaration.group(0)[:80].decode("utf-8", errors="replace")
    return None


def read_feed(data: bytes, path: str, settings: IngestSettings) -> Iterator[Article | InputError | Notice]:
    """Each entry's content (else its summary) becomes an article, dated by the feed."""
    # feedparser drops such declarations itself, then stores what is left of the text ("&lol9;"): refused
    # here, by name, instead.
    expanding = _expanding_entity(data)
    if expanding:
        yield InputError(path, Errors.E023.format(path=path, entity=expanding))
        return
    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        yield InputError(path, Errors.E008.format(path=path, reason=parsed.get("bozo_exception", "unknown")))
        return
    if not parsed.entries:
        yield InputError(path, Errors.E017.format(path=path))
        return
    # Only broken XML: a declared encoding that feedparser overrode, or a wrong content type, loses nothing.
    if isinstance(parsed.get("bozo_exception"), SAXParseException):
        yield Notice(path, Warnings.W005.format(path=path, reason=parsed["bozo_exception"]))
    feed_outlet = outlet_from_url(parsed.feed.get("link"))
    latest = latest_date(settings.max_future_days)
    for number, entry in enumerate(parsed.entries, start=1):
        where = f"{path}#entry{number}"
        url = entry.get("link")
        published = _entry_date(entry)
        if published and is_after(published, latest):
            yield Notice(where, Warnings.W003.format(path=where, value=published, latest=latest))
            published = None
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
