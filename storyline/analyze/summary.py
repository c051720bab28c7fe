"""The cited summary of one event: what most outlets report, each fact once, each line with its sources.

Extractive, over the engine's own representation: the articles' sentences (``Article.sentences``) and their
embeddings. Each candidate sentence is scored by

* centrality: its cosine to the event's centre (the mean of each article's mean sentence vector, so that one
  long article does not pull the centre to itself);
* corroboration: the share of the event's other outlets that say nearly the same thing (a sentence of theirs
  at cosine ``corroboration_similarity`` or more), near-verbatim copies (``copy_similarity``: wire copy, one
  outlet quoting another) folded into one outlet;
* position: news puts what matters first, so a sentence's weight halves every ``position_half_life``
  sentences into its article;

and sentences are picked under a word budget by maximal marginal relevance (Carbonell & Goldstein 1998):
the best score less the similarity to what is already picked. A sentence that says what a picked one says
(it would corroborate it) is never picked: it is one of that line's sources.

The selection (:func:`summarize`) is a pure function of the candidates (text, article, sentence, outlet,
position), their vectors and, optionally, a corroboration computed elsewhere (a fact aligner's groups of
aligned sentences with their independent-outlet count) in place of :func:`corroborate`'s cosine one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..config import SummarySettings
from ..embed import Embedder, Vectors
from ..model import Article, Fact, Sentence
from .facts import FactSentence

__all__ = [
    "Candidate",
    "Corroboration",
    "SummarySentence",
    "corroborate",
    "sentence_scores",
    "summarize",
    "summarize_event",
    "summary_candidates",
]

# Rows of the similarity matrix computed at a time: an event of 10,000 sentences stays at ~40 MB.
_BLOCK_ROWS = 1024

Source = tuple[int, int]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence that may go into a summary, with what the selection knows about it."""

    article: int  # index of its article among the event's articles
    sentence: int  # its index in that article (``Sentence.index``), as citations give it
    text: str
    # Who published it: sentences of one outlet never corroborate each other.
    outlet: str
    # Sentences before it in its article (0 for the lead).
    position: int

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Corroboration:
    """Who says what one candidate says."""

    # Independent outlets saying it, its own included (near-verbatim copies count once).
    outlets: int
    # The sentences saying it, (article, sentence), the candidate's own first; at most one per article.
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class SummarySentence:
    """One line of a summary: a sentence of one article, and every sentence that says the same thing."""

    text: str
    # (article index, sentence index): the sentence chosen first, then the ones corroborating it.
    sources: tuple[Source, ...]
    outlets: int
    score: float


def summary_candidates(articles: Sequence[Article], settings: SummarySettings) -> list[Candidate]:
    """The sentences of ``articles`` that may be summary lines: those of ``min_words`` to ``max_words`` words
    (shorter ones are bylines, captions and page furniture; longer ones run-on text that failed to split).

    An article with no outlet is its own outlet."""
    found = []
    for number, article in enumerate(articles):
        outlet = article.outlet or f"#article-{article.id}"
        listed = _list_lines(article.sentences)
        for sentence in article.sentences:
            if sentence.index in listed:
                continue
            if settings.min_words <= len(sentence.text.split()) <= settings.max_words:
                found.append(Candidate(number, sentence.index, sentence.text, outlet, sentence.index))
    return found


def _list_lines(sentences: Sequence[Sentence]) -> set[int]:
    """The sentences that do not stand alone as a list's lines: one that introduces a list ("The six-point plan
    calls for:") and the one-sentence paragraphs under it ("Non-escalation or provocations by either side."), up
    to the first paragraph of more than one sentence."""
    per_paragraph = Counter(s.paragraph for s in sentences)
    found: set[int] = set()
    in_list = False
    for sentence in sentences:
        if in_list and per_paragraph[sentence.paragraph] > 1:
            in_list = False
        if in_list:
            found.add(sentence.index)
        if sentence.text.rstrip().endswith(":"):
            found.add(sentence.index)
            in_list = True
    return found


def _similarities(vectors: Vectors, rows: slice) -> Vectors:
    block: Vectors = vectors[rows] @ vectors.T
    return block


