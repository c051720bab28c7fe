"""Sentence segmentation: rule-based (pysbd), per paragraph, per language.

Rules rather than a statistical model, so that sentence indices (which every
citation in the report points to) do not move when a model is upgraded.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import pysbd
from pysbd.languages import LANGUAGE_CODES

from ..config import NlpSettings
from ..model import Article, Sentence

# pysbd writes its rules as ~2,900 distinct regular expressions, which it hands to the re module one call at a
# time; re keeps only 512 compiled (a private limit, re._MAXCACHE), so every paragraph compiled hundreds of them
# again and pushed every other module's patterns out too. With room for all, splitting takes a quarter less time.
_COMPILED_PATTERNS = 8192
if getattr(re, "_MAXCACHE", _COMPILED_PATTERNS) < _COMPILED_PATTERNS:
    re._MAXCACHE = _COMPILED_PATTERNS  # type: ignore[attr-defined]

PARAGRAPH_SEPARATOR = "\n\n"


@lru_cache(maxsize=32)
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang, clean=False, char_span=False)


def split_sentences(text: str, lang: str | None, settings: NlpSettings) -> tuple[Sentence, ...]:
    """The sentences of ``text`` with character offsets into it and paragraph numbers.

    Sentences never cross a paragraph break; whitespace around them is trimmed.
    """
    rules = lang if lang in LANGUAGE_CODES else settings.sentence_fallback_language
    segmenter = _segmenter(rules)
    sentences: list[Sentence] = []
    offset = 0
    for paragraph_number, paragraph in enumerate(text.split(PARAGRAPH_SEPARATOR)):
        cursor = 0
        for piece in segmenter.segment(paragraph):
            stripped = piece.strip()
            if not stripped:
                continue
            # pysbd returns the pieces in order; find each from the cursor to get exact offsets.
            start = paragraph.find(stripped, cursor)
            if start < 0:
                continue
            cursor = start + len(stripped)
            sentences.append(
                Sentence(
                    index=len(sentences),
                    start=offset + start,
                    end=offset + cursor,
                    paragraph=paragraph_number,
                    text=stripped,
                )
            )
        offset += len(paragraph) + len(PARAGRAPH_SEPARATOR)
    return tuple(sentences)


class SentenceStage:
    """Splits each article into sentences with stable 0-based indices."""

    name: str = "sentences"
    version: int = 1
    reads: tuple[str, ...] = ("text", "lang")
    writes: tuple[str, ...] = ("sentences",)

    def __init__(self, settings: NlpSettings) -> None:
        self.settings = settings

    def __call__(self, articles: list[Article]) -> list[Article]:
        return [replace(a, sentences=split_sentences(a.text, a.lang, self.settings)) for a in articles]
