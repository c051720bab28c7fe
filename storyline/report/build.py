"""The story report (../shared/spec/report.md): built from the store, as plain JSON data."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..errors import Errors, StorylineError
from ..model import Article, Coverage, Event, Storyline, to_data
from ..nlp.spelling import other_names
from ..store import Store

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


def _named(analysis: dict[str, Any], known: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A stored analysis (as JSON data) with entity names and types as the store decided them over all their
    mentions (the analysis names them from the event's own mentions)."""

    def rename(entity: dict[str, Any]) -> dict[str, Any]:
        name, entity_type = known.get(entity["id"], (entity["name"], entity["type"]))
        aliases = entity["aliases"]
        if name != entity["name"]:
            aliases = other_names(name, [*aliases, entity["name"]])
        return {**entity, "name": name, "type": entity_type, "aliases": aliases}

    quotes = [{**q, "speaker_name": known[q["speaker"]][0]} if q["speaker"] in known else q
              for q in analysis.get("quotes", [])]  # fmt: skip
    return {**analysis, "entities": [rename(e) for e in analysis.get("entities", [])], "quotes": quotes}


def _event_json(event: Event, analysis: dict[str, Any] | None) -> dict[str, Any]:
    analysed = analysis or {}
    return {
        "id": event.id,
        # The analysis titles an event by its most central headline; the clusterer, by its first article.
        "title": analysed.get("title") or event.title,
        "storyline": event.storyline,
        "articles": list(event.articles),
        "outlets": sorted(o["outlet"] for o in analysed.get("coverage", {}).get("outlets", [])),
        "first_seen": _day(event.first_seen),
        "last_seen": _day(event.last_seen),
        # An event not analysed yet (its run is still going, or skipped the analysis) reads as an empty one.
        **{part: analysed.get(part, to_data(Coverage()) if part == "coverage" else []) for part in _ANALYSIS_PARTS},
    }


def _chosen_events(store: Store, events: list[Event], event_id: str | None) -> list[Event]:
    """``events``, or the one with ``event_id`` (an error naming the store when there is none)."""
    if event_id is None:
        return events
    chosen = [e for e in events if e.id == event_id]
    if not chosen:
        raise StorylineError(Errors.E015.format(event=event_id, db=store.path))
    return chosen


