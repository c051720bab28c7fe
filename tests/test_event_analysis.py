"""The event analysis stage: computed once, stored, recomputed only for events whose articles changed; facts
with their independent outlets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from storyline.analyze.facts import FactSentence, independent_sources
from storyline.analyze.stage import EventAnalysisStage
from storyline.config import Settings
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.pipeline import Pipeline, default_stages, ingest
from storyline.report import build_report
from storyline.store import SQLiteStore

from .conftest import EXAMPLES, sample_article


def _march_event(store: SQLiteStore) -> str:
    event = sample_article(store, "002").event
    assert event is not None
    return event


def test_event_analysis_is_stored_and_read_without_a_model(
    ingested: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyses = ingested.event_analyses()
    assert set(analyses) == {e.id for e in ingested.events()}

    def no_model(*_args: object) -> None:
        raise AssertionError("the report loaded a model")

    monkeypatch.setattr("storyline.embed.load_embedder", no_model)
    monkeypatch.setattr("storyline.analyze.stage.load_embedder", no_model)
    (event,) = [e for e in build_report(ingested)["events"] if e["id"] == _march_event(ingested)]
    assert event["facts"] and event["quotes"] and event["timeline"] and event["entities"]


def test_event_analysis_runs_again_only_for_changed_events(
    ingested: SQLiteStore, settings: Settings, tmp_path: Path
) -> None:
    again = Pipeline(default_stages(settings), settings.pipeline.batch_size).run(ingested)
    assert "event-analysis" not in again.processed
    before = ingested.event_analyses()
    # A sixth outlet's copy of one sample article joins its event: that event alone is analysed again.
    source = sample_article(ingested, "001")
    extra = tmp_path / "extra.txt"
    extra.write_text(f"{source.title}\n\n{source.text}\n\nOne more line of our own about the visit.", encoding="utf-8")
    result = ingest(ingested, [str(extra)], settings)
    assert result.added == 1
    assert result.run.processed.get("event-analysis") == 1
    after = ingested.event_analyses()
    changed = {e for e in after if after[e].signature != before.get(e, after[e]).signature}
    assert changed == {source.event}


def test_event_analysis_visit_dates_are_one_fact_from_four_outlets(ingested: SQLiteStore) -> None:
    analysis = ingested.event_analyses()[_march_event(ingested)]
    visit = [f for f in analysis.facts if any("March 20" in c.text for c in f.sources)]
    assert len(visit) == 1
    (fact,) = visit
    assert fact.independent_outlets == 4
    # 003 says "from Monday through Wednesday": one fact by its resolved dates, not its words.
    assert any("Monday through Wednesday" in c.text for c in fact.sources)
    exchange = [f for f in analysis.facts if any("exchange of views" in c.text for c in f.sources)]
    assert len(exchange) == 1 and exchange[0].independent_outlets >= 3


def _article(article_id: str, outlet: str | None, published: str, duplicate_of: str | None = None) -> Article:
    return Article(id=article_id, text="…", outlet=outlet, published=published, duplicate_of=duplicate_of)


def test_independent_sources_fold_one_outlet_duplicates_and_copies() -> None:
    wire = "The state visit will take place from March 20 to 22, officials in both capitals said on Friday."
    articles = [
        _article("a", "one.example", "2023-03-17T08:00"),
        _article("b", "one.example", "2023-03-17T09:00"),
        _article("c", "two.example", "2023-03-17T07:00"),
        _article("d", "three.example", "2023-03-17T10:00", duplicate_of="c"),
        _article("e", "four.example", "2023-03-17T11:00"),
        _article("f", "five.example", "2023-03-17T12:00"),
    ]
    members = [
        FactSentence(0, 0, "Xi will visit Moscow from March 20 to 22, the Kremlin said.", frozenset()),
        FactSentence(1, 0, "The Chinese leader is due in Moscow on March 20.", frozenset()),
        FactSentence(2, 0, "Xi Jinping travels to Russia next week for three days.", frozenset()),
        FactSentence(3, 0, "Xi Jinping travels to Russia next week for three days.", frozenset()),
        FactSentence(4, 0, wire, frozenset()),
        FactSentence(5, 0, wire.replace("Friday", "Friday morning"), frozenset()),
    ]
    outlets, independent, origin = independent_sources(members, articles)
    assert outlets == 5
    # one.example twice, c with its duplicate d, e with f's copy of its sentence: three sources.
    assert independent == 3
    # The earliest article whose words others carry: c (d is its copy; e's is copied later by f).
    assert origin == "c"


def test_independent_sources_count_one_statement_quoted_by_each_outlet() -> None:
    statement = '"An exchange of views is also planned in the international arena,"'
    articles = [_article(x, f"{x}.example", "2023-03-17") for x in "abc"]
    members = [
        FactSentence(0, 3, f"{statement} Putin's administration added.", frozenset()),
        FactSentence(1, 2, f"{statement} it added.", frozenset()),
        FactSentence(2, 9, f"{statement} the Kremlin said in its statement.", frozenset()),
    ]
    assert independent_sources(members, articles) == (3, 3, None)


def test_ingest_reports_bad_inputs_and_keeps_the_rest(store: SQLiteStore, settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "text": \n', encoding="utf-8")
    seen: list[str] = []
    result = ingest(store, [str(EXAMPLES / "000_7623793f3a6307bb.txt"), str(broken)], settings,
                    report=lambda item: seen.append(item.message))  # fmt: skip
    assert result.added == 1 and len(result.failures) == 1 and seen
    assert store.count_articles() == 1
    assert [a for a in read_inputs([str(broken)], settings.ingest) if isinstance(a, Article)] == []


def test_event_analysis_labels_leave_out_honorifics_and_mark_quoted_words(ingested: SQLiteStore) -> None:
    analyses = ingested.event_analyses()
    labels = [label for a in analyses.values() for label in a.labels]
    assert labels and not [label for label in labels if label.label.rstrip(".") in ("Mr", "Mrs", "Ms")]
    # 004: Xi "was welcomed by his "dear friend" Putin": the words are Xi's, not the outlet's.
    friend = [label for label in labels if "dear friend" in label.label]
    assert all(label.quoted for label in friend)
    assert any(not label.quoted and label.label == "Russian dictator" for label in labels)


def test_distinctive_terms_find_the_words_one_outlet_uses() -> None:
    from storyline.analyze.framing import distinctive_terms

    shared = "The summit opened in Geneva on Monday with talks on trade and security between the delegations. "
    articles = [
        Article(id="a", outlet="left.example", text=shared + "Critics called the regime brutal, a brutal regime. " * 6),
        Article(id="b", outlet="right.example", text=shared + "Officials praised the partnership and its growth. " * 6),
        Article(id="c", outlet="centre.example", text=shared * 2),
    ]
    found = {o.outlet: [t.term for t in o.terms] for o in distinctive_terms(articles)}
    assert "brutal" in found["left.example"] and "regime" in found["left.example"]
    assert "praised" in found["right.example"]
    assert "brutal" not in found.get("right.example", []) and "geneva" not in found.get("left.example", [])


def test_event_analysis_summary_cites_every_outlet_of_its_first_line(ingested: SQLiteStore) -> None:
    analysis = ingested.event_analyses()[_march_event(ingested)]
    first = analysis.summary[0]
    assert first.outlets >= 3 and len({c.article for c in first.sources}) == len(first.sources) >= 3
    texts = {(a.id, s.index): s.text for a in ingested.articles() for s in a.sentences}
    assert all(texts[(c.article, c.sentence)] == c.text for line in analysis.summary for c in line.sources)


def test_event_analysis_no_conflict_on_the_visit_dates_all_outlets_give(ingested: SQLiteStore) -> None:
    analysis = ingested.event_analyses()[_march_event(ingested)]
    assert not [c for c in analysis.conflicts if c.about == "date"]


def test_event_analysis_a_fifth_outlet_giving_other_dates_is_a_conflict(
    ingested: SQLiteStore, settings: Settings
) -> None:
    ingest(ingested, [str(Path(__file__).parent / "fixtures" / "conflicts")], settings)
    analysis = ingested.event_analyses()[_march_event(ingested)]
    (conflict,) = [c for c in analysis.conflicts if c.about == "date"]
    assert conflict.kind == "conflict"
    values = {claim.value: len(claim.sources) for claim in conflict.claims}
    assert values == {"2023-03-20/2023-03-22": 4, "2023-03-21/2023-03-23": 1}
    # The outlet giving other dates does not corroborate the visit dates: four independent outlets, not five.
    (fact,) = [f for f in analysis.facts if f.id == conflict.fact]
    assert fact.independent_outlets == 4


def test_conflicts_an_announcement_revised_later_is_an_update() -> None:
    from storyline.analyze.conflicts import fact_conflicts
    from storyline.model import Citation, Fact, Sentence

    def article(article_id: str, published: str, text: str) -> Article:
        return Article(id=article_id, text=text, published=published, outlet=f"{article_id}.example",
                       sentences=(Sentence(0, 0, len(text), 0, text),))  # fmt: skip

    earlier = article("a", "2023-03-10", "The ministry expects 120 delegates to attend the summit.")
    later = article("b", "2023-03-20", "The ministry said 95 delegates attended the summit.")
    fact = Fact("f", earlier.text, (Citation("a", 0, earlier.text), Citation("b", 0, later.text)), 2, 2)
    (conflict,) = fact_conflicts(fact, [earlier, later], {})
    assert conflict.about == "number" and conflict.kind == "update"
    assert [c.value for c in conflict.claims] == ["120", "95"]


def test_coverage_splits_outlets_by_the_users_table_and_flags_one_sided_events(tmp_path: Path) -> None:
    from storyline.analyze.coverage import event_coverage
    from storyline.config import OutletSettings

    table = tmp_path / "outlets.csv"
    table.write_text("domain,lean,country\na.example,left,US\nb.example,left,UK\nc.example,right,US\n", "utf-8")
    settings = OutletSettings(table=str(table), one_sided_column="lean", one_sided_min=2)

    def article(article_id: str, outlet: str, published: str) -> Article:
        return Article(id=article_id, text="…", outlet=outlet, published=published)

    left_only = [article("1", "b.example", "2023-03-17T10:00"), article("2", "a.example", "2023-03-17T08:00"),
                 article("3", "unlisted.example", "2023-03-18")]  # fmt: skip
    coverage = event_coverage(left_only, settings)
    assert coverage.first == "a.example" and coverage.outlets[0].outlet == "a.example"
    assert coverage.one_sided == "lean=left"
    assert dict(next(s for s in coverage.split if s.column == "lean").counts) == {"left": 2, "unknown": 1}
    both = [*left_only, article("4", "c.example", "2023-03-19")]
    assert event_coverage(both, settings).one_sided is None


def test_event_is_titled_by_its_most_central_headline() -> None:
    import numpy as np

    from storyline.analyze.stage import central_headline

    def article(article_id: str, title: str, vector: list[float]) -> Article:
        unit = np.array(vector, dtype=np.float32) / np.linalg.norm(vector)
        return Article(id=article_id, text="…", title=title, embedding=unit)

    articles = [article("a", "An outlier's angle", [1, 0, 0]), article("b", "The story itself", [0.6, 0.8, 0]),
                article("c", "Another report", [0, 1, 0.2])]  # fmt: skip
    assert central_headline(articles) == "The story itself"
    assert central_headline([]) == ""


def test_report_titles_storylines_like_their_central_event(ingested: SQLiteStore) -> None:
    report = build_report(ingested)
    titles = {e["title"] for e in report["events"]}
    assert all(s["title"] in titles for s in report["storylines"])
    analyses = ingested.event_analyses()
    assert all(e["title"] == analyses[e["id"]].title for e in report["events"])


def test_report_storyline_timeline_holds_its_events_lines_once(ingested: SQLiteStore) -> None:
    report = build_report(ingested)
    (storyline,) = report["storylines"]
    events = [e for e in report["events"] if e["id"] in storyline["events"]]
    lines = storyline["timeline"]
    cited = {(s["article"], s["sentence"]) for line in lines for s in line["sources"]}
    assert cited == {(s["article"], s["sentence"]) for e in events for line in e["timeline"] for s in line["sources"]}
    assert len(lines) <= sum(len(e["timeline"]) for e in events)
    assert [line["date"] for line in lines] == sorted(line["date"] for line in lines)


def test_sentences_placed_years_apart_are_different_happenings_days_apart_may_conflict() -> None:
    from datetime import date

    from storyline.analyze.facts import apart

    def sentence(*periods: tuple[date, date]) -> FactSentence:
        return FactSentence(0, 0, "…", frozenset(), periods=periods)

    last_visit = sentence((date(2019, 1, 1), date(2019, 12, 31)))
    next_week = sentence((date(2023, 3, 20), date(2023, 3, 26)))
    other_days = sentence((date(2023, 3, 21), date(2023, 3, 23)))
    assert apart(last_visit, next_week)
    assert not apart(next_week, other_days)
    assert not apart(last_visit, sentence())  # an undated sentence is placed nowhere
    assert not apart(sentence((date(2019, 5, 1), date(2019, 5, 1)), (date(2023, 3, 20), date(2023, 3, 20))), next_week)


def test_event_analysis_in_worker_processes_is_the_same(ingested: SQLiteStore, settings: Settings) -> None:
    # Every event of the sample analysed again, shared between two worker processes.
    shared = replace(settings, pipeline=replace(settings.pipeline, event_processes=2, event_worker_min_events=1))
    (stage,) = [s for s in default_stages(shared) if isinstance(s, EventAnalysisStage)]
    stored = ingested.event_analyses()
    chunks = [
        ({event: analysis.signature}, ingested.articles(events=[event], with_annotations=True, with_embeddings=True))
        for event, analysis in sorted(stored.items())
    ]
    try:
        in_workers = [a for analyses in stage.map(iter(chunks), len(chunks)) for a in analyses]
    finally:
        stage.close()
    assert stage.processes == 2 and len(in_workers) == len(stored) > 1
    assert in_workers == [stored[a.event] for a in in_workers]


def test_event_analysis_again_reuses_sentence_vectors_and_gives_the_same(
    ingested: SQLiteStore, settings: Settings
) -> None:
    (stage,) = [s for s in default_stages(settings) if isinstance(s, EventAnalysisStage)]
    stored = ingested.event_analyses()
    events = {event: analysis.signature for event, analysis in sorted(stored.items())}
    articles = ingested.articles(events=list(events), with_annotations=True, with_embeddings=True)
    first = stage(events, articles)
    embedded = stage.sentence_vectors.embedded
    assert embedded > 0 and first == [stored[event] for event in events]
    # Analysed again (as watch mode does when an article joins): no sentence is embedded a second time.
    assert stage(events, articles) == first
    assert stage.sentence_vectors.embedded == embedded and stage.sentence_vectors.reused >= embedded
    # Each event alone gives the same analysis as all of them together.
    assert [stage({event: signature}, ingested.articles(events=[event], with_annotations=True, with_embeddings=True))[0]
            for event, signature in events.items()] == first  # fmt: skip
