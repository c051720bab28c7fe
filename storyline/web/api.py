"""The REST API: JSON over what the stages stored (GET), and uploads of articles behind a token (POST)."""

from __future__ import annotations

import json
import re
import secrets
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..errors import InputError, Notice
from ..model import EventQuery
from ..store import Store as AnyStore
from ..store import open_store
from . import documents as docs


class SafeJSONResponse(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes (the same JSON to a parser): article text and
    echoed parameters can hold markup, and no answer should carry it raw, whatever a client does with it."""

    def render(self, content: Any) -> bytes:
        return super().render(content).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


router = APIRouter(default_response_class=SafeJSONResponse)

# Page sizes a client may ask for, and the default.
MAX_PAGE = 200
DEFAULT_PAGE = 50
# The furthest a list may be paged into (SQLite's integers end at 2**63; no store holds this many rows).
MAX_OFFSET = 10**9
# Articles one JSON upload may hold, and files one multipart upload.
MAX_UPLOAD_ARTICLES = 5_000
MAX_UPLOAD_FILES = 100
_SAFE_NAME = re.compile(r"[^\w.-]+")


# Reads are `async def` on purpose: each is a few milliseconds of SQLite, cheaper run on the event loop than
# handed to a thread pool (16 connections on 2 cores: 37 against 150+ pages/s, benchmarks/web_load.py). Uploads,
# which run the pipeline for seconds, stay plain functions and run in the pool.
async def reader(request: Request) -> AnyStore:
    """This worker's read connection to the store."""
    store: AnyStore = request.app.state.stores.reader()
    return store


# What a route declares to read the store: this worker thread's connection.
Store = Annotated[AnyStore, Depends(reader)]


async def event_query(
    request: Request,
    since: Annotated[date | None, Query(description="Events reported on or after this day.")] = None,
    until: Annotated[date | None, Query(description="Events first reported on or before this day.")] = None,
    entity: Annotated[str | None, Query(max_length=64, description="Events naming this entity (its id).")] = None,
    outlet: Annotated[list[str] | None, Query(max_length=200, description="Events any of these outlets cover.")] = None,
    where: Annotated[
        str | None,
        Query(
            pattern=r"^\w+:.+$",
            max_length=200,
            description="Events an outlet with this value in the outlet table covers: column:value, e.g. lean:left.",
        ),
    ] = None,
    q: Annotated[str | None, Query(max_length=500, description="Events whose articles hold all these words.")] = None,
    min_outlets: Annotated[
        int, Query(ge=0, le=1000, description="Events with a fact at least this many independent outlets report.")
    ] = 0,
    storyline: Annotated[str | None, Query(max_length=64)] = None,
) -> EventQuery:
    """The filters of a list of events, as query parameters (the pages use the same)."""
    outlets = tuple(outlet) if outlet else None
    if where:
        column, value = where.split(":", 1)
        chosen = docs.outlets_where(request.app.state.settings.outlets.table, column, value)
        outlets = tuple(sorted(set(outlets) & set(chosen))) if outlets is not None else chosen
    return EventQuery(
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        entity=entity or None,
        outlets=outlets,
        text=q or None,
        min_corroboration=min_outlets,
        storyline=storyline or None,
    )


Filters = Annotated[EventQuery, Depends(event_query)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=400, description="The `next` of the previous page.")]


@router.get("/events", tags=["events"])
async def list_events(
    store: Store, query: Filters, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
) -> dict[str, Any]:
    """Events, latest reported first, filtered; `next` is the cursor of the next page (null on the last)."""
    page, following = docs.event_page(store, query, limit, cursor)
    return {"events": [docs.digest_data(d) for d in page], "next": following}


@router.get("/events/{event_id}", tags=["events"])
async def get_event(store: Store, event_id: str) -> dict[str, Any]:
    """One event's report (the JSON contract): the event with its analysis, its articles and its storyline."""
    return docs.event_document(store, event_id)


@router.get("/storylines", tags=["storylines"])
async def list_storylines(
    store: Store, limit: Limit = DEFAULT_PAGE, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0
) -> dict[str, Any]:
    """Storylines, latest reported first."""
    rows, total = docs.storyline_list(store, limit, offset)
    return {"storylines": rows, "total": total}


@router.get("/storylines/{storyline_id}", tags=["storylines"])
async def get_storyline(store: Store, storyline_id: str) -> dict[str, Any]:
    """A storyline: its events in order, what they share, and its timeline."""
    return docs.storyline_document(store, storyline_id)


@router.get("/articles/{article_id}", tags=["articles"])
async def get_article(store: Store, article_id: str) -> dict[str, Any]:
    """An article with its sentences (a citation's `sentence` indexes them)."""
    return docs.article_document(store, article_id)


@router.get("/entities", tags=["entities"])
async def list_entities(
    store: Store, q: Annotated[str, Query(min_length=1, max_length=200)], limit: Limit = 20
) -> dict[str, Any]:
    """Entities whose name holds `q`, the most covered first."""
    return {"entities": [{"id": i, "name": n, "type": t, "events": e} for i, n, t, e in store.find_entities(q, limit)]}


@router.get("/entities/{entity_id}", tags=["entities"])
async def get_entity(store: Store, entity_id: str) -> dict[str, Any]:
    """An entity: every name used for it, how outlets label it, its events and its quotes."""
    return docs.entity_document(store, entity_id)


