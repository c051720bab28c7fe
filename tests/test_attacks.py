"""The web app and API under attack, over a real uvicorn server on loopback (run as `storyline serve` runs it):
SQL and HTML injection in every parameter of every route (read from the app's routes, so a new route is attacked
too), path traversal, bad and oversized bodies, missing and wrong tokens, slow and bloated requests, hostile
names in a static export. Each gets the right 4xx, or a normal page with the payload escaped; no answer is a 500
or leaks a path, a traceback or SQL; the store is unchanged, byte for byte. What was tried is counted in
test-artifacts/attacks.json (benchmarks/RESULTS.md cites it)."""

from __future__ import annotations

import contextlib
import hashlib
import html
import inspect
import json
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount

from storyline.web import api, create_app
from storyline.web.app import MAX_BODY_BYTES
from storyline.web.server import MAX_HEAD_BYTES, server_options

from .conftest import ROOT, copy_store, free_port, web_settings

TOKEN = "attack-token-0123456789"
# The server's deadline for a request's head, shortened so that slow clients are cut within the test's time.
HEAD_TIMEOUT_S = 1.0
BODY_IDLE_S = 1.0
SUMMARY = ROOT / "test-artifacts" / "attacks.json"
ATTACKS: Counter[str] = Counter()

# What an error answer must never hold: file paths, code, tracebacks, SQL, the software behind it.
LEAKS = ("/work/", "/tmp/", "/home/", "/usr/", "site-packages", "Traceback", 'File "', ".py", "sqlite", "psycopg",
         "SELECT ", "INSERT ", "OperationalError", "IntegrityError", "uvicorn")  # fmt: skip
# Markup that must never come back raw, in HTML or in JSON.
MARKERS = ("<script>alert(", "<img src=x onerror", "<svg/onload", "<iframe")
PAYLOADS: dict[str, list[str]] = {
    "sql": [
        "' OR '1'='1",
        "1; DROP TABLE articles; --",
        '" OR ""="',
        "') UNION SELECT name, sql, 1, 1 FROM sqlite_master --",
        "%' AND 1=1 --",
        "x'; ATTACH DATABASE 'pwn.db' AS pwn; --",
        "1 OR 1=1",
        "'; UPDATE articles SET title = 'pwned'; --",
    ],
    "fts": ['"unterminated', "NEAR(a b", "a AND OR NOT", "*", "^xi", "title:x", "{title text}: x", "a\x00b"],
    "html": [
        '<script>alert("sl-xss")</script>',
        '"><img src=x onerror=alert("sl-xss")>',
        "</title><svg/onload=alert('sl-xss')>",
        "javascript:alert('sl-xss')",
        '<iframe src="//evil.example">',
        "{{ 1234 * 5678 }}",
    ],
    "traversal": ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "....//....//etc/passwd", "..\\..\\win.ini"],
    "odd": ["\u202egnp.exe", "%", "%00", "x" * 5000, "\r\nSet-Cookie: pwned=1", "-1", "9" * 40, "e-" + "0" * 16],
}
# Answers a GET may give to a hostile parameter.
REFUSALS = {200, 400, 404, 422}


# -- the server ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def attacked_db(served_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(served_db, tmp_path_factory.mktemp("attacked") / "attacked.db")


def _start(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **server_options(app.state.settings.serve))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def app(attacked_db: Path) -> FastAPI:
    serve = {"header_timeout_s": HEAD_TIMEOUT_S, "body_idle_s": BODY_IDLE_S}
    return create_app(web_settings(attacked_db, serve), token=TOKEN)


@pytest.fixture(scope="module")
def base_url(app: FastAPI) -> Iterator[str]:
    server, thread, url = _start(app)
    yield url
    server.should_exit = True
    thread.join(10)
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps({"total": sum(ATTACKS.values()), **dict(sorted(ATTACKS.items()))}, indent=1) + "\n")


@pytest.fixture(scope="module")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def _digest(db: Path) -> tuple[dict[str, int], str]:
    """Every table's rows (count, and a hash of all of them in order): what "nothing stored" compares."""
    counts, digest = {}, hashlib.sha256()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            counts[table] = len(rows)
            digest.update(repr(sorted(map(repr, rows))).encode())
    return counts, digest.hexdigest()


