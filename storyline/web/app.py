"""The FastAPI application: one store connection per worker thread for reads, one writer for uploads."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..errors import StoreError, StorylineError
from ..store import Store, open_store
from . import api, pages
from .api import SafeJSONResponse
from .documents import NotFound
from .render import Links, render

TOKEN_ENV = "STORYLINE_TOKEN"
DB_ENV = "STORYLINE_DB"
# Request bodies larger than this are refused before they are read (uploads of articles included).
MAX_BODY_BYTES = 20 * 1024 * 1024
_log = logging.getLogger(__name__)
# A body refused halfway: the rest of it is unread, so the connection cannot serve another request.
_CLOSE = {"Connection": "close"}


class Stores:
    """A read connection per thread (connections are cheap, and a shared one would serialize every
    request), and one lock that lets a single upload write at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self.write_lock = threading.Lock()
        # Open once here: creates and migrates the database before the first request.
        open_store(path).close()

    def reader(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self.path)
        return store


class BodyLimit:
    """Refuses a request body over ``limit`` bytes (413), whether it declares its length or streams it in chunks
    with none, one whose next part does not come within ``idle_s`` seconds, and one not whole ``total_s``
    seconds after its request's head (408): a client trickling an upload would otherwise hold its connection and
    its worker for as long as it likes."""

    def __init__(self, app: ASGIApp, idle_s: float, total_s: float, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit
        self.idle_s = idle_s
        self.total_s = total_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await SafeJSONResponse({"detail": self._too_large()}, 413, _CLOSE)(scope, receive, send)
            return
        received = 0
        complete = False
        deadline = asyncio.get_running_loop().time() + self.total_s

        async def limited() -> Message:
            nonlocal received, complete
            if complete:  # the body is in: what follows is the wait for a disconnect, which may be long
                return await receive()
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, min(self.idle_s, left)))
            except TimeoutError:
                if left <= self.idle_s:
                    reason = f"the request body was not whole within {self.total_s:g} s"
                else:
                    reason = f"the request body stalled: nothing came for {self.idle_s:g} s"
                raise HTTPException(408, reason, _CLOSE) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, self._too_large(), _CLOSE)
            return message

        await self.app(scope, limited, send)

    def _too_large(self) -> str:
        return f"request body over {self.limit} bytes"


class SecurityHeaders:
    """Pages hold article text from anywhere: no script but ours, no framing (Swagger UI's page has its own inline
    script), no guessing a content type."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith("/api/docs")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not docs:
                    headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, with_headers)


def _error(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None, detail: Any = None
) -> Response:
    """JSON for the API (``detail``, else the message), a page for a person."""
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        return SafeJSONResponse({"detail": message if detail is None else detail}, status_code=status, headers=headers)
    return HTMLResponse(render("error.html.j2", Links(), status=status, message=message), status, headers)


def create_app(settings: Settings, token: str | None = None) -> FastAPI:
    """The app over the store of ``settings``; uploads need ``token`` (default: $STORYLINE_TOKEN; none set:
    uploads are refused); request bodies are held to the deadlines of ``settings.serve``."""
    # FastAPIOffline: the OpenAPI docs page with Swagger UI's files served from the package, not a CDN.
    app = FastAPIOffline(
        title="storyline",
        version=version("storyline"),
        summary="Events, storylines and their cited, cross-checked analysis, read from a storyline store.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        static_url="/api/docs-static",
    )
    app.state.settings = settings
    app.state.stores = Stores(settings.store.path)
    app.state.token = token if token is not None else os.environ.get(TOKEN_ENV) or None

    # The last added is the outermost: the body is counted before anything reads it, and every answer, a refusal
    # of a body included, gets the headers.
    app.add_middleware(BodyLimit, idle_s=settings.serve.body_idle_s, total_s=settings.serve.body_timeout_s)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(StorylineError)
    async def storyline_error(request: Request, exc: StorylineError) -> Response:
        if isinstance(exc, StoreError):
            # The server's fault, not the request's: its message names the database, which a client need not see.
            _log.error("%s %s: %s", request.method, request.url.path, exc)
            return _error(request, 503, "the store cannot be read now; try again later")
        return _error(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own answer echoes each wrong value (a whole body, markup and all): say where and what only.
        problems = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        message = "; ".join(f"{'.'.join(str(part) for part in p['loc'])}: {p['msg']}" for p in problems)
        return _error(request, 422, message, detail=problems)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Logged in full here; the client learns nothing of the code, its paths or its SQL.
        _log.exception("%s %s failed", request.method, request.url.path)
        return _error(request, 500, "the server failed to answer this request")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), exc.headers)

    app.include_router(api.router, prefix="/api")
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(packages=[("storyline.web", "static")]), name="static")
    return app


def app_from_environment() -> FastAPI:
    """The app as uvicorn's worker processes build it (``storyline serve --workers N``): the settings file
    from $STORYLINE_CONFIG, the database from $STORYLINE_DB."""
    from ..config import load_settings

    database = os.environ.get(DB_ENV)
    return create_app(load_settings(overrides={"store": {"path": database}} if database else None))
