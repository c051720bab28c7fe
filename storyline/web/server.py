"""How `storyline serve` runs the app on uvicorn: its HTTP protocol with a deadline and a size cap on each request's
head, so that a slow or bloated client is cut off instead of holding a connection open, and a cap on open
connections that closes idle ones first, so that a flood of them does not lock others out ([serve] settings)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import ServeSettings

# A request's line and headers must arrive within this many seconds of the connection opening or of the request's
# first byte (slowloris: headers sent a byte at a time keep uvicorn's connection open for as long as they trickle).
HEADER_TIMEOUT_S = 10.0
# A request's line and headers together may hold this many bytes (uvicorn's httptools parser has no limit).
MAX_HEAD_BYTES = 64 * 1024


class HeadTooLarge(Exception):
    """Raised inside the parser's callbacks: uvicorn answers 400 and closes the connection."""


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head is late or too large, and the
    oldest idle connections when there are more than ``max_connections``."""

    header_timeout: float = HEADER_TIMEOUT_S
    max_head_bytes: int = MAX_HEAD_BYTES
    max_connections: int | None = None

    def __init__(
        self,
        *args: Any,
        header_timeout: float | None = None,
        max_connections: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if header_timeout is not None:
            self.header_timeout = header_timeout
        if max_connections is not None:
            self.max_connections = max_connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._opened = self.loop.time()
        super().connection_made(transport)
        # Armed at once: a connection that sends nothing at all is cut off too.
        self._arm_head_deadline()
        self._make_room()

    def _make_room(self) -> None:
        """Close the oldest idle connections (no request being answered) until there are ``max_connections``,
        this one included: a flood of idle or slow connections cannot lock out the next client, which would
        otherwise wait for the flood's header deadlines or be answered 503."""
        if self.max_connections is None:
            return
        while len(self.connections) > self.max_connections:
            idle = [c for c in self.connections if c is not self and isinstance(c, GuardedHttpProtocol) and c.idle]
            if not idle:
                return  # every other connection has a request in progress: this one's is answered 503
            oldest = min(idle, key=lambda c: c._opened)
            # Out of the count at once (uvicorn forgets it only when the loop reports the connection lost).
            self.connections.discard(oldest)
            oldest._disarm_head_deadline()
            oldest.transport.close()

    @property
    def idle(self) -> bool:
        """No request of this connection is being answered: it waits for one, or for the rest of its head."""
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

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


def server_options(settings: ServeSettings) -> dict[str, Any]:
    """uvicorn's settings for `storyline serve` (and for the tests' servers): the guarded protocol with the
    [serve] limits, no `server` header naming the software, warnings only."""
    # A partial, not a class made here: uvicorn's worker processes (--workers N) are handed it pickled.
    protocol = functools.partial(
        GuardedHttpProtocol, header_timeout=settings.header_timeout_s, max_connections=settings.max_connections
    )
    # uvicorn answers 503 from ``limit_concurrency`` connections on, the one asking included.
    return {"http": protocol, "limit_concurrency": settings.max_connections + 1,
            "timeout_keep_alive": settings.keep_alive_s, "server_header": False, "log_level": "warning"}  # fmt: skip
