"""Whether two news sentences say the same thing: cheap pair features and a learned scorer.

A pair is read through its embedding vectors (which the caller already has: their cosine, and a
learned score of their element-wise difference and product) and through what the two texts share:
content words, word stems, n-grams as machine-translation metrics count them, character n-grams,
edits, names, figures (numbers and dates), and whether one is negated and the other not. Everything
per sentence is computed once and cached, so scoring a few thousand candidate pairs of an event
costs set operations and one matrix product, not model runs.

A pair of two languages is judged by a second model over the features that carry across languages
(the cosine of a multilingual embedding, figures, length): the words of a Russian paraphrase share
nothing with its English original. Its bias is shifted so that one ``threshold`` decides both.

:func:`compare_figures` is also what the conflict finder reads: two reports of one fact that give
different numbers or dates.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ..cluster.judges import LinearModel
from ..errors import ConfigError
from ..nlp.terms import names, words
from ..shipped import check_embedding, read_model_file

__all__ = [
    "CROSS_FEATURES",
    "PAIR_FEATURES",
    "SCORED_FEATURES",
    "Figure",
    "FigureComparison",
    "ParaphraseModel",
    "SentenceView",
    "VectorModel",
    "compare_figures",
    "figures",
    "file_digest",
    "load_paraphrase_model",
    "pair_features",
    "pair_rows",
    "pair_vectors",
    "vector_pair_rows",
]

PAIR_FEATURES = (
    "cosine",
    "words_jaccard",
    "words_min",  # shared content words over the larger set: how much of the longer sentence is covered
    "words_max",  # ... over the smaller set: how much of the shorter one
    "stems_jaccard",
    "bigrams_min",
    "bigrams_max",
    "trigrams_max",
    "sequence",  # tokens matched in order (difflib's matching blocks) over the longer sentence's
    "words_unmatched",  # log(1 + content words of one sentence missing from the other), the larger side
    "chars_min",
    "chars_max",
    "names_shared",
    "names_unmatched",
    "figures_shared",
    "figures_unmatched",
    "figures_conflict",
    "length_ratio",
    "negation_mismatch",
    "log_tokens",
    # Machine-translation metrics read as paraphrase evidence (Madnani et al. 2012): clipped n-gram precision
    # of each sentence against the other (BLEU's counts), the lower and the higher of the two, n = 1..4.
    "ngrams1_min",
    "ngrams1_max",
    "ngrams2_min",
    "ngrams2_max",
    "ngrams3_min",
    "ngrams3_max",
    "ngrams4_min",
    "ngrams4_max",
    "edit_distance",  # word-level Levenshtein over the longer sentence (TER without shifts)
    "chars_ratio",  # rapidfuzz's character ratio of the lower-cased texts
    "tokens_set_ratio",
    "chars_partial",  # the best character match of the shorter text inside the longer: one contains the other
    "words_unmatched_min",  # log(1 + content words missing), the smaller side
    "length_gap",  # |difference in tokens| over the longer
    "stems_unmatched",  # log(1 + stems only one sentence has)
    # Text one sentence adds that the other lacks, from the same token alignment as ``sequence``: an added
    # clause ("..., and sold it to Safeway in 1998") is a longer insertion than a few words said otherwise.
    "insertion_longest",
    "insertion_shortest",
    "inserted_tokens",
    "edits",
)
# What the pair model reads: PAIR_FEATURES and the vector model's score of the pair (see VectorModel).
SCORED_FEATURES = (*PAIR_FEATURES, "vector_score")
# What a pair of two languages is judged by: its words, stems, n-grams and names (in another script) share
# nothing even when it says the same thing.
CROSS_FEATURES = ("cosine", "figures_shared", "figures_unmatched", "figures_conflict", "length_ratio")

# Words are compared by their first characters too, a stemmer for every language at once ("arrived", "arrives").
_STEM_CHARS = 5
# The cross-encoder reads only the pairs whose regression probability lies in this band: it costs ~10 ms a pair, and
# most candidate pairs of an event are plainly different (on basil's events 7.6% of them fall in the band; on
# msrp-train, pairs picked to be alike, about half, and a wider band gained nothing more: benchmarks/RESULTS.md).
ENCODER_BAND = (0.2, 0.8)
# The languages the cross-encoder reads (a sentence of no known language is taken as English, as MSRP's are).
_ENGLISH = frozenset({None, "en"})
_CHAR_GRAM = 4
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_NEGATIONS = frozenset((
    "not", "n't", "no", "never", "neither", "nor", "none", "nobody", "nothing", "nowhere", "without", "cannot",
    "nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "ohne",
    "ne", "pas", "jamais", "aucun", "aucune", "sans",
    "nunca", "ningún", "ninguna", "sin",
    "не", "нет", "никогда", "ни", "без",
))  # fmt: skip

# Figures: money, percentages, plain numbers (with a scale word), years, weekdays and months.
_SCALES = {
    "thousand": 1e3, "million": 1e6, "m": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12,
    "tn": 1e12, "millionen": 1e6, "milliarden": 1e9, "millions": 1e6, "milliards": 1e9,
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "dozen": 12, "twenty": 20, "hundred": 100,
}  # fmt: skip
_WEEKDAYS = {
    **dict.fromkeys(("monday", "montag", "lundi", "lunes", "понедельник"), 1),
    **dict.fromkeys(("tuesday", "dienstag", "mardi", "martes", "вторник"), 2),
    **dict.fromkeys(("wednesday", "mittwoch", "mercredi", "miércoles", "среда", "среду"), 3),
    **dict.fromkeys(("thursday", "donnerstag", "jeudi", "jueves", "четверг"), 4),
    **dict.fromkeys(("friday", "freitag", "vendredi", "viernes", "пятница", "пятницу"), 5),
    **dict.fromkeys(("saturday", "samstag", "samedi", "sábado", "суббота", "субботу"), 6),
    **dict.fromkeys(("sunday", "sonntag", "dimanche", "domingo", "воскресенье"), 7),
}
_MONTHS = {name: number for number, spelled in enumerate((
    ("january", "jan", "januar", "janvier", "enero", "января", "январь"),
    ("february", "feb", "februar", "février", "febrero", "февраля", "февраль"),
    ("march", "mar", "märz", "mars", "marzo", "марта", "март"),
    ("april", "apr", "avril", "abril", "апреля", "апрель"),
    ("may", "mai", "mayo", "мая", "май"),
    ("june", "jun", "juni", "juin", "junio", "июня", "июнь"),
    ("july", "jul", "juli", "juillet", "julio", "июля", "июль"),
    ("august", "aug", "août", "agosto", "августа", "август"),
    ("september", "sep", "sept", "septembre", "septiembre", "сентября", "сентябрь"),
    ("october", "oct", "oktober", "octobre", "octubre", "октября", "октябрь"),
    ("november", "nov", "novembre", "noviembre", "ноября", "ноябрь"),
    ("december", "dec", "dezember", "décembre", "diciembre", "декабря", "декабрь"),
), start=1) for name in spelled}  # fmt: skip
_CURRENCY = r"(?:[A-Z]{1,2})?[$€£¥]"
_NUMBER = r"\d+(?:[.,]\d+)*"
_FIGURE = re.compile(
    rf"(?P<currency>{_CURRENCY})?\s?(?P<number>{_NUMBER})"
    rf"(?:\s?(?P<percent>%|percent\b|per cent\b|prozent\b|pour cent\b|por ciento\b|процент\w*))?"
    rf"(?:\s?(?P<scale>{'|'.join(sorted(_SCALES, key=len, reverse=True))})\b)?"
    rf"|(?P<word>[^\W\d_]+)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:1[89]|20)\d\d")


@dataclass(frozen=True, slots=True)
class SentenceView:
    """One sentence as the scorer sees it: its text, its unit vector from the configured embedder, its language."""

    text: str
    vector: npt.NDArray[np.float32]
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    """A number or date in a sentence: its kind (money, percent, number, year, weekday, month), its value
    (scaled: "$2.5 billion" is 2.5e9) and its words."""

    kind: str
    value: float
    text: str


@dataclass(frozen=True, slots=True)
class FigureComparison:
    """The figures two sentences share, those only one of them gives, and the kinds they disagree on:
    both give a figure of that kind that the other lacks ("Monday" against "Wednesday")."""

    shared: tuple[Figure, ...]
    only_first: tuple[Figure, ...]
    only_second: tuple[Figure, ...]
    conflicting_kinds: tuple[str, ...]

    @property
    def conflict(self) -> bool:
        return bool(self.conflicting_kinds)


def _number(text: str) -> float | None:
    """ "1,250.5" and "1.250,5" are both 1250.5; a lone separator followed by three digits groups thousands."""
    separators = [c for c in text if c in ".,"]
    if not separators:
        return float(text)
    last = max(text.rfind("."), text.rfind(","))
    decimals = text[last + 1 :]
    if len(set(separators)) == 1 and (len(separators) > 1 or len(decimals) == 3):
        return float(text.replace(separators[0], ""))
    whole = "".join(c for c in text[:last] if c.isdigit())
    try:
        return float(f"{whole}.{decimals}")
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def figures(text: str) -> tuple[Figure, ...]:
    """The numbers and dates of a sentence, in text order: money, percentages, numbers (digits or English
    number words), years, weekdays and months (English, German, French, Spanish, Russian names)."""
    found: list[Figure] = []
    for match in _FIGURE.finditer(text):
        word = match.group("word")
        if word is not None:
            lowered = word.lower()
            if lowered in _WEEKDAYS:
                found.append(Figure("weekday", _WEEKDAYS[lowered], word))
            elif lowered in _MONTHS and (word[0].isupper() or lowered not in ("may", "mar", "jan")):
                found.append(Figure("month", _MONTHS[lowered], word))
            elif lowered in _NUMBER_WORDS:
                found.append(Figure("number", _NUMBER_WORDS[lowered], word))
            continue
        value = _number(match.group("number"))
        if value is None:
            continue
        scale = match.group("scale")
        value *= _SCALES[scale.lower()] if scale else 1.0
        if match.group("currency"):
            kind = "money"
        elif match.group("percent"):
            kind = "percent"
        elif _YEAR.fullmatch(match.group("number")) and not scale:
            kind = "year"
        else:
            kind = "number"
        found.append(Figure(kind, value, match.group(0).strip()))
    return tuple(found)


def _key(figure: Figure) -> tuple[str, float]:
    # A year and a plain number of the same value are the same figure ("in 1998" and "1998's").
    return ("number" if figure.kind == "year" else figure.kind), round(figure.value, 6)


def compare_figures(first: str, second: str) -> FigureComparison:
    """What two sentences' figures agree and disagree on (see :class:`FigureComparison`)."""
    a, b = figures(first), figures(second)
    keys_a, keys_b = {_key(f) for f in a}, {_key(f) for f in b}
    shared = tuple(f for f in a if _key(f) in keys_b)
    only_first = tuple(f for f in a if _key(f) not in keys_b)
    only_second = tuple(f for f in b if _key(f) not in keys_a)
    kinds = sorted({_key(f)[0] for f in only_first} & {_key(f)[0] for f in only_second})
    return FigureComparison(shared, only_first, only_second, tuple(kinds))


