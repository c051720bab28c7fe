"""The one way every reader turns what it found into an Article."""

from __future__ import annotations

import re

from ..config import IngestSettings
from ..errors import Errors, InputError
from ..model import Article, PublishedSource, normalize_text
from .clean import drop_furniture
from .metadata import clean_url, date_from_url, outlet_from_url, parse_date_line

PARAGRAPH_BREAK = "\n\n"
# C0/C1 control characters (tabs and newlines aside) are never article text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _find_dateline(paragraphs: list[str], settings: IngestSettings) -> tuple[list[str], str | None]:
    """Take a standalone dateline ("March 17, 2023") from the top of the text."""
    for i, paragraph in enumerate(paragraphs[: settings.date_line_max_paragraphs]):
        found = parse_date_line(paragraph, settings.date_line_max_chars)
        if found:
            return paragraphs[:i] + paragraphs[i + 1 :], found
    return paragraphs, None


def build_article(
    *,
    path: str,
    paragraphs: list[str] | tuple[str, ...],
    settings: IngestSettings,
    title: str | None = None,
    url: str | None = None,
    outlet: str | None = None,
    published: str | None = None,
    published_source: PublishedSource | None = None,
    author: str | None = None,
    external_id: str | None = None,
    lang: str | None = None,
    furniture_removed: bool = False,
) -> Article:
    """Assemble an Article: furniture out, dates and outlet filled in, id computed.

    The publication date comes from metadata when the reader found one, else a
    dateline in the text, else a date in the URL; otherwise it stays unknown.
    """
    body = [cleaned for p in paragraphs if (cleaned := _CONTROL.sub("", p).strip())]
    if not furniture_removed:
        body = drop_furniture(body, settings)
    title = " ".join(title.split()) if title and title.strip() else None
    if title and body and normalize_text(body[0]) == normalize_text(title):
        body = body[1:]  # many feeds repeat the headline as the first paragraph
    url = clean_url(url)
    if published is None:
        body, published = _find_dateline(body, settings)
        published_source = "text" if published else None
    if published is None:
        published = date_from_url(url)
        published_source = "metadata" if published else None
    if not body:
        raise InputError(path, Errors.E004.format(path=path))
    text = PARAGRAPH_BREAK.join(body)
    outlet = outlet or outlet_from_url(url)
    return Article(
        id=Article.make_id(text, title, url, outlet),
        text=text,
        title=title,
        url=url,
        outlet=outlet,
        path=path,
        external_id=external_id,
        author=author,
        published=published,
        published_source=published_source if published else None,
        lang=lang,
    )
