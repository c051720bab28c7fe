"""`storyline eval timelines`: timeline summarization on Timeline17, scored as Martschat & Markert score it.

Each record is a topic: an article pool and journalists' timelines (``{"date", "summary": [...]}``). For
each gold timeline the engine writes one from the pool alone, given the standard budget (Ghalandari &
Ifrim 2020): the gold's number of dates, its mean sentences per date, and its first and last dates as
the time span. The articles published in the span are read as the engine reads articles (one sentence a
line: the corpus comes split and tokenized; time expressions by :func:`~storyline.nlp.timexes.tag_times`
against each article's date), and the timeline is the product's timeline summary
(:func:`~storyline.analyze.timeline.timeline_summary`: Ghalandari & Ifrim's "datewise" method without the
learned date ranker), with the topic's keywords.

Scores (Martschat & Markert 2017, 2018, as in ``tilse``): date F1, and alignment-based ROUGE-1/2 F
(AR1-F, AR2-F), the "align+ m:1" variant: each date of one timeline is matched with its cheapest date of
the other (cost: date distance x ROUGE-1 difference), ROUGE counts are weighted by 1 / (1 + days apart),
and unmatched dates count in full. ROUGE follows tilse's reimplementation: lowercased words, stop words
dropped, Porter stems. tilse itself needs textacy, numba and the ROUGE Perl script, so it is rewritten
here; the stop words are spaCy's, not ROUGE's SMART list, and the stemmer is NLTK's (the ``dev`` and
``bench`` extras). Several gold timelines in a topic are scored one by one and averaged.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from ..analyze.timeline import timeline_summary
from ..errors import Errors, InputError, StorylineError
from ..model import Article, Sentence
from ..nlp.timexes import tag_times
from .metrics import f1
from .records import read_records

__all__ = ["TimelineScores", "evaluate_timelines", "format_timelines", "rouge_counts", "timeline_scores"]

Timeline = dict[date, list[str]]

# Timeline17 texts are tokenized (Penn Treebank); the time tagger and the splitter read plain text.
_PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": '"', "''": '"'}
_PTB_TOKEN = re.compile("|".join(re.escape(token) for token in _PTB))
_SPACE_BEFORE = re.compile(r" (?=[.,;:!?%)\]}]|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|n't\b)")
_SPACE_AFTER = re.compile(r"(?<=[(\[{$]) ")
_ROUGE_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_STEM_MIN_CHARS = 4  # ROUGE stems only words longer than three letters


@dataclass(slots=True)
class TimelineScores:
    """One topic's figures, averaged over its gold timelines; ``dataclasses.asdict`` gives its JSON form."""

    id: str
    articles: int
    timelines: int
    dates: float
    date_f1: float
    ar1_f: float
    ar2_f: float
    seconds: float


@dataclass(slots=True)
class TimelinesResult:
    """A file's topics and their means (each topic counts once)."""

    file: str
    topics: list[TimelineScores] = field(default_factory=list)
    date_f1: float = 0.0
    ar1_f: float = 0.0
    ar2_f: float = 0.0
    seconds: float = 0.0


def _plain(text: str) -> str:
    text = _PTB_TOKEN.sub(lambda m: _PTB[m.group(0)], text)
    return _SPACE_AFTER.sub("", _SPACE_BEFORE.sub("", text))


