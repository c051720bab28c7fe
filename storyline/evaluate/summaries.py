"""`storyline eval summaries`: the cited summary, and classic extractive baselines, scored by ROUGE.

One cluster per line (Multi-News format): ``{"id", "articles": [{"title", "text", "published", "source"}],
"summary"}``. Every article goes through the engine's own reading (``build_article``: paragraphs, furniture
out) and sentence splitting; an article left empty by that is skipped.

Systems, each giving sentences in its order of preference:

* ``engine``: :func:`storyline.analyze.summary.summarize` with the settings' ``[summary]`` section;
* ``lead``: the first sentence of each article in turn, then the second of each, and so on (round robin);
* ``lead-first``: the articles' sentences in file order, the first article's first (Lead-k of the
  concatenated cluster, as Multi-News reports it);
* ``lexrank``: LexRank (Erkan & Radev 2004): PageRank (jump probability 0.15) over the graph of sentences
  whose TF-IDF cosine (IDF over the cluster's sentences) exceeds 0.1;
* ``textrank``: TextRank (Mihalcea & Tarau 2004): weighted PageRank (damping 0.85) over the word-overlap
  similarity |Si ∩ Sj| / (log |Si| + log |Sj|) of sentences' content words (lower case, stop words out).

LexRank and TextRank rank the same candidate sentences as the engine (``summary.min_words`` to
``max_words`` words); exact repeats are dropped from their rankings. Every system's sentences are joined
and cut at the first ``budget`` words (white-space separated; the last sentence is cut mid-way), then scored
against the reference with rouge-score (Lin 2004; ROUGE-1, ROUGE-2 and ROUGE-L F1, Porter stemming),
averaged over clusters, times 100.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..analyze.conflicts import checked_facts
from ..analyze.facts import ParaphraseScorer, fact_sentences
from ..analyze.paraphrase import load_paraphrase_model
from ..analyze.summary import event_summary, summary_candidates
from ..config import Settings
from ..embed import Embedder, load_embedder
from ..errors import Errors, InputError
from ..ingest.build import build_article
from ..model import Article
from ..nlp.sentences import split_sentences
from .records import read_records

SYSTEMS = ("engine", "lead", "lead-first", "lexrank", "textrank")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")

# LexRank: an edge where the TF-IDF cosine exceeds this; jump probability of the random walk (Erkan & Radev).
_LEXRANK_THRESHOLD = 0.1
_LEXRANK_JUMP = 0.15
# TextRank: damping factor (Mihalcea & Tarau, after Brin & Page).
_TEXTRANK_DAMPING = 0.85
_POWER_TOLERANCE = 1e-6
_POWER_MAX_STEPS = 200
_WORD = re.compile(r"\w+")

Ranking = list[str]


@dataclass(frozen=True, slots=True)
class SystemScores:
    """ROUGE F1 (times 100, averaged over clusters) and seconds of one system."""

    system: str
    rouge1: float
    rouge2: float
    rougeL: float  # rouge-score's name
    seconds: float


@dataclass(frozen=True, slots=True)
class SummaryScores:
    """The result of scoring one file."""

    file: str
    clusters: int
    articles: int
    budget_words: int
    embedding: str
    systems: tuple[SystemScores, ...]
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Cluster:
    articles: tuple[Article, ...]
    reference: str


def read_summary_file(path: Path, settings: Settings) -> list[_Cluster]:
    """The clusters of a Multi-News-style file, each article read and split into sentences as the engine
    does; a bad line raises InputError naming the file and line."""
    clusters = []
    for number, record in read_records(path):
        reference, articles = record.get("summary"), record.get("articles")
        if not isinstance(reference, str):
            raise InputError(
                str(path), Errors.E014.format(path=path, line=number, field="summary", expected="a string")
            )
        if not isinstance(articles, list) or not all(isinstance(a, dict) for a in articles):
            expected = "a list of objects"
            raise InputError(str(path), Errors.E014.format(path=path, line=number, field="articles", expected=expected))
        read = []
        for position, raw in enumerate(articles):
            text, title, source = raw.get("text"), raw.get("title"), raw.get("source")
            if not isinstance(text, str):
                field = f"articles[{position}].text"
                raise InputError(
                    str(path), Errors.E014.format(path=path, line=number, field=field, expected="a string")
                )
            try:
                article = build_article(
                    path=f"{path}#L{number}:{position}",
                    paragraphs=text.split("\n"),
                    title=title if isinstance(title, str) else None,
                    outlet=source if isinstance(source, str) else None,
                    settings=settings.ingest,
                )
            except InputError:
                continue  # nothing left once the furniture is out
            read.append(replace(article, sentences=split_sentences(article.text, article.lang, settings.nlp)))
        clusters.append(_Cluster(tuple(read), reference))
    return clusters


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _distinct(texts: Sequence[str]) -> Ranking:
    seen: set[str] = set()
    kept = []
    for text in texts:
        key = " ".join(_words(text))
        if key not in seen:
            seen.add(key)
            kept.append(text)
    return kept


def lead(articles: Sequence[Article]) -> Ranking:
    """The first sentence of each article in turn, then the second of each, and so on."""
    depth = max((len(a.sentences) for a in articles), default=0)
    return [a.sentences[k].text for k in range(depth) for a in articles if k < len(a.sentences)]


def lead_first(articles: Sequence[Article]) -> Ranking:
    """The sentences of the articles in order: the first article's lead first."""
    return [s.text for a in articles for s in a.sentences]


