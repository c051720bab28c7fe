"""Who an event is about: its entities with every name used for them, and each outlet's labels."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ..model import Article, Mention, Quote
from ..nlp.entities import display_name
from ..nlp.spelling import other_names

# Courtesy titles: they say nothing about how an outlet sees someone (a closed class of words).
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "madam", "messrs"})
_QUOTE_MARKS = '"“”‘’«»„'


def _is_name(mention: Mention) -> bool:
    # A role-noun mention ("the Chinese leader") is its own label; a name is not.
    return mention.label != mention.text


def _titled_name(article: Article, mention: Mention) -> str | None:
    """ "Chinese President Xi Jinping" when the label stands right before the name."""
    if not mention.label or not _is_name(mention):
        return None
    before = article.text[max(0, mention.start - len(mention.label) - 1) : mention.start]
    return f"{mention.label} {display_name(mention.text)}" if before.rstrip() == mention.label else None


def event_entities(
    articles: Sequence[Article], known: Mapping[str, tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """The event's entities, most mentioned first, with their aliases and articles.

    ``known`` holds the store's (name, type) of entities, decided over all their mentions; an entity it lacks
    is named and typed from the event's own mentions.
    """
    known = known or {}
    names: dict[str, Counter[str]] = defaultdict(Counter)
    aliases: dict[str, Counter[str]] = defaultdict(Counter)
    types: dict[str, Counter[str]] = defaultdict(Counter)
    found_in: dict[str, list[str]] = defaultdict(list)
    mentions: Counter[str] = Counter()
    for article in articles:
        for mention in article.mentions:
            entity = mention.entity
            mentions[entity] += 1
            types[entity][mention.type] += 1
            text = display_name(mention.text) if _is_name(mention) else mention.text
            if _is_name(mention):
                names[entity][text] += 1
            aliases[entity][text] += 1
            titled = _titled_name(article, mention)
            if titled:
                aliases[entity][titled] += 1
            if article.id not in found_in[entity]:
                found_in[entity].append(article.id)
    entities = []
    for entity, counts in aliases.items():
        pool = names[entity] or counts
        # The fullest name, then the most used: "Xi Jinping" over "Xi".
        name, entity_type = known.get(entity, (max(pool, key=lambda n: (len(n.split()), pool[n], n)), ""))
        entities.append(
            {
                "id": entity,
                "name": name,
                "type": entity_type or types[entity].most_common(1)[0][0],
                "aliases": other_names(name, sorted(counts, key=lambda a: (-counts[a], a))),
                "articles": found_in[entity],
                "mentions": mentions[entity],
            }
        )
    return sorted(entities, key=lambda e: (-e["mentions"], e["name"], e["id"]))


def _quoting(article: Article, mention: Mention) -> Quote | None:
    """The quote whose words the mention's label is: inside its quotation marks, the speaker's words."""
    label = mention.label or ""
    # Room for the label, its quotation marks and the space before the name.
    before = article.text[max(0, mention.start - len(label) - 4) : mention.start]
    at = before.rfind(label) if label else -1
    label_start = mention.start - len(before) + at if at >= 0 else mention.start
    for quote in article.quotes:
        if not quote.direct:
            continue
        for span in quote.content:
            if span.start <= label_start < span.end or span.start <= mention.start < span.end:
                return quote
    # A few quoted words before a name: his "dear friend" Putin.
    if at > 0 and before[at - 1] in _QUOTE_MARKS:
        return Quote(content=(), cue=(), source=(), direct=True)
    return None


def event_labels(articles: Sequence[Article]) -> list[dict[str, Any]]:
    """The words each article uses to describe each entity, once per (entity, article, label).

    A courtesy title ("Mr.") is no label; words inside quotation marks are the speaker's, not the outlet's:
    they are listed with ``quoted`` set (and the speaker, when known).
    """
    seen = set()
    labels = []
    for article in articles:
        for mention in article.mentions:
            if not mention.label or mention.label.rstrip(".").casefold() in _HONORIFICS:
                continue
            key = (mention.entity, article.id, mention.label)
            if key in seen:
                continue
            seen.add(key)
            quote = _quoting(article, mention)
            labels.append(
                {"entity": mention.entity, "article": article.id, "outlet": article.outlet, "label": mention.label,
                 "quoted": quote is not None, "speaker": quote.speaker if quote is not None else None}
            )  # fmt: skip
    return labels
