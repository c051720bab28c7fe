"""`storyline eval quotes`: quote and attribution extraction scored against PolNeAR-style files.

One record per line: ``{"id", "text", "attributions": [{"source", "cue", "content", "is_direct_quote"}]}``
where ``source``, ``cue`` and ``content`` are lists of ``{"start", "end", "text"}`` spans of ``text`` (or
null). Scores are given twice: for direct quotes (gold ``is_direct_quote`` against predicted ``direct``)
and for all attributions.

Definitions (per document, summed over the file, then precision, recall and F1 from the sums):

* A content is its spans, each trimmed of surrounding white space, punctuation and quote marks, with
  spans that then touch or are separated only by such characters merged. Gold attributions with no
  content are left out.
* Content exact: a predicted and a gold attribution match when their trimmed contents are equal
  (one-to-one).
* Content overlap: predicted and gold attributions are paired one-to-one, greedily by the number of
  content characters they share (most first, ties in text order); any shared character makes a pair.
  This is the partial match of PARC and Citron evaluations, counted per attribution rather than per
  token (Citron sums overlapping tokens, which weighs long quotes more).
* Source: a predicted attribution has a correct source when it is overlap-paired with a gold
  attribution and its source span shares a character with the gold source span. Precision = correct /
  predicted attributions with a source; recall = correct / gold attributions with a source. (Citron
  pairs by cue overlap and requires equal source spans; PolNeAR sources include appositions and relative
  clauses that a speaker finder has no reason to copy, hence overlap.)
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError
from ..model import Quote
from .metrics import Scores, precision_recall_f1
from .records import read_records

# Documents handed to spaCy at a time: large enough to batch, small enough to keep memory flat.
_BATCH_SIZE = 16
_STRIP = " \t\n\r\xa0.,;:!?…—–-()[]\"“”«»„‘’'`"

_Chars = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class AttributionScores:
    """Counts and scores for one kind of attribution (direct quotes, or all)."""

    gold: int
    predicted: int
    content_exact: Scores
    content_overlap: Scores
    source: Scores


@dataclass(frozen=True, slots=True)
class QuoteScores:
    """The result of scoring one file."""

    file: str
    documents: int
    direct: AttributionScores
    all: AttributionScores
    seconds: float
    docs_per_second: float
    extract_seconds: float


@dataclass(frozen=True, slots=True)
class _Item:
    content: _Chars
    source: _Chars
    direct: bool


@dataclass(frozen=True, slots=True)
class _GoldDoc:
    text: str
    items: tuple[_Item, ...]


@dataclass(slots=True)
class _Counts:
    gold: int = 0
    predicted: int = 0
    exact: int = 0
    overlap: int = 0
    gold_sources: int = 0
    predicted_sources: int = 0
    sources: int = 0

    def scores(self) -> AttributionScores:
        return AttributionScores(
            self.gold,
            self.predicted,
            precision_recall_f1(self.exact, self.predicted, self.gold),
            precision_recall_f1(self.overlap, self.predicted, self.gold),
            precision_recall_f1(self.sources, self.predicted_sources, self.gold_sources),
        )


def normalized(text: str, spans: Iterable[tuple[int, int]]) -> _Chars:
    """Spans trimmed of edge white space, punctuation and quote marks; touching spans merged."""
    trimmed = []
    for start, end in sorted(spans):
        while start < end and text[start] in _STRIP:
            start += 1
        while end > start and text[end - 1] in _STRIP:
            end -= 1
        if end > start:
            trimmed.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in trimmed:
        if merged and all(c in _STRIP for c in text[merged[-1][1] : start]):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _shared(a: _Chars, b: _Chars) -> int:
    return sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def _count(counts: _Counts, gold: Sequence[_Item], predicted: Sequence[_Item]) -> None:
    counts.gold += len(gold)
    counts.predicted += len(predicted)
    counts.gold_sources += sum(1 for g in gold if g.source)
    counts.predicted_sources += sum(1 for p in predicted if p.source)
    unmatched = [g.content for g in gold]
    for p in predicted:
        if p.content in unmatched:
            unmatched.remove(p.content)
            counts.exact += 1
    pairs = sorted(
        ((-_shared(p.content, g.content), i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold)),
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    for negative, i, j in pairs:
        if negative == 0:
            break
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        counts.overlap += 1
        if predicted[i].source and gold[j].source and _shared(predicted[i].source, gold[j].source):
            counts.sources += 1


def score_documents(gold: Sequence[_GoldDoc], predicted: Sequence[Sequence[Quote]]) -> tuple[_Counts, _Counts]:
    """Direct-quote and all-attribution counts of predicted quotes against the gold documents."""
    direct, every = _Counts(), _Counts()
    for document, quotes in zip(gold, predicted, strict=True):
        text = document.text
        items = [
            _Item(
                normalized(text, ((s.start, s.end) for s in q.content)),
                normalized(text, ((s.start, s.end) for s in q.source)),
                q.direct,
            )
            for q in quotes
        ]
        items = [i for i in items if i.content]
        _count(every, document.items, items)
        _count(direct, [g for g in document.items if g.direct], [p for p in items if p.direct])
    return direct, every


def _spans(value: Any, path: Path, line: int, name: str, text: str) -> list[tuple[int, int]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(str(path), Errors.E014.format(path=path, line=line, field=name, expected="a list or null"))
    spans = []
    for span in value:
        if not isinstance(span, dict):
            raise InputError(str(path), Errors.E014.format(path=path, line=line, field=name, expected="spans"))
        start, end = span.get("start"), span.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start <= end <= len(text):
            expected = "spans with integer 'start' <= 'end' inside the text"
            raise InputError(str(path), Errors.E014.format(path=path, line=line, field=name, expected=expected))
        spans.append((start, end))
    return spans


def read_quote_file(path: Path) -> list[_GoldDoc]:
    """The documents of a PolNeAR-style file; a bad line raises InputError naming the file and line."""
    documents = []
    for number, record in read_records(path):
        text = record.get("text")
        if not isinstance(text, str):
            raise InputError(str(path), Errors.E014.format(path=path, line=number, field="text", expected="a string"))
        attributions = record.get("attributions")
        if not isinstance(attributions, list):
            expected = "a list of attributions"
            raise InputError(
                str(path), Errors.E014.format(path=path, line=number, field="attributions", expected=expected)
            )
        items = []
        for attribution in attributions:
            if not isinstance(attribution, dict) or not isinstance(attribution.get("is_direct_quote"), bool):
                field, expected = "attributions.is_direct_quote", "true or false"
                raise InputError(str(path), Errors.E014.format(path=path, line=number, field=field, expected=expected))
            for name in ("content", "source", "cue"):
                if name not in attribution:
                    field, expected = f"attributions.{name}", "present (a list of spans or null)"
                    raise InputError(
                        str(path), Errors.E014.format(path=path, line=number, field=field, expected=expected)
                    )
            content = normalized(text, _spans(attribution["content"], path, number, "attributions.content", text))
            source = normalized(text, _spans(attribution["source"], path, number, "attributions.source", text))
            _spans(attribution["cue"], path, number, "attributions.cue", text)
            if content:
                items.append(_Item(content, source, attribution["is_direct_quote"]))
        documents.append(_GoldDoc(text, tuple(items)))
    return documents


def evaluate_quotes(path: Path, spacy_model: str = "auto") -> QuoteScores:
    """Parse every document of ``path`` with ``spacy_model`` (the setting ``nlp.spacy_model``), find its
    quotes and score them against the gold attributions."""
    from ..nlp.quotes import find_quotes
    from ..nlp.spacy_pipeline import load_spacy

    documents = read_quote_file(path)
    nlp = load_spacy(spacy_model)
    began = time.perf_counter()
    extract = 0.0
    predicted: list[list[Quote]] = []
    for doc in nlp.pipe((d.text for d in documents), batch_size=_BATCH_SIZE):
        tick = time.perf_counter()
        predicted.append(find_quotes(doc))
        extract += time.perf_counter() - tick
    seconds = time.perf_counter() - began
    direct, every = score_documents(documents, predicted)
    return QuoteScores(
        file=str(path),
        documents=len(documents),
        direct=direct.scores(),
        all=every.scores(),
        seconds=seconds,
        docs_per_second=len(documents) / seconds if seconds else 0.0,
        extract_seconds=extract,
    )


def format_quotes(scores: QuoteScores) -> str:
    """A short table of the scores."""
    lines = [
        f"{scores.file}: {scores.documents} documents, {scores.seconds:.1f} s ({scores.docs_per_second:.1f} docs/s; "
        f"quote finding {1000 * scores.extract_seconds / max(scores.documents, 1):.1f} ms/doc)",
        f"{'':8} {'gold':>6} {'pred':>6}   {'content exact':>17}   {'content overlap':>17}   {'source':>17}",
        f"{'':8} {'':>6} {'':>6}   " + "   ".join([f"{'P':>5} {'R':>5} {'F1':>5}"] * 3),
    ]
    for name, part in (("direct", scores.direct), ("all", scores.all)):
        cells = "   ".join(
            f"{s.precision:5.3f} {s.recall:5.3f} {s.f1:5.3f}"
            for s in (part.content_exact, part.content_overlap, part.source)
        )
        lines.append(f"{name:8} {part.gold:>6} {part.predicted:>6}   {cells}")
    return "\n".join(lines)
