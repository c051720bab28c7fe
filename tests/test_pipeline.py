from __future__ import annotations

from dataclasses import replace

import pytest

from storyline.config import Settings
from storyline.errors import ConfigError
from storyline.model import Article
from storyline.pipeline import Pipeline, check_order, default_stages
from storyline.store import SQLiteStore

from .conftest import sample_article


class Recorder:
    """A stage that notes which articles it saw."""

    name = "recorder"
    version = 1
    reads: tuple[str, ...] = ("sentences",)
    writes: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, articles: list[Article]) -> list[Article]:
        self.seen.extend(a.id for a in articles)
        return articles


def test_pipeline_rejects_a_stage_reading_what_nobody_wrote() -> None:
    with pytest.raises(ConfigError, match=r"E011.*recorder.*sentences"):
        check_order([Recorder()])


def test_pipeline_default_order_is_valid(settings: Settings) -> None:
    check_order(default_stages(settings))


def test_pipeline_is_incremental(ingested: SQLiteStore, settings: Settings) -> None:
    recorder = Recorder()
    stages = [*default_stages(settings), recorder]
    first = Pipeline(stages, batch_size=2).run(ingested)
    assert first.processed == {"recorder": 5}, "earlier stages already ran on ingest"
    assert set(first.seconds) == {s.name for s in stages}
    assert len(recorder.seen) == 5
    second = Pipeline(stages, batch_size=2).run(ingested)
    assert second.processed == {} and len(recorder.seen) == 5


def test_pipeline_bumped_version_reruns_only_that_stage(ingested: SQLiteStore, settings: Settings) -> None:
    recorder = Recorder()
    recorder.version = 2
    Pipeline([*default_stages(settings), recorder], batch_size=64).run(ingested)
    assert len(recorder.seen) == 5


def test_pipeline_stage_losing_articles_is_caught(ingested: SQLiteStore, settings: Settings) -> None:
    class Lossy(Recorder):
        name = "lossy"

        def __call__(self, articles: list[Article]) -> list[Article]:
            return articles[:1]

    with pytest.raises(ConfigError, match="lossy"):
        Pipeline([*default_stages(settings), Lossy()], batch_size=3).run(ingested)


def test_pipeline_stages_fill_language_sentences_and_events(ingested: SQLiteStore) -> None:
    article = sample_article(ingested, "002")
    assert article.lang == "en"
    assert article.sentences[0].text.startswith("Chinese leader Xi Jinping will travel to Russia")
    assert article.event is not None


def test_pipeline_sample_events_and_storyline(ingested: SQLiteStore) -> None:
    """000-003 report the March 2023 visit; 004 the one expected in 2025: two events, one storyline."""
    visit = {sample_article(ingested, p).event for p in ("000", "001", "002", "003")}
    later = sample_article(ingested, "004").event
    assert len(visit) == 1 and later not in visit
    events = ingested.events()
    assert len(events) == 2
    assert len({e.storyline for e in events}) == 1 == len(ingested.storylines())
    # The storyline is named after its first event, the March 2023 visit.
    (storyline,) = ingested.storylines()
    (first,) = [e for e in events if e.id in visit]
    assert storyline.title == first.title


def test_pipeline_sample_dates_inferred(ingested: SQLiteStore) -> None:
    for prefix in ("000", "001", "003"):
        article = sample_article(ingested, prefix)
        assert (article.published, article.published_source) == ("2023-03-17", "inferred")
    # "said on Dec. 27", after a reference to May 2024.
    late = sample_article(ingested, "004")
    assert (late.published, late.published_source) == ("2024-12-27", "inferred")


def test_pipeline_keeps_language_given_by_the_source(store: SQLiteStore, settings: Settings) -> None:
    text = "This article is written in English but its feed says it is German, and we keep that."
    article = Article(id=Article.make_id(text, None, None, None), text=text, lang="de")
    store.add_articles([article])
    Pipeline(default_stages(settings), 8).run(store)
    stored = store.article(article.id)
    assert stored is not None and stored.lang == "de"
    assert replace(stored, sentences=()) != stored
