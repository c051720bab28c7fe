"""Conflicts: reports of one statement that disagree on a date, a number or a person.

A fact's sentences say the same thing (:mod:`storyline.analyze.facts`), and so do the sentences that would be
of that fact but for the value they give: the aligner reads a changed name, or a day that no longer matches,
as another statement, so the reports that disagree are exactly those it may keep apart. Each pair of sentences
of two articles close enough to be compared (the aligner's candidate cosine) that differs in a value is read
again *as if the two agreed*: the names only one gives put in the other's place, time expressions blanked and
figures masked. When the pair model then finds them the same statement, they read alike word for word with
the values masked (rapidfuzz token-set ratio), or they are as close as two reports of one day need be, the
sentence joins the comparison of the partner's fact (or the pair makes a statement of its own).

Within such a group two sentences conflict where they give different resolved days ("March 20-22" against "March
21-23"; two sentences that give one thing two days — "the Sept. 11 attack" against "the Sept. 12 attack", the same
word after each — are such a group whatever else they say), different figures of one kind counting the same thing
(12 dead against 15, $2 billion against $3 billion: :func:`~storyline.analyze.paraphrase.compare_figures`, read
outside the time expressions, which the resolved days compare better, and only where each figure counts the same
word — "seven miles" against "two injured" is two details, not a disagreement — or both are large counts close to
each other, one on each side) or name different people in the same place of the statement — people the event's
mentions type as persons and name in full somewhere ("Twitter" or "Medicare" typed a person by one parse is not
one; nor is a name inside a quotation against the speaker another report names: one rendering may cut a name out
of the quote). One office given to two people (a title written right before each name: "Treasury Secretary Janet
Yellen" against "Treasury Secretary Ted Sarandos", or a definite description beside it: "the deputy director of the
F.B.I., David Bowdich") is such a place, however differently the two sentences go on, and even when one of them
names the other person elsewhere. Two deadlines ("until Feb. 15", "through Feb. 16") of two reports of one
statement are one thing given two days. Two sentences that name other people *and* give another value are two
statements about two people ("Mr. Bush said his tax rate was 36 percent" / "The Clintons' tax rate was 35.7
percent"), not one report disagreeing twice. Each side lists its sources; when the earlier side announced
what was expected (future tense) and a later report says otherwise, it is an update, not a conflict, and the later
side comes last.

Places are not compared: "Moscow" and "Russia" name one visit at two scales, and telling containment
from contradiction needs a gazetteer the project does not have.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from rapidfuzz import fuzz

from ..config import FactSettings
from ..embed import Vectors
from ..model import Article, Citation, Claim, Conflict, Fact, content_id
from .citations import cite
from .facts import FactSentence, PairScorer, day_key, event_facts, similarity_pairs, without_dissent
from .paraphrase import Figure, compare_figures

# Figure kinds that name a time: the resolved days compare them (a weekday against a date is no conflict).
_NO_DATES: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
_TIME_KINDS = frozenset({"weekday", "month", "year"})
_ABOUT = {"date": "date", "money": "amount", "percent": "percentage", "number": "number", "person": "person"}
# Sentences naming different people conflict when they read at least this alike with the names masked
# (rapidfuzz token-set ratio, 0-100); so do sentences that differ in a figure or a day.
_SAME_BUT_NAMES = 75
# Words that announce rather than report: "will visit", "is expected to", "plans to".
_EXPECTATION = re.compile(
    r"\b(will|would|shall|expected|expects|plans?|planned|scheduled|due to|to be held|is set to|are set to)\b", re.I
)
# People named by one side and not the other, at most: more are a list ("Talent, Ashcroft, Danforth and Bond").
_MAX_SWAPPED = 2
# What a figure counts: the word right after it ("12 people", "$2 billion in aid"), compared by its first
# characters ("passenger", "passengers").
_UNIT = re.compile(r"\s*-?\s*([^\W\d_]+)", re.UNICODE)
_UNIT_CHARS = 4
# An office is named by a label of at least this many words ("Treasury Secretary", "Majority Leader").
_OFFICE_WORDS = 2
# The word a written-out day dates: after it, past a year and commas ("Sept. 11, 2012, attack").
_DATED_THING = re.compile(r"[\s,]*(?:\d{4}[\s,]*)?([^\W\d_]{3,})", re.UNICODE)
_PAST = frozenset({"former", "ex", "ex-", "late", "then", "onetime", "past"})
_TITLE_WORD = re.compile(r"[^\W\d_][\w.'’-]*", re.UNICODE)
_QUOTE_MARKS = re.compile(r"[“”\"]")
# A possessive at the end of a word ("Romney's").
_OWNS = re.compile(r"['’]s?$")
# A day written as a deadline: the words before it ("until Feb. 15", "through Friday, Feb. 15", "by March 1"), and
# what the day then dates.
_DEADLINE_BEFORE = re.compile(r"\b(?:until|through|thru|till|by)\s+(?:\w+,?\s+)?$", re.IGNORECASE)
DEADLINE = "<deadline>"
# A definite description, "the" and the office it names.
_DEFINITE = re.compile(r"(?:the|The)\s+(.+)", re.DOTALL)
# Counts this large, on each side one and within this factor of each other, tally the same thing whatever word
# follows them.
_TALLY_FLOOR = 1000
_TALLY_RATIO = 2.0


@dataclass(frozen=True, slots=True)
class SentenceView:
    """A cited sentence as the conflict finder reads it."""

    text: str  # its time expressions blanked out
    people: dict[str, str]  # entity -> the name as written, for people named in full somewhere in the event
    announced: bool  # it tells what is expected ("will visit"), not what happened
    # entity -> (its name, the title written right before it: "Treasury Secretary"), the office it gives the person
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The people it names only inside a quotation: the speaker's words, compared with the names of another
    # report's quotation, not with who that report says spoke.
    quoted: frozenset[str] = frozenset()


def event_people(articles: Sequence[Article]) -> frozenset[str]:
    """Entities that are people by the event's mentions: most of their mentions are typed PERSON and one of
    them gives a name in full (two capitalized words or more). A single parse that types "Twitter" or
    "Medicare" a person does not make it one."""
    types: dict[str, Counter[str]] = defaultdict(Counter)
    full: set[str] = set()
    for article in articles:
        for mention in article.mentions:
            types[mention.entity][mention.type] += 1
            parts = mention.text.split()
            # Not a possessive inside the name: "Mitt Romney's Medicare" names Romney, not Medicare.
            if (
                mention.type == "PERSON"
                and len(parts) >= 2
                and all(p[:1].isupper() and not _OWNS.search(p) for p in parts[:-1])
                and parts[-1][:1].isupper()
            ):
                full.add(mention.entity)
    return frozenset(e for e in full if types[e].most_common(1)[0][0] == "PERSON")


def _quoted(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` inside quotation marks, a quotation left open running to its end, and one closed
    without opening (it began in an earlier sentence) from its start."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for mark in _QUOTE_MARKS.finditer(text):
        char = mark.group(0)
        if char == '"':
            # A straight mark closes after a word or punctuation and before a space: 'clear," Labrador said'.
            after = text[mark.end() : mark.end() + 1]
            closes = mark.start() > 0 and not text[mark.start() - 1].isspace() and (not after or not after.isalnum())
            char = "”" if closes else "“"
        if opened is None and char != "”":
            opened = mark.start()
        elif opened is not None and char != "“":
            spans.append((opened, mark.end()))
            opened = None
        elif opened is None:  # a closing mark with none open
            spans.append((0, mark.end()))
    if opened is not None:
        spans.append((opened, len(text)))
    return spans


def _sentence_view(article: Article, index: int, people: frozenset[str] | None = None) -> SentenceView:
    """A sentence's view (see :class:`SentenceView`); ``people`` None takes every PERSON mention's word."""
    sentence = next(s for s in article.sentences if s.index == index)
    text = list(sentence.text)
    future = False
    for ref in article.times:
        if sentence.start <= ref.start < sentence.end:
            for k in range(ref.start - sentence.start, min(ref.end, sentence.end) - sentence.start):
                text[k] = " "
            future = future or ref.tense == "future"
    # People by name: a role noun ("the presidential hopeful") describes someone named elsewhere.
    mentioned = [
        m for m in article.mentions
        if m.type == "PERSON" and sentence.start <= m.start < sentence.end and m.text[:1].isupper()
        and m.label != m.text and (people is None or m.entity in people)
    ]  # fmt: skip
    named = {m.entity: m.text for m in mentioned}
    # Who is named inside a quotation, and nowhere else in the sentence (see ``differing_people``).
    spans = [(sentence.start + start, sentence.start + end) for start, end in _quoted(sentence.text)]
    inside = {m.entity for m in mentioned if any(start <= m.start < end for start, end in spans)}
    quoted = inside - {m.entity for m in mentioned if not any(start <= m.start < end for start, end in spans)}
    # An office is a title written right before the name ("Treasury Secretary Janet Yellen"), not a description
    # after it ("Liz Cheney, a Wyoming Senate candidate"), which many hold.
    roles = {
        m.entity: (m.text, office) for m in mentioned if (office := _office(article.text, m.start, m.end, m.label))
    }
    return SentenceView("".join(text), named, future or bool(_EXPECTATION.search(sentence.text)), roles,
                        frozenset(quoted))  # fmt: skip


Alike = Callable[[tuple[str, int], str, tuple[str, int], str], bool]
"""Whether two cited sentences (keys), given as texts with the people they name masked, say the same thing."""


def _name_words(name: str) -> set[str]:
    """The words of a name, plural and possessive endings off: "Clintons" shares "clinton" with
    "Mrs. Clinton", one family, not two people in conflict."""
    return {w.lower().removesuffix("'s").removesuffix("’s").rstrip("s") for w in name.split()}


def differing_people(
    first: dict[str, str],
    second: dict[str, str],
    quoted: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> tuple[list[str], list[str]]:
    """The names each side gives that the other does not, neither by entity nor by a word of the name (none
    when a side gives more than ``_MAX_SWAPPED``). A name one side gives only inside a quotation (its entity in
    ``quoted``) stands against one the other gives inside a quotation too: "starting with Nancy Pelosi" against
    "starting with Jesse Jackson" in two renderings of one quote, but not a name one rendering cuts out of the
    quote against the speaker another names."""
    words_first = set().union(*(_name_words(n) for n in first.values()))
    words_second = set().union(*(_name_words(n) for n in second.values()))
    only_first = {e: n for e, n in first.items() if e not in second and not _name_words(n) & words_second}
    only_second = {e: n for e, n in second.items() if e not in first and not _name_words(n) & words_first}
    # A name or two put in another's place; more on a side are a list, or two statements.
    if len(set(only_first.values())) > _MAX_SWAPPED or len(set(only_second.values())) > _MAX_SWAPPED:
        return [], []
    kept_first: set[str] = set()
    kept_second: set[str] = set()
    for inside in (True, False):
        zone_first = {n for e, n in only_first.items() if (e in quoted[0]) == inside}
        zone_second = {n for e, n in only_second.items() if (e in quoted[1]) == inside}
        if zone_first and zone_second:
            kept_first |= zone_first
            kept_second |= zone_second
    return sorted(kept_first), sorted(kept_second)


def _titled(text: str, start: int, label: str) -> bool:
    """Whether ``label`` is written right before the name that starts at ``start``."""
    label = label.strip()
    return bool(label) and text[max(0, start - len(label) - 2) : start].rstrip().endswith(label)


def _office(text: str, start: int, end: int, label: str | None) -> str | None:
    """The office a name's label gives the person named from ``start`` to ``end``: a title written right before
    the name ("Treasury Secretary Janet Yellen"), or a definite description set beside it by a comma ("the deputy
    director of the F.B.I., David Bowdich"; "David Bowdich, the deputy director"), which one person holds. An
    indefinite one ("Liz Cheney, a Wyoming Senate candidate") is held by many."""
    if not label:
        return None
    if _titled(text, start, label):
        return label
    match = _DEFINITE.match(label)
    if match is None:
        return None
    before = text[max(0, start - len(label) - 3) : start].rstrip()
    after = text[end : end + len(label) + 3]
    if before.endswith(label + ",") or (after.startswith(",") and after[1:].lstrip().startswith(label)):
        return match.group(1)
    return None


def _title_words(label: str) -> list[str]:
    """The words of an office, the body it belongs to first: "deputy director of the F.B.I." as "f.b.i. deputy
    director", as "F.B.I. Deputy Director" writes it."""
    words = [w.lower() for w in _TITLE_WORD.findall(label)]
    if "of" in words[1:-1]:
        at = words.index("of")
        body = [w for w in words[at + 1 :] if w not in ("the", "a", "an")]
        words = body + words[:at]
    return words


def _word_matches(word: str, other: str) -> bool:
    """One title word for another, an abbreviation for the word it shortens ("gov." for "governor"), an acronym
    with or without its dots ("F.B.I.", "FBI")."""
    if word == other or (len(word) > 2 and "." in word and word.replace(".", "") == other.replace(".", "")):
        return True
    short, full = sorted((word, other), key=len)
    return short.endswith(".") and len(short) > 2 and full.startswith(short[:-1])


def same_office(first: str | None, second: str | None, exact: bool = True) -> bool:
    """Whether two labels name one office: word for word ("New Jersey Gov." and "New Jersey Governor"), or, not
    ``exact``, every word of the shorter in the longer with the same last word ("Treasury Secretary" and "U.S.
    Treasury Secretary"; but also "Attorney General" and "Deputy Attorney General", hence the choice). A label
    of one word ("Sen.", "President") is held by many at once and names no one office; nor does a past one
    ("former communications director")."""
    if not first or not second:
        return False
    a, b = sorted((_title_words(first), _title_words(second)), key=len)
    if len(a) < _OFFICE_WORDS or not _word_matches(a[-1], b[-1]) or _PAST & {*a, *b}:
        return False
    if exact:
        return len(a) == len(b) and all(_word_matches(w, x) for w, x in zip(a, b, strict=True))
    return all(any(_word_matches(w, x) for x in b) for w in a)


def office_holders(view_a: SentenceView, view_b: SentenceView, exact: bool = True) -> tuple[list[str], list[str]]:
    """The people each sentence gives an office (see :func:`same_office`) that the other gives someone else:
    "Texas Governor George H.W. Bush" against "Texas Governor Rick Perry", though the first names Perry too."""
    held_a, held_b = set(), set()
    for entity_a, (a, office_a) in view_a.roles.items():
        for entity_b, (b, office_b) in view_b.roles.items():
            if entity_a != entity_b and not _name_words(a) & _name_words(b) and same_office(office_a, office_b, exact):
                held_a.add(a)
                held_b.add(b)
    return sorted(held_a), sorted(held_b)


def _mask_people(text: str, people: dict[str, str]) -> str:
    for name in sorted(people.values(), key=len, reverse=True):
        text = text.replace(name, "PERSON")
    return text


def _fuzzy_alike(_key_a: tuple[str, int], first: str, _key_b: tuple[str, int], second: str) -> bool:
    return bool(fuzz.token_set_ratio(first, second) >= _SAME_BUT_NAMES)


def _unit(text: str, figure: Figure) -> str:
    """The word right after a figure's first occurrence, shortened; empty when none follows."""
    at = text.find(figure.text)
    match = _UNIT.match(text, at + len(figure.text)) if at >= 0 else None
    return match.group(1).lower()[:_UNIT_CHARS] if match else ""


def _one_tally(mine: Sequence[Figure], theirs: Sequence[Figure]) -> tuple[Figure, Figure] | None:
    """The one pair of counts, one from each side, both at least ``_TALLY_FLOOR`` and within a factor of
    ``_TALLY_RATIO`` of each other; None when there is no such pair or more than one."""
    close = [
        (a, b) for a in mine for b in theirs
        if min(a.value, b.value) >= _TALLY_FLOOR and max(a.value, b.value) <= min(a.value, b.value) * _TALLY_RATIO
    ]  # fmt: skip
    return close[0] if len(close) == 1 else None


_WRITTEN_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.(\d+))?")


