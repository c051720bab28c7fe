"""Stateful stages saved in part: after a batch, the deduplicator and the clusterer may save only what the batch
changed; the whole state with those changes applied is, byte for byte, what saving the whole state would have
saved, and a run that resumes from it decides the same."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from storyline.config import Settings
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.pipeline import Pipeline, clustering_stages
from storyline.pipeline.stages import StatefulStage
from storyline.store import Store, open_store

from .summits import SEED, summit_reports

_BATCH = 8
_STATEFUL = ("dedupe", "cluster")


class _StateRecorder:
    """Progress that notes, after every batch of a stateful stage, the whole state it resumes from."""

    def __init__(self, store: Store, pipeline: Pipeline) -> None:
        self.store = store
        self.stages: dict[str, StatefulStage] = {s.name: s for s in pipeline.stages if s.name in _STATEFUL}  # type: ignore[misc]
        self.states: list[tuple[str, bytes | None]] = []
        self.changes = 0

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, stage: str, done: int) -> None:
        if stage in self.stages:
            saved = self.store.load_state(stage)
            assert saved is not None
            self.changes += len(saved.changes)
            self.states.append((stage, Pipeline.whole_state(self.stages[stage], saved)))


def _small(settings: Settings) -> Settings:
    """Settings with little memory, and storylines that must be close: events, storylines and remembered articles
    are forgotten along the stream, and storylines fold into one another."""
    cluster = replace(settings.cluster, max_active_events=12, max_active_storylines=6, remembered_articles=40,
                      storyline_threshold=0.75, storyline_window_days=30.0)  # fmt: skip
    return replace(settings, cluster=cluster, dedupe=replace(settings.dedupe, remembered_articles=30))


def _articles(tmp_path: Path, settings: Settings) -> list[Article]:
    source = tmp_path / "summits.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in summit_reports(SEED)[:160]), encoding="utf-8")
    return [a for a in read_inputs([str(source)], settings.ingest) if isinstance(a, Article)]


def _run(path: Path, settings: Settings, changes: int, share: float) -> tuple[_StateRecorder, dict[str, str | None]]:
    pipeline = Pipeline(clustering_stages(settings), _BATCH, state_changes=changes, state_changes_share=share)
    with open_store(str(path)) as store:
        recorder = _StateRecorder(store, pipeline)
        pipeline.run(store, recorder)
        return recorder, {a.id: a.event for a in store.articles()}


@pytest.mark.parametrize(("share", "theme"), [(1000.0, 0), (0.5, 8)])
def test_stateful_changes_merge_to_the_whole_state_and_resume_alike(
    settings: Settings, tmp_path: Path, share: float, theme: int
) -> None:
    # Changes after every batch, or mixed with whole states; storylines with and without themes.
    settings = _small(settings)
    settings = replace(settings, cluster=replace(settings.cluster, storyline_theme_keywords=theme))
    articles = _articles(tmp_path, settings)
    first, later = articles[:120], articles[120:]
    # The stages before the stateful ones, once: both stores start from the same embedded articles.
    prepared = tmp_path / "prepared.db"
    with open_store(str(prepared)) as store:
        store.add_articles(first)
        stages = [s for s in clustering_stages(settings) if s.name not in _STATEFUL]
        Pipeline(stages, _BATCH).run(store)
    whole, partly = tmp_path / "whole.db", tmp_path / "partly.db"
    shutil.copy(prepared, whole)
    shutil.copy(prepared, partly)
    expected, expected_events = _run(whole, settings, 0, 0.0)
    got, got_events = _run(partly, settings, 1000, share)
    assert expected.changes == 0 and got.changes > 0
    assert len(got.states) == len(expected.states) == 2 * -(-len(first) // _BATCH)  # each stage, each batch
    # After every batch, the whole state with the changes applied is the whole state.
    assert got.states == expected.states
    assert got_events == expected_events
    # Later articles, in new pipelines: one resumes from the whole state, the other from it and its changes.
    for path in (whole, partly):
        with open_store(str(path)) as store:
            store.add_articles(later)
    expected, expected_events = _run(whole, settings, 0, 0.0)
    got, got_events = _run(partly, settings, 1000, share)
    assert got.states == expected.states and got_events == expected_events
    assert len(set(expected_events.values())) > 10