@dataclass(frozen=True, slots=True)
class _Reading:
    """What pair features need of one sentence, computed once."""

    words: frozenset[str]
    stems: frozenset[str]
    tokens: tuple[str, ...]
    chars: frozenset[str]
    names: frozenset[str]
    figures: frozenset[tuple[str, float]]
    negated: bool
    # Its n-grams with their counts, n = 1..4 (what the clipped n-gram precisions count; their keys are the
    # bigrams and trigrams the overlaps compare).
    ngrams: tuple[Counter[tuple[str, ...]], ...]


@lru_cache(maxsize=8192)
def _read(text: str, lang: str | None) -> _Reading:
    tokens = [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]
    content = words(text, lang)
    squeezed = " " + " ".join(tokens) + " "
    negated = any(t in _NEGATIONS or t.endswith("n't") for t in tokens)
    return _Reading(
        words=frozenset(content),
        stems=frozenset(w[:_STEM_CHARS] for w in content),
        tokens=tuple(tokens),
        chars=frozenset(squeezed[i : i + _CHAR_GRAM] for i in range(max(0, len(squeezed) - _CHAR_GRAM + 1))),
        names=frozenset(n for n in names(text, lang) if not n[0].isdigit()),
        figures=frozenset(_key(f) for f in figures(text)),
        negated=negated,
        ngrams=tuple(Counter(zip(*(tokens[i:] for i in range(n)), strict=False)) for n in range(1, 5)),
    )


