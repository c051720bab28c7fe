"""Deduplication, embeddings, online clustering, dates from text, metrics and the eval commands."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from storyline.cluster import (
    PAIR_FEATURES,
    ClusterStage,
    Decision,
    OnlineClusterer,
    load_clustering_model,
    timestamp_days,
)
from storyline.cluster.similarity import DocumentFrequencies
from storyline.cluster.state import VectorIndex
from storyline.config import Settings
from storyline.dedupe import Deduplicator
from storyline.embed import load_embedder
from storyline.evaluate.metrics import bcubed, pairwise
from storyline.model import Article, EventRecord, StorylineFold, StorylineRecord
from storyline.nlp.dates import date_from_own_text, date_mentions, lower_bound
from storyline.nlp.terms import HASH_SIZE, TermBag, term_id, words
from storyline.serve.cli import cli
from storyline.stateful import unpack_arrays

from .conftest import FIXTURES

LONG = (
    "The harbour bridge in Westport reopened to traffic on Thursday after two years of repairs that cost "
    "the city council 48 million pounds. Engineers replaced all 112 steel cables and resurfaced the deck. "
    "Local businesses on the north bank said trade had fallen by a third while the bridge was closed."
)


def article(text: str, **fields: object) -> Article:
    return Article(id=Article.make_id(text, None, None, str(fields.get("outlet"))), text=text, **fields)  # type: ignore[arg-type]


# -- dedupe -------------------------------------------------------------------------


def test_dedupe_exact_and_near_copies_point_to_the_first(settings: Settings) -> None:
    dedupe = Deduplicator(settings.dedupe)
    original = article(LONG, outlet="a.com")
    exact = article(LONG.upper().replace(".", " ."), outlet="b.com")
    near = article(LONG.replace("Thursday", "Thursday morning"), outlet="c.com")
    other = article("Ferry crossings to the islands were suspended on Friday as winds reached 90 km/h.", outlet="d")
    assert dedupe.original_of(original) is None
    assert dedupe.original_of(exact) == original.id
    assert dedupe.original_of(near) == original.id
    assert dedupe.original_of(other) is None


def test_dedupe_state_survives_a_restart(settings: Settings) -> None:
    first = Deduplicator(settings.dedupe)
    original = article(LONG, outlet="a.com")
    first.original_of(original)
    second = Deduplicator(settings.dedupe)
    second.restore(first.snapshot())
    assert second.original_of(article(LONG, outlet="b.com")) == original.id
    # And from a state saved as a numpy .npz file, as before the states were packed.
    older = io.BytesIO()
    np.savez(older, **unpack_arrays(first.snapshot()))
    third = Deduplicator(settings.dedupe)
    third.restore(older.getvalue())
    assert third.snapshot() == first.snapshot()
    assert third.original_of(article(LONG, outlet="c.com")) == original.id


def test_dedupe_memory_is_bounded(settings: Settings) -> None:
    dedupe = Deduplicator(replace(settings.dedupe, remembered_articles=3))
    for i in range(10):
        dedupe.original_of(article(f"Story number {i} about something else entirely, item {i}.", outlet=str(i)))
    assert len(dedupe.signatures) == 3 and len(dedupe.exact) == 3


# -- embeddings ---------------------------------------------------------------------


def test_embed_vectors_are_unit_length_and_meaningful(settings: Settings) -> None:
    embedder = load_embedder(settings.embed)
    vectors = embedder.embed(
        [
            "Chinese President Xi Jinping will visit Moscow next week.",
            "Xi Jinping is to travel to Russia for talks with Putin.",
            "The harbour bridge reopened after repairs.",
        ]
    )
    assert vectors.shape == (3, embedder.dimensions) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_embed_vector_does_not_depend_on_batch_companions(settings: Settings) -> None:
    """What else arrives in the same run must not move an article's vector (reproducible events)."""
    embedder = load_embedder(settings.embed)
    alone = embedder.embed(["Ferries were suspended."])[0]
    padded = embedder.embed(["Ferries were suspended.", LONG])[0]
    assert float(alone @ padded) > 0.9999


