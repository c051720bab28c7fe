"""Dates from an article's own words, for articles whose metadata gives none.

Two uses: a *lower bound* on when an undated article was written (it reports,
in the past tense, something that happened in May 2024: it is not from 2023),
which keeps clustering from joining it to an older event; and, after
clustering, an *inferred* publication date: its event's date when the event has
dated articles, else its own latest explicit reference ("Dec. 27" in the year
of its latest past reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from ..model import Article

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
    rf"|\b(?P<day2>[0-3]?\d)\s+{_MONTH.replace('month', 'month2')}(?:\s+(?P<year2>(?:19|20)\d\d))?\b"
    rf"|\b{_MONTH.replace('month', 'month3')}\s+(?P<year3>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# A sentence with one of these speaks of what will, may or should happen: its dates bound nothing.
_FUTURE = re.compile(
    r"\b(will|would|shall|going to|expected|plans? to|planned|scheduled|until|next|upcoming|to be held)\b",
    re.IGNORECASE,
)
_PAST_CUE = re.compile(r"\b(in|on|since|last)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateMention:
    """An explicit calendar reference in the text."""

    year: int | None
    month: int
    day: int | None
    past: bool


def date_mentions(sentences: list[str]) -> list[DateMention]:
    """Every explicit "March 17, 2023" / "17 March" / "May 2024" in the sentences."""
    mentions = []
    for sentence in sentences:
        future = bool(_FUTURE.search(sentence))
        for match in _DATE.finditer(sentence):
            month_name = match.group("month") or match.group("month2") or match.group("month3")
            day = match.group("day") or match.group("day2")
            year = match.group("year") or match.group("year2") or match.group("year3")
            if day is not None and not 1 <= int(day) <= 31:
                continue
            past = not future and bool(_PAST_CUE.search(sentence[: match.start()]))
            mentions.append(
                DateMention(
                    int(year) if year else None, _MONTHS[month_name[:3].lower()], int(day) if day else None, past
                )
            )
    return mentions


def lower_bound(sentences: list[str]) -> date | None:
    """The latest date the text reports in the past tense with a year: it was written after it."""
    return _latest_past(date_mentions(sentences))


def _latest_past(mentions: list[DateMention]) -> date | None:
    bounds = [date(m.year, m.month, m.day or 1) for m in mentions if m.past and m.year]
    return max(bounds) if bounds else None


def date_from_own_text(sentences: list[str]) -> str | None:
    """A publication date guessed from the article's own latest past references, else None.

    A day without a year ("said on Dec. 27") takes the year of the latest reference
    with one, and must not fall before it.
    """
    mentions = date_mentions(sentences)
    bound = _latest_past(mentions)
    if bound is None:
        return None
    best = bound
    for m in mentions:
        if m.year is None and m.day is not None:
            try:
                candidate = date(bound.year, m.month, m.day)
            except ValueError:
                continue
            best = max(best, candidate)
    return best.isoformat()


class DateBoundStage:
    """Notes, for undated articles, the earliest they can have been written (used by clustering)."""

    name: str = "date-bounds"
    version: int = 1
    reads: tuple[str, ...] = ("sentences", "published")
    writes: tuple[str, ...] = ("not_before",)

    def __call__(self, articles: list[Article]) -> list[Article]:
        out = []
        for article in articles:
            bound = None if article.published else lower_bound([s.text for s in article.sentences])
            out.append(replace(article, not_before=bound.isoformat() if bound else None))
        return out