def _step(figure: Figure) -> float:
    """The place of a figure's last written digit, scaled: 100,000 for "$13.6 million", 1 for "1,800"."""
    match = _WRITTEN_NUMBER.search(figure.text)
    if match is None:
        return 0.0
    written = float(match.group(0).replace(",", ""))
    scale = figure.value / written if written else 1.0
    return scale * 10.0 ** -len(match.group(1) or "")


def rounds_to(rounded: Figure, exact: Figure) -> bool:
    """Whether ``rounded`` is ``exact`` written with fewer digits ("nearly $44 million" for $43,885,310):
    one report rounding another's figure does not disagree with it."""
    step = _step(rounded)
    if rounded.kind != exact.kind or step <= _step(exact) or step <= 0:
        return False
    return abs(round(exact.value / step) * step - rounded.value) <= step * 1e-6


def differing_figures(first: str, second: str) -> dict[str, tuple[list[str], list[str]]]:
    """Kind -> (figures only ``first`` gives, figures only ``second`` gives) where the two disagree on a figure
    of that kind counting the same thing (followed by the same word); times aside, and figures the other side
    gives rounded (``rounds_to``) agree."""
    comparison = compare_figures(first, second)
    found: dict[str, tuple[list[str], list[str]]] = {}
    for kind in comparison.conflicting_kinds:
        if kind in _TIME_KINDS:
            continue
        mine = [f for f in comparison.only_first if f.kind == kind]
        theirs = [f for f in comparison.only_second if f.kind == kind]
        agreed = [(a, b) for a in mine for b in theirs if rounds_to(a, b) or rounds_to(b, a)]
        mine = [f for f in mine if not any(f is a for a, _ in agreed)]
        theirs = [f for f in theirs if not any(f is b for _, b in agreed)]
        if not mine or not theirs:
            continue
        units = {_unit(first, f) for f in mine} & {_unit(second, f) for f in theirs}
        # Money carries its unit in its sign; a plain number counts what follows it, or is a count large and
        # close enough to the other's to be a tally of the same thing ("700,000 Dreamers" against "roughly
        # 900,000 young immigrants"), where small ones are details ("seven miles" against "two injured").
        if kind == "money" or units:
            found[kind] = ([f.text for f in mine], [f.text for f in theirs])
        elif tally := _one_tally(mine, theirs):
            found[kind] = ([tally[0].text], [tally[1].text])
    return found


