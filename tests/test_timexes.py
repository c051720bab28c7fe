"""Time expressions: spans, TimeML values, tense-directed resolution, ranges, and the TempEval-3 scorer."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from storyline.errors import InputError
from storyline.evaluate.temporal import evaluate_temporal, format_temporal
from storyline.nlp.timexes import tag_times, time_ranges

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRIDAY = date(2023, 3, 17)
WEDNESDAY = date(2023, 3, 15)


def _found(text: str, anchor: date | None) -> list[tuple[str, str, str]]:
    return [(ref.text, ref.type, ref.value) for ref in tag_times(text, anchor)]


@pytest.mark.parametrize(
    ("text", "anchor", "expected"),
    [
        ("The treaty was signed on March 20, 2023, in Paris.", FRIDAY, ("March 20, 2023", "DATE", "2023-03-20")),
        ("The treaty was signed on 20 March 2021 in Paris.", FRIDAY, ("20 March 2021", "DATE", "2021-03-20")),
        ("The form is dated 3/20/2023.", FRIDAY, ("3/20/2023", "DATE", "2023-03-20")),
        ("The plant opened in 1998.", FRIDAY, ("1998", "DATE", "1998")),
        ("Rents soared in the 1990s.", FRIDAY, ("the 1990s", "DATE", "199")),
        ("Prices peaked in the mid-1990s.", FRIDAY, ("the mid-1990s", "DATE", "199")),
        ("The storm hit on Dec. 27 and nobody was hurt.", FRIDAY, ("Dec. 27", "DATE", "2022-12-27")),
        ("Shares fell today.", FRIDAY, ("today", "DATE", "2023-03-17")),
        ("Shares fell yesterday.", FRIDAY, ("yesterday", "DATE", "2023-03-16")),
        ("The vote is tomorrow.", FRIDAY, ("tomorrow", "DATE", "2023-03-18")),
        ("The envoy will travel next week.", FRIDAY, ("next week", "DATE", "2023-W12")),
        ("Sales dropped last month.", FRIDAY, ("last month", "DATE", "2023-02")),
        ("Sales dropped two years ago.", FRIDAY, ("two years ago", "DATE", "2021")),
        ("The mill closed last February, the owners said.", FRIDAY, ("last February", "DATE", "2022-02")),
        ("The festival returns this spring.", FRIDAY, ("this spring", "DATE", "2023-SP")),
        ("They met at the Winter Olympics last year.", FRIDAY, ("last year", "DATE", "2022")),
        ("The plan, which they laid out in May, stalls.", date(2024, 12, 27), ("May", "DATE", "2024-05")),
        ("Profit rose in the third quarter of 1998.", FRIDAY, ("the third quarter of 1998", "DATE", "1998-Q3")),
        ("The minister is now in Rome.", FRIDAY, ("now", "DATE", "PRESENT_REF")),
        ("The club has recently changed hands.", FRIDAY, ("recently", "DATE", "PAST_REF")),
        ("Nobody knows what the future holds.", FRIDAY, ("the future", "DATE", "FUTURE_REF")),
        ("The council met at 3 p.m. and left.", FRIDAY, ("3 p.m.", "TIME", "2023-03-17T15:00")),
        ("He spoke to reporters this morning.", FRIDAY, ("this morning", "TIME", "2023-03-17TMO")),
        ("The band plays tonight.", FRIDAY, ("tonight", "TIME", "2023-03-17TNI")),
    ],
)
def test_tag_times_dates_and_times(text: str, anchor: date, expected: tuple[str, str, str]) -> None:
    assert expected in _found(text, anchor)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He spent three years in prison.", ("three years", "DURATION", "P3Y")),
        ("The hearing lasted two hours.", ("two hours", "DURATION", "PT2H")),
        ("The crew waited for several days.", ("several days", "DURATION", "PXD")),
        ("The talks went on for 2 1/2 years.", ("2 1/2 years", "DURATION", "P2Y6M")),
        ("She boarded a 16-hour flight.", ("16-hour", "DURATION", "PT16H")),
        ("Profit fell in the first nine months.", ("the first nine months", "DURATION", "P9M")),
        ("The board meets every week.", ("every week", "SET", "P1W")),
        ("The report is published annually.", ("annually", "SET", "P1Y")),
        ("The ferry leaves each Thursday.", ("each Thursday", "SET", "XXXX-WXX-4")),
    ],
)
def test_tag_times_durations_and_sets(text: str, expected: tuple[str, str, str]) -> None:
    assert expected in _found(text, FRIDAY)


@pytest.mark.parametrize(
    ("text", "anchor", "value", "tense"),
    [
        # Past tense: the last such day, the publication day included.
        ("The ministers met on Monday.", WEDNESDAY, "2023-03-13", "past"),
        ("The ministers met on Wednesday.", WEDNESDAY, "2023-03-15", "past"),
        ("Officials said Friday that the port had reopened.", WEDNESDAY, "2023-03-10", "past"),
        # Future tense: the next one.
        ("The ministers will meet on Monday.", WEDNESDAY, "2023-03-20", "future"),
        ("The ministers are expected to meet on Friday.", WEDNESDAY, "2023-03-17", "future"),
        ("The ministers plan to meet on Tuesday.", WEDNESDAY, "2023-03-21", "future"),
    ],
)
def test_tag_times_weekday_follows_tense(text: str, anchor: date, value: str, tense: str) -> None:
    refs = [ref for ref in tag_times(text, anchor) if ref.type == "DATE"]
    assert [(ref.value, ref.tense) for ref in refs] == [(value, tense)]


@pytest.mark.parametrize(
    ("text", "anchor", "expected"),
    [
        ("The chancellor will visit Canada next year, aides said.", date(2024, 12, 27), ("next year", "DATE", "2025")),
        # The month just ended is "last month": "last February" in March is a year back, an earlier month is not.
        ("The dam was finished last February.", FRIDAY, ("last February", "DATE", "2022-02")),
        ("The dam was finished last January.", FRIDAY, ("last January", "DATE", "2023-01")),
        ("The dam was finished this past February.", FRIDAY, ("this past February", "DATE", "2023-02")),
        ("The summit will be held in April.", date(2022, 12, 5), ("April", "DATE", "2023-04")),
        ("Exports collapsed in October, the bureau said.", date(2023, 1, 10), ("October", "DATE", "2022-10")),
    ],
)
def test_tag_times_relative_months_and_years(text: str, anchor: date, expected: tuple[str, str, str]) -> None:
    assert expected in _found(text, anchor)


@pytest.mark.parametrize(
    ("text", "tense"),
    [
        # The expression's own words say which side of the publication it is on, whatever the verb's tense.
        ("The chairman is expected in Russia next year.", "future"),
        ("The chairman is in Russia since two weeks ago.", "past"),
    ],
)
def test_tag_times_expression_gives_its_own_tense(text: str, tense: str) -> None:
    refs = [ref for ref in tag_times(text, FRIDAY) if ref.type == "DATE"]
    assert [ref.tense for ref in refs] == [tense]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Capitals make names of date words: a newspaper, a morning show, a Sunday programme.
        ("The lawyer wrote last month in USA Today.", [("last month", "DATE", "2023-02")]),
        ('Trump told NBC\'s "Today" show on Thursday.', [("Thursday", "DATE", "2023-03-16")]),
        ('"That\'s not on my agenda," he said on "This Week."', []),
        # The same words as dates.
        ("Today, the council voted.", [("Today", "DATE", "2023-03-17")]),
        ('"Today we act," she said.', [("Today", "DATE", "2023-03-17")]),
        (
            "The council votes today and meets this week.",
            [("today", "DATE", "2023-03-17"), ("this week", "DATE", "2023-W11")],
        ),
    ],
)
def test_tag_times_leaves_titles_of_date_words_alone(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _found(text, FRIDAY) == expected


def test_tag_times_without_anchor_stays_underspecified() -> None:
    found = _found("The ministers met on Monday and will meet again next week.", None)
    assert found == [("Monday", "DATE", "XXXX-WXX-1"), ("next week", "DATE", "XXXX-WXX")]


def test_tag_times_refs_are_sorted_exact_and_deterministic() -> None:
    text = "On Friday, March 17, 2023, the council said it met for two hours yesterday and meets daily."
    refs = tag_times(text, FRIDAY)
    assert refs == tag_times(text, FRIDAY)
    assert [ref.start for ref in refs] == sorted(ref.start for ref in refs)
    assert all(ref.text == text[ref.start : ref.end] for ref in refs)
    assert all(a.end <= b.start for a, b in pairwise(refs))


def test_tag_times_leaves_ages_and_plain_words_alone() -> None:
    text = "The 44-year-old driver, who is 52 years old, may march in the parade if prices fall."
    assert tag_times(text, FRIDAY) == []


@pytest.mark.parametrize(
    ("text", "anchor", "span", "value", "end_value"),
    [
        (
            "Chinese President Xi Jinping will visit Russia next week, the ministry said. "
            "He will be in Moscow from Monday through Wednesday.",
            FRIDAY,
            "Monday through Wednesday",
            "2023-03-20",
            "2023-03-22",
        ),
        (
            "The envoy will visit next week from Monday through Wednesday, officials said.",
            FRIDAY,
            "Monday through Wednesday",
            "2023-03-20",
            "2023-03-22",
        ),
        ("The fair will run March 20 to 22 in Lyon.", FRIDAY, "March 20 to 22", "2023-03-20", "2023-03-22"),
        ("The fair ran March 20-22, 2019.", FRIDAY, "March 20-22, 2019", "2019-03-20", "2019-03-22"),
        ("He taught there between 1994 and 1997.", FRIDAY, "1994 and 1997", "1994", "1997"),
        ("Exports grew between June and December 2022.", FRIDAY, "June and December 2022", "2022-06", "2022-12"),
    ],
)
def test_time_ranges_merge_connected_dates(text: str, anchor: date, span: str, value: str, end_value: str) -> None:
    ranges = [ref for ref in time_ranges(tag_times(text, anchor), text) if ref.end_value]
    assert [(ref.text, ref.value, ref.end_value) for ref in ranges] == [(span, value, end_value)]


def test_time_ranges_keeps_separate_days_apart() -> None:
    text = "The ministers met on Monday and Wednesday."
    refs = tag_times(text, FRIDAY)
    assert time_ranges(refs, text) == refs


def test_evaluate_temporal_scores_perfect_fixture() -> None:
    scores = evaluate_temporal(FIXTURES / "temporal.jsonl")
    assert scores.documents == 3
    assert scores.gold == scores.predicted == 10
    for field in ("strict", "relaxed", "type", "value"):
        assert getattr(scores, f"{field}_f1") == pytest.approx(1.0)
    assert json.loads(json.dumps(dataclasses.asdict(scores)))["value_f1"] == pytest.approx(1.0)
    assert "strict span" in format_temporal(scores)


def test_evaluate_temporal_attribute_f1_is_relaxed_f1_times_accuracy(tmp_path: Path) -> None:
    record = {
        "id": "x",
        "dct": "2023-03-17",
        "text": "He left on Friday.",
        "timexes": [{"start": 11, "end": 17, "type": "DATE", "value": "2023-03-10"}],
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    scores = evaluate_temporal(path)
    assert scores.relaxed_f1 == pytest.approx(1.0)
    assert scores.value_f1 == pytest.approx(scores.relaxed_f1 * scores.value_accuracy) == pytest.approx(0.0)
    assert scores.type_f1 == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2"),
        ('{"id": "b", "dct": "2023-03-17", "timexes": []}', "field 'text'"),
        ('{"id": "b", "dct": "2023-03-17", "text": "Hi", "timexes": [{"start": 0, "type": "DATE"}]}', "timexes[0].end"),
    ],
)
def test_evaluate_temporal_rejects_bad_line(tmp_path: Path, line: str, message: str) -> None:
    good = (FIXTURES / "temporal.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        evaluate_temporal(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_time_ranges_leave_neighbours_that_are_no_range_as_tagged() -> None:
    # "next year" is not the start of a range ending in February 2022: it keeps its own year.
    text = "He is expected in Russia next year, he said. Since February 2022, Putin has visited China twice."
    refs = tag_times(text, date(2024, 12, 27))
    assert [(r.text, r.value) for r in time_ranges(refs, text)] == [("next year", "2025"), ("February 2022", "2022-02")]
