"""When things happened: an event's dated facts as a timeline, one line per thing that happened on a
date, each citing every sentence that says it; and a timeline's summary in a budget of dates and sentences
per date (:func:`timeline_summary`).

The summary follows Ghalandari & Ifrim's "datewise" method (ACL 2020) without its learned date ranker:
every sentence is dated by the days its time expressions name, else by its article's publication day;
the days most sentences and articles point to are the timeline's dates; each date's candidates are the
sentences naming it (reported within ``_REPORTED_WITHIN_DAYS``) and the undated lead sentences of the
articles published that day or the next, and of these the summary takes the ones whose TF-IDF sum stays
closest to the candidates' centroid (greedy CentroidOpt), among those naming a keyword when enough do.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..model import Article, Fact, TimeRef, to_data
from ..nlp.stop_words import english_stop_words
from .citations import cite, sentence_at

if TYPE_CHECKING:
    from ..embed import Embedder

__all__ = [
    "DatedSentence",
    "dated_sentences",
    "event_timeline",
    "interval",
    "rank_dates",
    "storyline_timeline",
    "summarize_timeline",
    "timeline_summary",
]

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
        # A winter is named by its January, as the time-expression reader names it ("last winter" in July 2021
        # is 2021-WI: December 2020 to February 2021).
        return f"{year - (last < first)}-{first:02d}", f"{year}-{last:02d}", "season"
    if match := _QUARTER.match(value):
        year, quarter = int(match.group(1)), int(match.group(2))
        return f"{year}-{3 * quarter - 2:02d}", f"{year}-{3 * quarter:02d}", "quarter"
    if match := _DECADE.match(value):
        return f"{match.group(1)}0", f"{match.group(1)}9", "decade"
    if match := _CENTURY.match(value):
        return f"{match.group(1)}00", f"{match.group(1)}99", "century"
    return None


# From most to least specific: a sentence is dated by its most specific expression.
_PRECISIONS = ("time", "day", "week", "month", "season", "quarter", "year", "decade", "century")
_RANK = {name: rank for rank, name in enumerate(_PRECISIONS)}
# Two sentences on one date say the same thing from this similarity up, compared without their date
# expressions. Set at the F1 plateau on the first 1,500 pairs of the MSRP training split (sentences of
# different outlets on one event): use-m-v3 cosine .60 (F1 .812), shared content words over the shorter
# sentence's .50 (F1 .808, .809 at best). MSRP's negatives were picked for sharing words; two sentences
# of one event on one date that share half their words rarely tell two different happenings.
_SAME_COSINE = 0.60
_SAME_OVERLAP = 0.50
_STEM_CHARS = 5
_WORD = re.compile(r"\w+")

Similarity = Callable[[list[str]], "np.ndarray[Any, np.dtype[np.float64]]"]


def value_span(value: str, end_value: str | None) -> tuple[str, str | None, str] | None:
    """(first, last or None, precision) of a TimeML value, a range running to ``end_value``'s last part."""
    span = interval(value)
    if span is None:
        return None
    first, last, precision = span
    if end_value:
        end = interval(end_value)
        if end is not None:
            last = end[1] or end[0]
    return first, last, precision


def _entry(ref: TimeRef) -> tuple[str, str | None, str] | None:
    return value_span(ref.value, ref.end_value)


