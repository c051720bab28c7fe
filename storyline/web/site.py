"""`storyline export site`: the web app's pages as a static site (index, storylines, events, articles, entities,
outlets), linked relatively so that it opens from disk or any file server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from ..config import Settings
from ..store import Store
from . import documents as docs
from .render import Links, render, shared_context, static_name

# Events on one page of the static index.
SITE_PAGE = 100


def export_site(
    store: Store, settings: Settings, folder: str | Path, advance: Callable[[int], None] | None = None
) -> int:
    """Write every page under ``folder`` (created; pages already there are replaced) and return how many."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    context = shared_context(settings)
    table = settings.outlets.table
    written = 0

    def write(relative: str, html: str) -> None:
        nonlocal written
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        written += 1
        if advance is not None:
            advance(1)

    def page(relative: str, template: str, **data: Any) -> None:
        depth = relative.count("/")
        links = Links(root="../" * depth or "./", suffix=".html")
        write(relative, render(template, links, **context, **data))

    static = resources.files("storyline.web").joinpath("static")
    (root / "static").mkdir(exist_ok=True)
    for item in static.iterdir():
        if item.is_file():
            (root / "static" / item.name).write_bytes(item.read_bytes())

    digests = store.event_digests(limit=10_000_000)
    storylines, _ = docs.storyline_list(store, limit=10_000_000)
    pages = [digests[i : i + SITE_PAGE] for i in range(0, len(digests), SITE_PAGE)] or [[]]
    for number, events in enumerate(pages, start=1):
        name = "index.html" if number == 1 else f"page-{number}.html"
        following = f"page-{number + 1}.html" if number < len(pages) else None
        page(name, "index.html.j2", events=events, next_url=following, filters={}, filtered=False,
             storylines=storylines[:10], outlets=[], where_options=[])  # fmt: skip
    page("storylines.html", "storylines.html.j2", storylines=storylines)
    page("outlets.html", "outlets.html.j2", outlets=docs.outlet_list(store, table))

    entities: set[str] = set()
    articles: set[str] = set()
    for digest in digests:
        report = docs.event_document(store, digest.id)
        event = report["events"][0]
        page(f"events/{_file(digest.id)}", "event.html.j2", report=report, event=event,
             articles={a["id"]: a for a in report["articles"]})  # fmt: skip
        (root / "events" / f"{_file(digest.id, '.json')}").write_text(
            json.dumps(report, ensure_ascii=False), encoding="utf-8"
        )
        entities |= {e["id"] for e in event["entities"]}
        articles |= set(event["articles"])
    for storyline in storylines:
        page(f"storylines/{_file(storyline['id'])}", "storyline.html.j2",
             storyline=docs.storyline_document(store, storyline["id"]))  # fmt: skip
    for article in sorted(articles):
        page(f"articles/{_file(article)}", "article.html.j2", article=docs.article_document(store, article))
    for entity in sorted(_known(store, entities)):
        page(f"entities/{_file(entity)}", "entity.html.j2", entity=docs.entity_document(store, entity))
    for outlet, _, _ in store.outlets():
        page(f"outlets/{_file(outlet)}", "outlet.html.j2", outlet=docs.outlet_document(store, outlet, table))
    return written


def _file(key: str, suffix: str = ".html") -> str:
    return static_name(key) + suffix


def _known(store: Store, entities: Iterable[str]) -> set[str]:
    return set(store.entities(entities))
