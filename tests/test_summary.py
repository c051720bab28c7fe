"""The cited summary: corroborated facts first, each once, with every source, within the budget; and its
evaluation against the Lead, LexRank and TextRank baselines."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import combinations

import numpy as np
import pytest
from click.testing import CliRunner

from storyline.analyze.summary import (
    Candidate,
    Corroboration,
    corroborate,
    summarize,
    summarize_event,
    summary_candidates,
)
from storyline.config import Settings
from storyline.embed import Embedder, load_embedder
from storyline.evaluate.summaries import lead, lead_first, lexrank, textrank, truncate
from storyline.model import Article, Sentence
from storyline.serve.cli import cli

from .conftest import FIXTURES

# One event, three outlets: each reports the vote in its own words and adds a detail of its own.
FACTS = (
    "The city council approved a budget of 40 million euros for new tram lines on Tuesday.",
    "On Tuesday, councillors voted to spend 40 million euros on building new tram lines.",
    "City hall will put 40 million euros into new tram routes after a council vote on Tuesday.",
)
DETAILS = (
    "The mayor's dog won second prize at the regional show last spring.",
    "Heavy rain is expected across the north of the country this weekend.",
    "The local football team signed a goalkeeper from Portugal.",
)


def _article(article_id: str, sentences: list[str], outlet: str | None) -> Article:
    text, built, offset = "", [], 0
    for index, sentence in enumerate(sentences):
        built.append(Sentence(index, offset, offset + len(sentence), index, sentence))
        text += sentence + "\n\n"
        offset += len(sentence) + 2
    return Article(id=article_id, text=text, sentences=tuple(built), outlet=outlet)


def _event() -> list[Article]:
    # The first outlet leads with its unrelated detail: position alone would pick it.
    return [
        _article("a", [DETAILS[0], FACTS[0]], "Daily A"),
        _article("b", [FACTS[1], DETAILS[1]], "Evening B"),
        _article("c", [FACTS[2], DETAILS[2]], None),
    ]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    from storyline.config import load_settings

    return load_embedder(load_settings().embed)


def _text(articles: list[Article], source: tuple[int, int]) -> str:
    return articles[source[0]].sentences[source[1]].text


def test_summary_corroborated_fact_first_citing_all_its_sources(settings: Settings, embedder: Embedder) -> None:
    articles = _event()
    summary = summarize_event(articles, embedder, settings.summary, budget_words=100)
    first = summary[0]
    assert first.text in FACTS
    assert first.outlets == 3
    assert first.sources[0] == next(
        (a, s.index) for a, art in enumerate(articles) for s in art.sentences if s.text == first.text
    )
    assert sorted(_text(articles, source) for source in first.sources) == sorted(FACTS)


def test_summary_never_repeats_a_fact(settings: Settings, embedder: Embedder) -> None:
    summary = summarize_event(_event(), embedder, settings.summary, budget_words=1000)
    texts = [line.text for line in summary]
    assert len(texts) == len(set(texts))
    assert sum(text in FACTS for text in texts) == 1
    assert set(texts) - set(FACTS) == set(DETAILS)  # with room to spare, every other fact is there once
    vectors = embedder.embed(texts)
    for i, j in combinations(range(len(texts)), 2):
        assert float(vectors[i] @ vectors[j]) < settings.summary.corroboration_similarity


@pytest.mark.parametrize("budget", [0, 5, 13, 16, 30, 1000])
def test_summary_budget_respected(settings: Settings, embedder: Embedder, budget: int) -> None:
    summary = summarize_event(_event(), embedder, settings.summary, budget_words=budget)
    assert sum(len(line.text.split()) for line in summary) <= budget
    if budget >= max(len(f.split()) for f in FACTS):
        assert summary  # a budget that holds a sentence gets one


# Hand-made vectors from here on: the selection alone, no model.
def _candidates(outlets: list[str], texts: list[str] | None = None) -> list[Candidate]:
    texts = texts or [f"sentence number {i} of the test event" for i in range(len(outlets))]
    return [Candidate(i, 0, text, outlet, 0) for i, (outlet, text) in enumerate(zip(outlets, texts, strict=True))]


def _unit(rows: list[list[float]]) -> np.ndarray:
    matrix = np.array(rows, dtype=np.float32)
    result: np.ndarray = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    return result


def test_summary_copies_and_one_outlet_count_once(settings: Settings) -> None:
    # 0 and 1: a verbatim copy in two outlets; 2: the same outlet as 0, saying the same; 3: another outlet.
    candidates = _candidates(["A", "B", "A", "C"])
    vectors = _unit([[1, 0, 0], [1, 0, 0], [1, 0.5, 0], [0, 0, 1]])
    found = corroborate(candidates, vectors, settings.summary)
    assert found[0].outlets == 1 and found[0].sources == ((0, 0), (1, 0))
    assert found[2].outlets == 2  # B's copy is independent of A's second wording
    assert found[3] == Corroboration(1, ((3, 0),))


def test_summary_precomputed_corroboration_decides(settings: Settings) -> None:
    candidates = _candidates(["A", "B", "C"])
    vectors = _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    summary_settings = replace(settings.summary, centrality_weight=0.0, position_weight=0.0)
    aligned = [Corroboration(1, ((0, 0),)), Corroboration(1, ((1, 0),)), Corroboration(3, ((2, 0), (0, 0), (1, 0)))]
    summary = summarize(candidates, vectors, 100, summary_settings, aligned)
    assert summary[0].text == candidates[2].text
    assert summary[0].sources == ((2, 0), (0, 0), (1, 0)) and summary[0].outlets == 3
    assert len(summary) == 1  # the aligned sentences are its sources, not lines of their own


def test_summary_fill_lets_the_last_line_cross_the_budget(settings: Settings) -> None:
    candidates = _candidates(["A", "B"], ["one two three four five", "six seven eight nine ten eleven"])
    vectors = _unit([[1, 0], [0, 1]])
    assert len(summarize(candidates, vectors, 7, settings.summary)) == 1
    assert len(summarize(candidates, vectors, 7, settings.summary, fill=True)) == 2


def test_summary_candidates_skip_fragments(settings: Settings) -> None:
    article = _article("a", ["By Jane Doe", FACTS[0], " ".join(["word"] * 200)], None)
    assert [c.text for c in summary_candidates([article], settings.summary)] == [FACTS[0]]


def test_summary_candidates_skip_a_lists_lines(settings: Settings) -> None:
    lines = [
        (0, FACTS[0]),
        (1, "The six-point plan the council adopted calls for:"),
        (2, "Non-escalation or provocations by either side on the matter."),
        (3, "An international conference accepted by both sides, with a fair discussion of all plans."),
        (4, FACTS[1]),
        (4, DETAILS[1]),
    ]
    sentences, offset = [], 0
    for index, (paragraph, text) in enumerate(lines):
        sentences.append(Sentence(index, offset, offset + len(text), paragraph, text))
        offset += len(text) + 2
    article = Article(id="a", text="\n\n".join(text for _, text in lines), sentences=tuple(sentences))
    kept = [c.text for c in summary_candidates([article], settings.summary)]
    assert kept == [FACTS[0], FACTS[1], DETAILS[1]]  # the list ends at a paragraph of more than one sentence


def test_summary_baselines_lead_orders() -> None:
    first = _article("a", ["A1 x.", "A2 x.", "A3 x."], None)
    second = _article("b", ["B1 x."], None)
    assert lead([first, second]) == ["A1 x.", "B1 x.", "A2 x.", "A3 x."]
    assert lead_first([first, second]) == ["A1 x.", "A2 x.", "A3 x.", "B1 x."]
    assert truncate(["one two three", "four five"], 4) == "one two three\nfour"


@pytest.mark.parametrize("rank", [lexrank, textrank])
def test_summary_baselines_rank_the_central_sentence_first(rank: object) -> None:
    # The first sentence shares a word with each of the others, which share none among themselves.
    texts = [
        "Storm winds hit harbour town, shut coast road overnight.",
        "Storm winds were strong.",
        "Harbour town lies quiet.",
        "Coast road stays shut.",
        "Overnight came darkness.",
    ]
    ranked = rank([*texts[1:3], texts[0], *texts[3:], texts[2]])  # type: ignore[operator]
    assert ranked[0] == texts[0]
    assert sorted(ranked) == sorted(texts)  # the repeat is dropped


@pytest.mark.slow
def test_summary_eval_prints_every_system() -> None:
    args = ["eval", "summaries", str(FIXTURES / "summaries.jsonl"), "--budget", "20"]
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    (scores,) = json.loads(result.stdout)
    assert scores["clusters"] == 2 and scores["budget_words"] == 20
    systems = {s["system"]: s for s in scores["systems"]}
    assert set(systems) == {"engine", "lead", "lead-first", "lexrank", "textrank"}
    # Each reference is its first article's first 20 words.
    assert systems["lead-first"]["rouge1"] == pytest.approx(100.0)
    for s in systems.values():
        assert 0 < s["rouge2"] <= s["rouge1"] <= 100
    table = CliRunner().invoke(cli, args, catch_exceptions=False).stdout
    assert all(name in table for name in systems)