@pytest.fixture(autouse=True)
def store_unchanged(attacked_db: Path) -> Iterator[None]:
    before = _digest(attacked_db)
    yield
    assert _digest(attacked_db) == before, "an attack changed the store"


# -- what every answer is held to ----------------------------------------------------------------------------


def _visible(body: str, content_type: str) -> str:
    """The text an answer carries, unescaped (JSON strings decoded, HTML entities resolved)."""
    if "json" in content_type:
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            return body
    return html.unescape(body)


def _judge(kind: str, status: int, body: str, content_type: str, sent: str = "", allowed: set[int] = REFUSALS) -> str:
    """What is wrong with an answer to an attack of ``kind`` carrying ``sent`` (empty when nothing is)."""
    ATTACKS[kind] += 1
    problems = []
    if status not in allowed:
        problems.append(f"status {status}")
    raw = [m for m in MARKERS if m.lower() in body.lower()]
    if raw:
        problems.append(f"raw markup {raw}")
    if "7006652" in body and "7006652" not in sent:
        problems.append("a template evaluated the payload")
    if status >= 400:
        text = _visible(body, content_type)
        leaked = [p for p in LEAKS if p.lower() in text.lower() and p.lower() not in sent.lower()]
        if leaked:
            problems.append(f"leaks {leaked}: {text[:300]!r}")
    return ", ".join(problems)


def _check(kind: str, response: httpx.Response, sent: str = "", allowed: set[int] = REFUSALS) -> str:
    problem = _judge(kind, response.status_code, response.text, response.headers.get("content-type", ""), sent, allowed)
    return f"{response.request.method} {str(response.request.url)[:160]}: {problem}" if problem else ""


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route of the app with its full path: included routers are kept whole by newer FastAPI versions."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + route.path, route


def _params(dependant: Any, kind: str) -> dict[str, bool]:
    """A route's parameters of ``kind`` (query_params, path_params, ...), its dependencies' included: required?"""
    found = {f.alias: f.field_info.is_required() for f in getattr(dependant, kind)}
    for sub in dependant.dependencies:
        found.update(_params(sub, kind))
    return found


def _routes(app: FastAPI, method: str) -> list[tuple[str, APIRoute]]:
    return [
        (path, route) for path, route in _walk(app.routes) if isinstance(route, APIRoute) and method in route.methods
    ]


@pytest.fixture(scope="module")
def known(http: httpx.Client) -> dict[str, str]:
    """A real value of each path parameter, so that attacks on a query parameter reach a real page."""
    event = max(http.get("/api/events").json()["events"], key=lambda e: e["articles"])
    report = http.get(f"/api/events/{event['id']}").json()
    entity = report["events"][0]["entities"][0]["id"]
    return {"event_id": event["id"], "storyline_id": event["storyline"], "article_id": report["articles"][0]["id"],
            "entity_id": entity, "outlet": event["outlets"][0]}  # fmt: skip


# -- injection in every parameter ----------------------------------------------------------------------------


def test_every_get_route_and_parameter_takes_injection(app: FastAPI, http: httpx.Client, known: dict[str, str]) -> None:
    problems, attacked = [], set()
    for path, route in _routes(app, "GET"):
        paths, queries = _params(route.dependant, "path_params"), _params(route.dependant, "query_params")
        required = {name: "Putin" for name, needed in queries.items() if needed}
        targets = [("path", name) for name in paths] + [("query", name) for name in queries] or [("none", "")]
        for where, name in targets:
            attacked.add((path, name))
            for kind, payloads in PAYLOADS.items():
                for payload in payloads if where != "none" else [""]:
                    values = {p: (payload if (where, p) == ("path", name) else known.get(p, "x")) for p in paths}
                    url = path.format(**{p: quote(v, safe="") for p, v in values.items()})
                    params = {**required, name: payload} if where == "query" else required
                    # The API answers JSON whatever is asked; a page's errors are pages for a browser.
                    for accept in (
                        ("application/json",) if path.startswith("/api") else ("application/json", "text/html")
                    ):
                        try:
                            response = http.get(url, params=params, headers={"accept": accept})
                        except httpx.HTTPError as exc:
                            problems.append(f"GET {url} {params}: {exc!r}")
                            continue
                        problems.append(_check(kind, response, payload))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems[:40])
    # The routes this test knows nothing of by name are attacked all the same.
    assert {("/api/events", "where"), ("/search", "q"), ("/outlets/{outlet}", "outlet")} <= attacked