def dated_things(article: Article, index: int) -> dict[str, set[str]]:
    """Day (as facts give it: "2012-09-11", or a range "first/last") -> the words right after each of the
    sentence's written-out days giving it, shortened: "the Sept. 11, 2012, attack" dates an "atta(ck)"; a day
    written as a deadline ("until Feb. 15", "by Friday, March 1") dates the deadline (:data:`DEADLINE`)."""
    sentence = next(s for s in article.sentences if s.index == index)
    found: dict[str, set[str]] = {}
    for ref in article.times:
        if not sentence.start <= ref.start < sentence.end or not any(c.isdigit() for c in ref.text):
            continue
        match = _DATED_THING.match(article.text, ref.end, sentence.end)
        if match:
            found.setdefault(day_key(ref), set()).add(match.group(1).lower()[:_UNIT_CHARS])
        if _DEADLINE_BEFORE.search(ref.text) or _DEADLINE_BEFORE.search(
            article.text, max(sentence.start, ref.start - 24), ref.start
        ):
            found.setdefault(day_key(ref), set()).add(DEADLINE)
    return found


def _differing_days(
    first: tuple[frozenset[str], frozenset[str]], second: tuple[frozenset[str], frozenset[str]]
) -> tuple[frozenset[str], frozenset[str]] | None:
    """The days each gives that the other does not, when each gives one and one of those is written out
    ("March 21"): "on Wednesday" in two articles resolves by their dates, which may be a day apart."""
    (days_a, explicit_a), (days_b, explicit_b) = first, second
    only_a, only_b = days_a - days_b, days_b - days_a
    if only_a and only_b and (only_a & explicit_a or only_b & explicit_b):
        return only_a, only_b
    return None


