"""Bags of terms for sparse similarity: words, title words and names, hashed to integers.

Terms are hashed (crc32, stable across processes, unlike ``hash``) into a fixed
space, so document frequencies fit in a fixed-size array however long the stream.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.util import get_lang_class

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)
# A word as _WORD finds it, that starts with a digit or a letter that is not ASCII lower case: the
# only words names() keeps, found without visiting the others.
_NAME_OR_NUMBER = re.compile(r"(?<![^\W_])(?<![^\W_]['’.-])(?:[^\W\d_a-z]|\d)[^\W_]*(?:['’.-][^\W_]+)*", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n)$")
# How far back a sentence start is looked for: a few characters, never the whole prefix.
_LOOKBACK = 4
HASH_BITS = 20
HASH_SIZE = 1 << HASH_BITS


def term_id(term: str) -> int:
    """A stable integer for ``term`` in ``[0, HASH_SIZE)``."""
    return zlib.crc32(term.encode("utf-8")) & (HASH_SIZE - 1)


@lru_cache(maxsize=64)
def stop_words(lang: str | None) -> frozenset[str]:
    """English stop words, and those of ``lang`` where spaCy has a list.

    Function words of a language that is rare in the stream would otherwise weigh as
    rare terms, and two unrelated articles in that language would look alike.
    """
    extra: set[str] = set()
    if lang and lang != "en":
        with suppress(ImportError):  # where spaCy has no such language, English's list alone
            extra = set(get_lang_class(lang).Defaults.stop_words)
    return frozenset(STOP_WORDS | extra)


def _cjk_bigrams(text: str, stop: frozenset[str]) -> list[str]:
    """Chinese, Japanese and Korean have no spaces: character bigrams stand in for words."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        grams.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return [g for g in grams if g not in stop]


def words(text: str, lang: str | None = None) -> list[str]:
    """Lower-cased content words (stop words of English and of ``lang`` and one-letter tokens dropped),
    plus CJK bigrams."""
    stop = stop_words(lang)
    found = [w.lower().replace("’", "'") for w in _WORD.findall(_CJK_RUN.sub(" ", text))]
    return [w for w in found if len(w) > 1 and w not in stop] + _cjk_bigrams(text, stop)


def names(text: str, lang: str | None = None) -> list[str]:
    """Capitalized words not at a sentence start, and multi-digit numbers: a cheap stand-in for
    the names and figures that tie reports of one event together."""
    # CJK runs are blanked to the same length, so that positions still index ``text``.
    plain = _CJK_RUN.sub(lambda run: " " * len(run.group(0)), text)
    stop = stop_words(lang)
    found: list[str] = []
    for match in _NAME_OR_NUMBER.finditer(plain):
        token = match.group(0)
        if token[0].isdigit():
            if sum(c.isdigit() for c in token) >= 2:
                found.append(token)
        elif (
            token[0].isupper()
            and len(token) > 1
            and token.lower() not in stop
            and not _SENTENCE_START.search(text[max(0, match.start() - _LOOKBACK) : match.start()])
        ):
            found.append(token.lower())
    return found


@dataclass(frozen=True, slots=True)
class TermBag:
    """Hashed term counts: term ids in ascending order and how often each occurs."""

    keys: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]

    @classmethod
    def of(cls, terms: Iterable[str]) -> TermBag:
        counted = Counter(terms)  # each distinct term hashed once
        ids = np.fromiter((term_id(t) for t in counted), dtype=np.int64, count=len(counted))
        return cls.summed(ids, np.fromiter(counted.values(), np.int64, len(counted)))

    @classmethod
    def summed(cls, ids: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]) -> TermBag:
        """The bag of ``ids`` (repeats allowed, e.g. two terms hashed alike) with their counts added up."""
        keys, slot = np.unique(ids, return_inverse=True)
        return cls(keys.astype(np.int64), np.bincount(slot, weights=counts).astype(np.int64))

    @classmethod
    def empty(cls) -> TermBag:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64))

    @classmethod
    def from_pairs(cls, pairs: Iterable[Iterable[int]]) -> TermBag:
        """A bag from ``[term id, count]`` pairs."""
        table = np.array([tuple(p) for p in pairs], dtype=np.int64).reshape(-1, 2)
        order = np.argsort(table[:, 0], kind="stable")
        return cls(table[order, 0].copy(), table[order, 1].copy())

    def __len__(self) -> int:
        return len(self.keys)

    def merged(self, other: TermBag, limit: int) -> TermBag:
        """Both bags' counts summed, keeping the ``limit`` most frequent terms (ties: lower id)."""
        both = TermBag.summed(np.concatenate([self.keys, other.keys]), np.concatenate([self.counts, other.counts]))
        if len(both) <= limit:
            return both
        kept = np.sort(np.lexsort((both.keys, -both.counts))[:limit])
        return TermBag(both.keys[kept], both.counts[kept])


@dataclass(frozen=True, slots=True)
class TermBags:
    """Hashed term counts of one article."""

    body: TermBag
    title: TermBag
    names: TermBag
    # Whether any of its names is a word, not only a number: a script without capitals (Chinese) gives numbers
    # alone, and names then say little about who or what an article is about.
    worded: bool = True


def term_bags(title: str | None, body: str, lang: str | None = None) -> TermBags:
    """The three bags the clustering features compare, for a text in ``lang`` (None: unknown)."""
    found = names(f"{title or ''}\n{body}", lang)
    return TermBags(
        body=TermBag.of(words(body, lang)),
        title=TermBag.of(words(title or "", lang)),
        names=TermBag.of(found),
        worded=any(not name[0].isdigit() for name in found),
    )