@router.get("/outlets", tags=["outlets"])
async def list_outlets(store: Store, request: Request) -> dict[str, Any]:
    """Every outlet with its counts and its row of the outlet table (when one is set)."""
    return {"outlets": docs.outlet_list(store, request.app.state.settings.outlets.table)}


@router.get("/search", tags=["search"])
async def search(
    store: Store, q: Annotated[str, Query(min_length=1, max_length=500)], limit: Limit = 20
) -> dict[str, Any]:
    """Full-text search over articles (all the words, any order) and entity names."""
    found = docs.search_document(store, q, limit)
    for hit in found["articles"]:
        hit["snippet"], hit["highlights"] = _plain_snippet(hit["snippet"])
    return found


class ArticleIn(BaseModel):
    """An article to ingest: the fields of a JSONL input line."""

    text: str = Field(min_length=1, max_length=2_000_000)
    title: str | None = Field(default=None, max_length=2_000)
    url: str | None = Field(default=None, max_length=4_000)
    outlet: str | None = Field(default=None, max_length=500)
    published: str | None = Field(default=None, max_length=64)
    author: str | None = Field(default=None, max_length=2_000)
    id: str | None = Field(default=None, max_length=500)
    lang: str | None = Field(default=None, max_length=16)


class ArticlesIn(BaseModel):
    articles: list[ArticleIn] = Field(min_length=1, max_length=MAX_UPLOAD_ARTICLES)


def require_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Writes need `Authorization: Bearer <STORYLINE_TOKEN>`; with no token set, none are allowed."""
    expected = request.app.state.token
    if not expected:
        raise HTTPException(403, "uploads are off: start the server with STORYLINE_TOKEN set")
    scheme, _, given = (authorization or "").strip().partition(" ")
    # Compared in constant time: how long a refusal takes says nothing of how much of the token was right.
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), expected.encode()):
        raise HTTPException(401, "a valid token is needed (Authorization: Bearer <STORYLINE_TOKEN>)")


@router.post("/articles", tags=["articles"], dependencies=[Depends(require_token)], status_code=200)
def post_articles(request: Request, body: ArticlesIn) -> dict[str, Any]:
    """Ingest articles given as JSON, through the same pipeline as `storyline ingest`; what is already stored is
    skipped. Answers when they are stored and analysed."""
    with tempfile.TemporaryDirectory(prefix="storyline-upload-") as folder:
        path = Path(folder) / "upload.jsonl"
        lines = (json.dumps(a.model_dump(exclude_none=True), ensure_ascii=False) for a in body.articles)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return _ingest(request, [str(path)], {str(path): "upload"})


@router.post("/articles/files", tags=["articles"], dependencies=[Depends(require_token)])
def post_article_files(
    request: Request, files: Annotated[list[UploadFile], File(description="Article files: .txt .md .html .jsonl .rss")]
) -> dict[str, Any]:
    """Ingest uploaded files (any format `storyline ingest` reads), through the same pipeline."""
    if len(files) > MAX_UPLOAD_FILES:
        raise HTTPException(413, f"at most {MAX_UPLOAD_FILES} files per upload")
    with tempfile.TemporaryDirectory(prefix="storyline-upload-") as folder:
        paths, names = [], {}
        for number, upload in enumerate(files):
            name = _SAFE_NAME.sub("_", Path(upload.filename or "upload.txt").name)[-120:] or "upload.txt"
            path = Path(folder) / f"{number:03d}-{name}"
            path.write_bytes(upload.file.read())
            paths.append(str(path))
            names[str(path)] = upload.filename or name
        return _ingest(request, paths, names)


def _ingest(request: Request, paths: list[str], names: dict[str, str]) -> dict[str, Any]:
    """Run the ingest runner on ``paths``, one upload at a time; articles are stored, and problems named, under
    the uploaded file's name, not the temporary copy's path."""
    from ..pipeline import ingest  # the pipeline loads models: only uploads pay for it

    stores = request.app.state.stores
    with stores.write_lock, open_store(stores.path) as store:
        result = ingest(store, paths, request.app.state.settings, names=names)
    failed, notices = [f.message for f in result.failures], [n.message for n in result.notices]
    return {
        "read": result.read,
        "added": result.added,
        "failed": failed,
        "notices": notices,
        "summary": _problem_summary(result.failures, result.notices),
        "processed": result.run.processed,
    }


def _problem_summary(failures: list[InputError], notices: list[Notice]) -> dict[str, Any]:
    """What was skipped (E codes) and stored with a warning (W codes), by code: how many inputs had each, and
    the first of them; the table `storyline ingest` ends with."""
    by_code: dict[str, list[str]] = {}
    problems: list[InputError | Notice] = [*failures, *notices]
    for problem in problems:
        by_code.setdefault(problem.code, []).append(problem.message)
    return {
        "skipped": len(failures),
        "warnings": len(notices),
        "by_code": [
            {"code": code, "inputs": len(messages), "first": messages[0]} for code, messages in sorted(by_code.items())
        ],
    }


def _plain_snippet(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """A search snippet without its match marks, and where the matches are in it (start, end)."""
    from ..store.base import SNIPPET_CLOSE, SNIPPET_OPEN

    text, spans, start = [], [], 0
    position = 0
    for char in snippet:
        if char == SNIPPET_OPEN:
            start = position
        elif char == SNIPPET_CLOSE:
            spans.append((start, position))
        else:
            text.append(char)
            position += 1
    return "".join(text), spans