def test_injection_in_search_finds_and_changes_nothing(http: httpx.Client) -> None:
    """SQL in a search is searched for, as words: no rows from elsewhere come back."""
    for payload in PAYLOADS["sql"] + PAYLOADS["fts"]:
        found = http.get("/api/search", params={"q": payload}).json()
        ATTACKS["sql"] += 1
        assert not any(
            "sqlite_master" in json.dumps(hit) or "CREATE TABLE" in json.dumps(hit) for hit in found["articles"]
        )
        events = http.get("/api/events", params={"q": payload}).json()["events"]
        assert len(events) < len(http.get("/api/events").json()["events"]) or payload == "*"


def test_stored_markup_is_served_escaped(http: httpx.Client, known: dict[str, str]) -> None:
    """The hostile fixture article (a <script> in its title and text) is shown, never executed."""
    hostile = [e for e in http.get("/api/events", params={"q": "harbour"}).json()["events"]]
    assert hostile
    for url in ["/", f"/events/{hostile[0]['id']}", f"/api/events/{hostile[0]['id']}", "/search?q=harbour"]:
        response = http.get(url, headers={"accept": "text/html"})
        assert response.status_code == 200
        assert "alert('text')" in html.unescape(response.text) or "alert(" in _visible(response.text, "json")
        assert not _judge("stored-html", response.status_code, response.text, response.headers["content-type"])


# -- path traversal ------------------------------------------------------------------------------------------

TRAVERSALS = [
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e%2f%2e%2e%2fapp.py",
    "/static/..%2f..%2fweb%2fapp.py",
    "/static/%252e%252e%252fapp.py",
    "/static/..%5c..%5capp.py",
    "/static//etc/passwd",
    "/static/%00",
    "/static/style.css%00.py",
    "/static/../app.py",
    "/api/docs-static/../../../../etc/passwd",
    "/api/docs-static/%2e%2e/%2e%2e/fastapi_offline/core.py",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "/articles/..%2f..%2f..%2fetc%2fpasswd",
]


def _raw(base_url: str, request: bytes, timeout: float = 10) -> tuple[int, str]:
    """Send bytes as they are (no client normalizes the path), and read the answer: (status, body)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode(errors="replace")


def test_path_traversal_reads_no_file(app: FastAPI, base_url: str) -> None:
    mounts = [path for path, route in _walk(app.routes) if isinstance(route, Mount)]
    assert "/static" in mounts
    paths = TRAVERSALS + [f"{mount}/%2e%2e/%2e%2e/%2e%2e/etc/passwd" for mount in mounts]
    problems = []
    for path in paths:
        status, body = _raw(base_url, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        problem = _judge("traversal", status, body, "", path, {400, 404})
        if "root:" in body or "import " in body or "[project]" in body:
            problem += " a file was read"
        if problem:
            problems.append(f"{path}: {problem}")
    assert not problems, "\n".join(problems)
    # The shipped files are still served.
    assert _raw(base_url, b"GET /static/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200


def test_export_keeps_hostile_names_inside_its_folder(tmp_path: Path) -> None:
    """Outlet names and ids are the data's: a static export writes every page inside its folder, however they read."""
    from storyline.config import load_settings
    from storyline.pipeline import ingest
    from storyline.store import open_store
    from storyline.web.site import export_site

    names = ["../../../escaped", "/etc/cron.d/x", "..", "CON", "a" * 400, "Ж" * 200, "<script>alert(1)</script>"]
    articles = tmp_path / "hostile.jsonl"
    articles.write_text("".join(
        json.dumps({"id": f"h{n}", "outlet": name, "title": f"Storm {n} closes the harbour of Port {n}",
                    "text": f"A storm closed the harbour of Port {n} on Monday, officials said. Ships waited."}) + "\n"
        for n, name in enumerate(names)
    ))  # fmt: skip
    settings = load_settings(overrides={"store": {"path": str(tmp_path / "h.db")},
                                        "pipeline": {"skip": ["analysis", "event-analysis"]}})  # fmt: skip
    with open_store(str(tmp_path / "h.db")) as store:
        assert not ingest(store, [str(articles)], settings).failures
        site = tmp_path / "out" / "site"
        export_site(store, settings, site)
        outlets = {o for o, _, _ in store.outlets()}
    ATTACKS["export-names"] += len(names)
    assert set(names) <= outlets
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written and all(p.resolve().is_relative_to(site.resolve()) for p in written)
    assert not (tmp_path / "escaped.html").exists()
    assert len(list((site / "outlets").iterdir())) == len(outlets)  # one page each, none lost to a clash
    assert not any("<script>alert(1)" in p.read_text(errors="replace") for p in written if p.suffix == ".html")


