"""Storylines: linked as a whole (no chaining through a bridge), titled after their most central event."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from storyline.cluster import ClusteringModel, OnlineClusterer, load_clustering_model
from storyline.config import Settings
from storyline.evaluate.storylines import evaluate_storylines
from storyline.model import Article
from storyline.serve.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

DIMENSIONS = 3


def _never_joining(settings: Settings) -> ClusteringModel:
    """The shipped model with decisions that never join: every article starts an event."""
    shipped = load_clustering_model("", settings.embed.model)
    return replace(shipped, judges={t: replace(j, join_probability=2.0) for t, j in shipped.judges.items()})


def _article(number: int, vector: list[float], title: str, day: int = 1) -> Article:
    text = f"Report number {number} on a matter of its own."
    embedding = np.array(vector, dtype=np.float32)
    return Article(id=Article.make_id(text, title, None, str(number)), text=text, title=title,
                   published=f"2024-05-{day:02d}", embedding=embedding / np.linalg.norm(embedding))  # fmt: skip


def _turned(degrees: float) -> list[float]:
    angle = math.radians(degrees)
    return [math.cos(angle), math.sin(angle), 0.0]


def test_storylines_a_drift_of_small_steps_does_not_chain_into_one(settings: Settings) -> None:
    """Each event is close to the one before (cos .97), the last far from the first (cos 0): single linkage
    would put them all in one storyline; linked to the storyline as a whole, the drift breaks off."""
    cluster = replace(settings.cluster, storyline_threshold=0.8, storyline_sibling_threshold=0.8)
    clusterer = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
    storylines = [clusterer.assign(_article(i, _turned(14 * i), f"Step {i}"))[1] for i in range(8)]
    assert storylines[1] == storylines[0]  # one small step is the same story
    assert storylines[-1] != storylines[0]  # ninety-eight degrees away is not
    assert len(set(storylines)) > 1


def test_storylines_a_story_silent_for_a_month_takes_only_a_close_event(settings: Settings) -> None:
    """A storyline last heard of more than ``storyline_gap_days`` ago needs ``storyline_gap_threshold``: the same
    domain months later (closeness .64) is another story; the story itself resumed (.99) is not."""

    def stream(gap_days: float) -> list[str]:
        cluster = replace(settings.cluster, storyline_gap_days=gap_days, storyline_gap_threshold=0.9)
        clusterer = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
        steps = [("2024-01-01", 0), ("2024-01-11", 10), ("2024-04-15", 50), ("2024-04-20", 6)]
        return [clusterer.assign(replace(_article(n, _turned(degrees), f"Event {n}"), published=day))[1]
                for n, (day, degrees) in enumerate(steps)]  # fmt: skip

    first, ten_days_on, three_months_on, resumed = stream(gap_days=30.0)
    assert ten_days_on == first  # closeness .99 clears the storyline threshold (.3)
    assert three_months_on != first  # after three months of silence, .64 is not enough
    assert resumed == first  # the story itself, back
    first, _, three_months_on, _ = stream(gap_days=0.0)
    assert three_months_on == first  # without the rule, closeness .64 links it


def test_storylines_title_follows_the_most_central_event(settings: Settings) -> None:
    cluster = replace(settings.cluster, storyline_threshold=0.5, storyline_sibling_threshold=0.5)
    clusterer = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
    _, storyline, first = clusterer.assign(_article(0, _turned(-30), "An early side story"))
    assert first.new_storyline and clusterer.storylines[storyline].title == "An early side story"
    retitles = []
    for i, (degrees, title) in enumerate([(5, "The main event"), (0, "The heart of it"), (8, "A follow-up")]):
        _, same, decision = clusterer.assign(_article(i + 1, _turned(degrees), title, day=2 + i))
        assert same == storyline
        retitles.append(decision.retitled)
    # The centre moves towards the later events: the one nearest it titles the storyline.
    assert clusterer.storylines[storyline].title == "The heart of it"
    assert "The heart of it" in retitles


def test_storylines_title_survives_a_restart(settings: Settings) -> None:
    cluster = replace(settings.cluster, storyline_threshold=0.5, storyline_sibling_threshold=0.5)
    clusterer = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
    for i, degrees in enumerate([-30, 0, 3]):
        _, storyline, _ = clusterer.assign(_article(i, _turned(degrees), f"Event {i}", day=1 + i))
    resumed = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
    resumed.restore(clusterer.snapshot())
    kept = resumed.storylines[storyline]
    assert (kept.title, kept.title_event) == (clusterer.storylines[storyline].title,
                                              clusterer.storylines[storyline].title_event)  # fmt: skip
    assert kept.title_centre is not None


def test_storylines_reach_events_that_have_left_memory(settings: Settings) -> None:
    """A storyline grows across months: its centre and title event stay when its events are evicted."""
    dimensions = 16
    cluster = replace(settings.cluster, storyline_threshold=0.6, storyline_sibling_threshold=0.6)
    clusterer = OnlineClusterer(_never_joining(settings), cluster, dimensions)
    rng = np.random.default_rng(3)
    visit = np.zeros(dimensions, np.float32)
    visit[0] = 1.0
    first, storyline, _ = clusterer.assign(_article(0, visit.tolist(), "The first visit"))
    for i in range(1, 40):  # other news over the next weeks: the first visit's event leaves memory
        filler = rng.normal(size=dimensions)
        filler[0] = 0.0
        clusterer.assign(_article(i, filler.tolist(), f"Other news {i}", day=1 + i % 28))
    assert first not in clusterer.event_keys
    later = visit + 0.1 * np.eye(dimensions, dtype=np.float32)[1]
    second = _article(99, later.tolist(), "The second visit")
    second = replace(second, published="2025-05-01")
    event, linked, _ = clusterer.assign(second)
    assert event != first and linked == storyline


def _named(number: int, vector: list[float], names: str, day: int = 1) -> Article:
    text = f"Report number {number} says that {names} met again on the matter."
    embedding = np.array(vector, dtype=np.float32)
    return Article(id=Article.make_id(text, None, None, str(number)), text=text, published=f"2024-05-{day:02d}",
                   embedding=embedding / np.linalg.norm(embedding))  # fmt: skip


def test_storylines_need_a_shared_principal_name_that_is_rare_in_the_stream(settings: Settings) -> None:
    """Close in vector space is not enough: a storyline is joined through a name most of its events share and
    few other articles do ("Manchin"), not through one every article of the stream has ("Biden")."""

    def stream(principal_idf: float) -> tuple[str, str, str]:
        cluster = replace(settings.cluster, storyline_threshold=0.5, storyline_sibling_threshold=0.5,
                          storyline_principal_idf=principal_idf, storyline_principal_after=0)  # fmt: skip
        clusterer = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
        for i in range(30):  # a year of news that all names Biden
            clusterer.assign(_named(100 + i, _turned(90 + (i % 3)), f"Biden and Official{i}", day=1 + i % 20))
        _, talks, _ = clusterer.assign(_named(1, _turned(0), "Biden and Manchin", day=21))
        _, more_talks, _ = clusterer.assign(_named(2, _turned(3), "Manchin and Biden", day=22))
        _, kabul, _ = clusterer.assign(_named(3, _turned(5), "Biden and Kabul", day=23))
        return talks, more_talks, kabul

    talks, more_talks, kabul = stream(principal_idf=2.0)
    assert more_talks == talks  # shares Manchin, rare in the stream
    assert kabul != talks  # shares only Biden
    talks, _, kabul = stream(principal_idf=0.0)
    assert kabul == talks  # without the requirement, closeness alone links it


def test_storylines_articles_without_worded_names_are_linked_by_closeness(settings: Settings) -> None:
    """Chinese has no capitals: its names are numbers alone, so the principal-name requirement cannot apply."""
    cluster = replace(settings.cluster, storyline_threshold=0.5, storyline_sibling_threshold=0.5,
                      storyline_principal_idf=5.0, storyline_principal_after=0)  # fmt: skip
    clusterer = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)

    def chinese(number: int, degrees: float, text: str) -> Article:
        embedding = np.array(_turned(degrees), dtype=np.float32)
        return Article(id=Article.make_id(text, None, None, str(number)), text=text, published="2024-05-02",
                       lang="zh", embedding=embedding)  # fmt: skip

    _, first, _ = clusterer.assign(chinese(1, 0, "习近平将于2023年3月20日访问俄罗斯。"))
    _, second, _ = clusterer.assign(chinese(2, 3, "习近平抵达莫斯科，开始为期三天的国事访问。"))
    _, english, _ = clusterer.assign(_named(3, _turned(4), "Xi and Putin"))
    assert second == first  # close, and no worded name to compare
    assert english != first  # worded names, none of them principal (rare) in the storyline


def _worded(number: int, degrees: float, text: str, day: int = 1) -> Article:
    embedding = np.array(_turned(degrees), dtype=np.float32)
    return Article(id=Article.make_id(text, None, None, str(number)), text=text, published=f"2024-05-{day:02d}",
                   embedding=embedding)  # fmt: skip


def test_storylines_need_a_shared_theme_word_and_keep_it_across_a_restart(settings: Settings) -> None:
    """Close in vector space is not enough: a new event joins a storyline only when it mentions a word most of
    the storyline's events are about ("infrastructure"), and the storyline keeps its theme through a snapshot."""

    def stream(keywords: int) -> tuple[str, str, str, str]:
        cluster = replace(settings.cluster, storyline_threshold=0.5, storyline_sibling_threshold=0.5,
                          storyline_principal_idf=0.0, storyline_theme_keywords=keywords,
                          storyline_theme_share=0.5)  # fmt: skip
        clusterer = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
        stories = [
            "Senators in Washington debate the infrastructure bill for bridges and roads.",
            "The infrastructure deal in Washington pays for roads and bridges.",
            "Vaccine doses from Washington are shipped abroad as the pandemic goes on.",
            "A vote in Washington on infrastructure money is set for next week.",
        ]
        _, roads, _ = clusterer.assign(_worded(1, 0, stories[0]))
        _, more, _ = clusterer.assign(_worded(2, 3, stories[1], day=2))
        resumed = OnlineClusterer(_never_joining(settings), cluster, DIMENSIONS)
        resumed.restore(clusterer.snapshot())
        _, doses, _ = resumed.assign(_worded(3, 5, stories[2], day=3))
        _, vote, _ = resumed.assign(_worded(4, 4, stories[3], day=4))
        return roads, more, doses, vote

    roads, more, doses, vote = stream(keywords=5)
    assert more == roads and vote == roads  # they share "infrastructure" with the storyline's events
    assert doses != roads  # as close, but about something else
    roads, _, doses, _ = stream(keywords=0)
    assert doses == roads  # without the requirement, closeness alone links it


