"""The bad-input corpus (tests/fixtures/bad/, and what its make.py writes) through the real `storyline ingest`,
with good articles in the same batch: each bad input is named with its code, the good ones are stored and
processed, nothing crashes or hangs, memory stays bounded, and the run ends with a summary by code."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from storyline.model import Article
from storyline.store import open_store

from .conftest import EXAMPLES, FIXTURES, ROOT

BAD = FIXTURES / "bad"
# The whole batch, models loaded: a minute at most on a slow machine; a hang fails instead of waiting forever.
BATCH_TIMEOUT_S = 300
# Refusing the 100 MB file takes no reading of it: the run holds no more than an empty one, give or take.
BIG_FILE_RSS_MARGIN_KB = 30_000
BIG_FILE_TIMEOUT_S = 60
MISSING = "no/such/article.txt"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bad_inputs_make", BAD / "make.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _generator()

# Every bad input, by the path its message names, and the code it must get: E codes skip it, W codes store
# it with a warning.
EXPECTED: list[tuple[str, str]] = [
    ("empty.txt", "E010"),
    ("blank.md", "E010"),
    ("image.txt", "E003"),
    ("bad.jsonl: line 2 ", "E005"),
    ("bad.jsonl#L3", "W004"),
    ("bad.jsonl: line 4 ", "E006"),
    ("bad.jsonl: line 5 ", "E006"),
    ("bad.jsonl: line 6:", "E014"),
    ("bad.jsonl#L7", "W003"),
    ("bad.jsonl#L8", "W002"),
    ("bad.jsonl: line 9:", "E014"),
    ("bad.jsonl: line 10:", "E014"),
    ("bad.jsonl#L12", "E004"),
    ("bomb.rss", "E023"),
    ("xxe.atom", "E023"),
    ("broken.rss", "W005"),
    ("broken.rss#entry2", "E004"),
    ("big.txt", "E018"),
    ("deep.html", "E024"),
    ("deep.jsonl: line 2 ", "E005"),
    ("loop/a.txt", "E001"),
    ("loop/b.txt", "E001"),
    (MISSING, "E009"),
]
# What the batch must store, by the end of each article's path.
STORED = {
    "bad.jsonl#L1", "bad.jsonl#L3", "bad.jsonl#L7", "bad.jsonl#L8", "bad.jsonl#L13", "broken-utf8.txt",
    "broken.rss#entry1", "cp1251.txt", "latin1.txt", "utf16le-no-bom.txt", "utf16be-no-bom.txt", "amharic.txt",
    "tibetan.txt", "deep.jsonl#L1", "deep.jsonl#L3", "loop/ferry.txt", "000_7623793f3a6307bb.txt",
    "002_1a0b5bc0b7e2f02c.txt",
}  # fmt: skip
_CODE = re.compile(r"\[([EW]\d{3})\]")


def _storyline(*args: str, timeout: float, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storyline", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
        check=False,
    )


@dataclass(frozen=True)
class BatchRun:
    done: subprocess.CompletedProcess[str]
    articles: dict[str, Article]
    analysed_events: set[str]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed bad inputs and the generated ones, in one folder."""
    folder = tmp_path_factory.mktemp("bad") / "corpus"
    shutil.copytree(BAD, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    make.make(folder)
    return folder


@pytest.fixture(scope="module")
def batch(corpus: Path) -> BatchRun:
    """One ingest of the corpus, two sample articles and a path that does not exist."""
    db = corpus.parent / "batch.db"
    samples = [str(p) for p in sorted(EXAMPLES.glob("00[02]_*.txt"))]
    args = ["--db", str(db), "ingest", "corpus", *samples, MISSING]
    done = _storyline(*args, timeout=BATCH_TIMEOUT_S, cwd=corpus.parent)
    with open_store(str(db)) as store:
        articles = {a.path or "": a for a in store.articles(with_annotations=True)}
        analysed = set(store.event_analyses())
    return BatchRun(done, articles, analysed)


def _stored(run: BatchRun, ending: str) -> Article:
    (found,) = [a for path, a in run.articles.items() if path.endswith(ending)]
    return found


def test_bad_inputs_each_named_with_its_code(batch: BatchRun) -> None:
    lines = batch.done.stderr.splitlines()
    for named, code in EXPECTED:
        assert any(f"[{code}]" in line and named in line for line in lines), f"no [{code}] for {named}"
    reported = sorted(code for line in lines for code in _CODE.findall(line))
    assert reported == sorted(code for _, code in EXPECTED), "every problem reported once, none more"


def test_bad_inputs_never_crash_and_end_with_a_summary_by_code(batch: BatchRun) -> None:
    assert batch.done.returncode == 1, "inputs failed: exit status 1, as documented"
    assert "Traceback" not in batch.done.stderr + batch.done.stdout
    failed = sum(code.startswith("E") for _, code in EXPECTED)
    warned = len(EXPECTED) - failed
    assert f"{failed} inputs failed" in batch.done.stdout
    assert f"{failed} skipped, {warned} warnings, by code" in batch.done.stdout
    for code in {code for _, code in EXPECTED}:
        count = sum(c == code for _, c in EXPECTED)
        assert re.search(rf"^{code}\s+{count}\s+\S", batch.done.stdout, re.MULTILINE), f"summary row of {code}"


def test_bad_inputs_good_items_of_the_batch_are_stored_and_processed(batch: BatchRun) -> None:
    assert {next(e for e in STORED if path.endswith(e)) for path in batch.articles} == STORED
    assert len(batch.articles) == len(STORED)
    for article in batch.articles.values():
        assert article.lang and article.sentences and article.event, article.path
    assert {a.event for a in batch.articles.values()} <= batch.analysed_events


def test_bad_inputs_legacy_encodings_decoded_to_the_right_text(batch: BatchRun) -> None:
    assert _stored(batch, "cp1251.txt").title == "Мэрия Казани утвердила бюджет"
    assert "большая часть расходов пойдёт на школы" in _stored(batch, "cp1251.txt").text
    latin = _stored(batch, "latin1.txt")
    assert latin.title == "Fête de l'été à Montréal" and "un café près du marché. Les élèves" in latin.text
    assert _stored(batch, "utf16le-no-bom.txt").title == "Harbour reopens after repairs"
    assert _stored(batch, "utf16be-no-bom.txt").text.startswith("В среду в Самаре открыли новый мост через Волгу")
    broken = _stored(batch, "broken-utf8.txt")
    assert broken.title == "Zürich café reopens" and "Jürg Müller said \ufffd\ufffd after" in broken.text


def test_bad_inputs_implausible_dates_left_unknown(batch: BatchRun) -> None:
    # Not the year 2999 nor year 0, and not taken from a neighbour in the event either.
    for line in ("#L7", "#L8"):
        assert (_stored(batch, f"bad.jsonl{line}").published or "")[:4] not in ("2999", "0000")
    # The year 1 is a date: kept, and "yesterday" or "two years ago" counted from it fall outside the calendar.
    first_year = _stored(batch, "bad.jsonl#L13")
    assert first_year.published == "0001-01-01"
    assert all(not t.value.startswith(("-", "0000")) for t in first_year.times)


def test_bad_inputs_language_no_model_covers_is_stored_with_its_language(batch: BatchRun) -> None:
    amharic, tibetan = _stored(batch, "amharic.txt"), _stored(batch, "tibetan.txt")
    assert amharic.lang == "am" and tibetan.lang in ("bo", "dz")  # Dzongkha shares Tibetan's script
    for article in (amharic, tibetan):
        for sentence in article.sentences:
            assert article.text[sentence.start : sentence.end] == sentence.text
        for time_ref in article.times:
            assert article.text[time_ref.start : time_ref.end] == time_ref.text


def _peak_rss_kb(args: list[str], cwd: Path) -> tuple[int, float]:
    """The peak resident memory of `storyline ARGS` (and of its own children), and its seconds."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "started = time.monotonic()\n"
        f"command = [sys.executable, '-m', 'storyline', *{args!r}]\n"
        f"subprocess.run(command, capture_output=True, timeout={BIG_FILE_TIMEOUT_S})\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.monotonic() - started)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=BIG_FILE_TIMEOUT_S + 30,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    rss, seconds = done.stdout.split()
    return int(rss), float(seconds)


def test_bad_inputs_100_mb_file_is_refused_quickly_in_bounded_memory(corpus: Path) -> None:
    big = corpus / "big.txt"
    assert big.stat().st_size >= make.BIG_BYTES
    big_rss, seconds = _peak_rss_kb(["--db", "big.db", "ingest", str(big)], corpus.parent)
    # The same run with nothing to read: what the command holds anyway (Python, its libraries, the store).
    idle_rss, _ = _peak_rss_kb(["--db", "idle.db", "ingest", "no-such-file.txt"], corpus.parent)
    assert big_rss < idle_rss + BIG_FILE_RSS_MARGIN_KB, (big_rss, idle_rss)
    assert seconds < BIG_FILE_TIMEOUT_S
