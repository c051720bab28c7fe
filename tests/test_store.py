from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from storyline.errors import ConfigError, StoreError
from storyline.model import Article, EventRecord, Quote, Sentence, Span, StorylineFold, StorylineRecord
from storyline.store import SQLiteStore, open_store
from storyline.store.sqlite import _migrations, schema_version


def make_article(text: str) -> Article:
    sentence = Sentence(index=0, start=0, end=len(text), paragraph=0, text=text)
    return Article(id=Article.make_id(text, None, None, None), text=text, path="mem.txt", sentences=(sentence,))


def test_store_schema_is_migrated_and_in_wal_mode(store: SQLiteStore) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table')")}
    assert {"articles", "sentences", "events", "storylines", "stage_runs", "articles_fts"} <= tables


def test_store_adding_the_same_article_twice_is_a_no_op(store: SQLiteStore) -> None:
    article = make_article("The bridge reopened on Thursday.")
    assert store.add_articles([article]) == [article.id]
    assert store.add_articles([article]) == []
    assert store.count_articles() == 1
    stored = store.article(article.id)
    assert stored is not None and stored.sentences == article.sentences


def test_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "persist.db"
    article = make_article("Ferries were suspended in high winds.")
    with open_store(str(path)) as first:
        first.add_articles([article])
    with open_store(str(path)) as second:
        assert second.article(article.id) == article


def test_store_search_matches_all_words_and_ranks(store: SQLiteStore) -> None:
    store.add_articles(
        [
            make_article("The harbour bridge reopened after repairs."),
            make_article("A bridge tournament was held in the library."),
            make_article("Unrelated: ferries and winds."),
        ]
    )
    hits = store.search("bridge reopened")
    assert len(hits) == 1 and "reopened" in hits[0].highlighted("<", ">")
    assert "<bridge>" in hits[0].highlighted("<", ">")
    assert len(store.search("bridge")) == 2
    assert store.search('"; DROP TABLE articles; --') == []
    assert store.count_articles() == 3


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 999")
    db.close()
    with pytest.raises(StoreError, match="E016"):
        open_store(str(path))


def test_store_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("hello, I am a text file, not SQLite " * 50)
    with pytest.raises(StoreError, match=r"notes\.db"):
        open_store(str(path))


def test_store_unknown_backend_is_an_error() -> None:
    with pytest.raises(ConfigError, match="E012"):
        open_store("x.db", backend="mongodb")


def test_store_failed_write_leaves_nothing_behind(store: SQLiteStore) -> None:
    good = make_article("The council approved the budget.")
    broken = Article(id="a-broken", text="x", published_source="guessed")
    with pytest.raises(sqlite3.IntegrityError):
        store.add_articles([good, broken])
    assert store.count_articles() == 0


def test_store_writes_the_events_storylines_and_folds_the_stage_records(store: SQLiteStore) -> None:
    first, second, third = (make_article(t) for t in ("The dam broke.", "Floods reached the town.", "Rain again."))
    store.add_articles([first, second, third])
    fields = ("event", "storyline")
    records = [StorylineRecord("s1", "Dam"), EventRecord("e1", "s1", "The dam broke."),
               StorylineRecord("s2", "Floods"), EventRecord("e2", "s2", "Floods reached the town.")]  # fmt: skip
    store.save_stage("cluster", 1, [replace(first, event="e1"), replace(second, event="e2")], fields, records)
    assert {e.id: (e.storyline, e.title) for e in store.events()} == {
        "e1": ("s1", "The dam broke."), "e2": ("s2", "Floods reached the town."),
    }  # fmt: skip
    # The clusterer folded s1 into s2: whatever the article says, the store follows the record.
    store.save_stage("cluster", 1, [replace(third, event="e1", storyline="s1")], fields, [StorylineFold("s1", "s2")])
    assert {e.id: e.storyline for e in store.events()} == {"e1": "s2", "e2": "s2"}
    assert [(s.id, s.title) for s in store.storylines()] == [("s2", "Floods")]


def test_store_retitles_an_event_and_a_storyline_from_a_later_record(store: SQLiteStore) -> None:
    first = make_article("The dam broke.")
    store.add_articles([first])
    records = [StorylineRecord("s1", "Dam"), EventRecord("e1", "s1", "The dam broke.")]
    store.save_stage("cluster", 1, [replace(first, event="e1")], ("event",), records)
    retitled = [StorylineRecord("s1", "Valley floods"), EventRecord("e1", "s1", "Dam failure floods the valley")]
    store.save_stage("cluster", 1, [], ("event",), retitled)
    assert [e.title for e in store.events()] == ["Dam failure floods the valley"]
    assert [s.title for s in store.storylines()] == ["Valley floods"]


def test_store_an_article_of_an_event_without_a_record_is_refused(store: SQLiteStore) -> None:
    first = make_article("The dam broke.")
    store.add_articles([first])
    with pytest.raises(sqlite3.IntegrityError):
        store.save_stage("cluster", 1, [replace(first, event="e-unknown")], ("event",))


def test_store_keeps_whether_a_quote_is_speech_and_upgrades_older_databases(tmp_path: Path) -> None:
    article = make_article("Beijing showed support for Moscow.")
    stance = Quote((Span(15, 33, "support for Moscow"),), (Span(8, 14, "showed"),), (Span(0, 7, "Beijing"),), False,
                   "Beijing", speech=False)  # fmt: skip
    with open_store(str(tmp_path / "new.db")) as store:
        store.add_articles([article])
        store.save_stage("analysis", 3, [replace(article, quotes=(stance,))], ("quotes",))
        (stored,) = store.articles(with_annotations=True)
        assert stored.quotes == (stance,)
    # A database from before quotes were marked: its quotes read as speech until analysed again.
    old = tmp_path / "old.db"
    db = sqlite3.connect(old)
    for number, _name, sql in _migrations():
        if number <= 5:
            db.executescript(sql)
    db.execute("PRAGMA user_version = 5")
    db.execute("INSERT INTO articles (id, text) VALUES (?, ?)", (article.id, article.text))
    db.execute(
        "INSERT INTO quotes (article_id, idx, direct, content, cue, source) VALUES (?, 0, 0, ?, '[]', '[]')",
        (article.id, '[[15, 33, "support for Moscow"]]'),
    )
    db.commit()
    db.close()
    with open_store(str(old)) as store:
        (stored,) = store.articles(with_annotations=True)
        assert [q.speech for q in stored.quotes] == [True]
