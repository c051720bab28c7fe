"""Who said what in an event: each quote with its speaker and sentences, and the same statement
as other outlets rendered it (another translation, a paraphrase) gathered as its variants."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from ..config import ReportSettings
from ..embed import Embedder
from ..model import DOUBLE_QUOTE_MARKS, Article, Quote, to_data
from ..nlp.quotes import speech_cues
from .citations import cite, sentences_between

_QUOTE_MARKS = DOUBLE_QUOTE_MARKS + "‘’'` "
# Characters after which a quote mark opens a quote.
_OPENING_BEFORE = "([{—–-/"
_WORD = re.compile(r"[^\W\d_]{3,}")
# Words compared by their first letters, so that "appreciate" matches "appreciates".
_STEM_CHARS = 5
# An unattributed direct quote joins an attributed one in another article when it has at least this many
# content words and that share of them appears in it: the same words quoted twice are one statement.
_VERBATIM_MIN_WORDS = 5
_VERBATIM = 0.9
_DASHES = re.compile(r"[‐‑‒–—―]")
_EDGE_PUNCTUATION = " .,;:!?…"
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+(?=\W*[A-Z])")


def quote_text(quote: Quote) -> str:
    """The quoted words without the quote marks around them, discontinuous pieces joined by an ellipsis.

    Marks inside stay, in pairs: an edge mark that pairs with one inside ("“exacerbating” the war") is kept.
    """
    return " … ".join(_unquoted(span.text) for span in quote.content)


def _unquoted(text: str) -> str:
    text = text.strip()
    # A quote cut before its attribution ends in the comma of "...," he said: that comma is not his.
    inner = text.strip(_QUOTE_MARKS).rstrip(",;:").strip(_QUOTE_MARKS)
    marks = [i for i, c in enumerate(inner) if c in DOUBLE_QUOTE_MARKS]
    if len(marks) % 2 == 0:
        return inner
    start = text.find(inner)
    lead = text[:start].strip()[-1:]
    tail = "".join(c for c in text[start + len(inner) :] if c in DOUBLE_QUOTE_MARKS)[:1]
    # The odd mark inside pairs with the edge mark stripped on its side: that one goes back.
    before = inner[marks[0] - 1] if marks[0] > 0 else " "
    if (before.isspace() or before in _OPENING_BEFORE) and tail:
        return inner + tail
    return lead + inner if lead else inner


def _stems(text: str) -> set[str]:
    return {w[:_STEM_CHARS] for w in _WORD.findall(text.lower()) if w not in STOP_WORDS}


def word_overlap(a: str, b: str) -> float:
    """Shared content words over those of the longer text (a translation keeps most of the words)."""
    return _overlap(_stems(a), _stems(b))


def _overlap(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / max(len(first), len(second))


def _quote_json(article: Article, quote: Quote, names: dict[str, str]) -> dict[str, Any]:
    start = min(span.start for span in quote.content)
    end = max(span.end for span in quote.content)
    return {
        "speaker": quote.entity,
        "speaker_name": names.get(quote.entity or "", quote.speaker),
        "text": quote_text(quote),
        "direct": quote.direct,
        "sources": [to_data(cite(article, index)) for index in sentences_between(article, start, end)],
        "variants": [],
    }


def _pieces(text: str) -> list[str]:
    """A quote's sentences: a long quote in one outlet may be one sentence of it in another."""
    return [piece for piece in _SENTENCE_BREAK.split(text) if _stems(piece)] or [text]


def _reported(article: Article, quotes: Sequence[Quote], min_words: int) -> list[Quote]:
    """The quotes worth a reader's time, words said only: direct ones (unattributed ones of at least ``min_words``
    words), and reported speech of at least ``min_words`` words, introduced by a speech verb or "according to",
    that does not restate a direct quote of the same article."""
    direct = [(q.content[0].start, q.content[-1].end) for q in quotes if q.direct and q.content]
    speech = speech_cues()
    kept = []
    for quote in quotes:
        if not quote.content or not quote.speech:
            continue  # "expressed support for X": an act or a stance, not something said
        if quote.direct and not quote.speaker and len(quote_text(quote).split()) < min_words:
            continue  # a phrase in quote marks that nobody is said to have said ("strategic cooperation.")
        if not quote.direct:
            start, end = quote.content[0].start, quote.content[-1].end
            if len(quote_text(quote).split()) < min_words or any(a < end and start < b for a, b in direct):
                continue
            cue_words = {w for span in quote.cue for w in _WORD.findall(span.text.lower())}
            # "accused X of Y", "showed support for X": attributions of a stance, not statements.
            if not cue_words & speech and "according" not in cue_words:
                continue
        kept.append(quote)
    # "data showed that …, Politico reported": a statement nobody is named for inside another's statement is part
    # of what that speaker said, not a second line.
    spans = [(q.content[0].start, q.content[-1].end) for q in kept]
    return [
        q for q, (start, end) in zip(kept, spans, strict=True)
        if q.speaker or q.direct or not any(a <= start and end <= b and (a, b) != (start, end) for a, b in spans)
    ]  # fmt: skip


def event_quotes(
    articles: Sequence[Article],
    names: dict[str, str],
    embedder: Embedder | None,
    settings: ReportSettings,
) -> list[dict[str, Any]]:
    """The event's quotes in article order; a statement another article also reports (same speaker,
    similar meaning and words in one of its sentences) is listed once, the others under ``variants``.
    An unattributed direct quote whose words another article quotes and attributes joins that quote, as
    does one in another language whose meaning one of the attributed quote's sentences has (a translation:
    the embedding must be multilingual) at ``quote_translation_similarity``."""
    similarity, translation_similarity = settings.quote_variant_similarity, settings.quote_translation_similarity
    found = [(a, q) for a in articles for q in _reported(a, a.quotes, settings.quote_min_words)]
    quotes = [_quote_json(article, quote, names) for article, quote in found]
    merged_into = _same_speaker_variants(found, quotes, embedder, similarity) if embedder is not None else {}
    for j, i in _unattributed_variants(found, quotes, merged_into, embedder, translation_similarity).items():
        merged_into[j] = i
    for j, i in sorted(merged_into.items()):
        _add_variant(quotes[i], {k: quotes[j][k] for k in ("text", "direct", "sources")})
    return [q for i, q in enumerate(quotes) if i not in merged_into]


