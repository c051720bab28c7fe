"""Backfill on Ray: a local Ray (2 CPUs, one for this module) runs the sample and a synthetic stream cut into
several time partitions, and the store it leaves is the one `ingest` leaves on one machine."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from storyline.config import Settings, load_settings
from storyline.errors import ConfigError
from storyline.pipeline import Pipeline, default_stages, ingest
from storyline.pipeline.backfill import (
    ClusteredPartition,
    PartitionMerge,
    backfill,
    import_ray,
    plan_partitions,
)
from storyline.report.build import event_documents
from storyline.serve.cli import cli
from storyline.store import Store, open_store

from .conftest import EXAMPLES

# Five stories, each told by four outlets over four days, a story starting every eight days: with ten-day
# partitions, the second and the fourth straddle a partition's start and must be merged back into one event.
STORIES = [
    ("Varnholm", "Mayor Ingrid Solberg", "the river Varn burst its banks and flooded the old harbour district",
     "Rescue boats evacuated residents from flooded streets", "flood"),
    ("Quellmark", "Governor Tomas Erikstad", "a fire at the Quellmark chemical plant sent black smoke over the city",
     "Firefighters fought the blaze at the chemical plant through the night", "fire"),
    ("Ostravia", "Minister Helga Brandvold", "the Ostravia parliament passed a law raising the pension age",
     "Lawmakers voted on the pension reform after a long debate", "pension law"),
    ("Dalmoor", "Coach Pieter Langstrand", "the Dalmoor football club won the national cup final on penalties",
     "Fans celebrated the cup victory in the Dalmoor streets", "cup final"),
    ("Kestrelby", "Professor Amara Velichko", "astronomers at the Kestrelby observatory found a new comet",
     "The comet will be visible with binoculars next month", "comet"),
]  # fmt: skip
OUTLETS = ("example.org", "example.com", "example.net", "example.info")
# The first story's next step, told by two outlets six weeks on: further than any partition's replay, and still in
# the flood's storyline on one machine (storylines link events up to ``cluster.storyline_window_days`` apart).
SEQUEL = ("Varnholm", "Mayor Ingrid Solberg", "the harbour district reopened after the flood was cleared",
          "Shops along the river Varn opened their doors again", "flood")  # fmt: skip


def synthetic_stream(path: Path) -> Path:
    """The stories and the sequel as JSON lines, in no particular order."""
    lines = []
    told = [(8 * number, story, OUTLETS, story[-1]) for number, story in enumerate(STORIES)]
    for first, (place, person, what, detail, topic), outlets, key in [*told, (42, SEQUEL, OUTLETS[:2], "sequel")]:
        for day, outlet in enumerate(outlets):
            published = date(2024, 3, 1) + timedelta(days=first + day)
            text = (
                f"In {place}, {what}, {person} said on {published:%B %d}. {detail}. "
                f"{person} told reporters that {place} would need weeks to recover from the {topic}. "
                f"Officials in {place} said more news about the {topic} would follow ({outlet})."
            )
            lines.append({"id": f"{key}-{day}", "title": f"{place}: {what}", "text": text,
                          "published": published.isoformat(), "source": outlet})  # fmt: skip
    lines.reverse()
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """One local Ray for the module: starting one takes seconds."""
    ray = import_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def partitioned_settings() -> Settings:
    """Ten-day partitions; the single machine parses in its own process (worker processes take seconds to start
    for two dozen articles)."""
    return load_settings(
        overrides={"backfill": {"partition_days": 10.0, "overlap_days": 5.0, "batch_size": 8},
                   "nlp": {"spacy_processes": 1}}
    )  # fmt: skip


def store_contents(store: Store) -> dict[str, Any]:
    """What a backfill must leave as ingest does: articles and what the stages wrote on them, the events and their
    storylines, the analyses and the report's event documents."""
    articles = store.articles(with_embeddings=True, with_annotations=True)
    return {
        "articles": [
            (a.id, a.lang, a.published, a.published_source, a.not_before, a.duplicate_of, a.event,
             [s.text for s in a.sentences], a.mentions, a.times, a.quotes, a.embedding_model)
            for a in articles
        ],
        "events": [(e.id, e.title, e.storyline, sorted(e.articles)) for e in store.events()],
        "storylines": [(s.id, s.title, s.events) for s in store.storylines()],
        "analyses": store.event_signatures(),
        "report": event_documents(store),
    }  # fmt: skip