def _day(value: str, path: Path, line: int, what: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(
            str(path), Errors.E014.format(path=path, line=line, field=what, expected="an ISO date")
        ) from None


def _lines(text: str) -> list[Sentence]:
    """The corpus's own sentences: Timeline17 texts hold one sentence a line (pysbd would take 2/3 of the run)."""
    out: list[Sentence] = []
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = offset + line.index(stripped)
            out.append(Sentence(len(out), start, start + len(stripped), len(out), stripped))
        offset += len(line) + 1
    return out


def _articles(articles: list[dict[str, Any]], path: Path, line: int) -> list[Article]:
    """The pool as the engine's articles: plain text, its lines as sentences, its time expressions."""
    out = []
    for number, article in enumerate(articles):
        published = _day(article.get("published") or "", path, line, "articles.published")
        text = _plain(str(article.get("text") or ""))
        out.append(
            Article(
                id=str(article.get("id") or number),
                text=text,
                title=article.get("title"),
                published=published.isoformat(),
                sentences=tuple(_lines(text)),
                times=tuple(tag_times(text, published)),
            )
        )
    return out


def _keywords(record: dict[str, Any]) -> set[str]:
    """The topic's keywords, folder names split where they join words ("EgyptianProtest")."""
    words: set[str] = set()
    for keyword in record.get("keywords") or [record.get("topic") or ""]:
        words.update(part.lower() for part in _CAMEL.split(str(keyword)) if part)
    return words


# -- scores ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    try:
        from nltk.stem.porter import PorterStemmer
    except ImportError:  # pragma: no cover - the dev and bench extras install it
        raise StorylineError(Errors.E012.format(kind="module", name="nltk", known="pip install -e '.[dev]'")) from None
    stem: Callable[[str], str] = PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM).stem
    return lru_cache(maxsize=None)(stem)


def _rouge_words(sentences: Sequence[str]) -> list[str]:
    stem = _stemmer()
    words = [w for s in sentences for w in _ROUGE_WORD.findall(s.lower()) if w not in STOP_WORDS]
    return [stem(w) if len(w) >= _STEM_MIN_CHARS else w for w in words]


def rouge_counts(predicted: Sequence[str], reference: Sequence[str]) -> dict[int, tuple[int, int, int]]:
    """ROUGE-1 and -2 as (matches, predicted n-grams, reference n-grams), keyed by n."""
    ours, theirs = _rouge_words(predicted), _rouge_words(reference)
    out = {}
    for n in (1, 2):
        mine = Counter(zip(*(ours[i:] for i in range(n)), strict=False))
        gold = Counter(zip(*(theirs[i:] for i in range(n)), strict=False))
        out[n] = (sum((mine & gold).values()), sum(mine.values()), sum(gold.values()))
    return out