def fact_conflicts(
    fact: Fact,
    articles: Sequence[Article],
    dates: dict[tuple[str, int], tuple[frozenset[str], frozenset[str]]],
    alike: Alike = _fuzzy_alike,
    people: frozenset[str] | None = None,
    compared: Callable[[tuple[str, int], tuple[str, int]], bool] | None = None,
) -> list[Conflict]:
    """The conflicts among one fact's sources (``dates``: the resolved days of each cited sentence, and those
    written out; ``people``: the entities that are persons, None for every PERSON mention; ``compared``: which
    pairs of sources to compare, every pair when None)."""
    by_id = {a.id: a for a in articles}
    sources = [c for c in fact.sources if c.article in by_id]
    views = {(c.article, c.sentence): _sentence_view(by_id[c.article], c.sentence, people) for c in sources}
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
            if compared is not None and not compared(key_a, key_b):
                continue
            days = _differing_days(dates.get(key_a, _NO_DATES), dates.get(key_b, _NO_DATES))
            view_a, view_b = views[key_a], views[key_b]
            figures = differing_figures(view_a.text, view_b.text)
            only_a, only_b = differing_people(view_a.people, view_b.people, (view_a.quoted, view_b.quoted))
            held_a, held_b = office_holders(view_a, view_b)
            if only_a and only_b and (days is not None or figures) and not held_a:
                # Other people and another value: two statements about two people ("Mr. Bush said his tax rate was
                # 36 percent" / "The Clintons' tax rate was 35.7 percent"), not one report disagreeing twice.
                continue
            if days is not None:
                side("date", ", ".join(sorted(days[0])), first)
                side("date", ", ".join(sorted(days[1])), second)
            for kind, (mine, theirs) in figures.items():
                side(kind, ", ".join(mine), first)
                side(kind, ", ".join(theirs), second)
            # One office given to two people: the people who hold it are the conflict (an office named in more
            # words by one side only when the two read as one statement).
            if not held_a:
                loose_a, loose_b = office_holders(view_a, view_b, exact=False)
                masked_a, masked_b = _mask_people(view_a.text, view_a.people), _mask_people(view_b.text, view_b.people)
                # Read once (the pair model may be asked): the office named in more words first, else the names.
                if (loose_a or (only_a and only_b)) and alike(key_a, masked_a, key_b, masked_b):
                    held_a, held_b = (loose_a, loose_b) if loose_a else (only_a, only_b)
            if held_a:
                side("person", ", ".join(held_a), first)
                side("person", ", ".join(held_b), second)
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
        announced = [any(views[(s.article, s.sentence)].announced for s in c.sources) for c in claims]
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