def test_embed_headline_vector_pools_only_the_headline(settings: Settings) -> None:
    embedder = load_embedder(settings.embed)
    headline = "Ferries suspended as storm nears"
    text = f"{headline}\nThe regional government also closed schools and asked residents to stay home."
    vectors, headlines = embedder.embed_with_prefix([text], [len(headline)])
    whole, prefix = vectors[0], headlines[0]
    _, without_prefix = embedder.embed_with_prefix([text], [0])
    assert float(whole @ without_prefix[0]) > 0.9999  # no prefix: the whole text's vector
    assert float(whole @ prefix) < 0.98  # the headline's own tokens, not the whole text's
    storm = embedder.embed(["A storm is coming: ferries are suspended."])[0]
    assert float(prefix @ storm) > float(whole @ storm)


# -- clustering ---------------------------------------------------------------------


def test_cluster_timestamp_days_handles_precisions() -> None:
    assert timestamp_days("1970-01-02") == 1.0
    assert timestamp_days("1970-01-01T12:00:00Z") == 0.5
    assert timestamp_days("2023") is not None and timestamp_days(None) is None and timestamp_days("soon") is None


def _unit(values: list[float]) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _clusterer(settings: Settings) -> OnlineClusterer:
    return OnlineClusterer(load_clustering_model("", settings.embed.model), settings.cluster, 3)


def test_term_bags_merge_sums_counts_and_keeps_the_most_frequent() -> None:
    first, second = TermBag.of(["visit", "moscow", "moscow", "xi"]), TermBag.of(["moscow", "putin"])
    merged = first.merged(second, limit=10)
    assert dict(zip(merged.keys.tolist(), merged.counts.tolist(), strict=True)) == {
        term_id("visit"): 1, term_id("moscow"): 3, term_id("xi"): 1, term_id("putin"): 1,
    }  # fmt: skip
    assert merged.keys.tolist() == sorted(merged.keys.tolist())
    trimmed = first.merged(second, limit=2)
    assert term_id("moscow") in trimmed.keys.tolist() and len(trimmed) == 2


def test_term_bags_drop_the_stop_words_of_the_article_language() -> None:
    text = "Polis berkata bahawa kapal yang karam itu membawa dua puluh penumpang."
    assert "yang" in words(text) and "itu" in words(text)  # rare words of a rare language, unless known
    malay = words(text, "ms")
    assert "yang" not in malay and "itu" not in malay and "berkata" not in malay
    assert "kapal" in malay and "penumpang" in malay
    assert words("The ferry sank.", "xx") == ["ferry", "sank"]  # no list for the language: English's alone


def test_cluster_judges_languages_the_embedding_does_not_cover_without_it(settings: Settings) -> None:
    # Same vector, unrelated texts: in a language the embedding does not cover, the vector is no evidence.
    clusterer = OnlineClusterer(load_clustering_model("", settings.embed.model), settings.cluster, 3, languages=("en",))
    vector = _unit([1, 0, 0])
    first = article("Polis menahan dua lelaki selepas rompakan di kedai emas.", lang="ms", embedding=vector)
    other = article("Kerajaan mengumumkan bajet baharu untuk sekolah luar bandar.", lang="ms", embedding=vector)
    english = article("Police arrest two men after a gold shop robbery.", lang="en", embedding=vector, outlet="x")
    e1, _, _ = clusterer.assign(first)
    e2, _, decision = clusterer.assign(other)
    assert e2 != e1 and decision.tiers == ["sparse"]
    _, _, decision = clusterer.assign(english)
    assert set(decision.tiers) == {"names"}  # its candidates are Malay events: names and numbers carry across
    assert clusterer.tier("id", clusterer.events[clusterer.event_keys[e1]]) == "sparse"  # Indonesian is Malay
    covered = OnlineClusterer(load_clustering_model("", settings.embed.model), settings.cluster, 3, languages=("en",))
    covered.assign(replace(first, lang="en"))
    _, _, decision = covered.assign(replace(other, lang=None))  # too short to tell counts as covered
    assert decision.tiers == ["dense"]


