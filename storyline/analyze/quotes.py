"""Who said what in an event: each quote with its speaker and sentences, and the same statement
as other outlets rendered it (another translation, a paraphrase) gathered as its variants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..embed import Embedder
from ..model import Article, Quote
from .citations import sentences_between


def quote_text(quote: Quote) -> str:
    """The quoted words, discontinuous pieces joined by an ellipsis."""
    return " … ".join(span.text.strip() for span in quote.content)


def _quote_json(article: Article, quote: Quote, names: dict[str, str]) -> dict[str, Any]:
    start = min(span.start for span in quote.content)
    end = max(span.end for span in quote.content)
    return {
        "speaker": quote.entity,
        "speaker_name": names.get(quote.entity or "", quote.speaker),
        "text": quote_text(quote),
        "direct": quote.direct,
        "sources": [
            {"article": article.id, "sentence": index, "text": article.sentences[index].text}
            for index in sentences_between(article, start, end)
        ],
        "variants": [],
    }


def event_quotes(
    articles: Sequence[Article], names: dict[str, str], embedder: Embedder | None, similarity: float
) -> list[dict[str, Any]]:
    """The event's quotes in article order; a statement another article also reports (same speaker,
    similar words) is listed once, the other renderings under ``variants``."""
    found = [(article, quote) for article in articles for quote in article.quotes if quote.content]
    quotes = [_quote_json(article, quote, names) for article, quote in found]
    if embedder is None or len(quotes) < 2:
        return quotes
    vectors = embedder.embed([q["text"] for q in quotes])
    merged_into: dict[int, int] = {}
    for i in range(len(quotes)):
        if i in merged_into:
            continue
        for j in range(i + 1, len(quotes)):
            same_speaker = quotes[i]["speaker"] is not None and quotes[i]["speaker"] == quotes[j]["speaker"]
            other_article = found[i][0].id != found[j][0].id
            if j in merged_into or not (same_speaker and other_article):
                continue
            if float(np.dot(vectors[i], vectors[j])) >= similarity:
                merged_into[j] = i
                variant = {k: quotes[j][k] for k in ("text", "direct", "sources")}
                quotes[i]["variants"].append(variant)
    return [q for i, q in enumerate(quotes) if i not in merged_into]