def _dates_one_thing(
    days: tuple[frozenset[str], frozenset[str]], things_a: dict[str, set[str]], things_b: dict[str, set[str]]
) -> set[str]:
    """What a day only the first gives and a day only the second gives both date: the same word, or a deadline."""
    dated_a = set().union(*(things_a.get(d, set()) for d in days[0]))
    dated_b = set().union(*(things_b.get(d, set()) for d in days[1]))
    return dated_a & dated_b


def conflict_links(
    articles: Sequence[Article],
    sentences: Sequence[FactSentence],
    vectors: Vectors,
    scorer: PairScorer,
    settings: FactSettings,
    people: frozenset[str] | None = None,
) -> list[tuple[int, int]]:
    """Pairs of sentences (indices) of two articles that differ in a day, a figure or a person and say the same
    thing once they are read as agreeing (see the module docstring)."""
    floor = min(settings.candidate_cosine, settings.same_date_cosine)
    pairs, cosines = similarity_pairs(sentences, vectors, floor)
    views: dict[int, SentenceView] = {}

    def view(k: int) -> SentenceView:
        if k not in views:
            views[k] = _sentence_view(articles[sentences[k].article], sentences[k].sentence, people)
        return views[k]

    things: dict[int, dict[str, set[str]]] = {}

    def things_of(k: int) -> dict[str, set[str]]:
        if k not in things:
            things[k] = dated_things(articles[sentences[k].article], sentences[k].sentence)
        return things[k]

    candidates: list[tuple[int, int]] = []
    alike: list[bool] = []
    # Pairs that differ in people only: the pair model alone is too lenient there (MSRP pairs share their
    # actors), so they must also be as close in meaning as two reports of one day.
    people_only: list[bool] = []
    closest_dated: dict[tuple[int, int], tuple[float, int]] = {}
    agreeing: list[FactSentence] = []
    for i, j in pairs:
        first, second = sentences[i], sentences[j]
        days = _differing_days((first.dates, first.explicit), (second.dates, second.explicit))
        dated_alike = _dates_one_thing(days, things_of(i), things_of(j)) if days is not None else set()
        # Two deadlines are one only in two reports of one statement (an event may set several).
        if dated_alike - {DEADLINE} or (dated_alike and cosines[i, j] >= settings.candidate_cosine):
            # One thing given two days ("the Sept. 11 attack" against "the Sept. 12 attack"), whatever else the
            # two sentences say: the closest such pair of two articles.
            for one, partner in ((i, j), (j, i)):
                key = (one, sentences[partner].article)
                if key not in closest_dated or cosines[i, j] > closest_dated[key][0]:
                    closest_dated[key] = (float(cosines[i, j]), partner)
        view_a, view_b = view(i), view(j)
        figures = differing_figures(view_a.text, view_b.text)
        only_a, only_b = differing_people(view_a.people, view_b.people, (view_a.quoted, view_b.quoted))
        # One office held by two people in two reports of one statement (an office named in more words by one of
        # them only when the two are as close as two reports of one day).
        offices = (cosines[i, j] >= settings.candidate_cosine and bool(office_holders(view_a, view_b)[0])) or (
            cosines[i, j] >= settings.conflict_date_cosine and bool(office_holders(view_a, view_b, exact=False)[0])
        )
        if days is None and not figures and not (only_a and only_b) and not offices:
            continue
        masked_a, masked_b = _mask_people(view_a.text, view_a.people), _mask_people(view_b.text, view_b.people)
        alike.append(
            bool(fuzz.token_set_ratio(masked_a, masked_b) >= _SAME_BUT_NAMES)
            # So close in meaning that only the day tells them apart.
            or (days is not None and cosines[i, j] >= settings.conflict_date_cosine)
            or offices
        )
        # The first read with the second's people in place of its own (the scorer masks the figures).
        text = view_a.text
        for mine, theirs in zip(only_a, only_b, strict=False):
            text = text.replace(mine, theirs)
        agreeing += [replace(first, text=text), replace(second, text=view_b.text)]
        candidates.append((i, j))
        people_only.append(days is None and not figures and cosines[i, j] < settings.conflict_date_cosine)
    # Each pair was filed both ways: kept when each is the other's closest.
    dated = [
        (i, j) for (i, _), (_, j) in closest_dated.items() if i < j and closest_dated[(j, sentences[i].article)][1] == i
    ]
    if not candidates:
        return dated
    rows = np.array([k for pair in candidates for k in pair])
    probability = scorer(agreeing, vectors[rows], [(2 * n, 2 * n + 1) for n in range(len(candidates))]).tolist()
    # A statement is reported once per article: a sentence disagrees with the one sentence of another article
    # that reads most like it once they agree, and only when that one's best in its article is it (mutual best).
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for (i, j), p in zip(candidates, probability, strict=True):
        for one, partner in ((i, j), (j, i)):
            key = (one, sentences[partner].article)
            if key not in best or p > best[key][0]:
                best[key] = (p, partner)
    return sorted(
        {
            *dated,
            *(
                (i, j)
                for (i, j), p, same, loose in zip(candidates, probability, alike, people_only, strict=True)
                if (same or (p >= scorer.threshold and not loose))
                and best[(i, sentences[j].article)][1] == j
                and best[(j, sentences[i].article)][1] == i
            ),
        }
    )


