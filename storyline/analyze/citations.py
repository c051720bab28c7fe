"""Citations, built here and nowhere else: from character offsets to the sentences a report cites."""

from __future__ import annotations

from bisect import bisect_right

from ..model import Article, Citation


def sentence_at(article: Article, offset: int) -> int | None:
    """The index of the sentence holding ``offset``, or the nearest one before it."""
    if not article.sentences:
        return None
    starts = [s.start for s in article.sentences]
    position = bisect_right(starts, offset) - 1
    return article.sentences[max(position, 0)].index


def sentences_between(article: Article, start: int, end: int) -> list[int]:
    """Indices of every sentence overlapping ``[start, end)``."""
    found = [s.index for s in article.sentences if s.start < end and start < s.end]
    if not found:
        first = sentence_at(article, start)
        return [] if first is None else [first]
    return found


def cite(article: Article, index: int) -> Citation:
    """The citation of sentence ``index`` of ``article``, quoting the sentence exactly."""
    sentence = article.sentences[index]
    if sentence.index != index:  # sentences are stored in order, 0-based; look it up should that ever change
        sentence = next(s for s in article.sentences if s.index == index)
    return Citation(article.id, sentence.index, sentence.text)
