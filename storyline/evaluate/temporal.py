"""`storyline eval temporal`: the time-expression tagger scored as TempEval-3 scores it.

The file holds one document per line: ``{"id", "dct", "text", "timexes": [{"start", "end",
"type", "value", ...}]}`` with offsets into ``text`` (TimeBank/AQUAINT in TempEval-3's
TBAQ-cleaned form). Each text is tagged with :func:`~storyline.nlp.timexes.tag_times`
anchored at its ``dct`` and compared with the gold TIMEX3s (UzZaman et al., 2013):

- *strict*: a predicted span counts when it equals a gold span exactly;
- *relaxed*: when it overlaps one; predicted and gold are paired one to one, exact
  pairs first, then overlaps in text order;
- *type* and *value*: over the relaxed pairs, ``P = correct / predicted`` and
  ``R = correct / gold``. This is the TempEval-3 scorer's "attribute F1 = relaxed F1 x
  attribute accuracy" (accuracy = correct / relaxed pairs), written without the product.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError
from ..model import TimeRef
from ..nlp.timexes import tag_times
from .metrics import precision_recall_f1
from .records import read_records

__all__ = ["TemporalScores", "evaluate_temporal", "format_temporal"]


@dataclass(frozen=True, slots=True)
class GoldTimex:
    start: int
    end: int
    type: str
    value: str


@dataclass(frozen=True, slots=True)
class TemporalDocument:
    id: str
    dct: date | None
    text: str
    timexes: tuple[GoldTimex, ...]


@dataclass(frozen=True, slots=True)
class TemporalScores:
    """TempEval-3 figures for one file; ``dataclasses.asdict`` gives its JSON form."""

    file: str
    documents: int
    gold: int
    predicted: int
    strict_precision: float
    strict_recall: float
    strict_f1: float
    relaxed_precision: float
    relaxed_recall: float
    relaxed_f1: float
    type_precision: float
    type_recall: float
    type_f1: float
    type_accuracy: float
    value_precision: float
    value_recall: float
    value_f1: float
    value_accuracy: float
    seconds: float
    docs_per_second: float


def _fail(path: Path, line: int, field: str, expected: str) -> InputError:
    return InputError(str(path), Errors.E014.format(path=path, line=line, field=field, expected=expected))


def _int_field(record: dict[str, Any], key: str, path: Path, line: int, where: str) -> int:
    value = record.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail(path, line, f"{where}{key}", "a non-negative integer")
    return value


def _str_field(record: dict[str, Any], key: str, path: Path, line: int, where: str = "") -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise _fail(path, line, f"{where}{key}", "a string")
    return value


def _parse_dct(raw: Any, path: Path, line: int) -> date | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise _fail(path, line, "dct", "an ISO date (YYYY-MM-DD...) or null")
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise _fail(path, line, "dct", "an ISO date (YYYY-MM-DD...) or null") from None


def _parse_record(record: dict[str, Any], path: Path, line: int) -> TemporalDocument:
    text = _str_field(record, "text", path, line)
    timexes = record.get("timexes")
    if not isinstance(timexes, list):
        raise _fail(path, line, "timexes", "a list")
    gold = []
    for number, timex in enumerate(timexes):
        where = f"timexes[{number}]."
        if not isinstance(timex, dict):
            raise _fail(path, line, f"timexes[{number}]", "an object")
        start = _int_field(timex, "start", path, line, where)
        end = _int_field(timex, "end", path, line, where)
        if not start < end <= len(text):
            raise _fail(path, line, f"{where}end", f"after start and within the text ({len(text)} characters)")
        gold.append(GoldTimex(start, end, _str_field(timex, "type", path, line, where),
                              _str_field(timex, "value", path, line, where)))  # fmt: skip
    return TemporalDocument(str(record.get("id", line)), _parse_dct(record.get("dct"), path, line), text, tuple(gold))


def read_temporal(path: Path) -> Iterator[TemporalDocument]:
    """The documents of a temporal file; a bad line raises :class:`InputError` naming file and line."""
    for number, record in read_records(path):
        yield _parse_record(record, path, number)


@dataclass(slots=True)
class _Counts:
    gold: int = 0
    predicted: int = 0
    strict: int = 0
    relaxed: int = 0
    type: int = 0
    value: int = 0


def _pairs(gold: tuple[GoldTimex, ...], predicted: list[TimeRef]) -> list[tuple[GoldTimex, TimeRef]]:
    """One-to-one pairs of overlapping spans: exact matches first, then overlaps in text order."""
    pairs = []
    free_gold = list(gold)
    free_predicted = list(predicted)
    for exact in (True, False):
        for ref in list(free_predicted):
            for timex in free_gold:
                same = timex.start == ref.start and timex.end == ref.end
                overlap = timex.start < ref.end and ref.start < timex.end
                if same if exact else overlap:
                    pairs.append((timex, ref))
                    free_gold.remove(timex)
                    free_predicted.remove(ref)
                    break
    return pairs


def _score(document: TemporalDocument, predicted: list[TimeRef], counts: _Counts) -> None:
    counts.gold += len(document.timexes)
    counts.predicted += len(predicted)
    for timex, ref in _pairs(document.timexes, predicted):
        counts.relaxed += 1
        counts.strict += timex.start == ref.start and timex.end == ref.end
        counts.type += timex.type == ref.type
        counts.value += timex.value == ref.value


def evaluate_temporal(path: Path) -> TemporalScores:
    """Tag every document of ``path`` (anchored at its ``dct``) and score it as TempEval-3 does."""
    documents = list(read_temporal(Path(path)))
    counts = _Counts()
    started = time.perf_counter()
    predictions = [tag_times(document.text, document.dct) for document in documents]
    seconds = time.perf_counter() - started
    for document, predicted in zip(documents, predictions, strict=True):
        _score(document, predicted, counts)
    strict = precision_recall_f1(counts.strict, counts.predicted, counts.gold)
    relaxed = precision_recall_f1(counts.relaxed, counts.predicted, counts.gold)
    typed = precision_recall_f1(counts.type, counts.predicted, counts.gold)
    valued = precision_recall_f1(counts.value, counts.predicted, counts.gold)
    return TemporalScores(
        file=str(path),
        documents=len(documents),
        gold=counts.gold,
        predicted=counts.predicted,
        strict_precision=strict.precision, strict_recall=strict.recall, strict_f1=strict.f1,
        relaxed_precision=relaxed.precision, relaxed_recall=relaxed.recall, relaxed_f1=relaxed.f1,
        type_precision=typed.precision, type_recall=typed.recall, type_f1=typed.f1,
        type_accuracy=counts.type / counts.relaxed if counts.relaxed else 0.0,
        value_precision=valued.precision, value_recall=valued.recall, value_f1=valued.f1,
        value_accuracy=counts.value / counts.relaxed if counts.relaxed else 0.0,
        seconds=seconds,
        docs_per_second=len(documents) / seconds if seconds else 0.0,
    )  # fmt: skip


def format_temporal(scores: TemporalScores) -> str:
    """A short table: P/R/F1 for strict and relaxed spans, type and value, then counts and speed."""
    rows = [
        ("strict span", scores.strict_precision, scores.strict_recall, scores.strict_f1),
        ("relaxed span", scores.relaxed_precision, scores.relaxed_recall, scores.relaxed_f1),
        ("type", scores.type_precision, scores.type_recall, scores.type_f1),
        ("value", scores.value_precision, scores.value_recall, scores.value_f1),
    ]
    lines = [f"{scores.file}: {scores.documents} documents, {scores.gold} gold / {scores.predicted} predicted TIMEX3",
             f"{'':14}{'P':>7}{'R':>7}{'F1':>7}"]  # fmt: skip
    lines += [f"{name:14}{p:7.3f}{r:7.3f}{f:7.3f}" for name, p, r, f in rows]
    lines.append(
        f"type accuracy {scores.type_accuracy:.3f}, value accuracy {scores.value_accuracy:.3f} (on relaxed matches)"
    )
    lines.append(f"{scores.seconds:.2f} s, {scores.docs_per_second:.0f} documents/s")
    return "\n".join(lines)
