"""Facts: the sentences of an event's articles aligned into pieces of information, each counted by the
independent outlets that report it.

Two sentences of different articles say the same thing when the sentence-pair scorer says so, or when they
give the same resolved date and their meanings are close (the 20-22 March visit is "from March 20 to 22"
in one outlet and "from Monday through Wednesday" in another). Sentences are grouped by average linkage
with one sentence per article per fact, so a fact never chains through a bridging sentence.

Independence (``Fact.independent_outlets``) folds an article with its near-duplicates, an outlet's several
articles, and near-verbatim copies of one sentence across outlets (a wire story, a press release): each
counts once, and the earliest copy is the origin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from ..config import FactSettings
from ..model import Article, Conflict, Fact, TimeRef, content_id
from .citations import cite, sentence_at
from .paraphrase import ParaphraseModel, SentenceView
from .timeline import value_span

# Fewer words than this is a heading, a dateline or a caption, not a statement of fact.
_MIN_WORDS = 5
# Two sentences this alike, character for character (rapidfuzz ratio, 0-100), are one text copied.
_COPY_RATIO = 90.0
# Words in quotation marks are the speaker's: outlets that quote one statement alike report it each on
# their own; only the words around the quote, copied, make a copy.
_QUOTED = re.compile(r"[“\"«„][^”\"»“]*[”\"»“]")
# A copied text must have this many words of its own outside quotation marks.
_COPY_MIN_WORDS = 6
# Sentences whose times are all more than this many days apart tell of different happenings.
_APART_DAYS = 31
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class FactSentence:
    """A sentence as the aligner sees it."""

    article: int  # index into the event's articles
    sentence: int  # the sentence's index in its article
    text: str
    dates: frozenset[str]  # resolved days and ranges of days it gives ("2023-03-20/2023-03-22")
    lang: str | None = None
    # Those of its dates written out ("March 20"), not relative ("on Wednesday"): a relative day is only as
    # good as the article's date, which may be a day off.
    explicit: frozenset[str] = frozenset()
    # Every period its time expressions name, at any precision ("2019", "next week"), as (first, last) days.
    periods: tuple[tuple[date, date], ...] = ()


class PairScorer(Protocol):
    """Probabilities that each pair (indices into the sentences) says the same thing, given their unit vectors;
    ``threshold`` is the probability from which a pair is the same."""

    threshold: float

    def __call__(
        self, sentences: Sequence[FactSentence], vectors: npt.NDArray[np.float32], pairs: list[tuple[int, int]]
    ) -> npt.NDArray[np.float64]: ...


class ParaphraseScorer:
    """The learned sentence-pair model (:mod:`storyline.analyze.paraphrase`) as a :class:`PairScorer`."""

    def __init__(self, model: ParaphraseModel, use_encoder: bool = True) -> None:
        self.model = model
        self.threshold = model.threshold
        self.use_encoder = use_encoder

    @property
    def regression(self) -> ParaphraseScorer:
        """The same model without its cross-encoder. The conflict finder reads sentences altered to agree (names
        swapped, times blanked), and its bar was set with the regression; the cross-encoder finds such altered
        pairs alike too readily (the sample's Dec. 30 invitation against the visit's dates)."""
        return ParaphraseScorer(self.model, use_encoder=False)

    def __call__(
        self, sentences: Sequence[FactSentence], vectors: npt.NDArray[np.float32], pairs: list[tuple[int, int]]
    ) -> npt.NDArray[np.float64]:
        # Judged with their figures masked: two reports of one fact that give different numbers or days are
        # still one fact (where the conflicts are found), not two.
        views = [SentenceView(_FIGURE.sub("0", s.text), vectors[k], s.lang) for k, s in enumerate(sentences)]
        return self.model.probability([(views[i], views[j]) for i, j in pairs], self.use_encoder)


def fact_sentences(articles: Sequence[Article]) -> list[FactSentence]:
    """The sentences of the event's articles that can state a fact, with the dates each resolves to."""
    found = []
    for number, article in enumerate(articles):
        dates: dict[int, set[str]] = {}
        explicit: dict[int, set[str]] = {}
        periods: dict[int, list[tuple[date, date]]] = {}
        published = (article.published or "")[:10]
        for ref in article.times:
            period = _period(ref.value, ref.end_value) if ref.type in ("DATE", "TIME") else None
            index = sentence_at(article, ref.start)
            if period is not None and index is not None:
                periods.setdefault(index, []).append(period)
            # Only a day says which happening it is: "last month" is shared by many unrelated sentences, and the
            # day of publication by everything "said on Friday".
            if ref.type not in ("DATE", "TIME") or not _DAY.match(ref.value) or ref.value[:10] == published:
                continue
            index = sentence_at(article, ref.start)
            if index is not None:
                value = day_key(ref)
                dates.setdefault(index, set()).add(value)
                if any(c.isdigit() for c in ref.text):
                    explicit.setdefault(index, set()).add(value)
        for sentence in article.sentences:
            if len(sentence.text.split()) >= _MIN_WORDS:
                days = frozenset(dates.get(sentence.index, ()))
                found.append(
                    FactSentence(
                        number,
                        sentence.index,
                        sentence.text,
                        days,
                        article.lang,
                        frozenset(explicit.get(sentence.index, ())),
                        tuple(periods.get(sentence.index, ())),
                    )
                )
    return found