def test_cluster_finds_candidates_by_name_that_the_index_misses(settings: Settings) -> None:
    clusterer = OnlineClusterer(
        load_clustering_model("", settings.embed.model), replace(settings.cluster, candidates=2), 3, ("en",)
    )
    stories = [
        ("Four feared dead after Typhoon Nanmadol hits Kyushu, Japan.", [1, 0, 0]),
        ("The council approved the budget for schools.", [0, 1, 0]),
        ("Ferries to the islands were suspended for a week.", [0, 0, 1]),
    ]
    events = [clusterer.assign(article(text, lang="en", embedding=_unit(v), outlet=text))[0] for text, v in stories]
    typhoon_event = events[0]
    # Malay, and a vector among the other two stories': only the names Nanmadol and Kyushu lead to the typhoon.
    vector = _unit([0, 1, 1])
    assert clusterer.event_keys[typhoon_event] not in clusterer.event_index.search(vector, 2)
    malay = article("Empat maut, Taufan Nanmadol badai Kyushu di Jepun.", lang="ms", embedding=vector)
    _, _, decision = clusterer.assign(malay)
    assert typhoon_event in decision.candidates
    assert decision.tiers[decision.candidates.index(typhoon_event)] == "names"


def test_cluster_an_event_nearly_joined_shares_its_storyline(settings: Settings) -> None:
    # Decisions that never join and a storyline threshold never reached: only the pair score links storylines.
    shipped = load_clustering_model("", settings.embed.model)
    never = replace(shipped, judges={t: replace(j, join_probability=2.0) for t, j in shipped.judges.items()})
    clusterer = OnlineClusterer(never, replace(settings.cluster, storyline_threshold=10.0), 3)
    text = "Westport harbour bridge reopened Thursday after repairs, Mayor Brandt said."
    first = article(text, published="2024-05-02", embedding=_unit([1, 0, 0]), outlet="a")
    next_day = article(text + " Traffic is back.", published="2024-05-03", embedding=_unit([1, 0.05, 0]), outlet="b")
    other = article("Gales stopped the island ferries.", published="2024-05-03", embedding=_unit([0, 1, 0]))
    e1, s1, _ = clusterer.assign(first)
    e2, s2, _ = clusterer.assign(next_day)
    _, s3, _ = clusterer.assign(other)
    assert e2 != e1 and s2 == s1 and s3 != s1


def test_cluster_similar_and_close_join_far_apart_split(settings: Settings) -> None:
    clusterer = _clusterer(settings)
    text = "Westport harbour bridge reopened Thursday after repairs, Mayor Brandt said."
    first = article(text, published="2024-05-02", embedding=_unit([1, 0, 0]), outlet="a")
    same = article(text + " Traffic is back.", published="2024-05-02", embedding=_unit([1, 0.05, 0]), outlet="b")
    unrelated = article("Gales stopped the island ferries.", published="2024-05-02", embedding=_unit([0, 1, 0]))
    years_later = article(text, published="2027-05-02", embedding=_unit([1, 0.02, 0]), outlet="c")
    e1, _, _ = clusterer.assign(first)
    e2, _, _ = clusterer.assign(same)
    e3, _, _ = clusterer.assign(unrelated)
    e4, _, _ = clusterer.assign(years_later)
    assert e1 == e2 and e3 != e1 and e4 != e1


