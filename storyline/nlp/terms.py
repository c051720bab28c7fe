"""Bags of terms for sparse similarity: words, title words and names, hashed to integers.

Terms are hashed (crc32, stable across processes, unlike ``hash``) into a fixed
space, so document frequencies fit in a fixed-size array however long the stream.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n)$")
# How far back a sentence start is looked for: a few characters, never the whole prefix.
_LOOKBACK = 4
HASH_BITS = 20
HASH_SIZE = 1 << HASH_BITS


def term_id(term: str) -> int:
    """A stable integer for ``term`` in ``[0, HASH_SIZE)``."""
    return zlib.crc32(term.encode("utf-8")) & (HASH_SIZE - 1)


def _cjk_bigrams(text: str) -> list[str]:
    """Chinese, Japanese and Korean have no spaces: character bigrams stand in for words."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        grams.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return grams


def words(text: str) -> list[str]:
    """Lower-cased content words (stop words and one-letter tokens dropped), plus CJK bigrams."""
    found = [w.lower().replace("’", "'") for w in _WORD.findall(_CJK_RUN.sub(" ", text))]
    return [w for w in found if len(w) > 1 and w not in STOP_WORDS] + _cjk_bigrams(text)


def names(text: str) -> list[str]:
    """Capitalized words not at a sentence start, and multi-digit numbers: a cheap stand-in for
    the names and figures that tie reports of one event together."""
    found: list[str] = []
    for match in _WORD.finditer(_CJK_RUN.sub(" ", text)):
        token = match.group(0)
        if token[0].isdigit():
            if sum(c.isdigit() for c in token) >= 2:
                found.append(token)
        elif (
            token[0].isupper()
            and len(token) > 1
            and token.lower() not in STOP_WORDS
            and not _SENTENCE_START.search(text[max(0, match.start() - _LOOKBACK) : match.start()])
        ):
            found.append(token.lower())
    return found


@dataclass(frozen=True, slots=True)
class TermBags:
    """Hashed term counts of one article."""

    body: Counter[int]
    title: Counter[int]
    names: Counter[int]


def term_bags(title: str | None, body: str) -> TermBags:
    """The three bags the clustering features compare."""
    return TermBags(
        body=Counter(term_id(w) for w in words(body)),
        title=Counter(term_id(w) for w in words(title or "")),
        names=Counter(term_id(n) for n in names(f"{title or ''}\n{body}")),
    )
