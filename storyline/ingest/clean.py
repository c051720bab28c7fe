"""Cleaning: markdown reduced to text, page furniture and captions removed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..config import IngestSettings

# A title is one short line that does not read as a sentence of the body.
_TITLE_MAX_CHARS = 200
_TITLE_MAX_WORDS = 30
_SENTENCE_END = re.compile(r"""[.!?;:,]["'”’)\]]*$""")
_ORIGINAL_URL = re.compile(r"^original (url|link|article)\s*:\s*(\S*)$", re.IGNORECASE)
_BARE_URL = re.compile(r"^<?(https?://\S+?)>?$")
# A lower-to-upper case join inside a word, where a scraper dropped a line break.
_GLUED_JOIN = re.compile(r"(?<=[a-z]{2})(?=[A-Z][a-z])")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True, slots=True)
class CleanText:
    """A document reduced to what the engine reads: title, body paragraphs, URL."""

    title: str | None
    paragraphs: tuple[str, ...]
    url: str | None = None


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # No raw HTML: angle brackets in a text file stay text.
    return MarkdownIt("commonmark", {"html": False})


def _inline_text(token: Token) -> str:
    """Reduce an inline token to plain text; soft breaks become paragraph breaks."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        # link_open/close, em/strong markers and images add nothing: links are
        # reduced to their text, images to nothing.
    return "".join(out)


def markdown_blocks(source: str) -> list[tuple[str, str]]:
    """(kind, text) for each line of text in a markdown (or plain text) document.

    ``kind`` is ``heading`` or ``text``. Every line break inside a paragraph is
    kept as a paragraph boundary, because plain-text articles put one paragraph
    on each line.
    """
    blocks: list[tuple[str, str]] = []
    in_heading = False
    for token in _markdown().parse(source):
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline":
            for line in _inline_text(token).split("\n"):
                blocks.append(("heading" if in_heading else "text", line))
        elif token.type in ("code_block", "fence"):
            blocks.extend(("text", line) for line in token.content.split("\n"))
    return [(kind, _SPACES.sub(" ", text).strip()) for kind, text in blocks if text.strip()]


def _looks_like_title(line: str) -> bool:
    return (
        len(line) <= _TITLE_MAX_CHARS
        and len(line.split()) <= _TITLE_MAX_WORDS
        and not _SENTENCE_END.search(line)
        and not line.startswith(("-", "*", "•"))
    )


def _take_url(paragraphs: list[str]) -> tuple[list[str], str | None]:
    """Remove an ``Original url: <...>`` line (the URL may sit on the next line)."""
    kept: list[str] = []
    url: str | None = None
    i = 0
    while i < len(paragraphs):
        match = _ORIGINAL_URL.match(paragraphs[i])
        if match and url is None:
            candidate = match.group(2)
            if not candidate and i + 1 < len(paragraphs) and _BARE_URL.match(paragraphs[i + 1]):
                candidate = paragraphs[i + 1]
                i += 1
            bare = _BARE_URL.match(candidate) if candidate else None
            url = bare.group(1) if bare else None
            i += 1
            continue
        kept.append(paragraphs[i])
        i += 1
    return kept, url


@lru_cache(maxsize=8)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _unglue(paragraph: str, prefixes: tuple[str, ...]) -> str | None:
    """Cut furniture glued to the body ("SEE ALSO: A HeadlineLast month, ...").

    Returns what remains of the paragraph, or None when it is not such a case.
    """
    lowered = paragraph.lower()
    for prefix in prefixes:
        if lowered.startswith(prefix) and lowered[len(prefix) :].lstrip().startswith(":"):
            join = _GLUED_JOIN.search(paragraph, len(prefix))
            if join and len(paragraph[join.start() :].split()) >= 3:
                return paragraph[join.start() :]
    return None


def drop_furniture(paragraphs: list[str], settings: IngestSettings) -> list[str]:
    """Remove page furniture (related links, embeds, ads) and picture captions."""
    furniture = _compiled(settings.furniture_patterns)
    (caption,) = _compiled((settings.caption_credit_pattern,))
    kept: list[str] = []
    for paragraph in paragraphs:
        rest = _unglue(paragraph, settings.glued_furniture_prefixes)
        if rest is not None:
            paragraph = rest
        if any(p.search(paragraph) for p in furniture) or caption.search(paragraph):
            continue
        kept.append(paragraph)
    return kept


def clean_markdown(source: str, settings: IngestSettings) -> CleanText:
    """A .txt or .md article as title, body paragraphs and URL."""
    blocks = markdown_blocks(source)
    title: str | None = None
    if blocks and (blocks[0][0] == "heading" or (len(blocks) > 1 and _looks_like_title(blocks[0][1]))):
        title = blocks.pop(0)[1]
    paragraphs, url = _take_url([text for _, text in blocks])
    return CleanText(title=title, paragraphs=tuple(drop_furniture(paragraphs, settings)), url=url)
