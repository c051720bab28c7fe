"""The bad-input corpus (tests/fixtures/bad/ and what its make.py writes) uploaded through the real upload routes of
a real uvicorn server, with valid articles in the same upload: each bad file is answered with its coded error
naming it as sent (no path of the server's disk, no traceback), the valid articles are stored and processed,
nothing else changes, and the answer sums up what was skipped and why, by code, as `storyline ingest` does. The
100 MB file is refused by the body limit (413) before the server has read more than the limit."""

from __future__ import annotations

import contextlib
import json
import re
import select
import shutil
import socket
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storyline.store import open_store
from storyline.web import create_app
from storyline.web.app import MAX_BODY_BYTES

from .conftest import EXAMPLES, ROOT, copy_store, web_settings
from .test_attacks import LEAKS, _start
from .test_bad_inputs import BAD, EXPECTED, STORED, make

TOKEN = "upload-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}
SUMMARY = ROOT / "test-artifacts" / "uploads.json"
# What the local run names that an upload cannot hold: a folder (the symlink loop), a path that does not exist,
# a file over the body limit (sent on its own below).
NOT_UPLOADED = ("loop/", "no/such/", "big.txt")
_CODE = re.compile(r"\[([EW]\d{3})\]")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("upload-bad") / "corpus"
    shutil.copytree(BAD, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    make.make(folder)
    return folder


@pytest.fixture(scope="module")
def uploaded_db(served_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(served_db, tmp_path_factory.mktemp("uploaded") / "uploaded.db")


@pytest.fixture(scope="module")
def base_url(uploaded_db: Path) -> Iterator[str]:
    server, thread, url = _start(create_app(web_settings(uploaded_db), token=TOKEN))
    yield url
    server.should_exit = True
    thread.join(10)


def _uploads(corpus: Path) -> list[Path]:
    """Every bad file an upload can hold, then two valid sample articles."""
    bad = sorted(p for p in corpus.iterdir() if p.is_file() and p.name != "big.txt")
    return bad + sorted(EXAMPLES.glob("00[02]_*.txt"))


def _rows(db: Path) -> dict[str, set[tuple[Any, ...]]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return {
            "articles": set(connection.execute("SELECT id, path, event_id FROM articles")),
            "events": set(connection.execute("SELECT id FROM events")),
        }


@pytest.fixture(scope="module")
def upload(base_url: str, corpus: Path, uploaded_db: Path) -> tuple[httpx.Response, dict[str, Any], dict[str, Any]]:
    """(the answer, the store's rows before, after) of one upload of the corpus and two valid articles."""
    before = _rows(uploaded_db)
    files = [("files", (path.name, path.read_bytes())) for path in _uploads(corpus)]
    with httpx.Client(base_url=base_url, timeout=300) as client:
        response = client.post("/api/articles/files", files=files, headers=AUTH)
    return response, before, _rows(uploaded_db)


def _leaks(text: str, sent: str = "") -> list[str]:
    return [p for p in LEAKS if p.lower() in text.lower() and p.lower() not in sent.lower()]


def test_upload_names_each_bad_file_with_its_code(upload: tuple[httpx.Response, Any, Any]) -> None:
    response, _, _ = upload
    assert response.status_code == 200, response.text
    answer = response.json()
    problems = answer["failed"] + answer["notices"]
    expected = [(named, code) for named, code in EXPECTED if not named.startswith(NOT_UPLOADED)]
    for named, code in expected:
        assert any(p.startswith(f"[{code}] {named}") for p in problems), f"no [{code}] for {named}: {problems}"
    assert sorted(c for p in problems for c in _CODE.findall(p)) == sorted(c for _, c in expected)
    assert not [p for p in problems if _leaks(p) or "storyline-upload" in p], problems


def test_upload_sums_up_what_was_skipped_by_code(upload: tuple[httpx.Response, Any, Any], corpus: Path) -> None:
    answer = upload[0].json()
    expected = [code for named, code in EXPECTED if not named.startswith(NOT_UPLOADED)]
    counts = Counter(expected)
    summary = answer["summary"]
    assert summary["skipped"] == sum(c.startswith("E") for c in expected) == len(answer["failed"])
    assert summary["warnings"] == sum(c.startswith("W") for c in expected) == len(answer["notices"])
    assert {row["code"]: row["inputs"] for row in summary["by_code"]} == counts
    for row in summary["by_code"]:
        assert row["first"] in answer["failed"] + answer["notices"] and f"[{row['code']}]" in row["first"]
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps({"files": len(_uploads(corpus)), "big_file_refused": 2,
                                   **{k: summary[k] for k in ("skipped", "warnings")},
                                   "by_code": dict(sorted(counts.items()))}, indent=1) + "\n")  # fmt: skip


def test_upload_stores_and_processes_the_valid_articles_and_nothing_else(
    upload: tuple[httpx.Response, Any, Any], uploaded_db: Path
) -> None:
    response, before, after = upload
    answer = response.json()
    new = after["articles"] - before["articles"]
    assert before["articles"] <= {(i, p, e) for i, p, e in after["articles"]} | before["articles"]
    assert {i for i, _, _ in before["articles"]} <= {i for i, _, _ in after["articles"]}, "an article was lost"
    # What the local run stores, less what an upload cannot hold; the samples were in the served store already.
    expected = {e for e in STORED if not e.startswith(("loop/", "000_", "002_"))}
    assert {next(e for e in expected if path.endswith(e)) for _, path, _ in new} == expected
    assert answer["added"] == len(new) == len(expected)
    assert answer["read"] == len(expected) + 2
    # Stored under the name sent, not the server's temporary copy.
    assert not [p for _, p, _ in new if p.startswith("/") or "storyline-upload" in p]
    with open_store(str(uploaded_db)) as store:
        ids = {i for i, _, _ in new}
        articles = [a for a in store.articles(with_annotations=True) if a.id in ids]
        analysed = set(store.event_analyses())
    assert len(articles) == len(new)
    for article in articles:
        assert article.lang and article.sentences and article.event, article.path
    assert {a.event for a in articles} <= analysed


def test_upload_of_the_100_mb_file_is_refused_unread(base_url: str, corpus: Path, uploaded_db: Path) -> None:
    """Declared: refused at its head. Streamed with no length: refused once the limit is passed, the rest unsent."""
    before = _rows(uploaded_db)
    big = corpus / "big.txt"
    part = b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
    host, port = base_url.removeprefix("http://").split(":")
    for declared in (True, False):
        length = f"Content-Length: {len(part) + big.stat().st_size + 9}" if declared else "Transfer-Encoding: chunked"
        head = (f"POST /api/articles/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: multipart/form-data; boundary=b\r\n{length}\r\n\r\n").encode()  # fmt: skip
        sent, answer = 0, b""
        with socket.create_connection((host, int(port)), timeout=10) as connection, big.open("rb") as source:
            connection.sendall(head)
            chunk = part
            while chunk and not answer:
                # Whatever the server says, it says before the next chunk goes (it may close without reading it).
                if select.select([connection], [], [], 0.05)[0]:
                    break
                try:
                    connection.sendall(chunk if declared else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    break
                sent += len(chunk)
                chunk = source.read(1 << 20)
            with contextlib.suppress(ConnectionResetError, TimeoutError):
                while more := connection.recv(65536):
                    answer += more
        status = int(answer.split(b" ", 2)[1]) if answer else 0
        body = answer.partition(b"\r\n\r\n")[2].decode(errors="replace")
        assert status == 413 and not _leaks(body), (declared, answer[:300])
        # Declared: nothing but its first megabyte sent. Streamed: cut soon after the limit (a few socket buffers).
        assert sent < (2 << 20) if declared else sent < MAX_BODY_BYTES + (8 << 20), (declared, sent)
    assert _rows(uploaded_db) == before
