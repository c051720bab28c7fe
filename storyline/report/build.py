"""The story report (../shared/spec/report.md): built from the store, as plain JSON data."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from ..analyze.entities import event_entities, event_labels
from ..analyze.quotes import event_quotes
from ..analyze.timeline import event_timeline
from ..config import ReportSettings
from ..embed import Embedder
from ..errors import Errors, StorylineError
from ..model import Article, Event
from ..store import SQLiteStore

# Entities listed as what a storyline is about, at most.
_ABOUT_ENTITIES = 5

SCHEMA_ID = "storyline.report/1"
# Set by reproducible-build tooling; makes `generated` (and so the whole report) byte-stable.
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"


def generated_at() -> str:
    """When the report was made: now, or $SOURCE_DATE_EPOCH for byte-identical reruns."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH)
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(value: str | None) -> str | None:
    """The date part of an ISO timestamp (dates at lower precision pass through)."""
    return value[:10] if value else None


def _article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "outlet": article.outlet,
        "url": article.url,
        "path": article.path,
        "title": article.title,
        "headline": article.headline,
        "author": article.author,
        "published": article.published,
        "published_source": article.published_source,
        "lang": article.lang,
        "duplicate_of": article.duplicate_of,
        "event": article.event,
        "external_id": article.external_id,
        # Every citation is (article, sentence index): ship the sentences so a reader can check it.
        "sentences": [s.text for s in article.sentences],
    }


def _lead_summary(articles: list[Article], count: int) -> list[dict[str, Any]]:
    """The lead sentences of the event's first article, each citing itself.

    A placeholder summary that never says anything a source did not, until the
    cross-source summarizer exists.
    """
    if not articles:
        return []
    first = articles[0]
    return [
        {"text": s.text, "sources": [{"article": first.id, "sentence": s.index, "text": s.text}]}
        for s in first.sentences[:count]
    ]


def _event_json(
    event: Event,
    articles: list[Article],
    settings: ReportSettings,
    embedder: Embedder | None,
    known: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    entities = event_entities(articles, known)
    names = {e["id"]: e["name"] for e in entities}
    return {
        "id": event.id,
        "title": event.title,
        "storyline": event.storyline,
        "articles": [a.id for a in articles],
        "outlets": sorted({a.outlet for a in articles if a.outlet}),
        "first_seen": _day(event.first_seen),
        "last_seen": _day(event.last_seen),
        "entities": entities,
        "facts": [],
        "conflicts": [],
        "quotes": event_quotes(articles, names, embedder, settings),
        "labels": event_labels(articles),
        "summary": _lead_summary(articles, settings.summary_sentences),
        "timeline": event_timeline(articles),
    }


def _shared_entities(events: list[list[Article]]) -> list[tuple[str, int]]:
    """Why a storyline's events belong together, as a reader can check it: the entities named in more than
    one of its events, with how many; those in most events first, then the most mentioned (at most
    ``_ABOUT_ENTITIES``)."""
    in_events: dict[str, int] = {}
    mentions: dict[str, int] = {}
    for articles in events:
        named = [m.entity for a in articles for m in a.mentions if m.entity]
        for entity in named:
            mentions[entity] = mentions.get(entity, 0) + 1
        for entity in set(named):
            in_events[entity] = in_events.get(entity, 0) + 1
    ranked = sorted((-n, -mentions[entity], entity) for entity, n in in_events.items() if n > 1)
    return [(entity, -n) for n, _, entity in ranked[:_ABOUT_ENTITIES]]


def build_report(
    store: SQLiteStore, settings: ReportSettings, event_id: str | None = None, embedder: Embedder | None = None
) -> dict[str, Any]:
    """The whole report, or the part about one event (its articles and storyline).

    With an ``embedder``, a quote other outlets also report is listed once, with their renderings as variants.
    """
    events = store.events()
    if event_id is not None:
        events = [e for e in events if e.id == event_id]
        if not events:
            raise StorylineError(Errors.E015.format(event=event_id, db=store.path))
    articles = store.articles(with_annotations=True)
    by_event: dict[str, list[Article]] = {}
    for article in articles:
        if article.event:
            by_event.setdefault(article.event, []).append(article)
    wanted_events = {e.id for e in events}
    # Entity names and types as the analysis stage decided them over the whole store.
    known = store.entities(m.entity for a in articles if a.event in wanted_events for m in a.mentions)
    chosen = [s for s in store.storylines() if any(e in wanted_events for e in s.events)]
    shared = {s.id: _shared_entities([by_event.get(e, []) for e in s.events]) for s in chosen}
    known |= store.entities(entity for about in shared.values() for entity, _ in about)
    storylines = [
        {"id": s.id, "title": s.title, "events": [e for e in s.events if e in wanted_events],
         "about": [{"entity": entity, "name": known.get(entity, (entity, ""))[0], "events": count}
                   for entity, count in shared[s.id]]}
        for s in chosen
    ]  # fmt: skip
    return {
        "schema": SCHEMA_ID,
        "generated": generated_at(),
        "articles": [_article_json(a) for a in articles if event_id is None or a.event in wanted_events],
        "events": [_event_json(e, by_event.get(e.id, []), settings, embedder, known) for e in events],
        "storylines": storylines,
    }
