"""The clusterer's state as bytes and back, saved after every batch so a later run resumes the stream."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..nlp.terms import TermBag
from ..stateful import pack_arrays, unpack_arrays
from .similarity import DocumentFrequencies
from .state import ActiveEvent, ActiveStoryline

if TYPE_CHECKING:
    from .events import OnlineClusterer


def _frequencies(clusterer: OnlineClusterer) -> dict[str, DocumentFrequencies]:
    return {"body": clusterer.df_body, "title": clusterer.df_title, "names": clusterer.df_names}


def dump(clusterer: OnlineClusterer) -> bytes:
    """The state as bytes (numpy arrays and JSON)."""
    active, storyline_pool = list(clusterer.events.values()), list(clusterer.storylines.active.values())
    clock = clusterer.clock
    events = [
        {"id": e.id, "storyline": e.storyline, "key": e.key, "size": e.size, "first": e.first, "last": e.last,
         "time_sum": e.time_sum, "time_count": e.time_count, "touched": e.touched,
         "languages": sorted(e.languages, key=str), "posted": e.posted.tolist(), "headline": e.headline}
        for e in active
    ]  # fmt: skip
    storylines = [{"id": s.id, "key": s.key, "last": s.last, "touched": s.touched, "title": s.title,
                   "title_event": s.title_event, "events": s.events} for s in storyline_pool]  # fmt: skip
    meta = {"events": events, "storylines": storylines, "article_events": list(clusterer.article_events.items()),
            "next_key": clock.next_key, "tick": clock.tick, "now": clock.now,
            "documents": [df.documents for df in _frequencies(clusterer).values()]}  # fmt: skip
    empty = np.zeros((0, clusterer.dimensions), np.float32)
    # This runs every batch: document frequencies are saved sparse (most of the hashed space is zero),
    # term bags as flat arrays, which numpy writes far faster than JSON, and nothing is compressed
    # (vectors hardly compress, and compressing took 25x the time of writing), nor put in a zip archive.
    bags: dict[str, Any] = {}
    for part, df in _frequencies(clusterer).items():
        keys = df.nonzero()
        bags[f"df_{part}_keys"], bags[f"df_{part}_counts"] = keys, df.counts[keys]
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
            s.title_centre if s.title_centre is not None else np.zeros(clusterer.dimensions, np.float32)
            for s in storyline_pool
        ]) if storylines else empty,
    ))  # fmt: skip


def load(clusterer: OnlineClusterer, data: bytes) -> None:
    """Resume ``clusterer``, fresh, from the bytes :func:`dump` made."""
    arrays = unpack_arrays(data)
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    for row, (part, df) in enumerate(_frequencies(clusterer).items()):
        if "df" in arrays:  # older snapshots saved the dense arrays
            df.counts[:] = arrays["df"][row]
            df.recount()
        else:
            df.assign(arrays[f"df_{part}_keys"], arrays[f"df_{part}_counts"])
    for df, documents in zip(_frequencies(clusterer).values(), meta["documents"], strict=True):
        df.documents = documents
    clock = clusterer.clock
    clock.next_key, clock.tick, clock.now = meta["next_key"], meta["tick"], meta["now"]
    clusterer.article_events = OrderedDict((a, e) for a, e in meta["article_events"])
    offsets = np.concatenate([[0], np.cumsum(arrays["member_counts"])]).astype(int)
    body, title, names = (_unpacked(arrays, meta["events"], part) for part in ("body", "title", "names"))
    for i, item in enumerate(meta["events"]):
        members = arrays["members"][offsets[i] : offsets[i + 1]]
        headlines = arrays["headlines"][offsets[i] : offsets[i + 1]]
        event = ActiveEvent(
            id=item["id"], storyline=item["storyline"], key=item["key"], centroid=arrays["centroids"][i],
            members=members, headlines=headlines, size=item["size"],
            body=body[i], title=title[i], names=names[i],
            first=item["first"], last=item["last"], time_sum=item["time_sum"],
            time_count=item["time_count"], touched=item["touched"],
            languages=set(item.get("languages", [])), posted=np.array(item.get("posted", []), np.int64),
            headline=item.get("headline", ""),
        )  # fmt: skip
        clusterer.adopt(event)
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
        storyline = ActiveStoryline(
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
        clusterer.storylines.add(storyline)


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
