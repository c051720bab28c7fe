"""The web pages, server-rendered from the same documents the API returns; the static site renders them too."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..analyze.coverage import outlet_table
from ..model import EventQuery
from . import documents as docs
from .api import DEFAULT_PAGE, Cursor, Filters, Store
from .render import Links, render, shared_context

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    html = render(template, Links(), **shared_context(request.app.state.settings), **context)
    return HTMLResponse(html)


@router.get("/", response_class=HTMLResponse)
async def front(request: Request, store: Store, query: Filters, cursor: Cursor = None) -> HTMLResponse:
    events, following = docs.event_page(store, query, DEFAULT_PAGE, cursor)
    params = {k: v for k, v in request.query_params.multi_items() if k != "cursor" and v}
    next_url = "/?" + urlencode([*params.items(), ("cursor", following)]) if following else None
    table = outlet_table(request.app.state.settings.outlets.table)
    # Each column's values, each once (the rows are the outlet table's, one per outlet).
    columns: dict[str, set[str]] = {}
    for row in table.values():
        for column, value in row.items():
            if value:
                columns.setdefault(column, set()).add(value)
    return _page(
        request, "index.html.j2",
        events=events, next_url=next_url, filters=params, filtered=any(k != "cursor" for k in params),
        storylines=docs.storyline_list(store, limit=10)[0], outlets=[o for o, _, _ in store.outlets()],
        where_options=[(f"{c}:{v}", f"{c}: {v}") for c, values in sorted(columns.items()) for v in sorted(values)
                       if c not in ("name",)],
    )  # fmt: skip


@router.get("/events/{event_id}", response_class=HTMLResponse)
async def event(request: Request, store: Store, event_id: str) -> HTMLResponse:
    report = docs.event_document(store, event_id)
    return _page(request, "event.html.j2", report=report, event=report["events"][0],
                 articles={a["id"]: a for a in report["articles"]})  # fmt: skip


@router.get("/storylines", response_class=HTMLResponse)
async def storylines(request: Request, store: Store) -> HTMLResponse:
    return _page(request, "storylines.html.j2", storylines=docs.storyline_list(store, limit=10_000_000)[0])


@router.get("/storylines/{storyline_id}", response_class=HTMLResponse)
async def storyline(request: Request, store: Store, storyline_id: str) -> HTMLResponse:
    return _page(request, "storyline.html.j2", storyline=docs.storyline_document(store, storyline_id))


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article(request: Request, store: Store, article_id: str) -> HTMLResponse:
    return _page(request, "article.html.j2", article=docs.article_document(store, article_id))


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
async def entity(request: Request, store: Store, entity_id: str) -> HTMLResponse:
    return _page(request, "entity.html.j2", entity=docs.entity_document(store, entity_id))


@router.get("/outlets", response_class=HTMLResponse)
async def outlets(request: Request, store: Store) -> HTMLResponse:
    rows = docs.outlet_list(store, request.app.state.settings.outlets.table)
    return _page(request, "outlets.html.j2", outlets=rows)


@router.get("/outlets/{outlet}", response_class=HTMLResponse)
async def outlet(request: Request, store: Store, outlet: str) -> HTMLResponse:
    table = request.app.state.settings.outlets.table
    return _page(request, "outlet.html.j2", outlet=docs.outlet_document(store, outlet, table))


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, store: Store, q: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
    found = docs.search_document(store, q, 50) if q.strip() else {"query": "", "articles": [], "entities": []}
    matching = store.event_digests(EventQuery(text=q), limit=20) if q.strip() else []
    return _page(request, "search.html.j2", found=found, events=matching)
