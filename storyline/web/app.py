"""The FastAPI application: one store connection per worker thread for reads, one writer for uploads."""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from importlib.metadata import version

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings
from ..errors import StorylineError
from ..store import Store, open_store
from . import api, pages
from .documents import NotFound
from .render import Links, render

TOKEN_ENV = "STORYLINE_TOKEN"
DB_ENV = "STORYLINE_DB"
# Request bodies larger than this are refused before they are read (uploads of articles included).
MAX_BODY_BYTES = 20 * 1024 * 1024


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


def _error(request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """JSON for the API, a page for a person."""
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return HTMLResponse(render("error.html.j2", Links(), status=status, message=message), status, headers)


def create_app(settings: Settings, token: str | None = None) -> FastAPI:
    """The app over the store of ``settings``; uploads need ``token`` (default: $STORYLINE_TOKEN; none set:
    uploads are refused)."""
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

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        response = await call_next(request)
        # Pages hold article text from anywhere: no script but ours, no framing (Swagger UI's page has its own
        # inline script).
        if not request.url.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.exception_handler(StorylineError)
    async def storyline_error(request: Request, exc: StorylineError) -> Response:
        return _error(request, 400, str(exc))

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