def _overlap(a: AbstractSet[Any], b: AbstractSet[Any]) -> tuple[float, float, float]:
    """Shared items over the union, over the larger set and over the smaller one (0 when either is empty)."""
    if not a or not b:
        return 0.0, 0.0, 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared), shared / max(len(a), len(b)), shared / min(len(a), len(b))


def _kinds_in_conflict(a: frozenset[tuple[str, float]], b: frozenset[tuple[str, float]]) -> bool:
    return bool({k for k, _ in a - b} & {k for k, _ in b - a})


def _clipped_matches(first: Counter[tuple[str, ...]], second: Counter[tuple[str, ...]]) -> int:
    """N-grams the two share, each counted as often as the one that has it fewer times has it (BLEU's clipping;
    the same from either side)."""
    small, large = (first, second) if len(first) <= len(second) else (second, first)
    return sum(min(count, large[gram]) for gram, count in small.items() if gram in large)


def _insertions(blocks: Sequence[Any]) -> tuple[list[int], list[int]]:
    """The lengths of the token runs each sentence has between two matched blocks (what it adds or says otherwise)."""
    first: list[int] = []
    second: list[int] = []
    i = j = 0
    for block in blocks:
        if block.a > i or block.b > j:
            first.append(block.a - i)
            second.append(block.b - j)
        i, j = block.a + block.size, block.b + block.size
    return first, second


