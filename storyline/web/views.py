"""What the pages draw, from the report's JSON data: the coverage matrix, the label grid and the timelines'
date axes. Pure functions: the pages and the static site call them alike."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

# Facts a coverage matrix shows at most (most corroborated first; those of one outlet after).
MATRIX_FACTS = 40
# The date axis: drawing width in SVG units, margins; a tick label's character at the axis's 20-unit font (digits
# and letters up to ~.65 em: a label never runs off the axis) and the least room between two labels.
_AXIS_WIDTH = 1000
_AXIS_MARGIN = 24
_CHAR_UNITS = 13.0
_LABEL_GAP = 16
_MARK_ROOM = 34


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """A fact and, for each outlet of the event in order, the sentence that outlet reports it with (or None)."""

    fact: dict[str, Any]
    cells: tuple[dict[str, Any] | None, ...]
    lone: bool


def source_name(article: dict[str, Any]) -> str:
    """What a reader calls an article's source: its outlet, else its file's name, else its id."""
    path = article.get("path") or ""
    return article.get("outlet") or path.replace("\\", "/").rsplit("/", 1)[-1] or article["id"]


def article_outlets(event: dict[str, Any], articles: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each of the event's articles' source: its outlet, or for an article of unknown outlet its own name."""
    return {a: source_name(articles[a]) if a in articles else a for a in event["articles"]}


def event_outlets(event: dict[str, Any], articles: dict[str, dict[str, Any]]) -> list[str]:
    """The event's sources, the first to report it first (an article of unknown outlet is a source of its own)."""
    outlet_of = article_outlets(event, articles)
    ordered = [outlet_of[a] for o in event["coverage"].get("outlets", []) for a in o["articles"] if a in outlet_of]
    ordered += [outlet_of[a] for a in event["articles"]]
    return list(dict.fromkeys(ordered))


def coverage_matrix(
    event: dict[str, Any], articles: dict[str, dict[str, Any]], limit: int = MATRIX_FACTS
) -> tuple[list[str], list[MatrixRow]]:
    """Outlets x facts: which outlet reports which fact. Facts only one outlet reports are flagged ``lone``."""
    outlets = event_outlets(event, articles)
    outlet_of = article_outlets(event, articles)
    rows = []
    for fact in event["facts"][:limit]:
        by_outlet: dict[str, dict[str, Any]] = {}
        for source in fact["sources"]:
            by_outlet.setdefault(outlet_of.get(source["article"], source["article"]), source)
        rows.append(MatrixRow(fact, tuple(by_outlet.get(o) for o in outlets), len(by_outlet) == 1))
    return outlets, rows


def label_grid(
    event: dict[str, Any], articles: dict[str, dict[str, Any]]
) -> tuple[list[str], list[tuple[dict[str, Any], list[list[dict[str, Any]]]]]]:
    """Entity x outlet: the words each outlet uses for each entity (quoted words marked as the speaker's).
    Only entities with labels from at least one outlet; the most labelled first."""
    outlets = event_outlets(event, articles)
    outlet_of = article_outlets(event, articles)
    entities = {e["id"]: e for e in event["entities"]}
    cells: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for label in event["labels"]:
        outlet = outlet_of.get(label["article"], label["outlet"] or label["article"])
        row = cells.setdefault(label["entity"], {})
        if not any(x["label"] == label["label"] and x["quoted"] == label["quoted"] for x in row.get(outlet, [])):
            row.setdefault(outlet, []).append(label)
    ranked = sorted(cells, key=lambda e: (-sum(len(v) for v in cells[e].values()), e))
    rows = [(entities.get(e, {"id": e, "name": e, "type": ""}), [cells[e].get(o, []) for o in outlets]) for e in ranked]
    return outlets, rows


