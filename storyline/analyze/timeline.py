"""When things happened: an event's dated time expressions as a timeline, each entry citing the
sentences that give the date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from ..model import Article, TimeRef
from .citations import sentence_at

_SEASONS = {"SP": (3, 5), "SU": (6, 8), "FA": (9, 11), "WI": (12, 2)}
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_SEASON = re.compile(r"^(\d{4})-(SP|SU|FA|WI)$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_DECADE = re.compile(r"^(\d{3})$")
_CENTURY = re.compile(r"^(\d{2})$")


def interval(value: str) -> tuple[str, str | None, str] | None:
    """A TimeML date value as (first, last or None, precision) in ISO forms; None when underspecified."""
    if match := _DAY.match(value):
        return value, None, "day"
    if match := _TIME.match(value):
        return match.group(1), None, "time"
    if match := _MONTH.match(value):
        return value, None, "month"
    if match := _YEAR.match(value):
        return value, None, "year"
    if match := _WEEK.match(value):
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        return monday.isoformat(), (monday + timedelta(days=6)).isoformat(), "week"
    if match := _SEASON.match(value):
        year, (first, last) = int(match.group(1)), _SEASONS[match.group(2)]
        return f"{year}-{first:02d}", f"{year + (last < first)}-{last:02d}", "season"
    if match := _QUARTER.match(value):
        year, quarter = int(match.group(1)), int(match.group(2))
        return f"{year}-{3 * quarter - 2:02d}", f"{year}-{3 * quarter:02d}", "quarter"
    if match := _DECADE.match(value):
        return f"{match.group(1)}0", f"{match.group(1)}9", "decade"
    if match := _CENTURY.match(value):
        return f"{match.group(1)}00", f"{match.group(1)}99", "century"
    return None


def _entry(ref: TimeRef) -> tuple[str, str | None, str] | None:
    span = interval(ref.value)
    if span is None:
        return None
    first, last, precision = span
    if ref.end_value:
        end = interval(ref.end_value)
        if end is not None:
            last = end[1] or end[0]
    return first, last, precision


def event_timeline(articles: Sequence[Article]) -> list[dict[str, Any]]:
    """Dated references of the event's articles, one entry per distinct date or range, in date order."""
    entries: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    for article in articles:
        for ref in article.times:
            if ref.type not in ("DATE", "TIME"):
                continue
            key = _entry(ref)
            index = sentence_at(article, ref.start)
            if key is None or index is None:
                continue
            source = {"article": article.id, "sentence": index, "text": article.sentences[index].text}
            entry = entries.get(key)
            if entry is None:
                first, last, precision = key
                entries[key] = {
                    "date": first,
                    "end": last,
                    "precision": precision,
                    "text": source["text"],
                    "expressions": [ref.text],
                    "sources": [source],
                    "tense": ref.tense,
                }
                continue
            if source not in entry["sources"]:
                entry["sources"].append(source)
            if ref.text not in entry["expressions"]:
                entry["expressions"].append(ref.text)
    return sorted(entries.values(), key=lambda e: (e["date"], e["end"] or "", e["precision"]))