def _same_text(text: str) -> str:
    """The form variant texts are compared in: case, quote marks, dashes, white space and edge punctuation aside."""
    plain = unicodedata.normalize("NFKC", text).casefold()
    plain = _DASHES.sub("-", "".join(c for c in plain if c not in _QUOTE_MARKS or c == " "))
    return " ".join(plain.split()).strip(_EDGE_PUNCTUATION)


def _add_variant(quote: dict[str, Any], variant: dict[str, Any]) -> None:
    """List ``variant`` under ``quote``; words already listed (the quote's own or a variant's) are listed once,
    with the variant's sentences added to theirs."""
    wanted = _same_text(variant["text"])
    for listed in (quote, *quote["variants"]):
        if _same_text(listed["text"]) == wanted:
            listed["sources"].extend(s for s in variant["sources"] if s not in listed["sources"])
            return
    quote["variants"].append(variant)


def _same_speaker_variants(
    found: list[tuple[Article, Quote]], quotes: list[dict[str, Any]], embedder: Embedder, similarity: float
) -> dict[int, int]:
    """Quote index -> the earlier quote it is a variant of: one speaker, other articles, close in meaning and words."""
    # Only a speaker quoted in two articles can have variants: only their quotes are embedded.
    reported_in: dict[str, set[str]] = defaultdict(set)
    for (article, _), quote in zip(found, quotes, strict=True):
        if quote["speaker"] is not None:
            reported_in[quote["speaker"]].add(article.id)
    candidates = [i for i, q in enumerate(quotes) if q["speaker"] is not None and len(reported_in[q["speaker"]]) > 1]
    if not candidates:
        return {}
    pieces = [(i, piece) for i in candidates for piece in _pieces(quotes[i]["text"])]
    vectors = embedder.embed([piece for _, piece in pieces])
    stems = [_stems(piece) for _, piece in pieces]
    rows: dict[int, list[int]] = defaultdict(list)
    for row, (i, _) in enumerate(pieces):
        rows[i].append(row)

    def score(i: int, j: int) -> float:
        # Meaning and wording together: two sentences of one statement are close in meaning but
        # share few words; two translations of one sentence share its key words.
        return max(
            (float(np.dot(vectors[a], vectors[b])) + _overlap(stems[a], stems[b])) / 2 for a in rows[i] for b in rows[j]
        )

    merged_into: dict[int, int] = {}
    for position, i in enumerate(candidates):
        if i in merged_into:
            continue
        for j in candidates[position + 1 :]:
            same_speaker = quotes[i]["speaker"] == quotes[j]["speaker"]
            other_article = found[i][0].id != found[j][0].id
            if j in merged_into or not (same_speaker and other_article):
                continue
            if score(i, j) >= similarity:
                merged_into[j] = i
    return merged_into


def _unattributed_variants(
    found: list[tuple[Article, Quote]],
    quotes: list[dict[str, Any]],
    merged_into: dict[int, int],
    embedder: Embedder | None,
    translation_similarity: float,
) -> dict[int, int]:
    """Unattributed direct quotes whose content words another article's attributed direct quote holds, or,
    in another language, whose meaning one of its sentences has."""
    attributed = {
        i: _stems(q["text"]) for i, q in enumerate(quotes) if q["direct"] and q["speaker_name"] and i not in merged_into
    }
    unattributed = [j for j, q in enumerate(quotes) if q["direct"] and not q["speaker_name"] and j not in merged_into]
    translated = _translations(found, quotes, attributed, unattributed, embedder) if embedder is not None else {}
    folded: dict[int, int] = {}
    for j in unattributed:
        words = _stems(quotes[j]["text"])
        for i, held in attributed.items():
            if found[i][0].id == found[j][0].id:
                continue
            # A phrase in scare quotes is not recognisable by its words alone.
            verbatim = len(words) >= _VERBATIM_MIN_WORDS and len(words & held) >= _VERBATIM * len(words)
            if verbatim or translated.get((i, j), 0.0) >= translation_similarity:
                folded[j] = i
                break
    return folded


def _translations(
    found: list[tuple[Article, Quote]],
    quotes: list[dict[str, Any]],
    attributed: dict[int, set[str]],
    unattributed: list[int],
    embedder: Embedder,
) -> dict[tuple[int, int], float]:
    """(attributed, unattributed in another language) -> the closest cosine of the unattributed quote to
    one of the attributed quote's sentences."""
    pairs = [(i, j) for j in unattributed for i in attributed
             if found[i][0].lang and found[j][0].lang and found[i][0].lang != found[j][0].lang]  # fmt: skip
    if not pairs:
        return {}
    pieces = [(i, piece) for i in sorted({i for i, _ in pairs}) for piece in _pieces(quotes[i]["text"])]
    wanted = sorted({j for _, j in pairs})
    vectors = embedder.embed([piece for _, piece in pieces] + [quotes[j]["text"] for j in wanted])
    row_of = {j: len(pieces) + n for n, j in enumerate(wanted)}
    return {
        (i, j): max(float(vectors[row] @ vectors[row_of[j]]) for row, (owner, _) in enumerate(pieces) if owner == i)
        for i, j in pairs
    }
