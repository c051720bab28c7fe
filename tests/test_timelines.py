"""Timeline summarization: the alignment-based ROUGE scorer and `storyline eval timelines` on a tiny pool."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.errors import InputError
from storyline.evaluate.timelines import evaluate_timelines, rouge_counts, timeline_scores
from storyline.serve.cli import cli

QUAKE = "A powerful earthquake struck Haiti near the capital, destroying thousands of homes."
AID = "The first aid flights landed in Haiti carrying water, food and medical teams."


def test_rouge_counts_drop_stop_words_and_stem() -> None:
    # "struck"/"strike" differ; "earthquakes" stems to "earthquak" as "earthquake" does; "the" is not counted.
    assert rouge_counts(["The earthquakes struck"], ["an earthquake struck the town"])[1] == (2, 2, 3)
    assert rouge_counts(["The earthquakes struck"], ["an earthquake struck the town"])[2] == (1, 1, 2)


def test_timeline_scores_perfect_shifted_and_missing() -> None:
    gold = {date(2010, 1, 12): [QUAKE], date(2010, 1, 14): [AID]}
    assert timeline_scores(gold, gold) == {"date_f1": 1.0, "ar1_f": 1.0, "ar2_f": 1.0}
    # One day off: the dates miss, the words count at half weight (1 / (1 + 1 day)).
    shifted = {date(2010, 1, 13): [QUAKE], date(2010, 1, 15): [AID]}
    assert timeline_scores(shifted, gold) == pytest.approx({"date_f1": 0.0, "ar1_f": 0.5, "ar2_f": 0.5})
    # Half the timeline: precision 1, recall ~ the share of gold words it holds.
    half = timeline_scores({date(2010, 1, 12): [QUAKE]}, gold)
    assert half["date_f1"] == pytest.approx(2 / 3)
    assert 0.5 < half["ar1_f"] < 0.8


def _pool(tmp_path: Path) -> Path:
    articles = [
        {
            "id": "1",
            "published": "2010-01-12",
            "title": "Quake",
            "text": f"{QUAKE}\nHaiti officials said on Tuesday that the earthquake destroyed homes in the capital .\n"
            "Markets elsewhere were calm on the day .",
        },
        {
            "id": "2",
            "published": "2010-01-14",
            "title": "Aid",
            "text": f"{AID}\nOn Thursday the first aid flights reached Haiti with water and food .\n"
            "Haiti relief groups said the earthquake on Tuesday left thousands without homes .",
        },
        {
            "id": "3",
            "published": "2010-01-14",
            "title": "Aid",
            "text": "Aid flights to Haiti brought water and food to the capital on Thursday .",
        },
    ]
    gold = [{"date": "2010-01-12", "summary": [QUAKE]}, {"date": "2010-01-14", "summary": [AID]}]
    record = {"id": "haiti_test", "topic": "haiti", "keywords": ["haiti"], "articles": articles, "timelines": [gold]}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def test_eval_timelines_finds_both_dates_and_their_sentences(tmp_path: Path) -> None:
    result = evaluate_timelines(_pool(tmp_path))
    (topic,) = result.topics
    assert (topic.id, topic.articles, topic.timelines, topic.dates) == ("haiti_test", 3, 1, 2)
    assert topic.date_f1 == 1.0
    # One sentence a day, each about that day's happening (the centroid's, not always the gold's words).
    assert topic.ar1_f > 0.45 and topic.ar2_f > 0.15
    assert result.date_f1 == topic.date_f1


def test_eval_timelines_cli_prints_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "timelines", str(_pool(tmp_path)), "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    (scores,) = json.loads(result.stdout)
    assert scores["topics"][0]["id"] == "haiti_test" and {"date_f1", "ar1_f", "ar2_f"} <= set(scores)


def test_eval_timelines_rejects_a_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    record = {"id": "x", "articles": [{"id": "1", "published": "soon", "text": "Words here."}], "timelines": []}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"articles\.published"):
        evaluate_timelines(path)