def _named_analyses(store: Store, events: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored analyses of ``events`` as JSON data (the report's form: no model objects in between), their
    entities named as the store names them."""
    analyses = store.event_analysis_data(events)
    known = store.entities(e["id"] for a in analyses.values() for e in a.get("entities", []))
    return {event: _named(analysis, known) for event, analysis in analyses.items()}


def event_documents(store: Store, event_id: str | None = None) -> list[dict[str, Any]]:
    """The report's ``events`` part alone, for one event or all (no article is read)."""
    events = _chosen_events(store, store.events(ids=[event_id]) if event_id else store.events(), event_id)
    analyses = _named_analyses(store, [e.id for e in events])
    return [_event_json(e, analyses.get(e.id)) for e in events]


def _shared_entities(rows: Iterable[tuple[str, str, int]]) -> list[tuple[str, int]]:
    """Why a storyline's events belong together, as a reader can check it: of the (event, entity, mentions)
    ``rows`` of its events, the entities named in more than one event, with how many; those in most events
    first, then the most mentioned (at most ``_ABOUT_ENTITIES``)."""
    in_events: dict[str, int] = {}
    mentions: dict[str, int] = {}
    for _event, entity, count in rows:
        mentions[entity] = mentions.get(entity, 0) + count
        in_events[entity] = in_events.get(entity, 0) + 1
    ranked = sorted((-n, -mentions[entity], entity) for entity, n in in_events.items() if n > 1)
    return [(entity, -n) for n, _, entity in ranked[:_ABOUT_ENTITIES]]


def _storyline_heads(store: Store, storylines: list[Storyline], every: list[Event]) -> dict[str, dict[str, Any]]:
    """Each storyline's title and what it is about, as the report shows them, from the short rows stored beside
    its events' analyses (no analysis is read)."""
    members = [e for s in storylines for e in s.events]
    titles = store.event_titles(members)
    rows = store.event_entity_counts(members)
    by_event: dict[str, list[tuple[str, str, int]]] = {}
    for row in rows:
        by_event.setdefault(row[0], []).append(row)
    shared = {s.id: _shared_entities(r for e in s.events for r in by_event.get(e, ())) for s in storylines}
    names = store.entities({entity for about in shared.values() for entity, _ in about})
    # A storyline is titled after its most central event: shown with that event's title as the report shows it.
    shown = {e.title: titles[e.id] for e in every if titles.get(e.id)}
    return {
        s.id: {
            "title": shown.get(s.title, s.title),
            "about": [{"entity": entity, "name": names.get(entity, (entity, ""))[0], "events": count}
                      for entity, count in shared[s.id]],
        }
        for s in storylines
    }  # fmt: skip


def storyline_documents(store: Store) -> list[dict[str, Any]]:
    """Every storyline, titled and 'about' as in the report, with its events' ids, titles and days (no
    timeline, so no numpy: for listings that must answer at once)."""
    every = store.events()
    storylines = store.storylines()
    heads = _storyline_heads(store, storylines, every)
    titles = store.event_titles(e.id for e in every)
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
                        "title": titles.get(e.id) or e.title,
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
    store: Store, every: list[Event], wanted_events: set[str], timelines: bool
) -> list[dict[str, Any]]:
    """The storylines holding any of ``wanted_events`` (listing only those) as the report gives them; with
    their ``timelines`` across all their events if asked (that reads every one of their analyses)."""
    holding = {e.storyline for e in every if e.id in wanted_events and e.storyline}
    # ``every`` holds every event of those storylines (build_report, storyline_reports read them so).
    chosen = [s for s in store.storylines(holding, every) if any(e in wanted_events for e in s.events)]
    # Each page of an event shows its storyline's title and what it is about: read once until the store changes.
    heads = store.cached(
        ("storyline heads", tuple(s.id for s in chosen)), lambda: _storyline_heads(store, chosen, every)
    )
    storylines = [
        {"id": s.id, "title": heads[s.id]["title"], "events": [e for e in s.events if e in wanted_events],
         "about": heads[s.id]["about"]}
        for s in chosen
    ]  # fmt: skip
    if timelines:
        # Here, not at the top: the timeline needs numpy, which the commands that read events alone do without.
        from ..analyze.timeline import storyline_timeline

        analyses = store.event_analyses({e for s in chosen for e in s.events})
        for document, storyline in zip(storylines, chosen, strict=True):
            # Its events' timelines as one: a line two events share (a source, or the same words) listed once.
            document["timeline"] = storyline_timeline(
                [to_data(analyses[e].timeline) for e in storyline.events if e in analyses]
            )
    return storylines


def storyline_reports(store: Store, storyline_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The report's storylines of these ids (title, about, timeline), each with all its events."""
    wanted = set(storyline_ids)
    every = store.events(storylines=wanted)
    documents = _storylines_json(store, every, {e.id for e in every}, timelines=True)
    return [d for d in documents if d["id"] in wanted]


def build_report(store: Store, event_id: str | None = None) -> dict[str, Any]:
    """The whole report, or the part about one event (its articles, and its storyline's title and what it is
    about), from what the stages stored: nothing is computed here."""
    if event_id is None:
        every = store.events()
    else:
        # One event: read its storyline's events only, not the whole store's.
        found = store.events(ids=[event_id])
        every = store.events(storylines=[found[0].storyline]) if found and found[0].storyline else found
    events = _chosen_events(store, every, event_id)
    wanted_events = {e.id for e in events}
    analyses = _named_analyses(store, wanted_events)
    # One event's report names its storyline; the storyline's timeline across its events is the whole
    # report's (and the storyline page's) to give.
    storylines = _storylines_json(store, every, wanted_events, timelines=event_id is None)
    articles = store.articles(events=sorted(wanted_events)) if event_id is not None else store.articles()
    return {
        "schema": SCHEMA_ID,
        "generated": generated_at(),
        "articles": [_article_json(a) for a in articles if event_id is None or a.event in wanted_events],
        "events": [_event_json(e, analyses.get(e.id)) for e in events],
        "storylines": storylines,
    }