def test_cluster_restart_from_snapshot_decides_the_same(settings: Settings) -> None:
    stream = [
        article(f"Report {i} on the bridge repairs in Westport.", published=f"2024-05-0{1 + i % 3}",
                embedding=_unit([1, 0.1 * i, 0]), outlet=str(i))
        for i in range(6)
    ]  # fmt: skip
    whole = _clusterer(settings)
    expected = [whole.assign(a)[0] for a in stream]
    first = _clusterer(settings)
    got = [first.assign(a)[0] for a in stream[:3]]
    resumed = _clusterer(settings)
    resumed.restore(first.snapshot())
    got += [resumed.assign(a)[0] for a in stream[3:]]
    assert got == expected
    # The resumed clusterer saves what the uninterrupted one does, byte for byte.
    assert resumed.snapshot() == whole.snapshot()
    # A state saved before the snapshots were packed (a numpy .npz file) resumes the same.
    older = io.BytesIO()
    np.savez(older, **unpack_arrays(first.snapshot()))
    from_older = _clusterer(settings)
    from_older.restore(older.getvalue())
    assert [from_older.assign(a)[0] for a in stream[3:]] == expected[3:]
    assert from_older.snapshot() == whole.snapshot()


def test_cluster_document_frequencies_list_their_non_zero_terms() -> None:
    frequencies = DocumentFrequencies()
    rng = np.random.default_rng(0)
    for i in range(50):
        keys = np.unique(rng.integers(0, 3000 if i % 2 else HASH_SIZE, size=rng.integers(0, 80)))
        frequencies.add(TermBag(keys, np.ones(len(keys), np.int64)))
        assert np.array_equal(frequencies.nonzero(), np.flatnonzero(frequencies.counts))
    # New terms are listed in one merge once enough have come, without a snapshot asking for them.
    for start in range(0, 140_000, 35_000):
        keys = np.arange(start, start + 35_000, dtype=np.int64) * 7 % HASH_SIZE
        frequencies.add(TermBag(np.unique(keys), np.ones(35_000, np.int64)))
    assert np.array_equal(frequencies.nonzero(), np.flatnonzero(frequencies.counts))
    # Counts written directly (a backfill's replay takes some back, to zero and below), then found anew.
    frequencies.counts[np.arange(0, 3000, 7)] -= 1
    frequencies.recount()
    frequencies.add(TermBag(np.arange(0, 3000, 5, dtype=np.int64), np.ones(600, np.int64)))
    assert np.array_equal(frequencies.nonzero(), np.flatnonzero(frequencies.counts))
    copy = DocumentFrequencies()
    copy.assign(frequencies.nonzero(), frequencies.counts[frequencies.nonzero()])
    assert np.array_equal(copy.counts, frequencies.counts)
    assert np.array_equal(copy.nonzero(), frequencies.nonzero())


def test_vector_index_finds_what_a_full_scan_finds_through_updates_and_removals() -> None:
    rng = np.random.default_rng(3)
    index, live = VectorIndex(8), {}
    for _ in range(600):
        key = int(rng.integers(0, 150))
        if rng.random() < 0.3:
            index.remove(key)
            live.pop(key, None)
        else:
            vector = _unit(rng.normal(size=8).tolist())
            index.upsert(key, vector)
            live[key] = vector
        assert len(index) == len(live)
    assert len(index.keys) <= 256  # removed rows are reused, not appended
    query = _unit(rng.normal(size=8).tolist())
    expected = sorted(live, key=lambda k: (-float(live[k] @ query), k))
    assert index.search(query, 10) == expected[:10]
    assert index.search(query, 1000) == expected


def test_cluster_active_events_are_bounded(settings: Settings) -> None:
    clusterer = OnlineClusterer(
        load_clustering_model("", settings.embed.model), replace(settings.cluster, max_active_events=5), 3
    )
    rng = np.random.default_rng(0)
    for i in range(200):
        clusterer.assign(article(f"Unrelated story {i}.", embedding=_unit(rng.normal(size=3).tolist()), outlet=str(i)))
    assert len(clusterer.events) <= 5 + 32  # evicted every 32 articles
    assert len(clusterer.event_index) == len(clusterer.events)


def test_cluster_stage_records_new_events_and_storylines_titled_by_their_first_article(settings: Settings) -> None:
    stage = ClusterStage(settings.cluster, settings.embed.model, 3)
    text = "Westport harbour bridge reopened Thursday after repairs, Mayor Brandt said."
    first = article(text, title="Bridge reopens", published="2024-05-02", embedding=_unit([1, 0, 0]), outlet="a")
    same = article(text + " Traffic is back.", published="2024-05-02", embedding=_unit([1, 0.05, 0]), outlet="b")
    placed = stage([first, same])
    event, storyline = placed[0].event, placed[0].storyline
    assert event is not None and storyline is not None and placed[1].event == event
    assert stage.drain_records() == [StorylineRecord(storyline, "Bridge reopens"),
                                     EventRecord(event, storyline, "Bridge reopens")]  # fmt: skip
    assert stage.drain_records() == []


