"""Conflicts: the sources of one fact that disagree on a date, a number or a person.

A fact's sentences say the same thing (:mod:`storyline.analyze.facts`); where two of them give different
resolved days ("March 20-22" against "March 21-23"), different figures of one kind (12 dead against 15,
$2 billion against $3 billion: :func:`~storyline.analyze.paraphrase.compare_figures`, read outside the
time expressions, which the resolved days compare better) or name different people in the same place of
the fact, the sources conflict. Each side lists its sources; when the earlier side announced what was
expected (future tense) and a later report says otherwise, it is an update, not a conflict, and the later
side comes last.

Places are not compared: "Moscow" and "Russia" name one visit at two scales, and telling containment
from contradiction needs a gazetteer the project does not have.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from rapidfuzz import fuzz

from ..embed import Vectors
from ..model import Article, Citation, Claim, Conflict, Fact
from .facts import FactSentence, PairScorer
from .paraphrase import compare_figures

# Figure kinds that name a time: the resolved days compare them (a weekday against a date is no conflict).
_NO_DATES: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
_TIME_KINDS = frozenset({"weekday", "month", "year"})
_ABOUT = {"date": "date", "money": "amount", "percent": "percentage", "number": "number", "person": "person"}
# Sentences naming different people conflict when they read at least this alike with the names masked
# (rapidfuzz token-set ratio, 0-100).
_SAME_BUT_NAMES = 75
# Words that announce rather than report: "will visit", "is expected to", "plans to".
_EXPECTATION = re.compile(
    r"\b(will|would|shall|expected|expects|plans?|planned|scheduled|due to|to be held|is set to|are set to)\b", re.I
)


def _sentence_view(article: Article, index: int) -> tuple[str, dict[str, str], bool]:
    """A sentence's text with its time expressions blanked out, the people it names, and whether it
    announces something expected."""
    sentence = next(s for s in article.sentences if s.index == index)
    text = list(sentence.text)
    future = False
    for ref in article.times:
        if sentence.start <= ref.start < sentence.end:
            for k in range(ref.start - sentence.start, min(ref.end, sentence.end) - sentence.start):
                text[k] = " "
            future = future or ref.tense == "future"
    # People by name: a role noun ("the presidential hopeful") describes someone named elsewhere.
    people = {
        m.entity: m.text
        for m in article.mentions
        if m.type == "PERSON" and sentence.start <= m.start < sentence.end and m.text[:1].isupper()
        and m.label != m.text
    }  # fmt: skip
    return "".join(text), people, future or bool(_EXPECTATION.search(sentence.text))


Alike = Callable[[tuple[str, int], str, tuple[str, int], str], bool]
"""Whether two cited sentences (keys), given as texts with the people they name masked, say the same thing."""


def _name_words(people: dict[str, str]) -> set[str]:
    """The words of people's names, plural and possessive endings off: "Clintons" shares "clinton" with
    "Mrs. Clinton", one family, not two people in conflict."""
    return {w.lower().removesuffix("'s").removesuffix("’s").rstrip("s") for n in people.values() for w in n.split()}


def _mask_people(text: str, people: dict[str, str]) -> str:
    for name in people.values():
        text = text.replace(name, "PERSON")
    return text


def _fuzzy_alike(_key_a: tuple[str, int], first: str, _key_b: tuple[str, int], second: str) -> bool:
    return bool(fuzz.token_set_ratio(first, second) >= _SAME_BUT_NAMES)


def fact_conflicts(
    fact: Fact,
    articles: Sequence[Article],
    dates: dict[tuple[str, int], tuple[frozenset[str], frozenset[str]]],
    alike: Alike = _fuzzy_alike,
) -> list[Conflict]:
    """The conflicts among one fact's sources (``dates``: the resolved days of each cited sentence, and those
    written out). Two sentences disagree on the date when each gives a day the other does not and one of
    those is written out ("March 21"): "on Wednesday" in two articles resolves by their dates, which may be
    a day apart."""
    by_id = {a.id: a for a in articles}
    sources = [c for c in fact.sources if c.article in by_id]
    views = {(c.article, c.sentence): _sentence_view(by_id[c.article], c.sentence) for c in sources}
    # kind -> value -> the sources giving it
    sides: dict[str, dict[str, list[Citation]]] = {}

    def side(kind: str, value: str, citation: Citation) -> None:
        found = sides.setdefault(kind, {}).setdefault(value, [])
        if citation not in found:
            found.append(citation)

    for i, first in enumerate(sources):
        for second in sources[i + 1 :]:
            if first.article == second.article:
                continue
            key_a, key_b = (first.article, first.sentence), (second.article, second.sentence)
            (days_a, explicit_a), (days_b, explicit_b) = dates.get(key_a, _NO_DATES), dates.get(key_b, _NO_DATES)
            only_a, only_b = days_a - days_b, days_b - days_a
            # Each gives a day the other does not, and one of those is written out.
            if only_a and only_b and (only_a & explicit_a or only_b & explicit_b):
                side("date", ", ".join(sorted(only_a)), first)
                side("date", ", ".join(sorted(only_b)), second)
            (text_a, people_a, _), (text_b, people_b, _) = views[key_a], views[key_b]
            comparison = compare_figures(text_a, text_b)
            for kind in comparison.conflicting_kinds:
                if kind in _TIME_KINDS:
                    continue
                side(kind, ", ".join(f.text for f in comparison.only_first if f.kind == kind), first)
                side(kind, ", ".join(f.text for f in comparison.only_second if f.kind == kind), second)
            if (
                people_a
                and people_b
                and not people_a.keys() & people_b.keys()
                and not _name_words(people_a) & _name_words(people_b)
                and alike(key_a, _mask_people(text_a, people_a), key_b, _mask_people(text_b, people_b))
            ):
                side("person", ", ".join(sorted(set(people_a.values()))), first)
                side("person", ", ".join(sorted(set(people_b.values()))), second)
    conflicts = []
    for kind, values in sides.items():
        if len(values) < 2:
            continue
        claims = [
            Claim(
                text=citations[0].text,
                value=value,
                sources=tuple(citations),
                published=min((by_id[c.article].published or "" for c in citations), default="") or None,
            )
            for value, citations in values.items()
        ]
        claims.sort(key=lambda c: (c.published is None, c.published or "", c.value))
        announced = [any(views[(s.article, s.sentence)][2] for s in c.sources) for c in claims]
        # An earlier announcement that a later report contradicts is an update of it.
        update = (
            len(claims) == 2
            and claims[0].published is not None
            and claims[1].published is not None
            and claims[0].published[:10] < claims[1].published[:10]
            and announced[0]
            and not announced[1]
        )
        conflicts.append(Conflict(_ABOUT.get(kind, kind), "update" if update else "conflict", fact.id, tuple(claims)))
    return conflicts


def event_conflicts(
    facts: Sequence[Fact],
    articles: Sequence[Article],
    sentences: Sequence[FactSentence],
    vectors: Vectors | None = None,
    scorer: PairScorer | None = None,
) -> list[Conflict]:
    """Every conflict among the event's facts, those with the most sources first.

    With the pair ``scorer`` (and the sentences' ``vectors``), two sentences naming different people conflict
    when, the names masked, the scorer finds them the same statement or they read alike word for word.
    """
    dates = {(articles[s.article].id, s.sentence): (s.dates, s.explicit) for s in sentences}
    row = {(articles[s.article].id, s.sentence): k for k, s in enumerate(sentences)}

    def alike(key_a: tuple[str, int], first: str, key_b: tuple[str, int], second: str) -> bool:
        if _fuzzy_alike(key_a, first, key_b, second):
            return True
        if scorer is None or vectors is None or key_a not in row or key_b not in row:
            return False
        i, j = row[key_a], row[key_b]
        masked = [replace(sentences[i], text=first), replace(sentences[j], text=second)]
        return bool(scorer(masked, vectors[[i, j]], [(0, 1)])[0] >= scorer.threshold)

    found = [c for fact in facts for c in fact_conflicts(fact, articles, dates, alike)]
    return sorted(found, key=lambda c: (-sum(len(claim.sources) for claim in c.claims), c.fact, c.about))