def test_eval_storylines_repeats_report_the_spread_of_the_figures(settings: Settings, tmp_path: Path) -> None:
    # Two topics: the sample's Xi-in-Moscow articles, and a few reports of one flood.
    texts = {path.stem: path.read_text() for path in sorted(EXAMPLES.glob("*.txt"))}
    visits = [
        {"id": name, "title": text.splitlines()[0], "text": text, "published": "2023-03-17"}
        for name, text in texts.items()
    ]
    floods = [
        {"id": f"flood-{n}", "title": f"River floods the valley town, day {n}", "published": f"2023-03-{17 + n}",
         "text": f"Day {n}: the river burst its banks and flooded the valley town; rescuers moved families to the "
                 "school gym while the water kept rising over the farmland."}
        for n in range(1, 4)
    ]  # fmt: skip
    path = tmp_path / "pools.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": topic, "topic": topic, "articles": articles}) + "\n"
            for topic, articles in (("visits", visits), ("floods", floods))
        )
    )
    result = evaluate_storylines(str(path), settings, repeats=3)
    assert len(result.repeats) == 2 and len(result.f1_runs) == 3
    assert all(0.0 < f1 <= 1.0 for f1 in result.f1_runs)
    # So clear a case decides nothing by a hair: rounding noise moves no figure.
    assert len(set(result.f1_runs)) == 1
    assert {r.largest_share for r in result.repeats} == {result.largest_share}
    shown = CliRunner().invoke(cli, ["eval", "storylines", str(path), "--repeats", "2"])
    assert shown.exit_code == 0 and "2 runs" in shown.stdout and "BCubed F1 mean" in shown.stdout


