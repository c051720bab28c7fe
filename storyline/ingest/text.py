"""Reader for .txt and .md articles, as in the sample corpus."""

from __future__ import annotations

from ..config import IngestSettings
from ..model import Article
from .build import build_article
from .clean import clean_markdown


def read_text(source: str, path: str, settings: IngestSettings) -> list[Article]:
    """One article from a plain-text or markdown file."""
    cleaned = clean_markdown(source, settings)
    return [
        build_article(
            path=path,
            paragraphs=cleaned.paragraphs,
            title=cleaned.title,
            url=cleaned.url,
            settings=settings,
            furniture_removed=True,
        )
    ]
