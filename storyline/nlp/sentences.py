"""Sentence segmentation: rule-based (pysbd), per paragraph, per language.

Rules rather than a statistical model, so that sentence indices (which every
citation in the report points to) do not move when a model is upgraded.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import pysbd
from pysbd.abbreviation_replacer import AbbreviationReplacer
from pysbd.languages import LANGUAGE_CODES
from pysbd.segmenter import Segmenter
from pysbd.utils import TextSpan

from ..config import NlpSettings
from ..model import Article, Sentence

# pysbd writes its rules as ~2,900 distinct regular expressions, which it hands to the re module one call at a
# time; re keeps only 512 compiled (a private limit, re._MAXCACHE), so every paragraph compiled hundreds of them
# again and pushed every other module's patterns out too. With room for all, splitting takes a quarter less time.
_COMPILED_PATTERNS = 8192
if getattr(re, "_MAXCACHE", _COMPILED_PATTERNS) < _COMPILED_PATTERNS:
    re._MAXCACHE = _COMPILED_PATTERNS  # type: ignore[attr-defined]

PARAGRAPH_SEPARATOR = "\n\n"

_DOT = re.compile(r"\.")
_SPACE = re.compile(r"\s")
_SEARCH_ABBREVIATIONS = AbbreviationReplacer.search_for_abbreviations_in_string
_SCAN_FOR_REPLACEMENTS = AbbreviationReplacer.scan_for_replacements


def _search_abbreviations(replacer: AbbreviationReplacer, text: str) -> str:
    """pysbd's abbreviation pass over a line, less its work on abbreviations that can change nothing.

    For every abbreviation in a line (``no`` in "not", ``st`` in "first"), pysbd finds each occurrence and
    re-runs a substitution over the whole line for each; a third to half of all splitting time on long
    paragraphs. Each substitution only turns a period right after the abbreviation into a placeholder, so an
    abbreviation with no period after any case variant of it in the line changes nothing and is passed over.
    The check is exact (re's own case-insensitive match, at each period) and the rest is pysbd's own code:
    the sentences are the same (tests/test_nlp.py compares both on the examples and on edge cases).
    """
    if type(replacer).scan_for_replacements is not _SCAN_FOR_REPLACEMENTS:
        # A language that handles an abbreviation its own way: pysbd's pass, untouched.
        return str(_SEARCH_ABBREVIATIONS(replacer, text))
    lowered = text.lower()
    dots = [m.start() for m in _DOT.finditer(text)]
    for abbr in replacer.lang.Abbreviation.ABBREVIATIONS:
        stripped = abbr.strip()
        if stripped not in lowered:
            continue
        # A plain word (no pattern characters): each occurrence is a case variant of it, as long as it.
        if re.escape(stripped) == stripped and not _followed_by_period(stripped, text, dots):
            continue
        # From here on pysbd's own loop body (pysbd 0.3.4, abbreviation_replacer.py).
        abbrev_match = re.findall(rf"(?:^|\s|\r|\n){stripped}", text, flags=re.IGNORECASE)
        if not abbrev_match:
            continue
        next_word_start = r"(?<={" + str(re.escape(stripped)) + "} ).{1}"
        char_array = re.findall(next_word_start, text)
        for ind, match in enumerate(abbrev_match):
            text = replacer.scan_for_replacements(text, match, ind, char_array)
    return text


def _followed_by_period(word: str, text: str, dots: list[int]) -> bool:
    """Whether a case variant of ``word`` stands in ``text`` at the start or after a space, right before one of
    the periods at ``dots``: what each of pysbd's substitutions for an abbreviation needs to change anything."""
    variant = re.compile(word, re.IGNORECASE)
    width = len(word)
    for dot in dots:
        start = dot - width
        if (
            start >= 0
            and variant.fullmatch(text, start, dot)
            and (start == 0 or _SPACE.fullmatch(text, start - 1, start))
        ):
            return True
    return False


_SENTENCES_WITH_CHAR_SPANS = Segmenter.sentences_with_char_spans


def _sentences_with_char_spans(segmenter: Segmenter, sentences: list[str]) -> list[TextSpan]:
    r"""pysbd's placing of its sentences in the text, without a regular expression per sentence.

    pysbd finds each sentence (with the spaces after it) by compiling it, escaped, into a pattern of its own: a
    new pattern for every sentence of every article, a millisecond or more each to compile (most of the time
    spent splitting a long article, in a stream), which also pushed pysbd's own rules out of the re module's cache.
    A pattern that is the sentence then ``\s*`` matches where the sentence's text is, with the run of whitespace
    (``str.isspace``, as ``\s``) after it; the matches are found left to right without overlapping, and the first
    that ends after the sentence before is taken: the same here with ``str.find``.
    """
    if not all(sentences):  # an empty sentence's pattern matches everywhere: pysbd's own way
        return list(_SENTENCES_WITH_CHAR_SPANS(segmenter, sentences))
    text: str = segmenter.original_text
    spans: list[TextSpan] = []
    prior_end = 0
    for sentence in sentences:
        at = text.find(sentence)
        while at >= 0:
            end = at + len(sentence)
            while end < len(text) and text[end].isspace():
                end += 1
            if end > prior_end:
                spans.append(TextSpan(text[at:end], at, end))
                prior_end = end
                break
            at = text.find(sentence, end)
    return spans


# The loops above are pysbd 0.3.4's: another version keeps its own.
if pysbd.__version__ == "0.3.4":
    AbbreviationReplacer.search_for_abbreviations_in_string = _search_abbreviations
    Segmenter.sentences_with_char_spans = _sentences_with_char_spans


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
