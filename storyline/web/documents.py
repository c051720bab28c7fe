"""What the API returns and the pages show, read from the store as JSON-ready data: one reader for both, so
a page never shows what the API would not."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from typing import Any

from ..analyze.coverage import outlet_table
from ..errors import StorylineError
from ..model import EventDigest, EventQuery, to_data
from ..report import build_report
from ..report.build import storyline_reports
from ..store import Store

# Events an entity or outlet page reads the stored analyses of, at most (the latest).
_ANALYSED_EVENTS = 50


class NotFound(StorylineError):
    """No such event, storyline, article, entity or outlet in the store."""


def encode_cursor(digest: EventDigest) -> str:
    """The opaque cursor of the page after ``digest``."""
    return base64.urlsafe_b64encode(f"{digest.last_seen or ''}\x1f{digest.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """(last_seen, id) from :func:`encode_cursor`'s text; a clear error when it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        last_seen, event = text.split("\x1f")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise StorylineError(f"cursor '{cursor[:40]}': not a cursor this API gave (start without one).") from None
    return last_seen, event


def outlets_where(table_path: str, column: str, value: str) -> tuple[str, ...]:
    """The outlets whose row in the outlet table has ``value`` in ``column`` (any case)."""
    table = outlet_table(table_path)
    if not table:
        raise StorylineError(f"where={column}:{value}: no outlet table is set (outlets.table in the settings).")
    columns = {c for row in table.values() for c in row}
    if column not in columns:
        raise StorylineError(f"where={column}:{value}: the outlet table has no column '{column}' "
                             f"(it has: {', '.join(sorted(columns))}).")  # fmt: skip
    return tuple(sorted(d for d, row in table.items() if row.get(column, "").lower() == value.lower()))


def event_page(
    store: Store, query: EventQuery, limit: int, cursor: str | None = None
) -> tuple[list[EventDigest], str | None]:
    """A page of events matching ``query`` and the cursor of the next page (None on the last)."""
    after = decode_cursor(cursor) if cursor else None
    found = store.event_digests(query, limit + 1, after)
    page = found[:limit]
    return page, encode_cursor(page[-1]) if len(found) > limit else None


def digest_data(digest: EventDigest) -> dict[str, Any]:
    return asdict(digest)


def event_document(store: Store, event_id: str) -> dict[str, Any]:
    """The report contract for one event: the event, its articles (with sentences) and its storyline."""
    if not store.event_exists(event_id):
        raise NotFound(f"No event with id '{event_id}'.")
    return build_report(store, event_id)


def storyline_document(store: Store, storyline_id: str) -> dict[str, Any]:
    """A storyline with its events (as lists show them) and its timeline across them."""
    found = storyline_reports(store, [storyline_id])
    if not found:
        raise NotFound(f"No storyline with id '{storyline_id}'.")
    document = found[0]
    digests = store.event_digests(EventQuery(storyline=storyline_id), limit=10_000)
    document["events"] = [digest_data(d) for d in sorted(digests, key=lambda d: (d.first_seen or "~", d.id))]
    return document


def storyline_list(store: Store, limit: int = 10_000, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Storylines, the latest reported first (title, events, articles, dates), and how many there are."""
    digests, total = store.storyline_digests(limit, offset)
    return [asdict(d) for d in digests], total


def article_document(store: Store, article_id: str) -> dict[str, Any]:
    """An article as the report ships it, sentences included."""
    article = store.article(article_id)
    if article is None:
        raise NotFound(f"No article with id '{article_id}'.")
    return {
        "id": article.id, "outlet": article.outlet, "url": article.url, "title": article.title,
        "headline": article.headline, "author": article.author, "published": article.published,
        "published_source": article.published_source, "lang": article.lang, "duplicate_of": article.duplicate_of,
        "event": article.event, "sentences": [s.text for s in article.sentences],
        "paragraphs": [s.paragraph for s in article.sentences],
    }  # fmt: skip


def entity_document(store: Store, entity_id: str) -> dict[str, Any]:
    """An entity: the name shown, every name the events use for it, its events, and what it is quoted saying."""
    known = store.entities([entity_id])
    if entity_id not in known:
        raise NotFound(f"No entity with id '{entity_id}'.")
    name, entity_type = known[entity_id]
    digests = store.event_digests(EventQuery(entity=entity_id), limit=10_000)
    analyses = store.event_analyses([d.id for d in digests[:_ANALYSED_EVENTS]])
    names: dict[str, int] = {}
    labels: dict[str, set[str]] = {}
    quotes = []
    for event, analysis in analyses.items():
        for profile in analysis.entities:
            if profile.id == entity_id:
                for alias in (profile.name, *profile.aliases):
                    names[alias] = names.get(alias, 0) + 1
        for label in analysis.labels:
            if label.entity == entity_id and not label.quoted:
                labels.setdefault(label.label, set()).add(label.outlet or label.article)
        quotes += [{"event": event, **to_data(q)} for q in analysis.quotes if q.speaker == entity_id]
    return {
        "id": entity_id,
        "name": name,
        "type": entity_type,
        "names": sorted(names, key=lambda n: (-names[n], n)),
        "labels": [{"label": label, "outlets": sorted(outlets)}
                   for label, outlets in sorted(labels.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
        "events": [digest_data(d) for d in digests],
        "quotes": quotes,
    }  # fmt: skip


def outlet_list(store: Store, table_path: str) -> list[dict[str, Any]]:
    """Every outlet with its article and event counts and its row of the outlet table."""
    table = outlet_table(table_path)
    return [{"outlet": outlet, "articles": articles, "events": events, **table.get(outlet, {})}
            for outlet, articles, events in store.outlets()]  # fmt: skip


def outlet_document(store: Store, outlet: str, table_path: str, limit: int = 100) -> dict[str, Any]:
    """An outlet: its row of the outlet table, its counts and its latest events."""
    found = [row for row in outlet_list(store, table_path) if row["outlet"] == outlet]
    if not found:
        raise NotFound(f"No outlet '{outlet}' in the store.")
    digests = store.event_digests(EventQuery(outlets=(outlet,)), limit=limit)
    return {**found[0], "latest": [digest_data(d) for d in digests]}


def search_document(store: Store, text: str, limit: int) -> dict[str, Any]:
    """Articles (best first, with a highlighted snippet) and entities whose name matches ``text``."""
    hits = store.search(text, limit)
    return {
        "query": text,
        "articles": [{"article": h.article, "title": h.title, "outlet": h.outlet, "published": h.published,
                      "event": h.event, "snippet": h.snippet, "score": round(h.score, 3)} for h in hits],
        "entities": [{"id": i, "name": n, "type": t, "events": e} for i, n, t, e in store.find_entities(text, 10)],
    }  # fmt: skip