def _next_after(key: tuple[str, str | None, str]) -> str:
    """The first ISO value of the period right after ``key``'s (in its own precision)."""
    first, last, _ = key
    end = last or first
    if len(end) == len("2023-03-20"):
        return (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    if len(end) == len("2023-03"):
        year, month = int(end[:4]), int(end[5:])
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return str(int(end) + 1).zfill(len(end))


def _sentence_dates(keys: list[tuple[str, str | None, str]]) -> list[tuple[str, str | None, str]]:
    """The dates one sentence is listed under: its most specific ones, adjacent periods joined into one span
    ("begins Monday ... continues Tuesday"); periods apart stay apart, as two dated happenings."""
    best = min(_RANK[precision] for _, _, precision in keys)
    chosen = sorted({key for key in keys if _RANK[key[2]] == best}, key=lambda k: (k[0], k[1] or ""))
    joined: list[tuple[str, str | None, str]] = []
    for key in chosen:
        if joined:
            previous = joined[-1]
            previous_end = previous[1] or previous[0]
            if key[0] <= _next_after(previous) and len(key[0]) == len(previous_end):
                end = max(previous_end, key[1] or key[0])
                joined[-1] = (previous[0], end if end != previous[0] else None, previous[2])
                continue
        joined.append(key)
    return joined


def _happening_dates(refs: list[tuple[TimeRef, tuple[str, str | None, str]]]) -> list[tuple[str, str | None, str]]:
    """A sentence's dates: the most specific ones, and those of a clause in another tense ("said on Dec. 27
    that he will visit next year" tells two happenings: the statement and the visit)."""
    keys = _sentence_dates([key for _, key in refs])
    by_tense: dict[str, list[tuple[str, str | None, str]]] = {}
    for ref, key in refs:
        if ref.tense:
            by_tense.setdefault(ref.tense, []).append(key)
    tenses = {ref.tense for ref, key in refs if key in keys or any(_within(key, k) for k in keys)}
    for tense, tense_keys in by_tense.items():
        if tense not in tenses:
            keys.extend(k for k in _sentence_dates(tense_keys) if k not in keys)
    return keys


def _within(key: tuple[str, str | None, str], span: tuple[str, str | None, str]) -> bool:
    return span[0] <= key[0] <= (span[1] or span[0]) and _RANK[key[2]] == _RANK[span[2]]


def _stems(text: str, stop: frozenset[str] | None = None, shortest: int = 1) -> set[str]:
    """The stems of a text's words of ``shortest`` characters or more, less ``stop`` (English stop words)."""
    stop = english_stop_words() if stop is None else stop
    return {word[:_STEM_CHARS] for word in _WORD.findall(text.lower()) if len(word) >= shortest and word not in stop}


def _overlap_matrix(texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Shared content words over those of the shorter text, for every pair."""
    stems = [_stems(text) for text in texts]
    out = np.zeros((len(texts), len(texts)))
    for i, first in enumerate(stems):
        for j in range(i + 1, len(texts)):
            second = stems[j]
            shared = len(first & second) / min(len(first), len(second)) if first and second else 0.0
            out[i, j] = out[j, i] = shared
    return out


def _similarity(embedder: Embedder | None) -> tuple[Similarity, float]:
    if embedder is None:
        return _overlap_matrix, _SAME_OVERLAP

    def cosines(texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        vectors = embedder.embed(texts).astype(np.float64)
        return vectors @ vectors.T

    return cosines, _SAME_COSINE


def _groups(similar: np.ndarray[Any, np.dtype[np.bool_]]) -> list[list[int]]:
    """Connected components of a symmetric "says the same" matrix, in order of their first member."""
    seen: set[int] = set()
    groups = []
    for first in range(len(similar)):
        if first in seen:
            continue
        group, todo = [], [first]
        seen.add(first)
        while todo:
            current = todo.pop()
            group.append(current)
            for other in np.flatnonzero(similar[current]).tolist():
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        groups.append(sorted(group))
    return groups


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The sentence without its date expressions: two sentences on one date are compared on the rest."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def _unique(items: Iterable[Any]) -> list[Any]:
    """The items without repeats, in first-seen order (dicts are not hashable, so no dict.fromkeys)."""
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _line(key: tuple[str, str | None, str], members: list[dict[str, Any]], scores: Any) -> dict[str, Any]:
    first, last, precision = key
    # The sentence closest to the others says the line best, among those naming the line's own date (not a
    # coarser one folded in); the first such one on ties.
    central = max(range(len(members)), key=lambda i: (not members[i].get("folded"), float(scores[i].sum()), -i))
    sources = _unique(member["source"] for member in members)
    expressions = _unique(text for member in members for text in member["expressions"])
    tenses = [tense for member in members for tense in member["tenses"]]
    counts = Counter(tenses)
    return {
        "date": first,
        "end": last,
        "precision": precision,
        "text": members[central]["source"]["text"],
        "expressions": expressions,
        "sources": sources,
        # The tense most of its expressions have; the first one's on ties.
        "tense": max(counts, key=lambda t: (counts[t], -tenses.index(t))) if tenses else None,
    }


# What a date expression dates is its clause ("Xi, who secured a third term last week, was expected in May":
# the third term, not the trip). The clause runs between these marks; a date expression's own comma ("March
# 20, 2023") does not count, as expressions are blanked first.
_CLAUSE_MARK = re.compile(r"[,;:()\[\]\"“”—–]| - ")
# One sentence's dated clause is said by another sentence when the other holds this share of the clause's
# telling words (and at least ``_CLAUSE_MIN_STEMS`` of them) and every name in it. Telling words are content words
# outside names that fewer than ``_CLAUSE_COMMON_SHARE`` of the event's sentences use: the event's own topic
# ("tax cuts", "Democrats") is said on every date of it, and the same words about other people ("Biden met
# Putin on Friday", "Biden met Xi on Friday") are two happenings.
_CLAUSE_SAID = 0.60
_CLAUSE_MIN_STEMS = 3
_CLAUSE_COMMON_SHARE = 0.10
# spaCy's stop list holds these counts, which tell happenings apart ("a third term", "two joint statements").
_COUNT_WORDS = frozenset(
    {
        "one", "two", "three", "four", "five", "six", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
        "twenty", "forty", "fifty", "sixty", "hundred", "first", "third",
    }
)  # fmt: skip


@cache
def _telling_stop_words() -> frozenset[str]:
    return english_stop_words() - _COUNT_WORDS


def _content_stems(text: str) -> set[str]:
    """The stems of a text's content words and counts, for telling whether two sentences say one thing."""
    return _stems(text, _telling_stop_words(), shortest=2)


def _common_stems(articles: Sequence[Article]) -> frozenset[str]:
    """The content words of at least ``_CLAUSE_COMMON_SHARE`` of the articles' sentences (and of three)."""
    counts: Counter[str] = Counter()
    sentences = 0
    for article in articles:
        for sentence in article.sentences:
            counts.update(_content_stems(sentence.text))
            sentences += 1
    floor = max(3.0, _CLAUSE_COMMON_SHARE * sentences)
    return frozenset(stem for stem, count in counts.items() if count >= floor)


def _member(
    article: Article, index: int, refs: list[TimeRef], inside: list[TimeRef], common: frozenset[str]
) -> dict[str, Any]:
    """A sentence under one of its dates, with what the date's clause and the rest of the sentence say."""
    sentence = article.sentences[index]
    spans = [(ref.start - sentence.start, ref.end - sentence.start) for ref in refs]
    blank = _blanked(sentence.text, spans)
    marks = [(m.start(), m.end()) for m in _CLAUSE_MARK.finditer(blank)]
    clause: set[int] = set()
    ranges = []
    for ref in inside:
        start = ref.start - sentence.start
        begin = max((end for _, end in marks if end <= start), default=0)
        finish = min((mark for mark, _ in marks if mark >= start), default=len(blank))
        clause.update(range(begin, finish))
        ranges.append((ref.start, sentence.start + begin, sentence.start + finish))
    mentions = [
        (m.start - sentence.start, m.end - sentence.start, m.entity)
        for m in article.mentions
        if sentence.start <= m.start < sentence.end and m.entity
    ]
    # The clause's words outside its names: the names are checked on their own, as entities.
    words = _blanked(blank, [(start, end) for start, end, _ in mentions])
    return {
        "source": to_data(cite(article, index)),
        "published": (article.published or "")[:10],
        "compare": _without(sentence.text, spans),
        "expressions": [ref.text for ref in inside],
        "tenses": [ref.tense for ref in inside if ref.tense],
        "stems": _content_stems(blank),
        "names": {entity for _, _, entity in mentions},
        "clause_stems": _content_stems("".join(c if i in clause else " " for i, c in enumerate(words))) - common,
        "clause_names": {entity for start, _, entity in mentions if start in clause},
        "statements": _statements(article, sentence.start, sentence.end, ranges),
    }


def _statements(article: Article, start: int, end: int, ranges: list[tuple[int, int, int]]) -> set[tuple[str, str]]:
    """What a sentence's date dates when the sentence reports someone's words: ``(speaker, "words")`` for a date
    inside what the speaker said ("Xi will visit next year, the ambassador said"), ``(speaker, "statement")`` for
    a date in the clause that says who said it ("..., the Kremlin said on March 17"). ``ranges`` are each date's
    (start, clause start, clause end), as offsets of the article. Named speakers only: "he" after "Morgulov" is
    Morgulov, an unnamed "officials" is no one in particular."""
    found: set[tuple[str, str]] = set()
    for quote in article.quotes:
        if not quote.speech or not quote.entity or not any(start <= span.start < end for span in quote.cue):
            continue
        for at, begin, finish in ranges:
            if any(span.start <= at < span.end for span in quote.content):
                found.add((quote.entity, "words"))
            elif any(begin <= span.start < finish for span in quote.cue):
                found.add((quote.entity, "statement"))
    return found


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span's characters replaced by spaces (offsets kept)."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _clause_said_by(member: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether ``other``'s sentence says what ``member``'s dated clause says (see ``_CLAUSE_SAID``)."""
    clause = member["clause_stems"]
    if len(clause) < _CLAUSE_MIN_STEMS or not member["clause_names"] <= other["names"]:
        return False
    shared = len(clause & other["stems"])
    return shared >= _CLAUSE_MIN_STEMS and shared >= _CLAUSE_SAID * len(clause)


def _alike(first: dict[str, Any], second: dict[str, Any]) -> bool:
    return first["source"] != second["source"] and (_clause_said_by(first, second) or _clause_said_by(second, first))


def _join_statements(groups: list[list[int]], members: list[dict[str, Any]]) -> list[list[int]]:
    """Groups of one date joined when every sentence of each dates one speaker's words or one speaker's
    statement (``_statements``): a quote and its paraphrase, or two reports of what was said that day, are one
    happening. Whole groups only: a sentence that dates someone's words beside another happening ("the arrest"
    and the arrested man's words about it) does not chain the two."""
    shared = [set.intersection(*(members[i]["statements"] for i in group)) for group in groups]
    linked = np.array([[bool(first & second) for second in shared] for first in shared], dtype=bool).reshape(
        len(groups), len(groups)
    )
    np.fill_diagonal(linked, False)
    return [sorted(i for g in component for i in groups[g]) for component in _groups(linked)]


def _tense(members: list[dict[str, Any]]) -> str | None:
    counts = Counter(tense for member in members for tense in member["tenses"])
    return counts.most_common(1)[0][0] if counts else None


def _day_bounds(key: tuple[str, str | None, str]) -> tuple[str, str]:
    """The first and last day of a date key, as ISO strings (a month's last day as its 31st: they only compare)."""
    first, last, _ = key
    end = last or first
    low = {10: "", 7: "-01", 4: "-01-01"}[len(first)]
    high = {10: "", 7: "-31", 4: "-12-31"}[len(end)]
    return first + low, end + high


def _fold_coarse(
    groups: list[tuple[tuple[str, str | None, str], list[dict[str, Any]]]],
    same: Callable[[list[dict[str, Any]]], np.ndarray[Any, np.dtype[np.bool_]]],
) -> list[tuple[tuple[str, str | None, str], list[dict[str, Any]]]]:
    """A coarse line that says what a finer line inside its period says ("next week" and "March 20 to 22")
    joins the finer line: the most precise date of a happening is its date. Coarsest lines first, each into the
    finer line with most pairs of sentences that ``same`` (a matrix over members) finds alike, when both tell
    of the past or both of the future. A period holding the day its article appeared ("this month", "earlier
    this week") is the writer's now, not the date of a happening: such a line stays as it is."""
    order = sorted(range(len(groups)), key=lambda g: -_RANK[groups[g][0][2]])
    folded: set[int] = set()
    for coarse in order:
        key, members = groups[coarse]
        low, high = _day_bounds(key)
        if any(low <= member["published"] <= high for member in members if member["published"]):
            continue
        best, best_count = None, 0
        for fine, (fine_key, fine_members) in enumerate(groups):
            if fine in folded or _RANK[fine_key[2]] >= _RANK[key[2]]:
                continue
            fine_low, fine_high = _day_bounds(fine_key)
            if not low <= fine_low <= fine_high <= high:
                continue
            # What was expected and what happened are two lines ("will run this year", "resigned on Friday").
            if None not in (tense := _tense(members), fine_tense := _tense(fine_members)) and tense != fine_tense:
                continue
            count = int(same(members + fine_members)[: len(members), len(members) :].sum())
            if count > best_count:
                best, best_count = fine, count
        if best is not None:
            present = [member["source"] for member in groups[best][1]]
            groups[best][1].extend({**m, "folded": True} for m in members if m["source"] not in present)
            folded.add(coarse)
    return [group for index, group in enumerate(groups) if index not in folded]


def event_timeline(
    articles: Sequence[Article], embedder: Embedder | None = None, facts: Sequence[Fact] = ()
) -> list[dict[str, Any]]:
    """The event's dated facts in date order: one line per date and thing said to happen then.

    A sentence is listed under its most specific date expressions (all of them only when they are
    periods apart: two dated happenings). Sentences on one date that say the same thing, by the
    embedder's cosine or, without one, by shared content words, or whose dated clauses another says
    (``_clause_said_by``), or that are one of the event's ``facts``, are one line citing each of them. A
    line of a coarse date that says what a finer line within it says is folded into that line.
    """
    fact_of = {(c.article, c.sentence): fact.id for fact in facts for c in fact.sources}
    common = _common_stems(articles)
    by_date: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
    for article in articles:
        per_sentence: dict[int, list[tuple[TimeRef, tuple[str, str | None, str]]]] = {}
        for ref in article.times:
            if ref.type not in ("DATE", "TIME"):
                continue
            key = _entry(ref)
            index = sentence_at(article, ref.start)
            if key is not None and index is not None:
                per_sentence.setdefault(index, []).append((ref, key))
        for index, refs in sorted(per_sentence.items()):
            for key in _happening_dates(refs):
                inside = [
                    ref
                    for ref, ref_key in refs
                    if _RANK[ref_key[2]] == _RANK[key[2]] and key[0] <= ref_key[0] <= (key[1] or key[0])
                ]
                by_date.setdefault(key, []).append(_member(article, index, [ref for ref, _ in refs], inside, common))
    similarity, threshold = _similarity(embedder)

    def same(members: list[dict[str, Any]]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which members say the same thing: alike in words, one fact, or a dated clause the other says."""
        found = similarity([member["compare"] for member in members]) >= threshold
        facts_of = [fact_of.get((m["source"]["article"], m["source"]["sentence"])) for m in members]
        for i, first in enumerate(members):
            for j, second in enumerate(members):
                found[i, j] |= (facts_of[i] is not None and facts_of[i] == facts_of[j]) or _alike(first, second)
        return found

    groups: list[tuple[tuple[str, str | None, str], list[dict[str, Any]]]] = []
    for key, members in by_date.items():
        found = same(members)
        # One sentence named twice on a date (two expressions) is one source.
        for i, first in enumerate(members):
            for j, second in enumerate(members):
                found[i, j] |= first["source"] == second["source"]
        np.fill_diagonal(found, False)
        groups.extend((key, [members[i] for i in group]) for group in _join_statements(_groups(found), members))
    lines = []
    for key, members in _fold_coarse(groups, same):
        lines.append(_line(key, members, similarity([member["compare"] for member in members])))
    return sorted(lines, key=_order)


def _order(line: dict[str, Any]) -> tuple[str, str, int, str, str]:
    first = line["sources"][0]
    return (line["date"], line["end"] or "", _RANK[line["precision"]], first["article"], f"{first['sentence']:06d}")


def storyline_timeline(
    event_timelines: Sequence[list[dict[str, Any]]], embedder: Embedder | None = None
) -> list[dict[str, Any]]:
    """The storyline's timeline: its events' lines in date order, a line two events share listed once.

    Two events' lines are one when they have the same date and cite a sentence in common or say the
    same thing (as in :func:`event_timeline`); the merged line cites the sources of both.
    """
    by_date: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
    for timeline in event_timelines:
        for line in timeline:
            by_date.setdefault((line["date"], line["end"], line["precision"]), []).append(line)
    similarity, threshold = _similarity(embedder)
    merged = []
    for lines in by_date.values():
        scores = similarity([line["text"] for line in lines])
        same = scores >= threshold
        for i, first in enumerate(lines):
            for j, second in enumerate(lines):
                same[i, j] |= any(source in second["sources"] for source in first["sources"])
        np.fill_diagonal(same, False)
        for group in _groups(same):
            members = [lines[i] for i in group]
            line = dict(members[0])
            line["sources"] = _unique(source for member in members for source in member["sources"])
            line["expressions"] = _unique(text for member in members for text in member["expressions"])
            merged.append(line)
    return sorted(merged, key=_order)


# -- a timeline's summary -------------------------------------------------------------------------------------

# Sentences shorter than this many words say too little to summarize a day (bylines, captions); longer ones
# are run-on text that failed to split.
_SUMMARY_MIN_WORDS = 5
_SUMMARY_MAX_WORDS = 60
# A sentence naming a day counts as a candidate for it when published that day or up to this many days after:
# later articles recall the day in hindsight, in passing (t17-dev AR1-F .135 against .132 with no limit).
_REPORTED_WITHIN_DAYS = 2
# A sentence naming no day tells of its article's publication day or the day before (news of the night
# before), and only from the article's lead: deeper in, undated sentences are background (Ghalandari & Ifrim's
# defaults: the first six sentences, two days; t17-dev AR1-F .135 against .123 with every sentence, .120 with
# the publication day alone).
_LEAD_SENTENCES = 6
_PUBLISHED_WITHIN_DAYS = 1
_SUMMARY_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class DatedSentence:
    """A sentence under a day it tells of: one its time expressions name (``mentioned``), else its article's
    publication day."""

    article: str
    sentence: int  # its index in the article (0: the lead)
    text: str
    day: date
    published: date | None
    mentioned: bool


def _published(article: Article) -> date | None:
    try:
        return date.fromisoformat(article.published[:10]) if article.published else None
    except ValueError:
        return None


def dated_sentences(article: Article) -> list[DatedSentence]:
    """The article's sentences of summary length, each under every day its day-precise time expressions name
    (``Article.times``), a sentence naming none under its article's publication day (none when undated)."""
    published = _published(article)
    out = []
    for sentence in article.sentences:
        if not _SUMMARY_MIN_WORDS <= len(sentence.text.split()) <= _SUMMARY_MAX_WORDS:
            continue
        days = set()
        for ref in article.times:
            if ref.type in ("DATE", "TIME") and sentence.start <= ref.start < sentence.end:
                span = interval(ref.value)
                if span is not None and span[2] in ("day", "time"):
                    try:
                        days.add(date.fromisoformat(span[0]))
                    except ValueError:  # a day the calendar lacks ("2023-02-30")
                        continue
        for day in sorted(days):
            out.append(DatedSentence(article.id, sentence.index, sentence.text, day, published, True))
        if not days and published is not None:
            out.append(DatedSentence(article.id, sentence.index, sentence.text, published, published, False))
    return out


def rank_dates(sentences: Sequence[DatedSentence], count: int, span: tuple[date, date] | None = None) -> list[date]:
    """The ``count`` days (within ``span``) most sentences name, one more for each day articles appeared on;
    earlier days first on ties."""
    score: Counter[date] = Counter(s.day for s in sentences if s.mentioned and s.day != s.published)
    score.update({day: 1 for day in {s.published for s in sentences if s.published is not None}})
    days = [day for day in score if span is None or span[0] <= day <= span[1]]
    return sorted(days, key=lambda d: (-score[d], d))[:count]


def _summary_words(text: str) -> list[str]:
    stop = english_stop_words()
    return [word for word in _SUMMARY_WORD.findall(text.lower()) if word not in stop]


def _is_candidate(sentence: DatedSentence, day: date) -> bool:
    if sentence.published is None:
        return False
    after = (sentence.published - day).days
    if sentence.mentioned:
        return sentence.day == day and 0 <= after <= _REPORTED_WITHIN_DAYS
    return sentence.sentence < _LEAD_SENTENCES and 0 <= after <= _PUBLISHED_WITHIN_DAYS


def _centroid_pick(
    candidates: Sequence[DatedSentence], vectors: np.ndarray[Any, np.dtype[np.float64]], allowed: list[bool], size: int
) -> list[int]:
    """Greedily the allowed candidates whose summed vector stays closest (cosine) to all candidates' centroid;
    a text already taken is not taken again."""
    centroid = vectors.sum(axis=0)
    centroid_norm = float(np.linalg.norm(centroid))
    chosen: list[int] = []
    total = np.zeros_like(centroid)
    taken: set[str] = set()
    for _ in range(size):
        sums = total + vectors
        norms = np.linalg.norm(sums, axis=1) * centroid_norm
        scores = np.divide(sums @ centroid, norms, out=np.zeros(len(candidates)), where=norms > 0)
        # Best score first; the earliest candidate on ties.
        best = next(
            (int(i) for i in np.argsort(-scores, kind="stable") if allowed[i] and candidates[i].text not in taken),
            None,
        )
        if best is None:
            break
        chosen.append(best)
        taken.add(candidates[best].text)
        allowed[best] = False
        total += vectors[best]
    return chosen


def summarize_timeline(
    sentences: Sequence[DatedSentence], dates: Sequence[date], per_date: int, keywords: Collection[str] = ()
) -> dict[date, list[DatedSentence]]:
    """Up to ``per_date`` sentences for each of ``dates``, chosen among ``sentences`` (their pool, which also
    weighs the words: TF-IDF) as the module doc says; a date with no candidate is left out.

    With ``keywords`` (lowercase words), only sentences naming one are taken, unless fewer than ``per_date``
    do; the centroid is that of every candidate, so that a date's summary says what its sentences say."""
    words = [_summary_words(s.text) for s in sentences]
    documents = Counter(word for sentence_words in words for word in set(sentence_words))
    # Smoothed as scikit-learn's TfidfVectorizer smooths it; a word of one sentence tells nothing shared.
    idf = {word: math.log((1 + len(sentences)) / (1 + count)) + 1 for word, count in documents.items() if count > 1}
    column = {word: i for i, word in enumerate(sorted(idf))}
    wanted = set(keywords)
    summary: dict[date, list[DatedSentence]] = {}
    for day in dates:
        rows = [i for i, sentence in enumerate(sentences) if _is_candidate(sentence, day)]
        if not rows:
            continue
        vectors = np.zeros((len(rows), max(len(column), 1)))
        for row, i in enumerate(rows):
            for word, count in Counter(w for w in words[i] if w in idf).items():
                vectors[row, column[word]] = count * idf[word]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        candidates = [sentences[i] for i in rows]
        allowed = [bool(wanted & set(_SUMMARY_WORD.findall(s.text.lower()))) for s in candidates] if wanted else []
        if sum(allowed) < per_date:
            allowed = [True] * len(candidates)
        picked = _centroid_pick(candidates, vectors, allowed, per_date)
        if picked:
            summary[day] = [candidates[i] for i in picked]
    return dict(sorted(summary.items()))


def timeline_summary(
    articles: Sequence[Article],
    dates: int,
    per_date: int,
    keywords: Collection[str] = (),
    span: tuple[date, date] | None = None,
) -> dict[date, list[DatedSentence]]:
    """A timeline of ``articles`` (with sentences and time expressions) in ``dates`` dates (within ``span``) and
    ``per_date`` sentences each: :func:`rank_dates` then :func:`summarize_timeline` over
    :func:`dated_sentences`."""
    sentences = [s for article in articles for s in dated_sentences(article)]
    return summarize_timeline(sentences, rank_dates(sentences, dates, span), per_date, keywords)