def corroborate(candidates: Sequence[Candidate], vectors: Vectors, settings: SummarySettings) -> list[Corroboration]:
    """For each candidate, the sentences of other outlets' articles that say nearly the same thing (the
    closest of each article, when at cosine ``corroboration_similarity`` or more) and how many independent
    outlets that makes: the outlets of the candidate and its supporters, where an outlet whose sentence is a
    near-verbatim copy (``copy_similarity``) of one already counted is not counted again."""
    n = len(candidates)
    if n == 0:
        return []
    articles = sorted({c.article for c in candidates})
    members = {a: np.array([i for i, c in enumerate(candidates) if c.article == a]) for a in articles}
    found = []
    for start in range(0, n, _BLOCK_ROWS):
        block = _similarities(vectors, slice(start, min(start + _BLOCK_ROWS, n)))
        for row in range(block.shape[0]):
            i = start + row
            own = candidates[i]
            supporters = []
            for article in articles:
                if article == own.article or candidates[members[article][0]].outlet == own.outlet:
                    continue
                columns = members[article]
                best = int(np.argmax(block[row, columns]))
                if block[row, columns[best]] >= settings.corroboration_similarity:
                    supporters.append(int(columns[best]))
            found.append(_fold(i, supporters, candidates, vectors, settings.copy_similarity))
    return found


def _fold(
    i: int, supporters: list[int], candidates: Sequence[Candidate], vectors: Vectors, copy: float
) -> Corroboration:
    """Independent outlets among a candidate and its supporters: one per outlet, and one per group of
    near-verbatim copies."""
    counted = [i]
    outlets = {candidates[i].outlet}
    for j in supporters:
        if candidates[j].outlet in outlets:
            continue
        if all(float(vectors[j] @ vectors[k]) < copy for k in counted):
            counted.append(j)
        outlets.add(candidates[j].outlet)
    own = (candidates[i].article, candidates[i].sentence)
    sources = (own, *((candidates[j].article, candidates[j].sentence) for j in supporters))
    return Corroboration(len(counted), sources)


def _centre(candidates: Sequence[Candidate], vectors: Vectors) -> Vectors:
    """The mean of each article's mean sentence vector, normalized."""
    by_article: dict[int, list[int]] = {}
    for i, c in enumerate(candidates):
        by_article.setdefault(c.article, []).append(i)
    means = np.stack([vectors[rows].mean(axis=0) for _, rows in sorted(by_article.items())])
    centre = means.mean(axis=0)
    result: Vectors = centre / max(float(np.linalg.norm(centre)), 1e-12)
    return result


def sentence_scores(
    candidates: Sequence[Candidate],
    vectors: Vectors,
    corroboration: Sequence[Corroboration],
    settings: SummarySettings,
) -> Floats:
    """Each candidate's weighted mean of centrality, corroboration and position, each in [0, 1]."""
    if not candidates:
        return np.zeros(0)
    centrality = np.clip(vectors @ _centre(candidates, vectors), 0.0, None)
    centrality = centrality / max(float(centrality.max()), 1e-12)
    others = len({c.outlet for c in candidates}) - 1
    corroborated = np.array([(c.outlets - 1) / others if others else 0.0 for c in corroboration])
    position = 0.5 ** (np.array([c.position for c in candidates]) / settings.position_half_life)
    weights = (settings.centrality_weight, settings.corroboration_weight, settings.position_weight)
    total = sum(weights)
    combined: Floats = (weights[0] * centrality + weights[1] * corroborated + weights[2] * position) / total
    return combined