# -- tokens --------------------------------------------------------------------------------------------------

BAD_AUTHORIZATIONS = [
    None,
    "",
    "Bearer",
    "Bearer wrong",
    f"Bearer {TOKEN}x",
    f"Bearer {TOKEN[:-1]}",
    f"Basic {TOKEN}",
    TOKEN,
    f"Bearer {TOKEN.upper()}",
    "Bearer ' OR '1'='1",
    "Bearer " + "A" * 10_000,
]


def test_uploads_refuse_missing_and_wrong_tokens(app: FastAPI, http: httpx.Client) -> None:
    routes = _routes(app, "POST")
    assert {path for path, _ in routes} == {"/api/articles", "/api/articles/files"}
    body = {"articles": [{"text": "Ships left the harbour on Monday.", "title": "Harbour"}]}
    problems = []
    for path, _ in routes:
        for authorization in BAD_AUTHORIZATIONS:
            headers = {"authorization": authorization} if authorization is not None else {}
            if path.endswith("/files"):
                response = http.post(path, files={"files": ("a.txt", b"Harbour\n\nShips left.")}, headers=headers)
            else:
                response = http.post(path, json=body, headers=headers)
            problems.append(_check("token", response, authorization or "", {401}))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_uploads_are_off_without_a_token(attacked_db: Path) -> None:
    from fastapi.testclient import TestClient

    closed = TestClient(create_app(web_settings(attacked_db), token=""))
    for path, _ in _routes(closed.app, "POST"):  # type: ignore[arg-type]
        response = closed.post(path, json={"articles": [{"text": "x"}]}, headers={"authorization": "Bearer "})
        ATTACKS["token"] += 1
        assert response.status_code == 403


def test_the_token_is_compared_in_constant_time() -> None:
    source = inspect.getsource(api.require_token)
    assert "compare_digest" in source and "==" not in source.replace("!=", "")


# -- bodies --------------------------------------------------------------------------------------------------

AUTH = {"authorization": f"Bearer {TOKEN}"}
BAD_JSON = [
    b"{",
    b"",
    b"null",
    b"[]",
    b'"articles"',
    b'{"articles": "x"}',
    b'{"articles": []}',
    b'{"articles": [{}]}',
    b'{"articles": [{"text": ""}]}',
    b'{"articles": [{"text": 5}]}',
    b'{"articles": [{"text": "x", "published": {"$gt": ""}}]}',
    b'{"articles": [{"text": "x", "outlet": "' + b"o" * 600 + b'"}]}',
    b'{"articles": [' + b",".join([b'{"text": "x"}'] * (api.MAX_UPLOAD_ARTICLES + 1)) + b"]}",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"articles": [{"text": "\xff\xfe not utf-8"}]}',
    b'{"articles": [{"text": "<script>alert(\\"sl-xss\\")</script>"' + b"}",
]


