"""The story report (../shared/spec/report.md): built from the store, as plain JSON data."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..errors import Errors, StorylineError
from ..model import Article, EntityProfile, Event, EventAnalysis, Storyline, to_data
from ..store import SQLiteStore

# Entities listed as what a storyline is about, at most.
_ABOUT_ENTITIES = 5

SCHEMA_ID = "storyline.report/1"
# An event's parts that its stored analysis gives, in the order the contract lists them.
_ANALYSIS_PARTS = ("entities", "facts", "conflicts", "quotes", "labels", "summary", "timeline", "terms", "coverage")
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


def _named(analysis: EventAnalysis, known: dict[str, tuple[str, str]]) -> EventAnalysis:
    """The analysis with entity names and types as the store decided them over all their mentions (the
    analysis names them from the event's own mentions)."""

    def rename(entity: EntityProfile) -> EntityProfile:
        name, entity_type = known.get(entity.id, (entity.name, entity.type))
        aliases = (
            tuple(a for a in (*entity.aliases, entity.name) if a != name) if name != entity.name else entity.aliases
        )
        return replace(entity, name=name, type=entity_type, aliases=aliases)

    quotes = tuple(replace(q, speaker_name=known[q.speaker][0]) if q.speaker in known else q for q in analysis.quotes)
    return replace(analysis, entities=tuple(rename(e) for e in analysis.entities), quotes=quotes)


def _event_title(event: Event, analysis: EventAnalysis | None) -> str:
    # The analysis titles an event by its most central headline; the clusterer, by its first article.
    return (analysis.title if analysis is not None else "") or event.title


def _event_json(event: Event, analysis: EventAnalysis | None) -> dict[str, Any]:
    analysed = to_data(analysis) if analysis is not None else {}
    return {
        "id": event.id,
        "title": _event_title(event, analysis),
        "storyline": event.storyline,
        "articles": list(event.articles),
        "outlets": sorted(o.outlet for o in analysis.coverage.outlets) if analysis is not None else [],
        "first_seen": _day(event.first_seen),
        "last_seen": _day(event.last_seen),
        **{part: analysed.get(part, {} if part == "coverage" else []) for part in _ANALYSIS_PARTS},
    }


def _chosen_events(store: SQLiteStore, events: list[Event], event_id: str | None) -> list[Event]:
    """``events``, or the one with ``event_id`` (an error naming the store when there is none)."""
    if event_id is None:
        return events
    chosen = [e for e in events if e.id == event_id]
    if not chosen:
        raise StorylineError(Errors.E015.format(event=event_id, db=store.path))
    return chosen


def _named_analyses(store: SQLiteStore, events: Iterable[str]) -> dict[str, EventAnalysis]:
    analyses = store.event_analyses(events)
    known = store.entities(e.id for a in analyses.values() for e in a.entities)
    return {event: _named(analysis, known) for event, analysis in analyses.items()}


def event_documents(store: SQLiteStore, event_id: str | None = None) -> list[dict[str, Any]]:
    """The report's ``events`` part alone, for one event or all (no article is read)."""
    events = _chosen_events(store, store.events(ids=[event_id]) if event_id else store.events(), event_id)
    analyses = _named_analyses(store, [e.id for e in events])
    return [_event_json(e, analyses.get(e.id)) for e in events]


def _shared_entities(analyses: list[EventAnalysis]) -> list[tuple[str, int]]:
    """Why a storyline's events belong together, as a reader can check it: the entities named in more than
    one of its events, with how many; those in most events first, then the most mentioned (at most
    ``_ABOUT_ENTITIES``)."""
    in_events: dict[str, int] = {}
    mentions: dict[str, int] = {}
    for analysis in analyses:
        for entity in analysis.entities:
            mentions[entity.id] = mentions.get(entity.id, 0) + entity.mentions
            in_events[entity.id] = in_events.get(entity.id, 0) + 1
    ranked = sorted((-n, -mentions[entity], entity) for entity, n in in_events.items() if n > 1)
    return [(entity, -n) for n, _, entity in ranked[:_ABOUT_ENTITIES]]


def _storyline_heads(
    storylines: list[Storyline], every: list[Event], analyses: dict[str, EventAnalysis]
) -> dict[str, dict[str, Any]]:
    """Each storyline's title and what it is about, as the report shows them (``analyses``: of all its
    events, also those outside the report)."""
    names = {e.id: e.name for a in analyses.values() for e in a.entities}
    # A storyline is titled after its most central event: shown with that event's title as the report shows it.
    all_events = {e.id: e for e in every}
    titles = {all_events[e].title: analyses[e].title for s in storylines for e in s.events
              if e in all_events and e in analyses and analyses[e].title}  # fmt: skip
    return {
        s.id: {
            "title": titles.get(s.title, s.title),
            "about": [
                {"entity": entity, "name": names.get(entity, entity), "events": count}
                for entity, count in _shared_entities([analyses[e] for e in s.events if e in analyses])
            ],
        }
        for s in storylines
    }


def storyline_documents(store: SQLiteStore) -> list[dict[str, Any]]:
    """Every storyline, titled and 'about' as in the report, with its events' ids, titles and days (no
    timeline, so no numpy: for listings that must answer at once)."""
    every = store.events()
    storylines = store.storylines()
    analyses = _named_analyses(store, [e for s in storylines for e in s.events])
    heads = _storyline_heads(storylines, every, analyses)
    events = {e.id: e for e in every}
    documents = []
    for storyline in storylines:
        members = [events[e] for e in storyline.events if e in events]
        days = sorted(day for e in members for day in (_day(e.first_seen), _day(e.last_seen)) if day)
        documents.append(
            {
                "id": storyline.id,
                **heads[storyline.id],
                "first_seen": days[0] if days else None,
                "last_seen": days[-1] if days else None,
                "events": [
                    {
                        "id": e.id,
                        "title": _event_title(e, analyses.get(e.id)),
                        "articles": len(e.articles),
                        "first_seen": _day(e.first_seen),
                        "last_seen": _day(e.last_seen),
                    }
                    for e in members
                ],
            }
        )
    return documents


def _storylines_json(
    store: SQLiteStore, every: list[Event], wanted_events: set[str]
) -> tuple[list[dict[str, Any]], dict[str, EventAnalysis]]:
    """The storylines holding any of ``wanted_events`` (listing only those) as the report gives them, and the
    analyses read for them."""
    # Here, not at the top: the timeline needs numpy, which the commands that read events alone do without.
    from ..analyze.timeline import storyline_timeline

    holding = {e.storyline for e in every if e.id in wanted_events and e.storyline}
    chosen = [s for s in store.storylines(holding) if any(e in wanted_events for e in s.events)]
    # A storyline's "about" needs the analyses of all its events, also those outside the report.
    analyses = _named_analyses(store, wanted_events | {e for s in chosen for e in s.events})
    heads = _storyline_heads(chosen, every, analyses)
    storylines = [
        {"id": s.id, "title": heads[s.id]["title"], "events": [e for e in s.events if e in wanted_events],
         "about": heads[s.id]["about"],
         # Its events' timelines as one: a line two events share (a source, or the same words) listed once.
         "timeline": storyline_timeline([to_data(analyses[e])["timeline"] for e in s.events if e in analyses])}
        for s in chosen
    ]  # fmt: skip
    return storylines, analyses


def storyline_reports(store: SQLiteStore, storyline_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The report's storylines of these ids (title, about, timeline), each with all its events."""
    wanted = set(storyline_ids)
    every = store.events(storylines=wanted)
    documents, _ = _storylines_json(store, every, {e.id for e in every})
    return [d for d in documents if d["id"] in wanted]


def build_report(store: SQLiteStore, event_id: str | None = None) -> dict[str, Any]:
    """The whole report, or the part about one event (its articles and storyline), from what the stages
    stored: nothing is computed here."""
    if event_id is None:
        every = store.events()
    else:
        # One event: read its storyline's events only, not the whole store's.
        found = store.events(ids=[event_id])
        every = store.events(storylines=[found[0].storyline]) if found and found[0].storyline else found
    events = _chosen_events(store, every, event_id)
    wanted_events = {e.id for e in events}
    storylines, analyses = _storylines_json(store, every, wanted_events)
    articles = store.articles(events=sorted(wanted_events)) if event_id is not None else store.articles()
    return {
        "schema": SCHEMA_ID,
        "generated": generated_at(),
        "articles": [_article_json(a) for a in articles if event_id is None or a.event in wanted_events],
        "events": [_event_json(e, analyses.get(e.id)) for e in events],
        "storylines": storylines,
    }