def _as_date(value: str | None) -> date | None:
    """The first day a TimeML-style value (2023, 2023-03, 2023-03-20...) names, if it names one."""
    if not value:
        return None
    parts = value[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1
        day = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class AxisMark:
    """A point on a date axis: ``x`` in SVG units, the line it links to, its tooltip, and how many lines it
    stands for (lines too close to tell apart share a mark)."""

    x: float
    anchor: str
    label: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class DateAxis:
    """A date axis as SVG draws it: ticks (x, text, where the text starts) and marks."""

    width: int
    ticks: tuple[tuple[float, str, float], ...]
    marks: tuple[AxisMark, ...]


def date_axis(points: Iterable[tuple[str | None, str, str]]) -> DateAxis | None:
    """Place (date, anchor, label) points on one axis; points closer than a mark's width share one mark.
    None when no point has a date."""
    dated = sorted((d, anchor, label) for value, anchor, label in points if (d := _as_date(value)) is not None)
    if not dated:
        return None
    first, last = dated[0][0], dated[-1][0]
    span = max((last - first).days, 1)
    inner = _AXIS_WIDTH - 2 * _AXIS_MARGIN

    def x_of(day: date) -> float:
        return round(_AXIS_MARGIN + inner * (day - first).days / span, 1) if last != first else _AXIS_WIDTH / 2

    groups: list[list[tuple[float, str, str]]] = []
    for day, anchor, label in dated:
        x = x_of(day)
        if groups and x - groups[-1][-1][0] < _MARK_ROOM:
            groups[-1].append((x, anchor, label))
        else:
            groups.append([(x, anchor, label)])
    marks = tuple(
        AxisMark(
            x=group[0][0],
            anchor=group[0][1],
            label="\n".join(label for _, _, label in group[:8])
            + (f"\n… {len(group) - 8} more" if len(group) > 8 else ""),
            count=len(group),
        )
        for group in groups
    )
    return DateAxis(_AXIS_WIDTH, _ticks(first, last, x_of), marks)


def _ticks(first: date, last: date, x_of: Any) -> tuple[tuple[float, str, float], ...]:
    """Labelled ticks (x, text, where the text starts) at years, else months, else days, every step of the
    smallest step whose labels do not touch: evenly spaced (Jan, Apr, Jul, Oct), not thinned one by one."""
    days = (last - first).days
    text: Callable[[date], str]
    rank: Callable[[date], int]
    steps: tuple[int, ...]
    if days > 3 * 365:
        every = [date(y, 1, 1) for y in range(first.year, last.year + 1)]
        steps, text, rank = (1, 2, 5, 10, 25, 50, 100), (lambda d: str(d.year)), (lambda d: d.year)
    elif days > 62:
        every = []
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            every.append(date(y, m, 1))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        steps, text, rank = (1, 2, 3, 6, 12), (lambda d: d.strftime("%b %Y")), (lambda d: d.month - 1)
    else:
        every = [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]
        steps, text, rank = (1, 2, 7, 14, 31), (lambda d: d.strftime("%d %b %Y")), (lambda d: d.toordinal())
    ticks: tuple[tuple[float, str, float], ...] = ()
    for step in steps:
        ticks = tuple(_placed(x_of(max(day, first)), text(day)) for day in every if rank(day) % step == 0)
        if all(_extent(a)[1] + _LABEL_GAP <= _extent(b)[0] for a, b in itertools.pairwise(ticks)):
            return ticks
    return ticks[:1]


def _placed(x: float, text: str) -> tuple[float, str, float]:
    """A tick and where its label starts: centred on the tick, moved inside the axis where it would leave it."""
    width = len(text) * _CHAR_UNITS
    return x, text, round(min(max(x - width / 2, 0.0), _AXIS_WIDTH - width), 1)


def _extent(tick: tuple[float, str, float]) -> tuple[float, float]:
    _, text, left = tick
    return left, left + len(text) * _CHAR_UNITS


def timeline_axis(entries: Sequence[dict[str, Any]]) -> DateAxis | None:
    """An event's or storyline's timeline on a date axis: one mark per entry, linked to its line (#t<n>)."""
    return date_axis((e["date"], f"t{i}", f"{e['date']}: {e['text'][:120]}") for i, e in enumerate(entries))


def events_axis(events: Sequence[dict[str, Any]]) -> DateAxis | None:
    """A storyline's events on a date axis, each at the day it was first reported, linked to its card (#e<n>)."""
    return date_axis(
        (e["first_seen"], f"e{i}", f"{(e['first_seen'] or '')[:10]}: {e['title']}") for i, e in enumerate(events)
    )


def quotes_by_speaker(event: dict[str, Any]) -> list[tuple[str | None, str, list[dict[str, Any]]]]:
    """The event's quotes grouped by who said them, (speaker id, name, quotes): the most quoted first, the
    unattributed last; within a speaker, in the analysis's order."""
    groups: dict[str, tuple[str | None, str, list[dict[str, Any]]]] = {}
    for quote in event["quotes"]:
        name = quote["speaker_name"] or ""
        key = quote["speaker"] or name or "~"
        groups.setdefault(key, (quote["speaker"], name or "Unattributed", []))[2].append(quote)
    return sorted(groups.values(), key=lambda g: (g[0] is None and g[1] == "Unattributed", -len(g[2]), g[1]))