def pair_features(a: SentenceView, b: SentenceView) -> list[float]:
    """The pair's features, named by PAIR_FEATURES; the same whichever sentence comes first."""
    x, y = _read(a.text, a.lang), _read(b.text, b.lang)
    words_jaccard, words_min, words_max = _overlap(x.words, y.words)
    _, bigrams_min, bigrams_max = _overlap(x.ngrams[1].keys(), y.ngrams[1].keys())
    _, chars_min, chars_max = _overlap(x.chars, y.chars)
    names_union = x.names | y.names
    figures_union = x.figures | y.figures
    longer = max(len(x.tokens), len(y.tokens), 1)
    blocks = SequenceMatcher(None, x.tokens, y.tokens, autojunk=False).get_matching_blocks()
    matched = sum(block.size for block in blocks)
    precisions = []
    for mine, theirs in zip(x.ngrams, y.ngrams, strict=True):
        matched_grams = _clipped_matches(mine, theirs)
        forward = matched_grams / mine.total() if mine else 0.0
        backward = matched_grams / theirs.total() if theirs else 0.0
        precisions += [min(forward, backward), max(forward, backward)]
    inserted_first, inserted_second = _insertions(blocks)
    longest_first, longest_second = max(inserted_first, default=0), max(inserted_second, default=0)
    lowered_a, lowered_b = a.text.lower(), b.text.lower()
    return [
        float(np.dot(a.vector, b.vector)),
        words_jaccard,
        words_min,
        words_max,
        _overlap(x.stems, y.stems)[0],
        bigrams_min,
        bigrams_max,
        _overlap(x.ngrams[2].keys(), y.ngrams[2].keys())[2],
        matched / longer,
        math.log1p(max(len(x.words - y.words), len(y.words - x.words))),
        chars_min,
        chars_max,
        len(x.names & y.names) / len(names_union) if names_union else 0.0,
        len(x.names ^ y.names) / len(names_union) if names_union else 0.0,
        len(x.figures & y.figures) / len(figures_union) if figures_union else 0.0,
        len(x.figures ^ y.figures) / len(figures_union) if figures_union else 0.0,
        float(_kinds_in_conflict(x.figures, y.figures)),
        min(len(x.tokens), len(y.tokens)) / longer,
        float(x.negated != y.negated),
        math.log1p(len(x.tokens) + len(y.tokens)),
        *precisions,
        Levenshtein.normalized_distance(x.tokens, y.tokens),
        fuzz.ratio(lowered_a, lowered_b) / 100.0,
        fuzz.token_set_ratio(a.text, b.text) / 100.0,
        fuzz.partial_ratio(lowered_a, lowered_b) / 100.0,
        math.log1p(min(len(x.words - y.words), len(y.words - x.words))),
        abs(len(x.tokens) - len(y.tokens)) / longer,
        math.log1p(len(x.stems ^ y.stems)),
        math.log1p(max(longest_first, longest_second)),
        math.log1p(min(longest_first, longest_second)),
        math.log1p(sum(inserted_first) + sum(inserted_second)),
        float(len(inserted_first)),
    ]


