"""The [serve] limits on a real uvicorn server (run as `storyline serve` runs it), set small here: a flood of
idle connections does not lock a client out (the oldest idle ones are closed to make room), requests beyond the
cap while every connection is busy are answered 503 at once, and a body dripped a byte at a time is cut with 408
within its total deadline, however steadily it drips."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storyline.web import create_app

from .conftest import ROOT, copy_store, web_settings
from .test_attacks import LEAKS, _start

TOKEN = "limits-token-0123456789"
MAX_CONNECTIONS = 20
# Long, so that what closes the flood is the cap, not the deadline for a request's head.
HEADER_TIMEOUT_S = 30.0
BODY_IDLE_S = 1.0
BODY_TIMEOUT_S = 2.0
# A byte this often: never idle for body_idle_s, never whole before body_timeout_s.
DRIP_EVERY_S = 0.2
SUMMARY = ROOT / "test-artifacts" / "limits.json"
FIGURES: dict[str, object] = {}


@pytest.fixture(scope="module")
def base_url(served_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    copy = copy_store(served_db, tmp_path_factory.mktemp("limits") / "limits.db")
    serve = {"max_connections": MAX_CONNECTIONS, "header_timeout_s": HEADER_TIMEOUT_S, "body_idle_s": BODY_IDLE_S,
             "body_timeout_s": BODY_TIMEOUT_S}  # fmt: skip
    server, thread, url = _start(create_app(web_settings(copy, serve), token=TOKEN))
    yield url
    server.should_exit = True
    thread.join(10)
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps({"max_connections": MAX_CONNECTIONS, **FIGURES}, indent=1) + "\n")


def _connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def _closed_by_server(connection: socket.socket, wait: float) -> bool:
    connection.settimeout(wait)
    try:
        return connection.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _timed_get(base_url: str) -> tuple[int, float]:
    """A request on a connection of its own: (status, seconds)."""
    started = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=10) as client:
        status = client.get("/api/events", params={"limit": 1}).status_code
    return status, time.monotonic() - started


def test_a_flood_of_idle_connections_does_not_lock_a_client_out(base_url: str) -> None:
    flood = [_connect(base_url) for _ in range(3 * MAX_CONNECTIONS)]
    # Some of them half-way through a request's head (a slowloris), the rest silent.
    for connection in flood[::3]:
        connection.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nX-Slow: a")
    answers = []
    for _ in range(10):
        answers.append(_timed_get(base_url))
        flood += [_connect(base_url) for _ in range(MAX_CONNECTIONS // 2)]
    closed = sum(_closed_by_server(c, 0.5 if n < len(flood) - MAX_CONNECTIONS else 0.05) for n, c in enumerate(flood))
    for connection in flood:
        connection.close()
    FIGURES["flood"] = {"idle_connections": len(flood), "closed_to_make_room": closed, "requests": len(answers),
                        "answered_200": sum(s == 200 for s, _ in answers),
                        "slowest_s": round(max(t for _, t in answers), 3)}  # fmt: skip
    assert all(status == 200 for status, _ in answers), answers
    assert max(seconds for _, seconds in answers) < 1.0, answers
    # Long before their head deadline, all but the newest were closed to make room.
    assert closed >= len(flood) - MAX_CONNECTIONS, (closed, len(flood))


def _drip(connections: list[socket.socket], body: bytes, started: float, limit: float) -> list[tuple[int, float, str]]:
    """Drip ``body`` into every connection, a byte each DRIP_EVERY_S; (status, seconds since ``started``, answer)
    of each, status 0 when the server said nothing within ``limit`` seconds."""
    answers: dict[int, tuple[int, float, str]] = {}
    for connection in connections:
        connection.setblocking(False)
    position = 0
    while len(answers) < len(connections) and time.monotonic() - started < limit:
        for n, connection in enumerate(connections):
            if n in answers:
                continue
            with contextlib.suppress(BlockingIOError):
                answer = connection.recv(65536)
                head, _, text = answer.partition(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1]) if answer else -1
                answers[n] = (status, time.monotonic() - started, text.decode(errors="replace"))
                continue
            with contextlib.suppress(OSError):
                connection.send(body[position : position + 1])
        position = min(position + 1, len(body) - 1)
        time.sleep(DRIP_EVERY_S)
    return [answers.get(n, (0, limit, "")) for n in range(len(connections))]


def test_bodies_dripped_slowly_are_cut_and_the_excess_answered_503(base_url: str) -> None:
    body = b'{"articles": [{"text": "' + b"x" * 1000 + b'"}]}'
    head = (f"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
    drippers = []
    started = time.monotonic()
    for _ in range(MAX_CONNECTIONS):
        connection = _connect(base_url)
        connection.sendall(head + body[:1])
        drippers.append(connection)
    time.sleep(0.2)  # every head read: each connection has a request in progress
    # No connection is idle: a request over the cap is refused at once, not queued behind the drips.
    excess, seconds = _timed_get(base_url)
    answers = _drip(drippers, body[1:], started, 4 * BODY_TIMEOUT_S)
    for connection in drippers:
        connection.close()
    cuts = [cut for _, cut, _ in answers]
    FIGURES["drip"] = {"bodies": len(drippers), "answered_408": sum(s == 408 for s, _, _ in answers),
                       "cut_after_s": [round(min(cuts), 2), round(max(cuts), 2)],
                       "excess_status": excess, "excess_s": round(seconds, 3)}  # fmt: skip
    assert excess == 503 and seconds < 1.0, (excess, seconds)
    assert [status for status, _, _ in answers] == [408] * len(drippers), answers
    # Cut at the total deadline (counted from each head), though a byte came every DRIP_EVERY_S.
    assert all(BODY_TIMEOUT_S - 0.5 < cut < BODY_TIMEOUT_S + 1.0 for _, cut, _ in answers), answers
    assert all("whole within" in text and not any(p.lower() in text.lower() for p in LEAKS) for *_, text in answers)
    # The drips gone, the server answers again.
    assert _timed_get(base_url)[0] == 200