def test_bad_json_is_refused(http: httpx.Client) -> None:
    problems = []
    for body in BAD_JSON:
        response = http.post("/api/articles", content=body, headers={**AUTH, "content-type": "application/json"})
        problems.append(_check("bad-json", response, body[:200].decode(errors="replace"), {400, 422}))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_wrong_content_types_are_refused(http: httpx.Client) -> None:
    valid = json.dumps({"articles": [{"text": "Ships left the harbour on Monday."}]}).encode()
    attempts: list[tuple[str, bytes, str | None]] = [
        ("/api/articles", valid, "text/plain"),
        ("/api/articles", valid, None),
        ("/api/articles", valid, "application/x-www-form-urlencoded"),
        ("/api/articles", b"--b\r\nContent-Disposition: form-data; name=\"articles\"\r\n\r\nx\r\n--b--\r\n",
         "multipart/form-data; boundary=b"),
        ("/api/articles", valid, "application/xml"),
        ("/api/articles/files", valid, "application/json"),
        ("/api/articles/files", b"files=a.txt", "application/x-www-form-urlencoded"),
        ("/api/articles/files", b"x", "multipart/form-data"),  # no boundary
        ("/api/articles/files", b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nx",
         "multipart/form-data; boundary=b"),  # cut off in its first part
        ("/api/articles/files", b"--b--\r\n", "multipart/form-data; boundary=b"),  # no part at all
        ("/api/articles/files", b"--b\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\nnot a file\r\n--b--\r\n",
         "multipart/form-data; boundary=b"),  # a field, not a file
        ("/api/articles/files", b"--b\r\nContent-Disposition: form-data; name=\"other\"; filename=\"a.txt\"\r\n\r\n"
         b"x\r\n--b--\r\n", "multipart/form-data; boundary=b"),  # the wrong field
        ("/api/articles/files", b"garbage", "multipart/form-data; boundary=" + "b" * 300),
    ]  # fmt: skip
    problems = []
    for path, body, content_type in attempts:
        headers = {**AUTH, **({"content-type": content_type} if content_type else {})}
        response = http.post(path, content=body, headers=headers)
        problems.append(_check("content-type", response, body[:200].decode(errors="replace"), {400, 413, 415, 422}))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_too_many_files_and_hostile_file_names(http: httpx.Client, tmp_path: Path) -> None:
    files = [("files", (f"a{n}.txt", b"")) for n in range(api.MAX_UPLOAD_FILES + 1)]
    response = http.post("/api/articles/files", files=files, headers=AUTH)
    assert not _check("multipart", response, "", {413})
    # Empty files (nothing to store) under names that try to leave the upload folder: each is named in the
    # answer as sent, nothing is written outside.
    names = ["../../../../tmp/sl-escaped.txt", "/etc/passwd", "..", "a/../../b.txt", "\x00.txt", "<script>.txt"]
    response = http.post("/api/articles/files", files=[("files", (n, b"")) for n in names], headers=AUTH)
    assert not _check("multipart", response, " ".join(names), {200})
    answer = response.json()
    ATTACKS["multipart"] += len(names) - 1
    assert answer["added"] == 0 and len(answer["failed"]) == len(names)
    assert not any("storyline-upload" in f for f in answer["failed"])
    assert not Path("/tmp/sl-escaped.txt").exists()