def cross_language(a: SentenceView, b: SentenceView) -> bool:
    """Whether a pair is judged by CROSS_FEATURES: both languages known, and different."""
    return a.lang is not None and b.lang is not None and a.lang != b.lang


def pair_rows(pairs: Sequence[tuple[SentenceView, SentenceView]]) -> npt.NDArray[np.float64]:
    """The PAIR_FEATURES rows of ``pairs``, one row a pair."""
    return np.array([pair_features(a, b) for a, b in pairs], dtype=np.float64).reshape(-1, len(PAIR_FEATURES))


def pair_vectors(
    pairs: Sequence[tuple[SentenceView, SentenceView]],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The two sides' vectors of ``pairs``, one row a pair: what :class:`VectorModel` scores."""
    if not pairs:
        return np.zeros((0, 0), dtype=np.float32), np.zeros((0, 0), dtype=np.float32)
    first = np.stack([np.asarray(a.vector, dtype=np.float32) for a, _ in pairs])
    second = np.stack([np.asarray(b.vector, dtype=np.float32) for _, b in pairs])
    return first, second


def vector_pair_rows(first: npt.NDArray[np.float32], second: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each pair's vectors read as |u - v| and u * v (Tai et al. 2015): what is the same in either order."""
    return np.hstack([np.abs(first - second), first * second])


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True, slots=True)
class VectorModel:
    """A logistic regression over a pair's vectors read as |u - v| and u * v: which dimensions two sentences
    that say the same thing agree on. Its log-odds are one feature of the pair model (``vector_score``)."""

    weights: tuple[float, ...]
    bias: float

    # Pairs scored per matrix product: |u - v| and u * v of 2,048 pairs of 512-d vectors are 8 MB.
    _CHUNK = 2048

    def score(self, first: npt.NDArray[np.float32], second: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """The log-odds of each pair (rows of ``first`` and ``second``)."""
        weights = np.asarray(self.weights, dtype=np.float32)
        if first.shape[1:] != (len(weights) // 2,):
            raise ConfigError(
                f"[E013] paraphrase model: its vector model reads {len(weights) // 2}-d vectors, "
                f"these are {first.shape[1:]}; retrain it for this embedding."
            )
        scores = np.empty(len(first), dtype=np.float64)
        for start in range(0, len(first), self._CHUNK):
            chunk = slice(start, start + self._CHUNK)
            scores[chunk] = vector_pair_rows(first[chunk], second[chunk]) @ weights + self.bias
        return scores

    def to_json(self) -> dict[str, Any]:
        return {"weights": [round(w, 6) for w in self.weights], "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VectorModel:
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]))


@dataclass(frozen=True, slots=True)
class ParaphraseModel:
    """Logistic regressions over pair features: one for pairs in one language (``same``), one for pairs of
    two (``cross``), with the decision threshold chosen on the training files and what they were. ``vector``
    gives the ``vector_score`` feature that ``same`` reads."""

    same: LinearModel
    cross: LinearModel
    # Say "the same thing" at this probability or above (the cross model's bias is shifted to share it).
    threshold: float
    # The embedding model whose cosines it was trained on (``embed.model``): two models' cosines differ in scale.
    embedding: str = ""
    trained_on: tuple[str, ...] = ()
    # Content digests of the training files (``file_digest``): an evaluation never scores a file it learned from.
    trained_digests: tuple[str, ...] = ()
    vector: VectorModel | None = None
    # A cross-encoder (:mod:`storyline.analyze.cross_encoder`) for English pairs: its folder (beside the model
    # file, by name, as written; the full path once loaded) and the digest of its weights.
    encoder: str = ""
    encoder_digest: str = ""

    def probability(
        self, pairs: Sequence[tuple[SentenceView, SentenceView]], use_encoder: bool = True
    ) -> npt.NDArray[np.float64]:
        """Each pair's probability of saying the same thing (with the cross-encoder, if any and ``use_encoder``)."""
        cross = np.array([cross_language(a, b) for a, b in pairs], dtype=bool)
        rows = self.scored_rows(pair_rows(pairs), *pair_vectors(pairs))
        scores = self.probability_of_rows(rows, cross)
        if not (use_encoder and self.encoder):
            return scores
        low, high = ENCODER_BAND
        unsure = [i for i, p in enumerate(scores.tolist()) if low <= p <= high and not cross[i]]
        logits = self.encoder_logits([pairs[i] for i in unsure])
        assert logits is not None
        read = np.full(len(pairs), np.nan)
        read[unsure] = logits
        return self.probability_of_rows(rows, cross, read)

    def encoder_logits(self, pairs: Sequence[tuple[SentenceView, SentenceView]]) -> npt.NDArray[np.float64] | None:
        """The cross-encoder's logit of each pair it reads (both English), NaN for the others; None without one."""
        if not self.encoder:
            return None
        from .cross_encoder import load_cross_encoder

        english = [i for i, (a, b) in enumerate(pairs) if encoder_reads(a, b)]
        logits = np.full(len(pairs), np.nan)
        if english:
            read = load_cross_encoder(self.encoder).logits([(pairs[i][0].text, pairs[i][1].text) for i in english])
            logits[english] = read
        return logits

    def scored_rows(
        self, rows: npt.NDArray[np.float64], first: npt.NDArray[np.float32], second: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float64]:
        """PAIR_FEATURES rows with the vector model's score of each pair added: SCORED_FEATURES rows."""
        scores = self.vector.score(first, second) if self.vector is not None and len(rows) else np.zeros(len(rows))
        return np.hstack([rows, scores[:, None]])

    def probability_of_rows(
        self,
        rows: npt.NDArray[np.float64],
        cross: npt.NDArray[np.bool_] | None = None,
        encoder_logits: npt.NDArray[np.float64] | None = None,
    ) -> npt.NDArray[np.float64]:
        """Probabilities of SCORED_FEATURES rows; ``cross`` marks the rows of two-language pairs.

        Where ``encoder_logits`` has a number and the regression is unsure (``ENCODER_BAND``), the probability
        is the mean of the regression's and the cross-encoder's, the latter shifted to say "the same" from
        ``threshold`` as the regression does (a logit of 0): two models of different kinds err on different
        pairs, and their mean on fewer."""
        scores = np.zeros(len(rows))
        cross = np.zeros(len(rows), dtype=bool) if cross is None else cross
        for model, chosen in ((self.same, ~cross), (self.cross, cross)):
            if chosen.any():
                scores[chosen] = model.probability(rows[chosen][:, [SCORED_FEATURES.index(f) for f in model.features]])
        if encoder_logits is not None:
            low, high = ENCODER_BAND
            read = ~np.isnan(encoder_logits) & ~cross & (scores >= low) & (scores <= high)
            shifted = encoder_logits[read] + _logit(self.threshold)
            scores[read] = (scores[read] + 1.0 / (1.0 + np.exp(-shifted))) / 2
        return scores

    def to_json(self) -> dict[str, Any]:
        return {"same": self.same.to_json(), "cross": self.cross.to_json(), "threshold": self.threshold,
                "embedding": self.embedding, "trained_on": list(self.trained_on),
                "trained_digests": list(self.trained_digests),
                "vector": self.vector.to_json() if self.vector is not None else None,
                "encoder": Path(self.encoder).name, "encoder_digest": self.encoder_digest}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParaphraseModel:
        try:
            same, cross = LinearModel.from_json(data["same"]), LinearModel.from_json(data["cross"])
            threshold = float(data["threshold"])
            vector = VectorModel.from_json(data["vector"]) if data.get("vector") is not None else None
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"[E013] paraphrase model: not a paraphrase model ({error!r}); retrain it.") from None
        if not set(same.features) | set(cross.features) <= set(SCORED_FEATURES):
            raise ConfigError("[E013] paraphrase model: its features do not match this version of storyline.")
        if "vector_score" in same.features + cross.features and vector is None:
            raise ConfigError("[E013] paraphrase model: it reads vector_score but has no vector model; retrain it.")
        return cls(same, cross, threshold, str(data.get("embedding", "")), tuple(data.get("trained_on", ())),
                   tuple(data.get("trained_digests", ())), vector, str(data.get("encoder") or ""),
                   str(data.get("encoder_digest") or ""))  # fmt: skip


