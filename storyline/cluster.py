"""Assigning articles to events.

Until online clustering lands, every article is an event of its own; the
stage already has the interface the clustering stage will keep.
"""

from __future__ import annotations

from dataclasses import replace

from .model import Article, content_id


def singleton_event_id(article_id: str) -> str:
    """The id of the event made of one article alone."""
    return content_id("e", article_id)


class SingletonEventStage:
    """Puts each article that has no event yet into an event of its own."""

    name: str = "events"
    version: int = 1
    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("event",)

    def __call__(self, articles: list[Article]) -> list[Article]:
        return [a if a.event else replace(a, event=singleton_event_id(a.id)) for a in articles]
