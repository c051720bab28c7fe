"""Article metadata: outlet from a URL, dates from metadata, URLs and datelines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract
from dateutil import parser as date_parser
from htmldate import find_date

# Two defaults that differ in every field: a field that parses to the same value
# under both was present in the input, which gives the precision.
_DEFAULT_A = datetime(2001, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2002, 2, 2, 1, 1, 1)
_MONTH_NAME = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?=\W|\d|$)", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\b")
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")
# Words a dateline may carry besides the date itself ("Published: Friday, March 17, 2023 at 10:30 GMT").
_DATELINE_WORDS = {
    "published", "updated", "posted", "last", "modified", "date", "on", "at", "am", "pm", "a.m.", "p.m.",
    "gmt", "utc", "et", "est", "edt", "pt", "pst", "pdt", "cet", "cest", "bst", "msk", "|", "-", "—", "–",
    ",", ":", "/", "·", "•", "of",
}  # fmt: skip


@lru_cache(maxsize=1)
def _domain_extractor() -> tldextract.TLDExtract:
    # The public suffix list shipped inside tldextract: no network at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def outlet_from_url(url: str | None) -> str | None:
    """The publisher's registered domain (``www.bbc.co.uk`` -> ``bbc.co.uk``), else None."""
    if not url:
        return None
    host = urlsplit(url.strip() if "//" in url else f"//{url.strip()}").hostname
    if not host or not _HOSTNAME.match(host):
        return None
    parts = _domain_extractor()(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}".lower()
    return host.lower()


def clean_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL, else None."""
    if not url:
        return None
    url = url.strip().strip("<>").strip()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return url
    return None


def _precision_of(text: str) -> tuple[datetime, int] | None:
    """Parse ``text``; return the date and how many of (year, month, day, time) it gave."""
    if _ISO_TIMESTAMP.match(text):
        # Python reads every ISO 8601 timestamp exactly; dateutil fails on some ("+02:35:20", an offset with seconds).
        try:
            return datetime.fromisoformat(text), 4
        except ValueError:
            pass
    try:
        a = date_parser.parse(text, default=_DEFAULT_A)
        b = date_parser.parse(text, default=_DEFAULT_B)
    except (ValueError, OverflowError):
        return None
    if a.year != b.year:
        return None
    given = 1
    if a.month == b.month:
        given = 2
        if a.day == b.day:
            given = 3
            if a.hour == b.hour and a.minute == b.minute:
                given = 4
    return a, given


# The length of an ISO date known to the year, the month, the day.
_ISO_LENGTHS = (4, 7, 10)


def format_date(moment: datetime, given: int) -> str:
    """ISO 8601 at the precision known: ``2023``, ``2023-03``, ``2023-03-17`` or a timestamp."""
    # isoformat, not strftime: glibc's %Y writes the year 1 as "1", not "0001".
    if given >= 4:
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
        return moment.isoformat(timespec="seconds")
    return moment.date().isoformat()[: _ISO_LENGTHS[given - 1]]


def parse_date(value: str | None) -> str | None:
    """A metadata date (ISO 8601, RFC 2822, "March 17, 2023") as ISO 8601, or None."""
    if not value or not value.strip():
        return None
    parsed = _precision_of(value.strip())
    if parsed is None:
        return None
    try:
        return format_date(*parsed)
    except OverflowError:  # "0001-01-01T00:00:00+05:00" is a day before the year 1 in UTC
        return None


def latest_date(max_future_days: int) -> str:
    """The last plausible publication day: today (UTC) plus ``max_future_days`` (time zones, embargoes)."""
    return (datetime.now(UTC) + timedelta(days=max_future_days)).strftime("%Y-%m-%d")


def is_after(published: str, day: str) -> bool:
    """Whether an ISO 8601 date at any precision (``2027``, ``2026-12``, a timestamp) lies wholly after ``day``."""
    shared = min(len(published), len(day))
    return published[:shared] > day[:shared]


def date_from_url(url: str | None) -> str | None:
    """A Y/M/D date in the URL path (``/2023/03/17/``), via htmldate."""
    if not url:
        return None
    found: str | None = find_date("<html><body></body></html>", url=url, extensive_search=False)
    return found


def parse_date_line(line: str, max_chars: int) -> str | None:
    """The date of a paragraph that is nothing but a dateline, else None.

    "March 17, 2023" or "Published: Fri 17 Mar 2023 10:30 GMT" qualify; a body
    sentence that happens to mention a date does not.
    """
    line = line.strip()
    if not line or len(line) > max_chars or not _YEAR.search(line):
        return None
    if not (_MONTH_NAME.search(line) or _NUMERIC_DATE.search(line)):
        return None
    try:
        _, skipped = date_parser.parse(line, default=_DEFAULT_A, fuzzy_with_tokens=True)
    except (ValueError, OverflowError):
        return None
    for token in " ".join(skipped).split():
        if token.lower().strip(",.:") not in _DATELINE_WORDS and token.strip(",.:|-—–") != "":
            return None
    parsed = _precision_of(re.sub(r"(?i)^(published|updated|posted|last updated|date)\s*:?\s*", "", line))
    if parsed is None or parsed[1] < 2:
        return None
    return format_date(*parsed)