def event_conflicts(
    facts: Sequence[Fact],
    articles: Sequence[Article],
    sentences: Sequence[FactSentence],
    vectors: Vectors | None = None,
    scorer: PairScorer | None = None,
    settings: FactSettings | None = None,
) -> list[Conflict]:
    """Every conflict among the event's facts, those with the most sources first.

    With the pair ``scorer`` (and the sentences' ``vectors``), two sentences naming different people conflict
    when, the names masked, the scorer finds them the same statement or they read alike word for word; with
    ``settings`` too, the sentences that would be of a fact but for a value they give are compared with its
    sources (:func:`conflict_links`), and pairs of sentences outside any fact with each other.
    """
    dates = {(articles[s.article].id, s.sentence): (s.dates, s.explicit) for s in sentences}
    row = {(articles[s.article].id, s.sentence): k for k, s in enumerate(sentences)}
    people = event_people(articles)
    links: set[tuple[int, int]] = set()
    groups: list[tuple[Fact, list[int]]] = [
        (fact, [row[(c.article, c.sentence)] for c in fact.sources if (c.article, c.sentence) in row]) for fact in facts
    ]
    if scorer is not None and vectors is not None and settings is not None and len(sentences) > 1:
        links = set(conflict_links(articles, sentences, vectors, scorer, settings, people))
        member_of = {k: g for g, (_, members) in enumerate(groups) for k in members}
        for i, j in sorted(links):
            at_i, at_j = member_of.get(i), member_of.get(j)
            if at_i is not None and at_i == at_j:
                continue
            if at_i is None and at_j is None:
                member_of[i] = member_of[j] = len(groups)
                groups.append((_statement(articles, sentences, i, j), [i, j]))
                continue
            # The sentence outside joins its partner's fact (the better corroborated one, if both are in one).
            at, other = (at_i, j) if at_i is not None and (at_j is None or at_i < at_j) else (at_j, i)
            assert at is not None
            if other not in groups[at][1]:
                groups[at][1].append(other)
                member_of.setdefault(other, at)

    def alike(key_a: tuple[str, int], first: str, key_b: tuple[str, int], second: str) -> bool:
        if _fuzzy_alike(key_a, first, key_b, second):
            return True
        if key_a not in row or key_b not in row:
            return False
        i, j = sorted((row[key_a], row[key_b]))
        if (i, j) in links:
            return True
        if scorer is None or vectors is None:
            return False
        masked = [replace(sentences[i], text=first if row[key_a] == i else second),
                  replace(sentences[j], text=second if row[key_a] == i else first)]  # fmt: skip
        return bool(scorer(masked, vectors[[i, j]], [(0, 1)])[0] >= scorer.threshold)

    found = []
    for fact, members in groups:
        cited = tuple(cite(articles[sentences[k].article], sentences[k].sentence) for k in members)
        known = {(c.article, c.sentence) for c in fact.sources}
        sources = fact.sources + tuple(c for c in cited if (c.article, c.sentence) not in known)
        inside = {row[key] for key in known if key in row}

        def compared(key_a: tuple[str, int], key_b: tuple[str, int], inside: set[int] = inside) -> bool:
            # The fact's own sources are compared with each other; a sentence that joined for the conflict, only
            # with those it was found to disagree with.
            i, j = row.get(key_a, -1), row.get(key_b, -1)
            return (i in inside and j in inside) or tuple(sorted((i, j))) in links

        found += fact_conflicts(replace(fact, sources=sources), articles, dates, alike, people, compared)
    return sorted(found, key=lambda c: (-sum(len(claim.sources) for claim in c.claims), c.fact, c.about))