def day_key(ref: TimeRef) -> str:
    """A day as the aligner keys it: "2023-03-20", or a range "2023-03-20/2023-03-22"."""
    return f"{ref.value}/{ref.end_value}" if ref.end_value else ref.value


def _period(value: str, end_value: str | None) -> tuple[date, date] | None:
    """The first and last day of a TimeML date value (and of its range's end), or None when underspecified."""
    span = value_span(value, end_value)
    if span is None:
        return None
    first, last = _first_day(span[0]), _last_day(span[1] or span[0])
    return (first, last) if first is not None and last is not None and first <= last else None


def _first_day(iso: str) -> date | None:
    parts = iso.split("-")
    try:
        return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2][:2]) if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


def _last_day(iso: str) -> date | None:
    parts = iso.split("-")
    try:
        if len(parts) > 2:
            return date(int(parts[0]), int(parts[1]), int(parts[2][:2]))
        if len(parts) == 2:
            following = date(int(parts[0]) + int(parts[1]) // 12, int(parts[1]) % 12 + 1, 1)
            return following - timedelta(days=1)
        return date(int(parts[0][:4]), 12, 31) if len(parts[0]) == 4 else None
    except ValueError:
        return None


def apart(first: FactSentence, second: FactSentence) -> bool:
    """Whether two sentences place what they say at clearly different times: every period one names is more
    than ``_APART_DAYS`` from every period the other names ("in 2019" against "next week"). Reports that
    disagree by a few days (the conflicts) are not apart."""
    if not first.periods or not second.periods:
        return False
    for a_first, a_last in first.periods:
        for b_first, b_last in second.periods:
            gap = max((b_first - a_last).days, (a_first - b_last).days, 0)
            if gap <= _APART_DAYS:
                return False
    return True


def similarity_pairs(
    sentences: Sequence[FactSentence], vectors: npt.NDArray[np.float32], floor: float
) -> tuple[list[tuple[int, int]], npt.NDArray[np.float32]]:
    """Pairs of sentences of different articles whose cosine reaches ``floor``, and the cosine matrix."""
    cosines = vectors @ vectors.T
    articles = np.array([s.article for s in sentences])
    upper = np.triu(cosines >= floor, k=1) & (articles[:, None] != articles[None, :])
    first, second = np.nonzero(upper)
    return list(zip(first.tolist(), second.tolist(), strict=True)), cosines


def align(
    sentences: Sequence[FactSentence],
    vectors: npt.NDArray[np.float32],
    scorer: PairScorer,
    settings: FactSettings,
) -> tuple[list[list[int]], npt.NDArray[np.float64]]:
    """Groups of sentences (indices) that say the same thing, at most one per article, each of two or more.

    Average linkage over the pair probabilities: two groups merge, best-linked first, when their mean
    probability over every cross pair reaches ``scorer.threshold`` and no article is in both.
    """
    floor = min(settings.candidate_cosine, settings.same_date_cosine)
    found, cosines = similarity_pairs(sentences, vectors, floor)
    same_date = [
        cosines[i, j] >= settings.same_date_cosine and bool(sentences[i].dates & sentences[j].dates) for i, j in found
    ]
    pairs = [pair for pair, dated in zip(found, same_date, strict=True)
             if (dated or cosines[pair] >= settings.candidate_cosine)
             and not apart(sentences[pair[0]], sentences[pair[1]])]  # fmt: skip
    probability = np.zeros((len(sentences), len(sentences)))
    if not pairs:
        return [], probability
    scores = scorer(sentences, vectors, pairs)
    dated_pairs = {pair for pair, dated in zip(found, same_date, strict=True) if dated}
    for (i, j), p in zip(pairs, scores.tolist(), strict=True):
        if (i, j) in dated_pairs:
            p = max(p, settings.same_date_probability)
        probability[i, j] = probability[j, i] = p
    groups: dict[int, list[int]] = {i: [i] for i in range(len(sentences))}
    owner = list(range(len(sentences)))
    for i, j in sorted(pairs, key=lambda pair: -probability[pair]):
        a, b = owner[i], owner[j]
        if a == b:
            continue
        left, right = groups[a], groups[b]
        if {sentences[k].article for k in left} & {sentences[k].article for k in right}:
            continue
        linked = probability[np.ix_(left, right)]
        # A single sentence that says just what one sentence of a fact says is of that fact too.
        restates = min(len(left), len(right)) == 1 and linked.max() >= settings.restatement
        if linked.mean() < scorer.threshold and not restates:
            continue
        groups[a] = left + right
        for k in right:
            owner[k] = a
        del groups[b]
    return [sorted(g) for g in groups.values() if len(g) > 1], probability


def independent_sources(members: Sequence[FactSentence], articles: Sequence[Article]) -> tuple[int, int, str | None]:
    """(outlets, independent outlets, origin article id or None) of the sentences of one fact."""

    parent = list(range(len(members)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def source(i: int) -> str:
        article = articles[members[i].article]
        # An article without a known outlet is a source of its own.
        return article.outlet or article.id

    copied: set[int] = set()
    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            first, second = articles[members[i].article], articles[members[j].article]
            same_outlet = source(i) == source(j)
            duplicate = first.id in (second.duplicate_of, second.id) or second.id == first.duplicate_of
            copy = _copied(members[i].text, members[j].text)
            if copy and not same_outlet:
                copied.update((i, j))
            if same_outlet or duplicate or copy:
                parent[find(i)] = find(j)
    outlets = len({source(i) for i in range(len(members))})
    independent = len({find(i) for i in range(len(members))})
    origin = None
    if copied:
        earliest = min(copied, key=lambda i: (articles[members[i].article].published or "9999", members[i].article))
        origin = articles[members[earliest].article].id
    return outlets, independent, origin


def _copied(first: str, second: str) -> bool:
    """Whether one sentence is the other copied (a wire story, a press release), quotations aside."""
    own_first, own_second = _QUOTED.sub(" ", first), _QUOTED.sub(" ", second)
    if min(len(own_first.split()), len(own_second.split())) < _COPY_MIN_WORDS:
        return False
    return bool(fuzz.ratio(own_first, own_second) >= _COPY_RATIO)


def event_facts(
    event: str,
    articles: Sequence[Article],
    sentences: Sequence[FactSentence],
    vectors: npt.NDArray[np.float32],
    scorer: PairScorer,
    settings: FactSettings,
) -> list[Fact]:
    """The event's facts, most independently corroborated first."""
    facts = []
    groups, probability = align(sentences, vectors, scorer, settings)
    for group in groups:
        members = [sentences[i] for i in group]
        # The sentence the others most say the same as says it best (not one that gives other figures).
        best = members[int(np.argmax(probability[np.ix_(group, group)].sum(axis=1)))]
        outlets, independent, origin = independent_sources(members, articles)
        sources = tuple(cite(articles[m.article], m.sentence) for m in sorted(members, key=lambda m: m.article))
        facts.append(
            Fact(
                id=content_id("f", event, *(f"{c.article}:{c.sentence}" for c in sources)),
                text=best.text,
                sources=sources,
                outlets=outlets,
                independent_outlets=independent,
                origin=origin,
            )
        )
    first_position = {f.id: min((c.sentence for c in f.sources), default=0) for f in facts}
    return sorted(facts, key=lambda f: (-f.independent_outlets, -len(f.sources), first_position[f.id], f.id))


def without_dissent(
    facts: Sequence[Fact], conflicts: Sequence[Conflict], sentences: Sequence[FactSentence], articles: Sequence[Article]
) -> list[Fact]:
    """The facts with their counts of outlets taken over the sources that agree: a source on another side of a
    conflict about the fact reports it differently and corroborates nothing (its claim keeps it cited)."""
    dissent: dict[str, set[tuple[str, int]]] = {}
    for conflict in conflicts:
        if conflict.kind != "conflict":
            continue
        fact = next((f for f in facts if f.id == conflict.fact), None)
        if fact is None:
            continue
        sources = {(c.article, c.sentence) for c in fact.sources}
        worded = {(c.article, c.sentence) for c in fact.sources if c.text == fact.text}
        sides = [{(c.article, c.sentence) for c in claim.sources} for claim in conflict.claims]
        # The side the fact's own wording is on; else the side holding most of its sources.
        agreeing = next((side for side in sides if side & worded), None) or max(
            sides, key=lambda side: (len(side & sources), len(side))
        )
        dissent.setdefault(fact.id, set()).update(k for side in sides if side is not agreeing for k in side)
    if not dissent:
        return list(facts)
    by_key = {(articles[s.article].id, s.sentence): s for s in sentences}
    adjusted = []
    for fact in facts:
        against = dissent.get(fact.id, set())
        members = [by_key[(c.article, c.sentence)] for c in fact.sources
                   if (c.article, c.sentence) not in against and (c.article, c.sentence) in by_key]  # fmt: skip
        if not against or not members:
            adjusted.append(fact)
            continue
        outlets, independent, origin = independent_sources(members, articles)
        adjusted.append(replace(fact, outlets=outlets, independent_outlets=independent, origin=origin))
    first_position = {f.id: min((c.sentence for c in f.sources), default=0) for f in adjusted}
    return sorted(adjusted, key=lambda f: (-f.independent_outlets, -len(f.sources), first_position[f.id], f.id))
