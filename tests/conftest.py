"""Shared fixtures: settings, paths to the sample and to the project's own fixture files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.config import Settings, load_settings
from storyline.model import Article
from storyline.pipeline import Pipeline, default_stages
from storyline.store import SQLiteStore, open_store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads a user's storyline.toml or environment."""
    monkeypatch.delenv("STORYLINE_CONFIG", raising=False)
    monkeypatch.delenv("STORYLINE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with open_store(str(tmp_path / "test.db")) as opened:
        yield opened


@pytest.fixture
def ingested(store: SQLiteStore, settings: Settings) -> SQLiteStore:
    """A store holding the five sample articles, fully processed."""
    from storyline.ingest import read_inputs

    store.add_articles(a for a in read_inputs([str(EXAMPLES)], settings.ingest) if isinstance(a, Article))
    Pipeline(default_stages(settings), settings.pipeline.batch_size).run(store)
    return store


def sample_article(store: SQLiteStore, file_prefix: str) -> Article:
    """The stored sample article read from the file whose name starts with ``file_prefix``."""
    (found,) = [a for a in store.articles() if Path(a.path or "").name.startswith(file_prefix)]
    return found


@pytest.fixture(scope="session")
def served_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file the web tests read: the sample, a fifth outlet's account of the visit (other dates) and an
    article full of markup, fully processed; made once per session (tests that write copy it first)."""
    path = tmp_path_factory.mktemp("served") / "served.db"
    settings = web_settings(path)
    from storyline.pipeline import ingest

    with open_store(str(path)) as store:
        inputs = [EXAMPLES, FIXTURES / "conflicts" / "xi-visit-other-dates.txt", FIXTURES / "web" / "hostile.jsonl"]
        result = ingest(store, [str(p) for p in inputs], settings)
        assert not result.failures
    return path


def web_settings(db: Path) -> Settings:
    """Settings over ``db`` with the web fixtures' outlet table."""
    table = str(FIXTURES / "web" / "outlets.csv")
    return load_settings(overrides={"store": {"path": str(db)}, "outlets": {"table": table}})