def _stationary(transition: npt.NDArray[np.float64], jump: float) -> npt.NDArray[np.float64]:
    """The stationary distribution of a random walk on a row-stochastic ``transition`` matrix that jumps to a
    uniformly chosen node with probability ``jump`` (power iteration)."""
    n = transition.shape[0]
    p: npt.NDArray[np.float64] = np.full(n, 1.0 / n)
    for _ in range(_POWER_MAX_STEPS):
        following: npt.NDArray[np.float64] = jump / n + (1 - jump) * (transition.T @ p)
        if np.abs(following - p).sum() < _POWER_TOLERANCE:
            return following
        p = following
    return p


def _row_stochastic(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    n = weights.shape[0]
    totals = weights.sum(axis=1, keepdims=True)
    # A sentence with no edge jumps anywhere (the dangling-node rule).
    result: npt.NDArray[np.float64] = np.where(totals > 0, weights / np.where(totals > 0, totals, 1.0), 1.0 / n)
    return result


def _by_rank(texts: Sequence[str], ranks: npt.NDArray[np.float64]) -> Ranking:
    order = sorted(range(len(texts)), key=lambda i: (-ranks[i], i))
    return _distinct([texts[i] for i in order])


def lexrank(texts: Sequence[str]) -> Ranking:
    """LexRank with a threshold (Erkan & Radev 2004): sentences by the stationary distribution of a walk on
    the graph of TF-IDF cosines above 0.1, IDF counted over the sentences themselves."""
    if not texts:
        return []
    tokens = [_words(t) for t in texts]
    vocabulary = {w: k for k, w in enumerate(sorted({w for ws in tokens for w in ws}))}
    counts = np.zeros((len(texts), len(vocabulary)))
    for row, words in enumerate(tokens):
        for word in words:
            counts[row, vocabulary[word]] += 1
    idf = np.log(len(texts) / np.maximum((counts > 0).sum(axis=0), 1))
    weighted = counts * idf
    norms = np.linalg.norm(weighted, axis=1, keepdims=True)
    unit = weighted / np.where(norms > 0, norms, 1.0)
    adjacency = (unit @ unit.T > _LEXRANK_THRESHOLD).astype(np.float64)
    return _by_rank(texts, _stationary(_row_stochastic(adjacency), _LEXRANK_JUMP))


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # English: the baselines are scored on English data

    return frozenset(STOP_WORDS)


def textrank(texts: Sequence[str]) -> Ranking:
    """TextRank for sentences (Mihalcea & Tarau 2004): weighted PageRank over the content-word overlap
    |Si ∩ Sj| / (log |Si| + log |Sj|)."""
    if not texts:
        return []
    stop = _stop_words()
    sets = [{w for w in _words(t) if w not in stop} for t in texts]
    n = len(texts)
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            scale = math.log(len(sets[i]) or 1) + math.log(len(sets[j]) or 1)
            if scale > 0:
                weights[i, j] = weights[j, i] = len(sets[i] & sets[j]) / scale
    return _by_rank(texts, _stationary(_row_stochastic(weights), 1 - _TEXTRANK_DAMPING))


def engine(
    articles: Sequence[Article], embedder: Embedder, scorer: ParaphraseScorer, settings: Settings, budget: int
) -> Ranking:
    """The engine's summary as the analysis stage makes it (facts aligned first, their independent outlets
    as corroboration), its last line allowed past the budget (the evaluation cuts it)."""
    sentences = fact_sentences(articles)
    vectors = embedder.embed([s.text for s in sentences])
    facts, _ = checked_facts("summary", articles, sentences, vectors, scorer, settings.facts, scorer.regression)
    lines = event_summary(articles, sentences, vectors, facts, settings.summary, budget, fill=True)
    return [line.text for line in lines]


def truncate(sentences: Sequence[str], budget: int) -> str:
    """The first ``budget`` white-space separated words of the sentences, one sentence a line."""
    lines, left = [], budget
    for sentence in sentences:
        if left <= 0:
            break
        words = sentence.split()[:left]
        lines.append(" ".join(words))
        left -= len(words)
    return "\n".join(lines)


def evaluate_summaries(path: Path, settings: Settings, budget: int, embedder: Embedder | None = None) -> SummaryScores:
    """Summarize every cluster of ``path`` with the engine and each baseline, cut at ``budget`` words, and
    score them against the reference summaries."""
    from rouge_score.rouge_scorer import RougeScorer

    clusters = read_summary_file(path, settings)
    embedder = embedder or load_embedder(settings.embed)
    pair_scorer = ParaphraseScorer(load_paraphrase_model(settings.embed.model), settings.facts.cross_encoder)
    candidates = [summary_candidates(c.articles, settings.summary) for c in clusters]
    pool = [[x.text for x in found] for found in candidates]
    systems: dict[str, Callable[[int], Ranking]] = {
        "engine": lambda k: engine(clusters[k].articles, embedder, pair_scorer, settings, budget),
        "lead": lambda k: lead(clusters[k].articles),
        "lead-first": lambda k: lead_first(clusters[k].articles),
        "lexrank": lambda k: lexrank(pool[k]),
        "textrank": lambda k: textrank(pool[k]),
    }
    scorer = RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    results = []
    for name in SYSTEMS:
        began = time.perf_counter()
        outputs = [truncate(systems[name](k), budget) for k in range(len(clusters))]
        seconds = time.perf_counter() - began
        totals = dict.fromkeys(ROUGE_TYPES, 0.0)
        for cluster, output in zip(clusters, outputs, strict=True):
            for kind, score in scorer.score(cluster.reference, output).items():
                totals[kind] += score.fmeasure
        mean = {kind: 100 * total / max(len(clusters), 1) for kind, total in totals.items()}
        results.append(SystemScores(name, mean["rouge1"], mean["rouge2"], mean["rougeL"], seconds))
    return SummaryScores(
        file=str(path),
        clusters=len(clusters),
        articles=sum(len(c.articles) for c in clusters),
        budget_words=budget,
        embedding=settings.embed.model,
        systems=tuple(results),
        settings=asdict(settings.summary),
    )


def format_summaries(scores: SummaryScores) -> str:
    """A short table of the scores."""
    lines = [
        f"{scores.file}: {scores.clusters} clusters, {scores.articles} articles, every summary cut at "
        f"{scores.budget_words} words; ROUGE F1 x 100 (rouge-score, stemmed); embedding {scores.embedding}",
        f"{'system':12} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'seconds':>8}",
    ]
    for s in scores.systems:
        lines.append(f"{s.system:12} {s.rouge1:6.2f} {s.rouge2:6.2f} {s.rougeL:6.2f} {s.seconds:8.1f}")
    return "\n".join(lines)
