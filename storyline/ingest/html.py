"""Reader for saved web pages: trafilatura for the text, htmldate (inside it) for the date."""

from __future__ import annotations

import logging
import re
from typing import Any

import lxml.html
import trafilatura
from trafilatura.settings import Document

from ..config import IngestSettings
from ..errors import Errors, InputError
from ..model import Article
from .build import build_article
from .metadata import outlet_from_url, parse_date

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "br",
        "hr",
    ]
)
_LINES = re.compile(r"\s*\n\s*")

# trafilatura logs every page it finds hard; the reader reports its own errors.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)


def html_fragment_paragraphs(fragment: str) -> list[str]:
    """The paragraphs of an HTML fragment (a feed entry's content), tags removed."""
    if "<" not in fragment:
        return [line for line in _LINES.split(fragment.strip()) if line]
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return [line for line in _LINES.split(fragment.strip()) if line]
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    text: str = root.text_content()
    return [" ".join(line.split()) for line in _LINES.split(text) if line.strip()]


def _resource_limit(source: str) -> str | None:
    """What stopped libxml2 short of the page's end, if anything: it reads at most 256 nested elements and
    drops what lies deeper, so a page nested deeper seems to hold no text at all."""
    parser = lxml.html.HTMLParser()
    try:
        lxml.html.document_fromstring(source, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None
    limits = [e.message for e in parser.error_log if e.type == lxml.etree.ErrorTypes.ERR_RESOURCE_LIMIT]
    # "Excessive depth in document: 256, use XML_PARSE_HUGE option": the advice is libxml2's, not the user's.
    return limits[0].split(",")[0] if limits else None


def read_html(source: str, path: str, settings: IngestSettings) -> list[Article]:
    """One article from a web page: main text, title, author, date, canonical URL, outlet."""
    extracted = trafilatura.bare_extraction(source, with_metadata=True, include_comments=False, include_tables=False)
    document: dict[str, Any] | None = None
    if isinstance(extracted, Document):
        document = extracted.as_dict()
    if not document or len((document.get("text") or "").strip()) < settings.html_min_chars:
        too_deep = _resource_limit(source)
        if too_deep:
            raise InputError(path, Errors.E024.format(path=path, reason=too_deep))
        raise InputError(path, Errors.E007.format(path=path))
    url = document.get("url")
    outlet = outlet_from_url(url) or outlet_from_url(document.get("hostname"))
    published = parse_date(document.get("date"))
    return [
        build_article(
            path=path,
            paragraphs=document["text"].split("\n"),
            title=document.get("title"),
            url=url,
            outlet=outlet,
            author=document.get("author"),
            published=published,
            published_source="metadata" if published else None,
            settings=settings,
        )
    ]