def summarize(
    candidates: Sequence[Candidate],
    vectors: Vectors,
    budget_words: int,
    settings: SummarySettings,
    corroboration: Sequence[Corroboration] | None = None,
    *,
    fill: bool = False,
) -> list[SummarySentence]:
    """The summary of one event's ``candidates`` (rows of ``vectors``, L2-normalized) in at most
    ``budget_words`` words, best line first.

    Each step takes the candidate with the highest ``mmr_lambda * score - (1 - mmr_lambda) * redundancy``
    (its largest cosine to a line already taken) among those that fit the words left; candidates saying what a
    taken line says (its sources, and any at cosine ``corroboration_similarity`` or more) are never taken.
    ``corroboration`` (one per candidate) replaces :func:`corroborate`'s, e.g. by a fact aligner's. With
    ``fill``, the last line may run past the budget (an evaluation that cuts every system's output at the
    budget words wants that).
    """
    if len(candidates) != len(vectors) or (corroboration is not None and len(corroboration) != len(candidates)):
        raise ValueError("candidates, vectors and corroboration must have one entry per candidate")
    if budget_words <= 0 or not candidates:
        return []
    if corroboration is None:
        corroboration = corroborate(candidates, vectors, settings)
    scores = sentence_scores(candidates, vectors, corroboration, settings)
    words = np.array([c.words for c in candidates])
    redundancy = np.zeros(len(candidates))
    available = np.ones(len(candidates), dtype=bool)
    lam = settings.mmr_lambda
    row_of = {(c.article, c.sentence): i for i, c in enumerate(candidates)}
    chosen: list[SummarySentence] = []
    left = budget_words
    while left > 0:
        eligible = available & ((words <= left) | fill)
        if not eligible.any():
            break
        value = np.where(eligible, lam * scores - (1 - lam) * redundancy, -np.inf)
        best = int(np.argmax(value))  # ties: the earliest candidate, so the output is deterministic
        picked = candidates[best]
        chosen.append(
            SummarySentence(picked.text, corroboration[best].sources, corroboration[best].outlets, float(scores[best]))
        )
        left -= int(words[best])
        similarity = vectors @ vectors[best]
        redundancy = np.maximum(redundancy, similarity)
        available &= similarity < settings.corroboration_similarity
        # Its sources are the line's citations, not lines of their own (a fact aligner may group sentences
        # that the cosine alone would not).
        available[[row_of[s] for s in corroboration[best].sources if s in row_of]] = False
        available[best] = False
    return chosen


def summarize_event(
    articles: Sequence[Article], embedder: Embedder, settings: SummarySettings, budget_words: int | None = None
) -> list[SummarySentence]:
    """:func:`summarize` over the sentences of ``articles`` (with ``Article.sentences`` filled), embedded by
    ``embedder``, in ``budget_words`` words (default: the setting ``budget_words``). Sources index
    ``articles`` and each article's sentences."""
    candidates = summary_candidates(articles, settings)
    vectors = embedder.embed([c.text for c in candidates])
    return summarize(candidates, vectors, settings.budget_words if budget_words is None else budget_words, settings)


def fact_corroboration(
    candidates: Sequence[Candidate], facts: Sequence[Fact], articles: Sequence[Article]
) -> list[Corroboration]:
    """Each candidate's corroboration as the fact aligner found it: the independent outlets of its fact and
    the fact's other sentences; a sentence of no fact is corroborated by its own outlet alone."""
    index = {a.id: i for i, a in enumerate(articles)}
    of: dict[Source, Corroboration] = {}
    for fact in facts:
        members = [(index[c.article], c.sentence) for c in fact.sources if c.article in index]
        for member in members:
            of[member] = Corroboration(fact.independent_outlets, (member, *(m for m in members if m != member)))
    return [of.get((c.article, c.sentence), Corroboration(1, ((c.article, c.sentence),))) for c in candidates]


def event_summary(
    articles: Sequence[Article],
    sentences: Sequence[FactSentence],
    vectors: Vectors,
    facts: Sequence[Fact],
    settings: SummarySettings,
    budget_words: int | None = None,
    *,
    fill: bool = False,
) -> list[SummarySentence]:
    """The event's summary over the sentences its facts were aligned on (rows of ``vectors``), each line
    corroborated by its fact's independent outlets, or by the other outlets' sentences that say nearly the same
    thing (:func:`corroborate`) where those are more: the aligner's facts are the stricter reading (one statement),
    a summary line's support is what the other outlets also say."""
    row = {(s.article, s.sentence): k for k, s in enumerate(sentences)}
    candidates = [c for c in summary_candidates(articles, settings) if (c.article, c.sentence) in row]
    if not candidates:
        return []
    chosen = vectors[[row[(c.article, c.sentence)] for c in candidates]]
    budget = settings.budget_words if budget_words is None else budget_words
    aligned = fact_corroboration(candidates, facts, articles)
    near = corroborate(candidates, chosen, settings)
    corroboration = [a if a.outlets >= b.outlets else b for a, b in zip(aligned, near, strict=True)]
    return summarize(candidates, chosen, budget, settings, corroboration, fill=fill)