def test_backfill_leaves_the_store_ingest_leaves(local_ray: Any, tmp_path: Path) -> None:
    settings = partitioned_settings()
    inputs = [str(EXAMPLES), str(synthetic_stream(tmp_path / "stream.jsonl"))]
    with open_store(str(tmp_path / "single.db")) as store:
        ingest(store, inputs, settings)
        expected = store_contents(store)
        # The sequel is an event of its own in the flood's storyline: a storyline no partition's replay shows whole.
        flood, sequel = (_events_of(store, key) for key in ("flood", "sequel"))
        assert len(flood) == len(sequel) == 1 and flood != sequel
        assert {e.storyline for e in store.events(flood | sequel)} == {store.events(flood)[0].storyline}
        vectors = {a.id: a.embedding for a in store.articles(with_sentences=False, with_embeddings=True)}
    with open_store(str(tmp_path / "ray.db")) as store:
        result = backfill(store, inputs, settings)
        found = store_contents(store)
        pipeline = Pipeline(default_stages(settings), settings.pipeline.batch_size)
        assert set(pipeline.pending(store).values()) == {0}
        assert all(not pipeline.stale_events(store, stage) for stage in pipeline.event_stages)
        events = store.events()
        assert {e.storyline for e in events} == {s.id for s in store.storylines()}
        # The vectors, made in other batches by other processes, agree to the last bits BLAS may round otherwise.
        for article in store.articles(with_sentences=False, with_embeddings=True):
            assert np.allclose(article.embedding, vectors[article.id], atol=1e-6)  # type: ignore[arg-type]
        # Its clusterer's state goes on in the merged ids: a later article of a story joins that story's event.
        later = ingest(store, [str(_later_article(tmp_path))], settings)
        (added,) = later.new
        placed = store.article(added)
        assert placed is not None and placed.event in _events_of(store, "comet")
    assert result.read == 27 and result.added == 27 and not result.failures
    # Several partitions, so that the merge had work to do (two stories straddle a partition's start).
    assert result.partitions >= 4
    assert found == expected
    # Again through the command line, with an input that is missing: nothing new, the failure reported.
    missing = str(tmp_path / "nowhere.txt")
    done = CliRunner().invoke(cli, ["--db", str(tmp_path / "ray.db"), "backfill", *inputs, missing])
    assert done.exit_code == 1
    assert "[E009]" in done.output and "Read 27 articles: 0 new, 27 already stored; 1 input failed" in done.output


def _events_of(store: Store, key: str) -> set[str]:
    """The events of the synthetic stream's articles whose ids start with ``key``."""
    return {a.event or "" for a in store.articles(with_sentences=False) if (a.external_id or "").startswith(key)}


def _later_article(folder: Path) -> Path:
    place, person, what, detail, topic = STORIES[-1]
    text = f"In {place}, {what}, {person} said again on April 06. {detail}. The {topic} is still in the news."
    line = {"id": "comet-late", "title": f"{place}: {what}", "text": text, "published": "2024-04-06", "source": "x.org"}
    path = folder / "later.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return path


def test_backfill_without_ray_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry makes `import ray` fail as a missing package does.
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"\[E026\].*storyline\[ray\]"):
        import_ray()


def test_backfill_partitions_dated_by_days_and_undated_by_count() -> None:
    settings = load_settings(
        overrides={"backfill": {"partition_days": 10.0, "overlap_days": 3.0, "partition_articles": 2,
                                "overlap_articles": 1}}
    )  # fmt: skip
    published = ["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-12", "2024-01-30", None, None, None]
    plan = plan_partitions(published, settings.backfill)
    assert [(p.replay, p.start, p.end) for p in plan] == [(0, 0, 3), (2, 3, 4), (4, 4, 5), (4, 5, 7), (6, 7, 8)]
    assert plan_partitions([], settings.backfill) == []


def test_backfill_merge_continues_events_by_their_replayed_articles() -> None:
    merge = PartitionMerge()
    first = ClusteredPartition(replayed={}, placed={"a1": "e-a1", "a2": "e-a2"})
    assert merge.add(first) == {"a1": "e-a1", "a2": "e-a2"}
    # The second partition replayed a1 and a2 as one event of its own, and placed a3 in it and a4 in a new one.
    second = ClusteredPartition(replayed={"a1": "e-x", "a2": "e-x"}, placed={"a3": "e-x", "a4": "e-a4"})
    # a1 and a2 tie: the event of the earlier one wins.
    assert merge.add(second) == {"a3": "e-a1", "a4": "e-a4"}
    assert merge.article_events == {"a1": "e-a1", "a2": "e-a2", "a3": "e-a1", "a4": "e-a4"}
