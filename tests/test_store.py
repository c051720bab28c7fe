"""The store tests: most run on every backend (``any_store``: SQLite and a real PostgreSQL server); the rest
check what one backend does on its own (SQLite files, PostgreSQL's schema, locks and connections)."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from storyline.config import Settings
from storyline.errors import ConfigError, StoreError
from storyline.model import Article, EventQuery, EventRecord, Quote, Sentence, Span, StorylineFold, StorylineRecord
from storyline.store import SavedState, SQLiteStore, Store, open_store
from storyline.store.sqlite import _migrations, schema_version

from .conftest import INTEGRITY_ERRORS


def make_article(text: str, **fields: str) -> Article:
    sentence = Sentence(index=0, start=0, end=len(text), paragraph=0, text=text)
    return Article(
        id=Article.make_id(text, None, None, None), text=text, path="mem.txt", sentences=(sentence,), **fields
    )


def test_store_schema_is_migrated_and_in_wal_mode(store: SQLiteStore) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table')")}
    assert {"articles", "sentences", "events", "storylines", "stage_runs", "articles_fts"} <= tables


def test_store_adding_the_same_article_twice_is_a_no_op(any_store: Store) -> None:
    store = any_store
    article = make_article("The bridge reopened on Thursday.")
    assert store.add_articles([article]) == [article.id]
    assert store.add_articles([article]) == []
    assert store.count_articles() == 1
    stored = store.article(article.id)
    assert stored is not None and stored.sentences == article.sentences


def test_store_survives_reopening(store_location: str) -> None:
    article = make_article("Ferries were suspended in high winds.")
    with open_store(store_location) as first:
        first.add_articles([article])
    with open_store(store_location) as second:
        assert second.article(article.id) == article


def test_store_search_matches_all_words_and_ranks(any_store: Store) -> None:
    store = any_store
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


def test_store_failed_write_leaves_nothing_behind(any_store: Store) -> None:
    store = any_store
    good = make_article("The council approved the budget.")
    broken = Article(id="a-broken", text="x", published_source="guessed")
    with pytest.raises(INTEGRITY_ERRORS):
        store.add_articles([good, broken])
    assert store.count_articles() == 0


def test_store_writes_the_events_storylines_and_folds_the_stage_records(any_store: Store) -> None:
    store = any_store
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


def test_store_retitles_an_event_and_a_storyline_from_a_later_record(any_store: Store) -> None:
    store = any_store
    first = make_article("The dam broke.")
    store.add_articles([first])
    records = [StorylineRecord("s1", "Dam"), EventRecord("e1", "s1", "The dam broke.")]
    store.save_stage("cluster", 1, [replace(first, event="e1")], ("event",), records)
    retitled = [StorylineRecord("s1", "Valley floods"), EventRecord("e1", "s1", "Dam failure floods the valley")]
    store.save_stage("cluster", 1, [], ("event",), retitled)
    assert [e.title for e in store.events()] == ["Dam failure floods the valley"]
    assert [s.title for s in store.storylines()] == ["Valley floods"]


def test_store_an_article_of_an_event_without_a_record_is_refused(any_store: Store) -> None:
    store = any_store
    first = make_article("The dam broke.")
    store.add_articles([first])
    with pytest.raises(INTEGRITY_ERRORS):
        store.save_stage("cluster", 1, [replace(first, event="e-unknown")], ("event",))


def test_store_saves_a_stage_batch_with_its_entities_and_state_or_none_of_them(any_store: Store) -> None:
    # Apart, a crash between them would leave the articles marked done and the state from before them.
    store = any_store
    first = make_article("The dam broke.")
    store.add_articles([first])
    named = [("ent-dam", "Oroville Dam", "FAC")]
    with pytest.raises(INTEGRITY_ERRORS):
        store.save_stage("cluster", 1, [replace(first, event="e-unknown")], ("event",), entities=named, state=b"s1")
    assert store.load_state("cluster") is None and store.entities(["ent-dam"]) == {}
    assert store.count_pending("cluster", 1) == 1
    records = [StorylineRecord("s1", "Dam"), EventRecord("e1", "s1", "The dam broke.")]
    store.save_stage("cluster", 1, [replace(first, event="e1")], ("event",), records, entities=named, state=b"s1")
    assert store.load_state("cluster") == SavedState(b"s1")
    assert store.entities(["ent-dam"]) == {"ent-dam": ("Oroville Dam", "FAC")}
    assert store.count_pending("cluster", 1) == 0


def test_store_keeps_state_changes_after_the_whole_state_until_it_is_saved_again(any_store: Store) -> None:
    # What each batch changed comes back after the whole state, in order, or with its batch not at all.
    store = any_store
    articles = [make_article(f"The dam broke, day {day}.") for day in range(4)]
    store.add_articles(articles)
    store.save_stage("dedupe", 1, articles[:1], (), state=b"whole")
    store.save_stage("dedupe", 1, articles[1:2], (), state_change=b"c1")
    store.save_stage("dedupe", 1, articles[2:3], (), state_change=b"c2")
    with pytest.raises(INTEGRITY_ERRORS):
        store.save_stage("dedupe", 1, [replace(articles[3], event="e-unknown")], ("event",), state_change=b"c3")
    assert store.load_state("dedupe") == SavedState(b"whole", (b"c1", b"c2"))
    assert store.load_state("cluster") is None and store.count_pending("dedupe", 1) == 1
    store.save_stage("dedupe", 1, articles[3:], (), state=b"whole again")
    store.save_stage("cluster", 1, articles[:1], (), state=b"other")
    assert store.load_state("dedupe") == SavedState(b"whole again")
    store.save_stage("dedupe", 1, [], (), state_change=b"c4")
    store.reset_stage("dedupe", ())
    assert store.load_state("dedupe") is None and store.load_state("cluster") == SavedState(b"other")


def test_store_loads_the_state_another_connection_saved_last(store_location: str) -> None:
    # A store may keep the state it saved in memory (watch mode's runs would otherwise read it back per file).
    with open_store(store_location) as first, open_store(store_location) as second:
        first.save_state("cluster", b"first")
        assert first.load_state("cluster") == second.load_state("cluster") == SavedState(b"first")
        second.save_state("cluster", b"second")
        assert first.load_state("cluster") == SavedState(b"second")
        article, later = make_article("The dam held."), make_article("The dam broke.")
        first.add_articles([article, later])
        first.save_stage("cluster", 1, [article], (), state=b"third")
        assert second.load_state("cluster") == first.load_state("cluster") == SavedState(b"third")
        second.save_stage("cluster", 1, [later], (), state_change=b"change")
        assert first.load_state("cluster") == SavedState(b"third", (b"change",))
        first.save_stage("cluster", 1, [], (), state_change=b"more")
        assert second.load_state("cluster") == first.load_state("cluster") == SavedState(b"third", (b"change", b"more"))
        second.reset_stage("cluster", ())
        assert first.load_state("cluster") is None
        first.save_state("cluster", b"fourth")
        first.reset_stage("cluster", ())
        assert first.load_state("cluster") is None


def test_store_keeps_whether_a_quote_is_speech(any_store: Store) -> None:
    article = make_article("Beijing showed support for Moscow.")
    stance = Quote((Span(15, 33, "support for Moscow"),), (Span(8, 14, "showed"),), (Span(0, 7, "Beijing"),), False,
                   "Beijing", speech=False)  # fmt: skip
    any_store.add_articles([article])
    any_store.save_stage("analysis", 3, [replace(article, quotes=(stance,))], ("quotes",))
    (stored,) = any_store.articles(with_annotations=True)
    assert stored.quotes == (stance,)


def test_store_sqlite_reads_quotes_of_older_databases_as_speech(tmp_path: Path) -> None:
    # A database from before quotes were marked: its quotes read as speech until analysed again.
    article = make_article("Beijing showed support for Moscow.")
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


def test_store_event_spans_follow_articles_moving_between_events(any_store: Store) -> None:
    store = any_store
    early, late, undated = (make_article("The dam broke.", published="2024-05-01"),
                            make_article("Floods reached the town.", published="2024-05-03"),
                            make_article("Rain again."))  # fmt: skip
    store.add_articles([early, late, undated])
    records = [StorylineRecord("s1", "Dam"), EventRecord("e1", "s1", "Dam"), EventRecord("e2", "s1", "Rain")]
    store.save_stage("cluster", 1, [replace(early, event="e1"), replace(late, event="e1"),
                                    replace(undated, event="e2")], ("event",), records)  # fmt: skip
    spans = {d.id: (d.first_seen, d.last_seen, d.articles) for d in store.event_digests()}
    assert spans == {"e1": ("2024-05-01", "2024-05-03", 2), "e2": (None, None, 1)}
    # Latest first, undated last.
    assert [d.id for d in store.event_digests()] == ["e1", "e2"]
    store.save_stage("cluster", 1, [replace(late, event="e2")], ("event",))
    store.save_stage("dates", 1, [replace(early, published="2024-04-30", event="e1")], ("published",))
    spans = {d.id: (d.first_seen, d.last_seen, d.articles) for d in store.event_digests()}
    assert spans == {"e1": ("2024-04-30", "2024-04-30", 1), "e2": ("2024-05-03", "2024-05-03", 2)}
    assert [d.id for d in store.event_digests(EventQuery(until="2024-05-01"))] == ["e1"]
    assert [d.id for d in store.event_digests(EventQuery(text="floods town"))] == ["e2"]
    assert [d.id for d in store.event_digests(after=("2024-05-03", "e2"))] == ["e1"]
    summary = store.storyline_digests()
    assert summary[1] == 1 and (summary[0][0].events, summary[0][0].articles) == (2, 3)


def test_store_pending_state_and_embeddings_round_trip(any_store: Store) -> None:
    import numpy as np

    store = any_store
    first, second = make_article("The dam broke."), make_article("Floods reached the town.")
    store.add_articles([first, second])
    assert store.count_pending("embed", 1) == 2
    vector = np.arange(4, dtype=np.float32)
    embedded = replace(first, embedding=vector, headline_embedding=vector * 2, embedding_model="m1")
    store.save_stage("embed", 1, [embedded], ("embedding",))
    assert store.count_pending("embed", 1) == 1 and store.count_pending("embed", 2) == 2
    assert [a.id for a in store.pending("embed", 1, 10)] == [second.id]
    (read,) = [a for a in store.pending("cluster", 1, 10, with_embeddings=True) if a.id == first.id]
    assert read.embedding is not None and read.embedding.tolist() == [0, 1, 2, 3]
    assert read.headline_embedding is not None and read.headline_embedding.tolist() == [0, 2, 4, 6]
    assert store.embedding_models() == {"m1"} and store.stage_versions("embed") == {1}
    store.save_stage("embed", 2, [replace(second, embedding=vector, embedding_model="m1")], ("embedding",))
    assert store.stage_versions("embed") == {1, 2} and store.stage_versions("cluster") == set()
    store.save_state("cluster", b"\x00state")
    assert store.load_state("cluster") == SavedState(b"\x00state") and store.load_state("dedupe") is None
    store.reset_stage("embed", ("embedding",))
    assert store.embedding_models() == set() and store.count_pending("embed", 1) == 2
    assert store.stage_versions("embed") == set()


def test_store_cached_answers_follow_another_connections_writes(store_location: str) -> None:
    with open_store(store_location) as reader, open_store(store_location) as writer:
        assert reader.outlets() == []
        writer.add_articles([make_article("The dam broke.", outlet="example.com")])
        assert reader.outlets() == [("example.com", 1, 0)]


def test_store_postgres_schema_is_made_once_and_a_newer_one_refused(postgres_url: str) -> None:
    import psycopg

    from storyline.store.postgres import schema_version as pg_schema_version

    # Two processes opening a new database at once: one creates the schema, the other finds it.
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_store(postgres_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(postgres_url, autocommit=True) as db:
        assert db.execute("SELECT version FROM storyline_schema").fetchall() == [(pg_schema_version(),)]
        db.execute("UPDATE storyline_schema SET version = 999")
    with pytest.raises(StoreError, match="E016"):
        open_store(postgres_url)


def test_store_postgres_unreachable_server_is_a_clear_error_without_the_password(postgres_url: str) -> None:
    port = postgres_url.rsplit(":", 1)[1].split("/")[0]
    wrong = f"postgresql://storyline:s3cret@127.0.0.1:{port}/no_such_database"
    with pytest.raises(StoreError, match="E020") as caught:
        open_store(wrong)
    assert "s3cret" not in str(caught.value) and "no_such_database" in str(caught.value)


def test_store_postgres_writers_wait_for_a_run_of_another_process(postgres_url: str) -> None:
    article = make_article("The dam broke.")
    written = threading.Event()
    with open_store(postgres_url) as running, open_store(postgres_url) as other:

        def write() -> None:
            other.add_articles([article])
            written.set()

        with running.serialized():
            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(0.5)
            # The run sees no article arrive between its stages.
            assert not written.is_set() and running.count_articles() == 0
        writer.join(timeout=10)
        assert written.is_set() and running.count_articles() == 1


@pytest.mark.slow
def test_store_postgres_ingest_of_the_sample_equals_sqlite(
    postgres_url: str, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyline.pipeline import ingest
    from storyline.report import build_report

    from .conftest import EXAMPLES

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    seen = {}
    for name, location in (("sqlite", str(tmp_path / "sample.db")), ("postgresql", postgres_url)):
        with open_store(location) as store:
            result = ingest(store, [str(EXAMPLES)], settings)
            assert result.added == 5 and not result.failures
            seen[name] = (
                store.events(), store.storylines(), store.event_digests(), store.storyline_digests(),
                store.outlets(), store.find_entities("xi"), sorted(h.article for h in store.search("Xi Putin")),
                build_report(store),
            )  # fmt: skip
    events, storylines, *lists, report = seen["postgresql"]
    # The same grouping, storylines, lists and report, fact for fact (search finds the same articles; BM25 and
    # ts_rank may order them otherwise).
    assert [e.articles for e in events] == [e.articles for e in seen["sqlite"][0]] and len(events) == 2
    assert (events, storylines) == seen["sqlite"][:2]
    assert lists == list(seen["sqlite"][2:-1])
    assert sum(len(e["facts"]) for e in report["events"]) > 0
    assert report == seen["sqlite"][-1]


@pytest.mark.slow
def test_store_postgres_concurrent_ingests_leave_nothing_pending(postgres_url: str, settings: Settings) -> None:
    from storyline.pipeline import Pipeline, default_stages, ingest

    from .conftest import EXAMPLES

    files = sorted(str(p) for p in EXAMPLES.iterdir() if p.suffix in {".txt", ".md", ".html", ".jsonl"})
    halves = [files[::2], files[1::2]]
    failures: list[BaseException] = []

    def run(paths: list[str]) -> None:
        try:
            with open_store(postgres_url) as store:
                assert not ingest(store, paths, settings).failures
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with open_store(postgres_url) as store:
        pipeline = Pipeline(default_stages(settings), settings.pipeline.batch_size)
        assert store.count_articles() == len(files)
        assert set(pipeline.pending(store).values()) == {0}
        assert all(pipeline.stale_events(store, stage) == {} for stage in pipeline.event_stages)
        assert sorted(a for e in store.events() for a in e.articles) == sorted(a.id for a in store.articles())


def test_store_postgres_is_chosen_by_the_cli_db_option(postgres_url: str) -> None:
    from click.testing import CliRunner

    from storyline.serve.cli import cli

    article = make_article("The dam broke.", published="2024-05-01", outlet="example.com")
    with open_store(postgres_url) as store:
        store.add_articles([article])
        records = [StorylineRecord("s1", "Dam"), EventRecord("e1", "s1", "The dam broke in the valley")]
        store.save_stage("cluster", 1, [replace(article, event="e1")], ("event",), records)
    shown = CliRunner().invoke(cli, ["--db", postgres_url, "events"], catch_exceptions=False)
    assert shown.exit_code == 0 and "The dam broke in the valley" in shown.output
    found = CliRunner().invoke(cli, ["search", "dam", "--db", postgres_url], catch_exceptions=False)
    assert found.exit_code == 0 and "example.com" in found.output


def test_store_pending_is_what_no_run_has_done_as_runs_come_and_go(store_location: str) -> None:
    # A store may look only at articles added since all before them were done (watch mode asks per file).
    with open_store(store_location) as store, open_store(store_location) as other:
        first = [make_article(f"The dam broke, report {i}.") for i in range(3)]
        store.add_articles(first)

        def pending(version: int = 1) -> list[str]:
            return sorted(a.id for a in store.pending("dedupe", version, 10, with_sentences=False))

        assert pending() == sorted(a.id for a in first)
        store.save_stage("dedupe", 1, first[:2], ())
        assert pending() == [first[2].id]
        store.save_stage("dedupe", 1, first[2:], ())
        assert pending() == []
        later = make_article("The dam held after all.")
        store.add_articles([later])
        assert pending() == [later.id]
        store.save_stage("dedupe", 1, [later], ())
        assert pending() == []
        store.save_stage("dedupe", 2, first[:1], ())  # another version's mark replaces the first one's
        assert pending() == [first[0].id]
        assert pending(2) == sorted(a.id for a in [*first[1:], later])
        store.save_stage("dedupe", 1, first[:1], ())
        assert pending() == []
        other.reset_stage("dedupe", ())  # another connection
        assert len(pending()) == 4
        store.save_stage("dedupe", 1, [*first, later], ())
        assert pending() == []
        store.reset_stage("dedupe", ())
        assert len(pending()) == 4
        assert len(store.pending("dedupe", 1, 2, with_sentences=False)) == 2