def test_oversized_bodies_are_refused(base_url: str, http: httpx.Client) -> None:
    over = MAX_BODY_BYTES + 1
    problems = []
    # Declared too long, declared wrongly, and streamed in chunks with no length (counted as it comes).
    for length in (str(10**12), str(over), "-1", "12abc", "1e9"):
        status, body = _raw(
            base_url,
            f"POST /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{}}".encode(),
        )
        problem = _judge("oversized", status, body, "", "", {400, 413})
        problems.append(f"content-length {length}: {problem}" if problem else "")

    def chunks(start: bytes = b'{"articles": [{"text": "', end: bytes = b'"}]}') -> Iterator[bytes]:
        yield start
        for _ in range(over // (1 << 20) + 1):
            yield b"x" * (1 << 20)
        yield end

    response = http.post("/api/articles", content=chunks(), headers={**AUTH, "content-type": "application/json"})
    problems.append(_check("oversized", response, "", {413}))
    part = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n'
    response = http.post("/api/articles/files", content=chunks(part, b"\r\n--b--\r\n"),
                         headers={**AUTH, "content-type": "multipart/form-data; boundary=b"})  # fmt: skip
    problems.append(_check("oversized", response, "", {413}))
    # Without a token too: the body is refused before anyone reads it whole.
    response = http.post("/api/articles", content=chunks(), headers={"content-type": "application/json"})
    problems.append(_check("oversized", response, "", {401, 413}))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


# -- long and slow requests ----------------------------------------------------------------------------------


def test_very_long_urls_and_headers_are_refused_and_the_server_goes_on(base_url: str, http: httpx.Client) -> None:
    big = MAX_HEAD_BYTES + 1
    requests = [
        b"GET /api/events?q=" + b"a" * big + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * big + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/events HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * big + b"\r\n\r\n",
        b"GET /api/events HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(big // 8)) + b"\r\n",
        b"GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: " + b"a=b; " * (big // 5) + b"\r\n\r\n",
    ]
    for request in requests:
        status, body = _raw(base_url, request)
        assert not _judge("long-request", status, body, "", "", {400, 414, 431})
    # Long but within the limits: a normal answer.
    response = http.get("/api/search", params={"q": "a" * 500})
    assert not _check("long-request", response, "", {200})
    response = http.get("/api/search", params={"q": "a" * 501})
    assert not _check("long-request", response, "", {422})
    assert http.get("/api/events").status_code == 200


def _cut_off(connection: socket.socket, drip: bytes, pause: float, limit: float) -> float | None:
    """Send ``drip`` a byte at a time; the seconds until the server closed the connection (None: it did not
    within ``limit``)."""
    started = time.monotonic()
    connection.setblocking(False)
    for byte in drip:
        if time.monotonic() - started > limit:
            return None
        try:
            connection.send(bytes([byte]))
            if connection.recv(1024) == b"":
                return time.monotonic() - started
        except BlockingIOError:
            pass
        except OSError:
            return time.monotonic() - started
        time.sleep(pause)
    return None


def test_slow_clients_are_cut_off_while_others_are_answered(base_url: str, http: httpx.Client) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    slow = [socket.create_connection((host, int(port))) for _ in range(8)]
    idle = socket.create_connection((host, int(port)))  # says nothing at all
    results: list[float | None] = []
    drip = b"GET /api/events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    threads = [threading.Thread(target=lambda c=c: results.append(_cut_off(c, drip, 0.05, 4 * HEAD_TIMEOUT_S)))
               for c in slow]  # fmt: skip
    for thread in threads:
        thread.start()
    # Meanwhile others are answered at once.
    answered = []
    for _ in range(10):
        started = time.monotonic()
        assert http.get("/api/events").status_code == 200
        answered.append(time.monotonic() - started)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    idle.settimeout(4 * HEAD_TIMEOUT_S)
    with contextlib.suppress(ConnectionResetError):  # closed by the server, one way or the other
        assert idle.recv(1024) == b""
    for connection in (*slow, idle):
        connection.close()
    ATTACKS["slow-client"] += len(slow) + 1
    assert len(results) == len(slow) and all(r is not None and r < 3 * HEAD_TIMEOUT_S for r in results), results
    assert max(answered) < 1.0, answered


def test_a_stalled_body_is_refused(base_url: str) -> None:
    request = (b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer "
               + TOKEN.encode() + b"\r\nContent-Length: 1000\r\n\r\n{\"articles\": [")  # fmt: skip
    started = time.monotonic()
    status, body = _raw(base_url, request, timeout=10 * BODY_IDLE_S)
    assert not _judge("slow-client", status, body, "", "", {408})
    assert time.monotonic() - started < 5 * BODY_IDLE_S


def test_every_error_answer_names_no_path_nor_code(http: httpx.Client, known: dict[str, str]) -> None:
    """The errors a reader can cause on purpose, read whole."""
    urls = ["/api/events/nope", "/events/nope", "/api/events?cursor=!!", "/api/events?where=colour:red",
            "/api/events?since=soon", "/nope", "/api/nope", "/static/nope.css",
            f"/outlets/{known['outlet']}x"]  # fmt: skip
    problems = []
    for url in urls:
        for accept in ("application/json", "text/html"):
            response = http.get(url, headers={"accept": accept})
            problems.append(_check("error-leak", response, "", {400, 404, 422}))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)