def _stories(count: int) -> list[Article]:
    """Five stories, their articles in random order over three weeks, a few degrees apart within a story."""
    rng = np.random.default_rng(1)
    places = ["Kestrel", "Orvik", "Dalmoor", "Quellmark", "Varnholm"]
    articles = []
    for number in range(count):
        story = int(rng.integers(0, len(places)))
        angle = math.radians(40 * story + rng.normal(0, 5))
        vector = [math.cos(angle), math.sin(angle), 0.3 * float(rng.standard_normal())]
        title = f"{places[story]} {places[(story + 1) % len(places)]} talks, round {int(rng.integers(0, 3))}"
        articles.append(_article(number, vector, title, day=1 + 3 * number // 10))
    return articles


def test_storylines_given_the_events_are_those_one_clusterer_links(settings: Settings) -> None:
    """A clusterer given each article's event (a backfill's merged events) decides no join, and links, folds and
    titles the storylines as the clusterer that decided those events did: the same state, to the byte."""
    model = load_clustering_model("", settings.embed.model)
    deciding, given = (OnlineClusterer(model, settings.cluster, DIMENSIONS) for _ in range(2))
    decided, replayed = [], []
    for article in _stories(60):
        event, storyline, decision = deciding.assign(article)
        decided.append((event, storyline, decision.new_storyline, decision.folded, decision.retitled))
        event, storyline, decision = given.assign(article, event)
        assert decision.decision_row is None
        replayed.append((event, storyline, decision.new_storyline, decision.folded, decision.retitled))
    assert replayed == decided
    assert given.snapshot() == deciding.snapshot()
    # The stream makes more than one storyline, and folds two (an article nearly joined an event of another).
    assert len({storyline for _, storyline, *_ in decided}) > 1
    assert any(folded for _, _, _, folded, _ in decided)