def encoder_reads(a: SentenceView, b: SentenceView) -> bool:
    """Whether the cross-encoder reads a pair: both sentences English (or of no known language)."""
    return a.lang in _ENGLISH and b.lang in _ENGLISH


def with_cross_threshold(model: ParaphraseModel, cross_threshold: float) -> ParaphraseModel:
    """The model whose cross scorer says "the same" at ``model.threshold`` where it said so at ``cross_threshold``."""
    cross = model.cross
    bias = cross.bias - _logit(cross_threshold) + _logit(model.threshold)
    shifted = LinearModel(cross.features, cross.weights, bias, cross.mean, cross.scale)
    return replace(model, cross=shifted)


def file_digest(path: str | Path) -> str:
    """A SHA-256 of a file's bytes: which file a model learned from, whatever it is called now."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_paraphrase_model(embedding: str, path: str = "") -> ParaphraseModel:
    """A model file for vectors of the ``embedding`` model; an empty path means the one shipped for it."""
    model = ParaphraseModel.from_json(read_model_file("paraphrase", embedding, path))
    check_embedding("paraphrase", path, model.embedding, embedding)
    if model.encoder:
        from .cross_encoder import WEIGHTS, weights_digest

        folder = Path(path).parent if path else Path(str(resources.files("storyline").joinpath("models")))
        encoder = folder / model.encoder
        if not (encoder / WEIGHTS).is_file():
            raise ConfigError(f"[E013] paraphrase model {path or 'shipped'}: its cross-encoder {encoder} is missing.")
        if weights_digest(encoder) != model.encoder_digest:
            raise ConfigError(
                f"[E013] paraphrase model {path or 'shipped'}: {encoder / WEIGHTS} is not the one it was fitted with."
            )
        model = replace(model, encoder=str(encoder))
    return model
