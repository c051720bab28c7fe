from __future__ import annotations

import pytest

from storyline.ingest.metadata import date_from_url, outlet_from_url, parse_date, parse_date_line

MAX = 60


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.themoscowtimes.com/2023/03/17/x", "themoscowtimes.com"),
        ("https://news.bbc.co.uk/2/hi/europe/1.stm", "bbc.co.uk"),
        ("http://EDITION.CNN.com/world", "cnn.com"),
        ("kyivindependent.com/news", "kyivindependent.com"),
        ("http://localhost:8000/a", "localhost"),
        ("not a url", None),
        (None, None),
    ],
)
def test_metadata_outlet_from_url(url: str | None, outlet: str | None) -> None:
    assert outlet_from_url(url) == outlet


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-03-17", "2023-03-17"),
        ("2021-04-21T03:31:00", "2021-04-21T03:31:00"),
        ("2024-05-02T08:30:00+01:00", "2024-05-02T07:30:00Z"),
        ("Fri, 17 Mar 2023 10:00:00 GMT", "2023-03-17T10:00:00Z"),
        ("March 2023", "2023-03"),
        ("2019", "2019"),
        ("yesterday-ish", None),
        ("", None),
        (None, None),
    ],
)
def test_metadata_parse_date_keeps_precision(value: str | None, expected: str | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("March 17, 2023", "2023-03-17"),
        ("Published: Friday, March 7, 2025", "2025-03-07"),
        ("17 March 2023 10:24 GMT", "2023-03-17T10:24:00Z"),
        ("Updated 2023-03-17", "2023-03-17"),
        ("Dec. 30, 2022", "2022-12-30"),
        ("March 2023", "2023-03"),
    ],
)
def test_metadata_dateline_recognised(line: str, expected: str) -> None:
    assert parse_date_line(line, MAX) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Putin invited Xi to visit Moscow on Dec. 30, 2022.",
        "The meeting was on March 17, 2023 in Moscow",
        "Dec. 27",
        "2023",
        "Xi visited Russia in March 2023 where he was welcomed by his dear friend Putin and others.",
    ],
)
def test_metadata_body_sentence_is_not_a_dateline(line: str) -> None:
    assert parse_date_line(line, MAX) is None


def test_metadata_date_from_url() -> None:
    assert date_from_url("https://www.themoscowtimes.com/2023/03/17/chinas-xi-a-80524") == "2023-03-17"
    assert date_from_url("https://example.com/news/a-80524") is None