def test_cluster_stage_records_a_fold_into_the_storyline_the_article_now_names() -> None:
    folded = Decision(joined="e1", folded="s1")
    records = ClusterStage.records_of(article("Rain again."), "e1", "s2", folded)
    assert records == [StorylineFold("s1", "s2")]
    joined = ClusterStage.records_of(article("Rain again."), "e1", "s2", Decision(joined="e1"))
    assert joined == []


# -- dates from text ----------------------------------------------------------------


def test_dates_lower_bound_ignores_the_future() -> None:
    sentences = [
        "The president will visit Moscow next year, the ambassador said on Dec. 27.",
        "Putin has visited China twice, first in February 2022 and again in May 2024.",
        "A declaration on cooperation until 2030 will be signed in March 2031.",
    ]
    assert lower_bound(sentences).isoformat() == "2024-05-01"  # type: ignore[union-attr]
    assert date_from_own_text(sentences) == "2024-12-27"
    assert any(m.day == 27 and m.year is None for m in date_mentions(sentences))


def test_dates_nothing_in_the_past_gives_nothing() -> None:
    assert date_from_own_text(["The summit will take place from March 20 to 22."]) is None


# -- metrics ------------------------------------------------------------------------


def test_metrics_perfect_and_all_in_one() -> None:
    gold = ["a", "a", "b", "b"]
    assert bcubed(gold, [1, 1, 2, 2]).f1 == 1.0 and pairwise(gold, [1, 1, 2, 2]).f1 == 1.0
    merged = bcubed(gold, [1, 1, 1, 1])
    assert merged.recall == 1.0 and merged.precision == 0.5
    assert pairwise(gold, [1, 1, 1, 1]).precision == pytest.approx(2 / 6)
    split = bcubed(gold, [1, 2, 3, 4])
    assert split.precision == 1.0 and split.recall == 0.5


# -- eval and train commands ----------------------------------------------------------


@pytest.mark.slow
def test_eval_and_train_clustering_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    fixture = str(FIXTURES / "clusters.jsonl")
    result = runner.invoke(cli, ["eval", "clustering", fixture, "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    (scores,) = json.loads(result.stdout)
    assert scores["articles"] == 9 and scores["gold_clusters"] == 3
    assert scores["bcubed"]["f1"] >= 0.9, scores

    model = tmp_path / "model.json"
    result = runner.invoke(cli, ["train", "clustering", fixture, "-o", str(model)], catch_exceptions=False)
    assert result.exit_code == 0
    trained = json.loads(model.read_text())
    assert trained["trained_on"] == ["clusters.jsonl"]
    assert len(trained["tiers"]["dense"]["pair"]["weights"]) == len(PAIR_FEATURES)
    result = runner.invoke(cli, ["eval", "clustering", fixture, "--model", str(model)], catch_exceptions=False)
    assert result.exit_code == 0 and "clusters.jsonl" in result.stdout


def test_eval_rejects_a_file_without_gold_labels(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"id": "x", "text": "No cluster label here."}) + "\n")
    result = CliRunner().invoke(cli, ["eval", "clustering", str(plain)])
    assert result.exit_code == 1 and "E014" in result.stderr


@pytest.mark.parametrize("command", ["clustering", "storylines"])
def test_eval_names_the_line_that_is_not_json(tmp_path: Path, command: str) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"id": "x", "cluster": "1", "topic": "t", "articles": []}) + "\n{not json\n")
    result = CliRunner().invoke(cli, ["eval", command, str(broken)])
    assert result.exit_code == 1 and "E014" in result.stderr and "line 2" in result.stderr
