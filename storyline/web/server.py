"""How `storyline serve` runs the app on uvicorn: its HTTP protocol with a deadline and a size cap on each request's
head, so that a slow or bloated client is cut off instead of holding a connection open."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A request's line and headers must arrive within this many seconds of the connection opening or of the request's
# first byte (slowloris: headers sent a byte at a time keep uvicorn's connection open for as long as they trickle).
HEADER_TIMEOUT_S = 10.0
# A request's line and headers together may hold this many bytes (uvicorn's httptools parser has no limit).
MAX_HEAD_BYTES = 64 * 1024
# An idle kept-alive connection is closed after this many seconds (uvicorn's default).
KEEP_ALIVE_S = 5


class HeadTooLarge(Exception):
    """Raised inside the parser's callbacks: uvicorn answers 400 and closes the connection."""


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head is late or too large."""

    header_timeout: float = HEADER_TIMEOUT_S
    max_head_bytes: int = MAX_HEAD_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        super().connection_made(transport)
        # Armed at once: a connection that sends nothing at all is cut off too.
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._arm_head_deadline()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            raise HeadTooLarge(f"request head over {self.max_head_bytes} bytes")

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.header_timeout, self._head_late)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_late(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def server_options() -> dict[str, Any]:
    """uvicorn's settings for `storyline serve` (and for the tests' servers): the guarded protocol, uvicorn's
    keep-alive, no `server` header naming the software, warnings only."""
    return {"http": GuardedHttpProtocol, "timeout_keep_alive": KEEP_ALIVE_S, "server_header": False,
            "log_level": "warning"}  # fmt: skip
