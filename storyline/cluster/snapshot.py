"""The clusterer's state as bytes and back, saved after every batch so a later run resumes the stream: whole
(``dump``), or only what a batch changed (``dump_changes``), which ``merge`` folds into a whole state again."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..nlp.terms import TermBag
from ..stateful import pack_arrays, unpack_arrays
from .similarity import DocumentFrequencies
from .state import ActiveEvent, ActiveStoryline

if TYPE_CHECKING:
    from .events import OnlineClusterer

_PARTS = ("body", "title", "names")


@dataclass
class Contents:
    """What a snapshot holds: the active events and storylines (by key, in the order they were made), the non-zero
    document frequencies of each part (terms ascending, their counts, documents counted), each remembered
    article's event, the clock, and the vectors' length."""

    dimensions: int
    events: dict[int, ActiveEvent] = field(default_factory=dict)
    storylines: dict[int, ActiveStoryline] = field(default_factory=dict)
    frequencies: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[Any], int]] = field(default_factory=dict)
    article_events: OrderedDict[str, str] = field(default_factory=OrderedDict)
    next_key: int = 0
    tick: int = 0
    now: float | None = None


def _frequencies(clusterer: OnlineClusterer) -> dict[str, DocumentFrequencies]:
    return {"body": clusterer.df_body, "title": clusterer.df_title, "names": clusterer.df_names}


def dump(clusterer: OnlineClusterer) -> bytes:
    """The state as bytes (numpy arrays and JSON)."""
    frequencies = {}
    for part, df in _frequencies(clusterer).items():
        keys = df.nonzero()
        frequencies[part] = (keys, df.counts[keys], df.documents)
    clock = clusterer.clock
    return _encode(
        Contents(clusterer.dimensions, clusterer.events, clusterer.storylines.active, frequencies,
                 clusterer.article_events, clock.next_key, clock.tick, clock.now)
    )  # fmt: skip


def dump_changes(clusterer: OnlineClusterer) -> bytes | None:
    """What changed since the journal was last cleared, as bytes: the events and storylines made or changed (whole),
    the keys of those forgotten, each article placed, the new counts of the terms counted, and the clock; None when
    only a whole snapshot says what changed."""
    journal = clusterer.journal
    counted = {part: df.changed() for part, df in _frequencies(clusterer).items()}
    frequencies = {}
    for part, df in _frequencies(clusterer).items():
        keys = counted[part]
        if keys is None:
            return None
        frequencies[part] = (keys, df.counts[keys], df.documents)
    clock = clusterer.clock
    changed = Contents(
        clusterer.dimensions,
        {k: clusterer.events[k] for k in sorted(journal.events) if k in clusterer.events},
        {k: clusterer.storylines.active[k] for k in sorted(journal.storylines) if k in clusterer.storylines.active},
        frequencies, OrderedDict(), clock.next_key, clock.tick, clock.now,
    )  # fmt: skip
    extra = {
        "dropped_events": sorted(journal.dropped_events),
        "dropped_storylines": sorted(journal.dropped_storylines),
        "assigned": journal.assigned,
    }
    return _encode(changed, extra)


def merge(data: bytes, changes: Sequence[bytes], remembered_articles: int) -> bytes:
    """The snapshot ``data`` with ``changes`` (from :func:`dump_changes`, in order) applied: the same bytes as
    :func:`dump` gave when the last of them was made."""
    whole = _decode(data)
    for change in changes:
        changed, meta = _decode_with_meta(change)
        # An event changed keeps its place; a new one comes last, as in the clusterer's own dictionaries.
        whole.events.update(changed.events)
        for key in meta["dropped_events"]:
            whole.events.pop(key, None)
        whole.storylines.update(changed.storylines)
        for key in meta["dropped_storylines"]:
            whole.storylines.pop(key, None)
        for part, (keys, counts, documents) in changed.frequencies.items():
            old_keys, old_counts, _ = whole.frequencies[part]
            merged = np.union1d(old_keys, keys).astype(np.int64)
            merged_counts = np.zeros(len(merged), old_counts.dtype)
            merged_counts[np.searchsorted(merged, old_keys)] = old_counts
            merged_counts[np.searchsorted(merged, keys)] = counts
            whole.frequencies[part] = (merged, merged_counts, documents)
        # What ``OnlineClusterer._remember`` did as each article came.
        for article, event in meta["assigned"]:
            whole.article_events[article] = event
            while len(whole.article_events) > remembered_articles:
                whole.article_events.popitem(last=False)
        whole.next_key, whole.tick, whole.now = changed.next_key, changed.tick, changed.now
    return _encode(whole)


def load(clusterer: OnlineClusterer, data: bytes) -> None:
    """Resume ``clusterer``, fresh, from the bytes :func:`dump` made."""
    contents = _decode(data)
    for part, df in _frequencies(clusterer).items():
        keys, counts, documents = contents.frequencies[part]
        df.assign(keys, counts)
        df.documents = documents
    clock = clusterer.clock
    clock.next_key, clock.tick, clock.now = contents.next_key, contents.tick, contents.now
    clusterer.article_events = contents.article_events
    for event in contents.events.values():
        clusterer.adopt(event)
    for storyline in contents.storylines.values():
        clusterer.storylines.add(storyline)


def _encode(contents: Contents, extra: Mapping[str, Any] | None = None) -> bytes:
    active, storyline_pool = list(contents.events.values()), list(contents.storylines.values())
    dimensions = contents.dimensions
    events = [
        {"id": e.id, "storyline": e.storyline, "key": e.key, "size": e.size, "first": e.first, "last": e.last,
         "time_sum": e.time_sum, "time_count": e.time_count, "touched": e.touched,
         "languages": sorted(e.languages, key=str), "posted": e.posted.tolist(), "headline": e.headline}
        for e in active
    ]  # fmt: skip
    storylines = [{"id": s.id, "key": s.key, "last": s.last, "touched": s.touched, "title": s.title,
                   "title_event": s.title_event, "events": s.events} for s in storyline_pool]  # fmt: skip
    meta = {"events": events, "storylines": storylines, "article_events": list(contents.article_events.items()),
            "next_key": contents.next_key, "tick": contents.tick, "now": contents.now,
            "documents": [contents.frequencies[part][2] for part in _PARTS], **(extra or {})}  # fmt: skip
    empty = np.zeros((0, dimensions), np.float32)
    # This runs every batch: document frequencies are saved sparse (most of the hashed space is zero),
    # term bags as flat arrays, which numpy writes far faster than JSON, and nothing is compressed
    # (vectors hardly compress, and compressing took 25x the time of writing), nor put in a zip archive.
    bags: dict[str, Any] = {}
    for part in _PARTS:
        keys, counts, _ = contents.frequencies[part]
        bags[f"df_{part}_keys"], bags[f"df_{part}_counts"] = keys, counts
    bags |= _packed([e.body for e in active], "event_body")
    bags |= _packed([e.title for e in active], "event_title")
    bags |= _packed([e.names for e in active], "event_names")
    bags |= _packed([s.names for s in storyline_pool], "storyline_names")
    bags |= _packed([s.event_names for s in storyline_pool], "storyline_event_names")
    bags |= _packed([s.event_words for s in storyline_pool], "storyline_event_words")
    return pack_arrays(dict(
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        **bags,
        centroids=np.stack([e.centroid for e in active]) if events else empty,
        members=np.concatenate([e.members for e in active]) if events else empty,
        headlines=np.concatenate([e.headlines for e in active]) if events else empty,
        member_counts=np.array([len(e.members) for e in active], dtype=np.int64),
        storyline_centroids=np.stack([s.centroid for s in storyline_pool]) if storylines else empty,
        # Zeros where a storyline's title event has no centre yet.
        storyline_title_centres=np.stack([
            s.title_centre if s.title_centre is not None else np.zeros(dimensions, np.float32)
            for s in storyline_pool
        ]) if storylines else empty,
    ))  # fmt: skip


def _decode(data: bytes) -> Contents:
    return _decode_with_meta(data)[0]


def _decode_with_meta(data: bytes) -> tuple[Contents, dict[str, Any]]:
    """The contents of a snapshot (or of changes), and its JSON part."""
    arrays = unpack_arrays(data)
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    dimensions = arrays["centroids"].shape[1]
    contents = Contents(dimensions, next_key=meta["next_key"], tick=meta["tick"], now=meta["now"])
    for row, (part, documents) in enumerate(zip(_PARTS, meta["documents"], strict=True)):
        if "df" in arrays:  # older snapshots saved the dense arrays
            keys = np.flatnonzero(arrays["df"][row]).astype(np.int64)
            contents.frequencies[part] = (keys, arrays["df"][row][keys], documents)
        else:
            contents.frequencies[part] = (arrays[f"df_{part}_keys"], arrays[f"df_{part}_counts"], documents)
    contents.article_events = OrderedDict((a, e) for a, e in meta["article_events"])
    offsets = np.concatenate([[0], np.cumsum(arrays["member_counts"])]).astype(int)
    body, title, names = (_unpacked(arrays, meta["events"], part) for part in _PARTS)
    for i, item in enumerate(meta["events"]):
        members = arrays["members"][offsets[i] : offsets[i + 1]]
        headlines = arrays["headlines"][offsets[i] : offsets[i + 1]]
        contents.events[item["key"]] = ActiveEvent(
            id=item["id"], storyline=item["storyline"], key=item["key"], centroid=arrays["centroids"][i],
            members=members, headlines=headlines, size=item["size"],
            body=body[i], title=title[i], names=names[i],
            first=item["first"], last=item["last"], time_sum=item["time_sum"],
            time_count=item["time_count"], touched=item["touched"],
            languages=set(item.get("languages", [])), posted=np.array(item.get("posted", []), np.int64),
            headline=item.get("headline", ""),
        )  # fmt: skip
    storyline_names = _unpacked(arrays, meta["storylines"], "names", owner="storyline")
    event_names = (
        _unpacked(arrays, meta["storylines"], "event_names", owner="storyline")
        if "storyline_event_names_sizes" in arrays
        else [TermBag.empty() for _ in meta["storylines"]]
    )
    event_words = (
        _unpacked(arrays, meta["storylines"], "event_words", owner="storyline")
        if "storyline_event_words_sizes" in arrays
        else [TermBag.empty() for _ in meta["storylines"]]
    )
    for i, item in enumerate(meta["storylines"]):
        centre = arrays["storyline_title_centres"][i] if "storyline_title_centres" in arrays else None
        contents.storylines[item["key"]] = ActiveStoryline(
            item["id"],
            item["key"],
            arrays["storyline_centroids"][i],
            storyline_names[i],
            item["last"],
            item["touched"],
            title=item.get("title", ""),
            title_event=item.get("title_event", ""),
            title_centre=centre if centre is not None and centre.any() else None,
            events=item.get("events", 0),
            event_names=event_names[i],
            event_words=event_words[i],
        )
    return contents, meta


def _packed(bags: list[TermBag], name: str) -> dict[str, npt.NDArray[np.int64]]:
    """Bags as three flat arrays: every key, every count, and each bag's size."""
    empty = np.zeros(0, np.int64)
    return {
        f"{name}_keys": np.concatenate([b.keys for b in bags]) if bags else empty,
        f"{name}_counts": np.concatenate([b.counts for b in bags]) if bags else empty,
        f"{name}_sizes": np.array([len(b) for b in bags], dtype=np.int64),
    }


def _unpacked(arrays: Any, items: list[dict[str, Any]], part: str, owner: str = "event") -> list[TermBag]:
    """The bags :func:`_packed` saved; older snapshots kept them as [term, count] pairs in the JSON."""
    name = f"{owner}_{part}"
    if f"{name}_sizes" not in arrays:
        return [TermBag.from_pairs(item[part]) for item in items]
    ends = np.cumsum(arrays[f"{name}_sizes"])
    keys, counts = arrays[f"{name}_keys"], arrays[f"{name}_counts"]
    return [
        TermBag(keys[end - size : end], counts[end - size : end])
        for end, size in zip(ends, arrays[f"{name}_sizes"], strict=True)
    ]
