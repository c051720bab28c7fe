from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from storyline.config import Settings
from storyline.errors import StorylineError
from storyline.report import build_report, render_report, validate_report
from storyline.store import SQLiteStore

from .conftest import sample_article


@pytest.fixture
def report(ingested: SQLiteStore, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return build_report(ingested)


def test_report_validates_against_the_shipped_schema(report: dict) -> None:
    validate_report(report)
    assert report["schema"] == "storyline.report/1"
    assert report["generated"] == "2023-11-14T22:13:20Z"


@pytest.mark.parametrize(
    "breakage",
    [
        lambda r: r.pop("events"),
        lambda r: r["articles"][0].pop("published_source"),
        lambda r: r["articles"][0].update(published="17 March"),
        lambda r: r["events"][0].update(articles=[]),
        lambda r: r["events"][0]["summary"][0]["sources"][0].update(sentence=-1),
        lambda r: r.update(schema="storyline.report/2"),
    ],
)
def test_report_schema_rejects_broken_reports(report: dict, breakage) -> None:
    broken = copy.deepcopy(report)
    breakage(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate_report(broken)


def test_report_sample_facts_about_articles(report: dict, ingested: SQLiteStore) -> None:
    by_id = {a["id"]: a for a in report["articles"]}
    moscow_times = by_id[sample_article(ingested, "002").id]
    assert moscow_times["outlet"] == "themoscowtimes.com"
    assert moscow_times["published"] == "2023-03-17" and moscow_times["published_source"] == "text"
    late = by_id[sample_article(ingested, "004").id]
    assert (late["published"], late["published_source"]) == ("2024-12-27", "inferred")
    assert len(report["articles"]) == 5 and len(report["events"]) == 2 and len(report["storylines"]) == 1


def test_report_citations_quote_their_sentences(report: dict) -> None:
    sentences = {a["id"]: a["sentences"] for a in report["articles"]}
    cited = 0
    for event in report["events"]:
        for line in event["summary"]:
            for source in line["sources"]:
                assert sentences[source["article"]][source["sentence"]] == source["text"]
                cited += 1
    assert cited >= 2


def test_report_is_deterministic(ingested: SQLiteStore, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    first = render_report(build_report(ingested), "json")
    second = render_report(build_report(ingested), "json")
    assert first == second


def test_report_for_one_event(ingested: SQLiteStore, settings: Settings) -> None:
    event = ingested.events()[0]
    one = build_report(ingested, event.id)
    validate_report(one)
    assert [e["id"] for e in one["events"]] == [event.id]
    assert [a["id"] for a in one["articles"]] == list(event.articles)
    assert [s["events"] for s in one["storylines"]] == [[event.id]], "only the asked event of its storyline"


def test_report_unknown_event_is_an_error(ingested: SQLiteStore, settings: Settings) -> None:
    with pytest.raises(StorylineError, match=r"E015.*e-nope"):
        build_report(ingested, "e-nope")


def test_report_markdown_and_html(report: dict) -> None:
    markdown = render_report(report, "md")
    html = render_report(report, "html")
    first_event = report["events"][0]
    citation = first_event["summary"][0]["sources"][0]
    assert markdown.startswith("# Story report")
    assert f"[{citation['article']} §{citation['sentence']}]" in markdown
    assert "China's Xi to Visit Russia on March 20" in markdown
    assert html.startswith("<!doctype html>")
    assert f'href="#{citation["article"]}-s{citation["sentence"]}"' in html
    assert f'id="{citation["article"]}-s{citation["sentence"]}"' in html
    assert "<script src" not in html and "<link" not in html, "the page is self-contained"
    assert "China&#39;s Xi" in html, "text is HTML-escaped"


def test_report_html_escapes_hostile_text(report: dict) -> None:
    hostile = copy.deepcopy(report)
    hostile["events"][0]["title"] = "<script>alert(1)</script>"
    hostile["articles"][0]["sentences"][0] = "<img src=x onerror=alert(1)>"
    html = render_report(hostile, "html")
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_report_json_round_trips(report: dict) -> None:
    assert json.loads(render_report(report, "json")) == report


def test_report_sample_visit_dates_and_translated_quote(ingested: SQLiteStore, settings: Settings) -> None:
    """The March 2023 visit runs 2023-03-20..22, said by four outlets in three ways; Ushakov's
    "restrained, measured position" and "balanced position" are one statement."""
    report = build_report(ingested)
    (visit,) = [e for e in report["events"] if len(e["articles"]) == 4]
    (span,) = [t for t in visit["timeline"] if (t["date"], t["end"]) == ("2023-03-20", "2023-03-22")]
    assert {s["article"] for s in span["sources"]} == set(visit["articles"])
    assert "Monday through Wednesday" in span["expressions"]
    ushakov = [q for q in visit["quotes"] if q["speaker_name"] and "Ushakov" in q["speaker_name"]]
    (statement,) = [q for q in ushakov if "measured position" in q["text"]]
    assert [v["text"] for v in statement["variants"] if "balanced position" in v["text"]]
    (later,) = [e for e in report["events"] if len(e["articles"]) == 1]
    assert [t for t in later["timeline"] if t["date"] == "2025" and t["tense"] == "future"]


def test_report_storyline_says_what_its_events_share(report: dict) -> None:
    (storyline,) = report["storylines"]
    about = {item["name"]: item["events"] for item in storyline["about"]}
    # Both visits' reports name the two leaders; an entity named in one event only is no reason to link them.
    assert about.get("Xi Jinping") == 2 and about.get("Vladimir Putin") == 2
    assert all(count >= 2 for count in about.values())
    titles = {e["title"] for e in report["events"]}
    assert storyline["title"] in titles
