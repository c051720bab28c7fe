"""The web pages, server-rendered from the same documents the API returns; the static site renders them too."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from ..analyze.coverage import outlet_table
from ..config import Settings
from ..model import EventQuery
from ..store.sqlite import SNIPPET_CLOSE, SNIPPET_OPEN
from . import documents as docs
from . import views
from .api import DEFAULT_PAGE, Cursor, Filters, Store

router = APIRouter(include_in_schema=False)
_UNSAFE_IN_NAMES = re.compile(r"[^\w.-]")


def static_name(key: str) -> str:
    """A page's file name in a static site: the key with anything but letters, digits, '.', '-' and '_' made
    '_' (a file opened from disk is looked up by its decoded name, so no %-escapes)."""
    return _UNSAFE_IN_NAMES.sub("_", key)


class Links:
    """Where pages are: on the server (``/events/ID``) or in a static site (``events/ID.html``, relative to
    the page's folder, so the site opens from disk)."""

    def __init__(self, root: str = "/", suffix: str = "") -> None:
        self.root = root
        self.suffix = suffix

    def _page(self, kind: str, key: str) -> str:
        return f"{self.root}{kind}/{static_name(key) if self.suffix else quote(key, safe='')}{self.suffix}"

    def home(self) -> str:
        return self.root + ("index.html" if self.suffix else "")

    def event(self, key: str) -> str:
        return self._page("events", key)

    def event_data(self, key: str) -> str:
        """The event's report as JSON: the API's on a server, a file beside the page in a static site."""
        if self.suffix:
            return f"{self.root}events/{static_name(key)}.json"
        return f"{self.root}api/events/{quote(key, safe='')}"

    def storyline(self, key: str) -> str:
        return self._page("storylines", key)

    def article(self, key: str) -> str:
        return self._page("articles", key)

    def entity(self, key: str) -> str:
        return self._page("entities", key)

    def outlet(self, key: str) -> str:
        return self._page("outlets", key)

    def storylines(self) -> str:
        return self.root + ("storylines.html" if self.suffix else "storylines")

    def outlets(self) -> str:
        return self.root + ("outlets.html" if self.suffix else "outlets")

    def static(self, name: str) -> str:
        return f"{self.root}static/{name}"

    @property
    def live(self) -> bool:
        """Whether search and filters work (a server answers them; a static site has none)."""
        return not self.suffix


def _highlight(snippet: str) -> Markup:
    """A search snippet with its matches in <mark>, everything else escaped."""
    return Markup(str(escape(snippet)).replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>"))


def _web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address; anything else (javascript:, data:) is not linked."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("storyline.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = lambda value: (value or "")[:10]
    env.filters["highlight"] = _highlight
    env.filters["web_url"] = _web_url
    env.globals["plural"] = _plural
    env.globals["coverage_matrix"] = views.coverage_matrix
    env.globals["label_grid"] = views.label_grid
    env.globals["timeline_axis"] = views.timeline_axis
    env.globals["events_axis"] = views.events_axis
    env.globals["article_outlets"] = views.article_outlets
    return env


def render(template: str, links: Links, **context: Any) -> str:
    return environment().get_template(template).render(links=links, **context)


def split_of(outlets: tuple[str, ...] | list[str], table_path: str, column: str) -> list[tuple[str, int]]:
    """How many of ``outlets`` have each known value of ``column`` in the outlet table."""
    table = outlet_table(table_path)
    counts = Counter(v for o in outlets if (v := table.get(o, {}).get(column)))
    return sorted(counts.items())


def shared_context(settings: Settings) -> dict[str, Any]:
    """What every page template gets beside its own data: how to split an event's outlets by the outlet table."""
    column = settings.outlets.one_sided_column

    def split(outlets: tuple[str, ...] | list[str]) -> list[tuple[str, int]]:
        return split_of(outlets, settings.outlets.table, column)

    return {"split": split, "split_column": column}


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    html = render(template, Links(), **shared_context(request.app.state.settings), **context)
    return HTMLResponse(html)


@router.get("/", response_class=HTMLResponse)
def front(request: Request, store: Store, query: Filters, cursor: Cursor = None) -> HTMLResponse:
    events, following = docs.event_page(store, query, DEFAULT_PAGE, cursor)
    params = {k: v for k, v in request.query_params.multi_items() if k != "cursor" and v}
    next_url = "/?" + urlencode([*params.items(), ("cursor", following)]) if following else None
    table = outlet_table(request.app.state.settings.outlets.table)
    columns = {c: sorted({row[c] for row in table.values() if row.get(c)}) for row in table.values() for c in row}
    return _page(
        request, "index.html.j2",
        events=events, next_url=next_url, filters=params, filtered=any(k != "cursor" for k in params),
        storylines=docs.storyline_list(store)[:10], outlets=[o for o, _, _ in store.outlets()],
        where_options=[(f"{c}:{v}", f"{c}: {v}") for c, values in sorted(columns.items()) for v in values
                       if c not in ("name",)],
    )  # fmt: skip


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event(request: Request, store: Store, event_id: str) -> HTMLResponse:
    report = _found(lambda: docs.event_document(store, event_id))
    return _page(request, "event.html.j2", report=report, event=report["events"][0],
                 articles={a["id"]: a for a in report["articles"]})  # fmt: skip


@router.get("/storylines", response_class=HTMLResponse)
def storylines(request: Request, store: Store) -> HTMLResponse:
    return _page(request, "storylines.html.j2", storylines=docs.storyline_list(store))


@router.get("/storylines/{storyline_id}", response_class=HTMLResponse)
def storyline(request: Request, store: Store, storyline_id: str) -> HTMLResponse:
    return _page(request, "storyline.html.j2", storyline=_found(lambda: docs.storyline_document(store, storyline_id)))


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, store: Store, article_id: str) -> HTMLResponse:
    return _page(request, "article.html.j2", article=_found(lambda: docs.article_document(store, article_id)))


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity(request: Request, store: Store, entity_id: str) -> HTMLResponse:
    return _page(request, "entity.html.j2", entity=_found(lambda: docs.entity_document(store, entity_id)))


@router.get("/outlets", response_class=HTMLResponse)
def outlets(request: Request, store: Store) -> HTMLResponse:
    rows = docs.outlet_list(store, request.app.state.settings.outlets.table)
    return _page(request, "outlets.html.j2", outlets=rows)


@router.get("/outlets/{outlet}", response_class=HTMLResponse)
def outlet(request: Request, store: Store, outlet: str) -> HTMLResponse:
    table = request.app.state.settings.outlets.table
    return _page(request, "outlet.html.j2", outlet=_found(lambda: docs.outlet_document(store, outlet, table)))


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, store: Store, q: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
    found = docs.search_document(store, q, 50) if q.strip() else {"query": "", "articles": [], "entities": []}
    matching = store.event_digests(EventQuery(text=q), limit=20) if q.strip() else []
    return _page(request, "search.html.j2", found=found, events=matching)


def _found(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    from fastapi import HTTPException

    try:
        return read()
    except docs.NotFound as missing:
        raise HTTPException(404, str(missing)) from None
