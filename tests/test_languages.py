"""Articles in other languages: the project's own short articles in Russian, German and Chinese on the
March 2023 visit join the sample's event; an unrelated Russian one does not; a Russian report of Ushakov's
words is a variant of the English ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from storyline.config import Settings
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.pipeline import Pipeline, clustering_stages, default_stages
from storyline.report.build import build_report
from storyline.store import SQLiteStore

from .conftest import EXAMPLES, FIXTURES, sample_article

LANGUAGES = FIXTURES / "languages"


@pytest.fixture
def multilingual(store: SQLiteStore, settings: Settings) -> SQLiteStore:
    paths = [str(EXAMPLES), str(LANGUAGES)]
    store.add_articles(a for a in read_inputs(paths, settings.ingest) if isinstance(a, Article))
    Pipeline(clustering_stages(settings), settings.pipeline.batch_size).run(store)
    return store


@pytest.mark.slow
@pytest.mark.parametrize(("name", "lang"), [("ru-xi-visit", "ru"), ("de-xi-visit", "de"), ("zh-xi-visit", "zh")])
def test_languages_report_of_the_visit_joins_the_sample_event(multilingual: SQLiteStore, name: str, lang: str) -> None:
    visit = sample_article(multilingual, "002").event
    article = _by_file(multilingual, name)
    assert article.lang == lang
    assert article.event == visit


@pytest.mark.slow
def test_languages_unrelated_russian_article_starts_its_own_event(multilingual: SQLiteStore) -> None:
    article = _by_file(multilingual, "ru-unrelated")
    assert article.event is not None
    members = [a for a in multilingual.articles() if a.event == article.event]
    assert members == [article]
    storyline = {e.id: e.storyline for e in multilingual.events()}
    assert storyline[article.event] != storyline[sample_article(multilingual, "002").event]


def _by_file(store: SQLiteStore, stem: str) -> Article:
    (found,) = [a for a in store.articles(with_annotations=True) if Path(a.path or "").stem == stem]
    return found


@pytest.mark.slow
def test_languages_russian_report_of_ushakovs_words_is_a_variant_of_the_english_ones(
    store: SQLiteStore, settings: Settings
) -> None:
    multilingual_settings = replace(settings, embed=replace(settings.embed, model="use-m-v3"))
    paths = [str(EXAMPLES), str(LANGUAGES / "ru-xi-visit.txt")]
    store.add_articles(a for a in read_inputs(paths, settings.ingest) if isinstance(a, Article))
    Pipeline(default_stages(multilingual_settings), settings.pipeline.batch_size).run(store)
    russian = _by_file(store, "ru-xi-visit")
    assert russian.quotes and all(q.speaker is None and q.direct for q in russian.quotes)
    report = build_report(store, russian.event)
    (event,) = report["events"]
    ushakov = [q for q in event["quotes"] if "Ushakov" in (q["speaker_name"] or "")]
    variants = [v for q in ushakov for v in q["variants"] if v["sources"][0]["article"] == russian.id]
    assert len(variants) == 1 and "взвешенную" in variants[0]["text"]
    # Its other quote ("a journey of friendship ...") is nobody's translation: no quote takes it as a variant.
    assert any("дружбы" in q.content[0].text for q in russian.quotes)
    assert not [v for q in event["quotes"] for v in q["variants"] if "дружбы" in v["text"]]