def _rouge1_approximation(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """tilse's alignment cost: ROUGE-1 F of whitespace tokens, punctuation dropped, nothing stemmed."""
    punctuation = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    mine = Counter(w for s in predicted for w in s.split() if w not in punctuation)
    gold = Counter(w for s in reference for w in s.split() if w not in punctuation)
    match = sum((mine & gold).values())
    precision = match / sum(mine.values()) if mine else 0.0
    recall = match / sum(gold.values()) if gold else 0.0
    return f1(precision, recall)


def _aligned(source: Timeline, target: Timeline) -> dict[date, date]:
    """Each source date's cheapest target date: cost (1 - 1 / (1 + days apart)) x (1 - ROUGE-1 approx.)."""
    out = {}
    for day, sentences in source.items():
        out[day] = min(
            target,
            key=lambda other: (
                (1 - 1 / (abs((day - other).days) + 1)) * (1 - _rouge1_approximation(sentences, target[other])),
                other,
            ),
        )
    return out


def timeline_scores(predicted: Timeline, gold: Timeline) -> dict[str, float]:
    """Date F1, AR1-F and AR2-F (align+ m:1) of one predicted timeline against one gold timeline."""
    shared = len(set(predicted) & set(gold))
    scores = {"date_f1": f1(shared / len(predicted), shared / len(gold)) if predicted and gold else 0.0}
    hits = {1: [0.0, 0.0], 2: [0.0, 0.0]}  # n -> [precision numerator, recall numerator]
    sizes = {1: [0, 0], 2: [0, 0]}
    for day, other in (_aligned(predicted, gold) if gold else {}).items():
        weight = 1 / (abs((day - other).days) + 1)
        for n, (match, _, _) in rouge_counts(predicted[day], gold[other]).items():
            hits[n][0] += weight * match
    for day, other in (_aligned(gold, predicted) if predicted else {}).items():
        weight = 1 / (abs((day - other).days) + 1)
        for n, (match, _, _) in rouge_counts(predicted[other], gold[day]).items():
            hits[n][1] += weight * match
    # Unmatched dates add only to the denominators, so each side's n-grams, date by date, are the denominators.
    for sentences in predicted.values():
        for n, (_, mine, _) in rouge_counts(sentences, []).items():
            sizes[n][0] += mine
    for sentences in gold.values():
        for n, (_, _, theirs) in rouge_counts([], sentences).items():
            sizes[n][1] += theirs
    for n in (1, 2):
        precision = hits[n][0] / sizes[n][0] if sizes[n][0] else 0.0
        recall = hits[n][1] / sizes[n][1] if sizes[n][1] else 0.0
        scores[f"ar{n}_f"] = f1(precision, recall)
    return scores


def _gold(timeline: Any, path: Path, line: int) -> Timeline:
    if not isinstance(timeline, list) or not timeline:
        raise InputError(str(path), Errors.E014.format(path=path, line=line, field="timelines", expected="a list"))
    gold: Timeline = {}
    for entry in timeline:
        day = _day(entry.get("date", ""), path, line, "timelines.date")
        gold.setdefault(day, []).extend(str(s) for s in entry.get("summary") or [])
    return gold


def evaluate_timelines(path: Path) -> TimelinesResult:
    """Summarize each topic of a Timeline17-format file once per gold timeline and score it."""
    result = TimelinesResult(file=str(path))
    started = time.perf_counter()
    for line, record in read_records(path):
        articles = record.get("articles")
        if not isinstance(articles, list):
            raise InputError(str(path), Errors.E014.format(path=path, line=line, field="articles", expected="a list"))
        topic_start = time.perf_counter()
        pool = _articles(articles, path, line)
        keywords = _keywords(record)
        figures = []
        golds = [_gold(timeline, path, line) for timeline in record.get("timelines") or []]
        for gold in golds:
            per_date = max(1, round(sum(len(s) for s in gold.values()) / len(gold)))
            span = (min(gold), max(gold))
            inside = [a for a in pool if a.published and span[0].isoformat() <= a.published <= span[1].isoformat()]
            summary = timeline_summary(inside, len(gold), per_date, keywords, span)
            predicted = {day: [s.text for s in picked] for day, picked in summary.items()}
            figures.append(timeline_scores(predicted, gold))
        if not figures:
            continue
        result.topics.append(
            TimelineScores(
                id=str(record.get("id", line)),
                articles=len(articles),
                timelines=len(figures),
                dates=sum(len(g) for g in golds) / len(golds),
                date_f1=float(np.mean([f["date_f1"] for f in figures])),
                ar1_f=float(np.mean([f["ar1_f"] for f in figures])),
                ar2_f=float(np.mean([f["ar2_f"] for f in figures])),
                seconds=time.perf_counter() - topic_start,
            )
        )
    if result.topics:
        result.date_f1 = float(np.mean([t.date_f1 for t in result.topics]))
        result.ar1_f = float(np.mean([t.ar1_f for t in result.topics]))
        result.ar2_f = float(np.mean([t.ar2_f for t in result.topics]))
    result.seconds = time.perf_counter() - started
    return result


def format_timelines(result: TimelinesResult) -> str:
    """A per-topic table with the file's means."""
    lines = [f"{Path(result.file).name}: {len(result.topics)} topics"]
    for t in result.topics:
        lines.append(
            f"  {t.id}: {t.articles} articles, {t.dates:.0f} gold dates | date F1 {t.date_f1:.3f} "
            f"AR1-F {t.ar1_f:.3f} AR2-F {t.ar2_f:.3f} ({t.seconds:.0f} s)"
        )
    lines.append(f"  mean: date F1 {result.date_f1:.3f} AR1-F {result.ar1_f:.3f} AR2-F {result.ar2_f:.3f}")
    return "\n".join(lines)
