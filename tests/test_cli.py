"""End to end through the command line, as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.report import validate_report
from storyline.serve.cli import cli

from .conftest import EXAMPLES, FIXTURES

pytestmark = pytest.mark.slow


def run(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_ingest_sample_twice_stores_it_once(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, out, _ = run("ingest", str(EXAMPLES), "--db", db)
    assert code == 0 and "5 new" in out
    code, out, _ = run("ingest", str(EXAMPLES), "--db", db)
    assert code == 0 and "0 new, 5 already stored" in out and "holds 5" in out


def test_cli_failures_are_reported_the_rest_stored_exit_1(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, out, err = run("--db", db, "ingest", str(FIXTURES / "articles.jsonl"), str(FIXTURES / "binary.txt"))
    assert code == 1
    assert "3 new" in out
    assert "E003" in err and "binary.txt" in err and "line 4" in err
    code, out, _ = run("--db", db, "articles", "--json")
    assert len(json.loads(out)) == 3


def test_cli_empty_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run("--db", str(tmp_path / "s.db"), "ingest", str(tmp_path / "empty"))
    assert code == 1 and "no articles found" in err


def test_cli_stdin(tmp_path: Path) -> None:
    text = (EXAMPLES / next(p.name for p in sorted(EXAMPLES.iterdir()))).read_bytes()
    code, out, _ = run("--db", str(tmp_path / "s.db"), "ingest", "-", input=text)
    assert code == 0 and "1 new" in out


def test_cli_events_articles_search_report(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    run("--db", db, "ingest", str(EXAMPLES))

    code, out, _ = run("--db", db, "events", "--json")
    events = json.loads(out)
    assert code == 0 and [e["articles"] for e in events] == [4, 1]
    assert events[0]["outlets"] == ["themoscowtimes.com"] and events[0]["first_seen"] == "2023-03-17"
    assert events[0]["storyline"] == events[1]["storyline"]

    code, out, _ = run("--db", db, "events")
    assert code == 0 and "2 events" in out

    code, out, _ = run("--db", db, "articles", "--json")
    articles = json.loads(out)
    assert {a["lang"] for a in articles} == {"en"} and all(a["sentences"] > 5 for a in articles)

    code, out, _ = run("--db", db, "search", "Ushakov", "--json")
    hits = json.loads(out)
    assert len(hits) == 2 and all("**Ushakov**" in h["snippet"] for h in hits)
    code, out, _ = run("--db", db, "search", "zzzzunmatched")
    assert code == 0 and "No article matches" in out

    report_path = tmp_path / "r.json"
    code, _, _ = run("--db", db, "report", "-o", str(report_path))
    assert code == 0
    validate_report(json.loads(report_path.read_text()))
    for fmt in ("md", "html"):
        code, out, _ = run("--db", db, "report", "--format", fmt)
        assert code == 0 and "Ushakov" in out

    code, _, err = run("--db", db, "report", "--event", "e-missing")
    assert code == 1 and "E015" in err


def test_cli_bad_config_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[store]\nnope = 1\n")
    code, _, err = run("--config", str(config), "events")
    assert code == 1 and "E013" in err and "nope" in err and "Traceback" not in err


def test_cli_reingest_after_copy_to_other_folder_is_a_no_op(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    copy = tmp_path / "copy"
    shutil.copytree(EXAMPLES, copy)
    run("--db", db, "ingest", str(EXAMPLES))
    code, out, _ = run("--db", db, "ingest", str(copy))
    assert code == 0 and "0 new" in out


def test_cli_entities_and_quotes_of_the_sample(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "ingest", str(EXAMPLES)]).exit_code == 0
    found = runner.invoke(cli, ["--db", db, "entities", "--type", "person", "--json"])
    assert found.exit_code == 0
    people = {e["name"]: e for e in json.loads(found.output)}
    assert "the Chinese leader" in people["Xi Jinping"]["aliases"]
    assert all(e["type"] == "PERSON" for e in people.values())
    events = json.loads(runner.invoke(cli, ["--db", db, "events", "--json"]).output)
    (visit,) = [e["id"] for e in events if e["articles"] == 4]
    said = runner.invoke(cli, ["--db", db, "quotes", "--event", visit, "--speaker", "ushakov", "--json"])
    assert said.exit_code == 0
    quotes = json.loads(said.output)
    assert quotes and all("Ushakov" in q["speaker_name"] for q in quotes)
    assert any(q["variants"] for q in quotes)
    # The whole store: quotes are matched within each event, the same as for one event.
    everywhere = json.loads(runner.invoke(cli, ["--db", db, "quotes", "--speaker", "ushakov", "--json"]).output)
    assert [q for q in everywhere if q["event"] == visit] == [{"event": visit, **q} for q in quotes]
    missing = runner.invoke(cli, ["--db", db, "quotes", "--event", "e-nope"])
    assert missing.exit_code != 0 and "E015" in missing.output


def test_cli_facts_of_the_sample_with_a_fifth_report(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, _, _ = run("--db", db, "ingest", str(EXAMPLES), str(FIXTURES / "conflicts"))
    assert code == 0
    code, out, _ = run("--db", db, "facts", "--min-outlets", "3", "--json")
    found = json.loads(out)
    assert code == 0 and found["facts"] and all(f["independent_outlets"] >= 3 for f in found["facts"])
    (conflict,) = found["conflicts"]
    assert conflict["about"] == "date" and len(conflict["claims"]) == 2
    code, out, _ = run("--db", db, "facts")
    assert code == 0 and "conflict on the date" in out