def _statement(articles: Sequence[Article], sentences: Sequence[FactSentence], i: int, j: int) -> Fact:
    """Two sentences of no fact that say the same thing but for a value: a statement of their own."""
    sources = tuple(cite(articles[sentences[k].article], sentences[k].sentence) for k in (i, j))
    event = articles[0].event or ""
    return Fact(content_id("f", event, *(f"{c.article}:{c.sentence}" for c in sources)), sources[0].text, sources,
                2, 2)  # fmt: skip


def checked_facts(
    event: str,
    articles: Sequence[Article],
    sentences: Sequence[FactSentence],
    vectors: Vectors,
    scorer: PairScorer,
    settings: FactSettings,
    conflict_scorer: PairScorer | None = None,
) -> tuple[list[Fact], list[Conflict]]:
    """The event's facts and conflicts, each fact's corroboration counting only the sources that agree (an
    outlet giving another date confirms nothing): what the analysis stage stores and the summary ranks by.
    ``conflict_scorer`` (default: ``scorer``) judges the sentences read as if they agreed."""
    found = event_facts(event, articles, sentences, vectors, scorer, settings)
    conflicts = event_conflicts(found, articles, sentences, vectors, conflict_scorer or scorer, settings)
    return without_dissent(found, conflicts, sentences, articles), conflicts
