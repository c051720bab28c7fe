"""Quotes and attributions: who said what, in direct quotes and in reported speech.

Two passes over one parsed article, both cheap next to the parse itself.

Direct quotes come from pairing quote marks (straight, curly, guillemets, „…“, ``…'', '…',
quotes that run over several paragraphs), then looking next to each quote for its cue and
source: after it (“…,” Putin said / said Putin / — Peskov), before it (Putin said: “…”), in
a lead-in paragraph ending in a colon, or a verb the quote is the object of (he called it
“a disaster”). A quote that resumes right after its cue (“…,” he said. “…”) is the same
quote: its pieces are the spans of one ``content``. A quote inside a larger clause (the
"so-called" kind) is left to the second pass.

Reported speech comes from the dependency parse: a cue verb with a clausal complement
("X said (that) …": source = subject, content = complement), a cue verb with an object
("X denied the report"), a parenthetical ("…, X said, …") and "according to X, …".

Each source is resolved to a speaker name from the article's entities: titles dropped,
partial names expanded to the fullest earlier mention, pronouns and role nouns ("the
spokesman") followed back to the most recent person who spoke or was a subject.
Conventions follow PolNeAR: content keeps its quote marks and "that", not the trailing
full stop; a content that starts with a quote mark is a direct quote.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from ..model import Quote, Span

__all__ = ["find_quotes", "quote_segments"]


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Quote marks, longest first so that `` and '' are read as one mark.
_MARK = re.compile(r"``|''|‘‘|’’|[\"“”«»„‘’']")
_DOUBLE_OPENERS = frozenset({"«", "„", "``", "‘‘"})
_DOUBLE_CLOSERS = frozenset({"”", "»", "’’"})
_DOUBLE_TOGGLES = frozenset({'"', "''"})
_SINGLE_MARKS = frozenset({"‘", "’", "'"})
_QUOTE_CHARS = "\"“”«»„‘’'`"
# A paragraph that continues an open quote starts with one of these.
_CONTINUATION = re.compile(r"[\s\xa0]*(?:``|''|‘‘|[\"“”«„])")
_PARAGRAPH = re.compile(r"[^\n]+")
# Characters before an opening quote mark (besides white space) and after a closing one.
_BEFORE_OPEN = "([{—–-/:"
_AFTER_CLOSE = ".,;:!?)]}—–-…"
_DASH = re.compile(r"[\s\xa0]*(—|–|--|―|-)[\s\xa0]*")
_SENTENCE_END = frozenset({".", "!", "?"})
# Where a quote can start as a quote of its own: after these, or at the start of a paragraph.
_OPEN_BEFORE = frozenset({".", "!", "?", ":", ",", ";", "(", "[", "—", "–", "--", "-", "―", "…"})
# The quote ends a clause that its tail attributes ("…,” he said) when its last inner character is one of these.
_CLAUSE_BREAK = ",?!—–-…"
# Punctuation left off the ends of content and source spans (quote marks are kept: PolNeAR keeps them).
_TRIM = ",;:.—–-…()[] \n\t\xa0"

# How far (in tokens) to look around a quote for its cue: far enough for "said Larry Noble, an
# attorney with the Campaign Legal Center", near enough not to reach the next sentence's verb.
_MAX_TAIL_TOKENS = 40
_MAX_LEAD_TOKENS = 40
# A tail after a quote that ends in a full stop is its attribution only when this short ("Putin said.").
_MAX_SHORT_TAIL_TOKENS = 8
# A source longer than this is a parse gone astray ("Douglas Holtz-Eakin, an economist who served as
# director of the Congressional Budget Office and is now president of …" is 190 characters).
_MAX_SOURCE_CHARS = 250
# Paragraphs searched back for the person a pronoun or role noun refers to.
_MAX_ANTECEDENT_PARAGRAPHS = 6
# Tokens between a verb and the colon of its lead-in ("fired back:", "told reporters on Monday:").
_MAX_COLON_GAP = 6

_VERB_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj"})
_AUXILIARIES = frozenset({"aux", "auxpass"})
# Verbs in a quote's tail that are not its cue but part of the source's description ("who heads …").
_SUBORDINATE = frozenset({"relcl", "acl", "amod", "pcomp", "xcomp", "advcl", "csubj"})
_OBJECT_CONTENT_DEPS = frozenset({"dobj", "xcomp", "oprd", "prep", "dative", "ccomp", "attr", "acomp"})
# Cue verbs whose object is who was spoken to, not what was said ("told reporters").
_ADDRESSEE_VERBS = frozenset({"tell", "tells", "told", "telling", "ask", "asks", "asked", "asking"})
_NOT_SOURCES = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her", "who", "whom"})
_MALE = frozenset({"he", "him", "his", "himself"})
_FEMALE = frozenset({"she", "her", "hers", "herself"})
_GROUP_PRONOUNS = frozenset({"they", "them", "which"})
_FIRST_PERSON = frozenset({"i", "we"})
_EXPLETIVES = frozenset({"it", "there"})
# Titles dropped from the front of a speaker's name ("Sen. Ted Cruz" -> "Ted Cruz").
_TITLES = _wordset(
    """mr mr. mrs mrs. ms ms. miss dr dr. sen sen. senator rep rep. representative gov gov. governor president
    vice prime minister secretary gen gen. general lt lt. col col. sgt sgt. adm adm. judge justice mayor
    chairman chairwoman chief director spokesman spokeswoman spokesperson former candidate sir lord lady
    rev rev. pope king queen prince princess dame attorney ambassador leader commissioner speaker the"""
)
# Role nouns that stand for a person named earlier ("the spokesman said").
_PERSON_NOUNS = _wordset(
    """spokesman spokeswoman spokesperson adviser advisor aide senator congressman congresswoman lawmaker
    president candidate nominee governor mayor minister secretary official director chairman chairwoman chair
    chief executive ceo founder judge justice lawyer attorney prosecutor businessman businesswoman billionaire
    mogul leader host anchor reporter author writer columnist economist professor analyst strategist pollster
    man woman pastor pope pontiff king queen prince chancellor premier ambassador general commander officer
    representative politician democrat republican front-runner frontrunner challenger incumbent veteran
    father mother wife husband son daughter brother sister student teacher doctor neurosurgeon surgeon
    actor actress singer star diplomat envoy negotiator commissioner sheriff detective investigator
    spokesmen researcher scientist expert activist organizer manager owner boss"""
)
# Role nouns that stand for an organisation rather than a person ("the company said").
_ORG_NOUNS = _wordset(
    """company campaign group agency department ministry committee organization organisation party government
    administration firm newspaper network office court council commission board bank union team club
    coalition association foundation institute university school hospital police army military embassy
    kremlin house pentagon paper magazine station channel outlet publication"""
)
# Sources that are documents or collectives, not a speaker to name.
_NAMELESS_NOUNS = _wordset(
    """statement report reports poll polls survey surveys study studies data letter memo document documents
    filing analysis article story website site message post tweet sign ad advertisement release book
    email e-mail transcript video record records figures numbers research results people voters officials
    sources experts critics analysts supporters aides observers residents members others many some"""
)
# Plural nouns for people that say something together ("officials said").
_GROUP_NOUNS = _wordset(
    """people voters officials sources experts critics analysts supporters aides observers residents members
    allies leaders diplomats lawmakers legislators authorities investigators prosecutors scientists researchers
    economists activists protesters workers employees executives negotiators"""
)
_NAME_LABELS = ("PERSON", "ORG")
# The label of a speaker that is a description ("U.S. officials"), not a name: no pronoun refers back to it.
_DESCRIBED = "DESCRIBED"
# Words before a group's head noun that count it rather than describe it ("Multiple U.S. officials").
_QUANTIFIERS = _wordset(
    """a an the this that these those some several multiple many numerous various few other others two three
    four five six seven eight nine ten dozens dozen hundreds scores most all any both"""
)
# Object-taking cues in their base form ("plan to discuss “…”", "will discuss “…”") report no act of speech.
_BASE_FORM = "VB"
# Dependencies of a cue verb's object that make it a clause ("warned Beijing not to do so"), not a noun phrase.
_CLAUSAL_OBJECTS = frozenset({"xcomp", "ccomp"})

StartKind = Literal["open", "verb", "embedded"]


@lru_cache(maxsize=1)
def speech_cues() -> frozenset[str]:
    """Word forms of verbs that report what was said as a clause ("said", "warned", "told")."""
    return _cue_words()[0]


@lru_cache(maxsize=1)
def _cue_words() -> tuple[frozenset[str], frozenset[str]]:
    """The clause-taking and object-taking cue word forms, from the shipped cue_verbs.txt."""
    sections: dict[str, set[str]] = {"clause": set(), "object": set()}
    current = "clause"
    text = resources.files("storyline.nlp").joinpath("cue_verbs.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            continue
        sections[current].update(line.lower().split())
    return frozenset(sections["clause"]), frozenset(sections["object"])


@dataclass(frozen=True, slots=True)
class QuoteSegment:
    """A stretch of text between quote marks (marks included) within one paragraph.

    Pieces of one quote that runs over several paragraphs share ``group``.
    """

    start: int
    end: int
    group: int


@dataclass(slots=True)
class _Attribution:
    content: list[tuple[int, int]]
    cue: tuple[int, int]
    source: tuple[int, int] | None
    source_token: int | None
    direct: bool
    # Where the words that attribute a quote end ("…,” he said.|): a quote resuming here is the same quote.
    cue_end: int = -1
    segments: list[int] = field(default_factory=list)
    # False for a noun phrase object ("expressed support for X"): an act or stance, not words said.
    speech: bool = True
    # The words are not the subject's ("they plan to discuss “…”"): the speaker is the one attributed just before.
    continues: bool = False


# ---------------------------------------------------------------- quote marks


def _is_space(char: str) -> bool:
    # Format characters (U+202A and kin) sit invisibly next to quote marks in pasted social-media text.
    return char == "" or char.isspace() or unicodedata.category(char) == "Cf"


def _opens(before: str, after: str) -> bool:
    return (_is_space(before) or before in _BEFORE_OPEN or before in _QUOTE_CHARS) and not _is_space(after)


def _closes(before: str, after: str) -> bool:
    return not _is_space(before) and (_is_space(after) or after in _AFTER_CLOSE or after in _QUOTE_CHARS)


def _double_opens(mark: str, before: str, after: str, inside: bool) -> bool | None:
    """True for an opening double mark, False for a closing one, None for one to ignore."""
    if mark in _DOUBLE_OPENERS:
        return True
    if mark in _DOUBLE_CLOSERS:
        # ” as an opener: some sites use one character for both.
        return not inside and _is_space(before) and after.isalnum()
    if mark == "“":
        # “ as a closer: a typo about as common in scraped news as the right mark.
        return not (inside and _closes(before, after))
    if inside:
        return False
    if _closes(before, after) and not _opens(before, after):
        return None  # A stray closer (an inch mark, a lost opener): opening here would swallow the paragraph.
    return True


def quote_segments(text: str) -> list[QuoteSegment]:
    """Every quoted stretch of ``text``, marks included, in text order.

    Double marks pair first; single marks pair only outside them (inside, they quote within
    the quote) and only when they close in the same paragraph. A paragraph that ends inside
    a quote continues it when the next paragraph opens with a quote mark (the English
    convention); a quote left open otherwise ends with its paragraph.
    """
    segments: list[QuoteSegment] = []
    paragraphs = [m.span() for m in _PARAGRAPH.finditer(text)]
    group = 0
    carried = False  # this paragraph continues a quote from the previous one
    for number, (start, end) in enumerate(paragraphs):
        double: int | None = None
        single: int | None = None
        for match in _MARK.finditer(text, start, end):
            mark, (left, right) = match.group(), match.span()
            before = text[left - 1] if left > start else ""
            after = text[right] if right < end else ""
            if mark in _SINGLE_MARKS:
                if double is not None:
                    continue
                if single is None:
                    if mark != "’" and _opens(before, after) and (after.isalnum() or after in _QUOTE_CHARS):
                        single = left
                elif mark != "‘" and _closes(before, after):
                    segments.append(QuoteSegment(single, right, group))
                    group += 1
                    single = None
                continue
            opening = _double_opens(mark, before, after, double is not None)
            if opening is None:
                continue
            if opening:
                if double is not None:
                    # The quote before was left open (a lost closing mark): it ends where this one starts.
                    segments.append(QuoteSegment(double, _rstrip(text, double, left), group))
                    group += 1
                    carried = False
                double, single = left, None
            elif double is not None:
                segments.append(QuoteSegment(double, right, group))
                group += 1
                double, carried = None, False
        if double is None:
            carried = False
            continue
        segments.append(QuoteSegment(double, _rstrip(text, double, end), group))
        following = paragraphs[number + 1][0] if number + 1 < len(paragraphs) else None
        carried = following is not None and _CONTINUATION.match(text, following) is not None
        if not carried:
            group += 1
    return [s for s in segments if any(c.isalnum() for c in text[s.start : s.end])]


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


# ---------------------------------------------------------------- tokens


class _Article:
    """One parsed article with the lookups both passes share."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text
        self.starts = [token.idx for token in doc]
        self.paragraphs = [m.span() for m in _PARAGRAPH.finditer(self.text)] or [(0, len(self.text))]
        self.paragraph_starts = [start for start, _ in self.paragraphs]
        self.clause, self.objects = _cue_words()

    def token_at(self, char: int) -> int:
        """Index of the token that holds character ``char``, or of the first token after it."""
        index = max(bisect_right(self.starts, char) - 1, 0)
        token = self.doc[index]
        if char >= token.idx + len(token.text) and index + 1 < len(self.doc):
            return index + 1
        return index

    def paragraph_of(self, char: int) -> int:
        return max(bisect_right(self.paragraph_starts, char) - 1, 0)

    def paragraph_bounds(self, char: int) -> tuple[int, int]:
        return self.paragraphs[self.paragraph_of(char)]

    def is_cue(self, token: Token) -> bool:
        return _is_verb(token) and (token.lower_ in self.clause or token.lower_ in self.objects)

    def span(self, first: int, last: int) -> tuple[int, int] | None:
        """Characters of tokens first..last (inclusive), trimmed of edge punctuation; None if nothing is left."""
        doc = self.doc
        start, end = doc[first].idx, doc[last].idx + len(doc[last].text)
        while start < end and self.text[start] in _TRIM:
            start += 1
        while end > start and self.text[end - 1] in _TRIM:
            end -= 1
        return (start, end) if end > start else None


def _is_verb(token: Token) -> bool:
    return token.tag_ in _VERB_TAGS and token.dep_ not in _AUXILIARIES


def _is_break(token: Token) -> bool:
    return "\n" in token.text or "\n" in token.whitespace_


def _subject(verb: Token) -> Token | None:
    """The verb's subject, or that of the verb it hangs on ("…, adding", "and added", "writing “…”")."""
    current = verb
    inside = {t.i for t in verb.subtree}
    for _ in range(4):
        for child in current.children:
            if child.dep_ in _SUBJECTS and child.i not in inside:
                return child
            if child.dep_ in _SUBJECTS and current.i == verb.i:
                return child
        for child in current.children:
            if child.dep_ == "agent":
                for grandchild in child.children:
                    if grandchild.dep_ == "pobj":
                        return grandchild
        if current.head.i == current.i or current.dep_ in ("ccomp", "relcl", "acl"):
            return None
        current = current.head
    return None


def _run(tokens: list[int], center: int) -> tuple[int, int]:
    """The contiguous run of indices through ``center`` (a subtree with holes stops at the hole)."""
    present = set(tokens)
    first = last = center
    while first - 1 in present:
        first -= 1
    while last + 1 in present:
        last += 1
    return first, last


# ---------------------------------------------------------------- direct quotes


class _DirectFinder:
    """Attributes quote-mark segments to the cues and sources next to them."""

    def __init__(self, article: _Article, segments: list[QuoteSegment]) -> None:
        self.article = article
        self.segments = segments

    def find(self) -> list[_Attribution]:
        segments, text = self.segments, self.article.text
        kinds = [self._start_kind(k) for k in range(len(segments))]
        tails = [self._tail(k) if kinds[k][0] != "embedded" else None for k in range(len(segments))]
        found: list[_Attribution] = []
        taken: set[int] = set()
        for k, segment in enumerate(segments):
            if k in taken:
                continue
            kind, verb = kinds[k]
            if kind == "embedded":
                continue
            members = [j for j in range(k, len(segments)) if segments[j].group == segment.group]
            attribution = next((tails[j] for j in members if tails[j] is not None), None)
            if attribution is None and verb is not None:
                attribution = self._object_quote(k, verb)
            if attribution is None:
                attribution = self._lead(k)
            if attribution is None and self._opens_paragraph(segment):
                attribution = self._lead_in_paragraph(segment)
            if attribution is None:
                continue
            taken.update(members)
            attribution.segments = list(members)
            last = members[-1]
            resumed = last + 1
            # A quote that resumes right after its cue is the same quote (“…,” he said. “…”).
            if tails[last] is attribution and resumed < len(segments) and tails[resumed] is None:
                between = text[attribution.cue_end : segments[resumed].start]
                if attribution.cue_end >= 0 and not between.strip(" .,;:\xa0") and "\n" not in between:
                    group = segments[resumed].group
                    more = [j for j in range(resumed, len(segments)) if segments[j].group == group]
                    attribution.segments.extend(more)
                    taken.update(more)
            if not attribution.content:
                attribution.content = [(segments[j].start, segments[j].end) for j in attribution.segments]
            found.append(attribution)
        return found

    def _start_kind(self, k: int) -> tuple[StartKind, Token | None]:
        """Whether quote ``k`` starts a quote of its own, is the object of a verb, or sits inside a clause."""
        article, segment = self.article, self.segments[k]
        paragraph_start, _ = article.paragraph_bounds(segment.start)
        if not article.text[paragraph_start : segment.start].strip():
            return "open", None
        if k > 0 and not article.text[self.segments[k - 1].end : segment.start].strip():
            return "open", None
        index = article.token_at(segment.start) - 1
        doc = article.doc
        while index >= 0 and (doc[index].is_space or doc[index].idx >= segment.start):
            index -= 1
        if index < 0:
            return "open", None
        before = doc[index]
        if before.text in _OPEN_BEFORE or before.text[-1:] in _QUOTE_CHARS:
            return "open", None
        if article.is_cue(before):
            return "verb", before
        if before.dep_ in ("prt", "prep") and article.is_cue(before.head) and before.head.i < index:
            return "verb", before.head
        if before.lower_ == "to" and index > 0 and article.is_cue(doc[index - 1]):
            return "verb", doc[index - 1]  # vowed to “continue the fight”
        return "embedded", None

    def _object_quote(self, k: int, verb: Token) -> _Attribution | None:
        """A quote right after its verb: he vowed to “continue the fight” / McConnell said “the next president” …."""
        article, segment = self.article, self.segments[k]
        subject = _subject(verb)
        if subject is None and verb.lower_ not in article.clause:
            return None
        end = self._clause_end(segment)
        cue = (verb.idx, verb.idx + len(verb.text))
        if verb.tag_ == _BASE_FORM and verb.lower_ not in article.clause:
            # "The Kremlin said the leaders will discuss “…”", "They plan to discuss “…”": a talk to come quoted in
            # someone else's words, those of the speech verb above it or else of the speaker just before.
            outer = next((t for t in verb.ancestors if t.lower_ in article.clause and _is_verb(t)), None)
            if outer is not None:
                reported = self._reported_clause(outer, verb, end)
                if reported is not None:
                    return reported
                verb, subject = outer, _subject(outer)
        source = self._source(verb, subject, 0, verb.i)
        attribution = _Attribution([(segment.start, end)], cue, source[0], source[1], True)
        # With no speech verb above it, the speaker just before (if any) said these words, not the subject.
        attribution.continues = verb.tag_ == _BASE_FORM and verb.lower_ not in article.clause
        return attribution

    def _reported_clause(self, outer: Token, verb: Token, end: int) -> _Attribution | None:
        """What a speech verb above a talk to come reports: the whole clause, the quoted words inside it ("The Kremlin
        said the two leaders would discuss “strategic cooperation”"), as "warned that doing so “would …”" is."""
        clause = next(t for t in (verb, *verb.ancestors) if t.head.i == outer.i)
        if clause.dep_ not in ("ccomp", "xcomp") or clause.left_edge.i <= outer.i:
            return None
        source = self._source(outer, _subject(outer), 0, outer.i)
        cue = (outer.idx, outer.idx + len(outer.text))
        return _Attribution([(clause.left_edge.idx, end)], cue, source[0], source[1], False)

    def _clause_end(self, segment: QuoteSegment) -> int:
        """Where the clause a quote belongs to ends: the quote's end, or further when it stops mid-clause."""
        article, doc = self.article, self.article.doc
        after = article.token_at(segment.end)
        if after >= len(doc) or doc[after].idx < segment.end:
            return segment.end
        following = doc[after]
        if not (following.is_alpha and following.text[:1].islower()) or article.is_cue(following):
            return segment.end
        stop = after
        while stop + 1 < len(doc) and doc[stop + 1].text not in _SENTENCE_END and not _is_break(doc[stop + 1]):
            stop += 1
        inside = doc[article.token_at(segment.start) : after]
        roots = [t for t in inside if not segment.start <= t.head.idx < segment.end]
        last = max((t.i for root in roots for t in root.subtree if t.i <= stop), default=after - 1)
        span = article.span(after, last) if last >= after else None
        return span[1] if span is not None else segment.end

    def _opens_paragraph(self, segment: QuoteSegment) -> bool:
        start, _ = self.article.paragraph_bounds(segment.start)
        return not self.article.text[start : segment.start].strip()

    def _inner_end(self, segment: QuoteSegment) -> str:
        """The last character inside the quote marks ("," in “We will,”)."""
        inner = self.article.text[segment.start : segment.end].rstrip(_QUOTE_CHARS + " \xa0")
        return inner[-1:]

    def _tail(self, k: int) -> _Attribution | None:
        """The cue and source after quote ``k``: “…,” Putin said / said Putin / — Dmitry Peskov."""
        article, doc, segment = self.article, self.article.doc, self.segments[k]
        _, paragraph_end = article.paragraph_bounds(segment.start)
        limit = paragraph_end
        if k + 1 < len(self.segments):
            limit = min(limit, self.segments[k + 1].start)
        dash = _DASH.match(article.text, segment.end, limit)
        if dash is not None:
            return self._dash(dash, limit)
        first = article.token_at(segment.end)
        region: list[Token] = []
        for token in doc[first : first + _MAX_TAIL_TOKENS]:
            if token.idx >= limit or (_is_break(token) and region):
                break
            if token.is_space:
                continue
            region.append(token)
            if token.text in _SENTENCE_END:
                break
        if not region or (region[0].text[:1] in _QUOTE_CHARS and len(region) == 1):
            return None
        verbs = [t for t in region if _is_verb(t) and t.dep_ not in _SUBORDINATE]
        cue = next((t for t in verbs if article.is_cue(t)), verbs[0] if verbs else None)
        if cue is None and len(region) > 1 and region[-1].is_punct and region[-2].lower_ in article.clause:
            cue = region[-2]  # a cue the tagger took for a noun: “…,” the editorial read.
        if cue is None or (cue.text[:1].isupper() and cue.i == region[0].i and cue.lower_ not in article.clause):
            return None
        ending = self._inner_end(segment)
        listed = article.is_cue(cue)
        if not listed and (ending not in _CLAUSE_BREAK or cue.i - region[0].i > 3):
            return None
        # After a full stop a new sentence starts: it attributes the quote only when short ("Putin said.").
        new_sentence = ending not in _CLAUSE_BREAK and not region[0].text[:1].islower() and region[0].text != ","
        if new_sentence and (
            len(region) > _MAX_SHORT_TAIL_TOKENS or any(c.dep_ in ("ccomp", "dobj") for c in cue.children)
        ):
            return None
        low, high = region[0].i, region[-1].i + 1
        source = self._source(cue, _subject(cue), low, high)
        attribution = _Attribution([], (cue.idx, cue.idx + len(cue.text)), source[0], source[1], True)
        attribution.cue_end = region[-1].idx + len(region[-1].text)
        return attribution

    def _dash(self, dash: re.Match[str], limit: int) -> _Attribution | None:
        """“…” — Dmitry Peskov: the dash is the cue, the name after it the source."""
        article, doc = self.article, self.article.doc
        tokens: list[Token] = []
        for token in doc[article.token_at(dash.end()) :]:
            if token.idx >= limit or token.text in _SENTENCE_END or token.text in ",;(" or _is_break(token):
                break
            if token.idx >= dash.end():
                tokens.append(token)
        if not tokens or tokens[0].pos_ not in ("PROPN", "NOUN", "PRON", "DET", "ADJ"):
            return None
        source = article.span(tokens[0].i, tokens[-1].i)
        head = next((t for t in tokens if t.ent_type_ == "PERSON"), tokens[-1])
        attribution = _Attribution([], dash.span(1), source, head.i, True)
        attribution.cue_end = tokens[-1].idx + len(tokens[-1].text)
        return attribution

    def _lead_region(self, end: int, stop: int) -> list[Token]:
        """The tokens of the sentence that ends at character ``end``, back to ``stop`` or the sentence start."""
        doc = self.article.doc
        last = self.article.token_at(end) - 1
        region: list[Token] = []
        for index in range(last, max(last - _MAX_LEAD_TOKENS, -1), -1):
            token = doc[index]
            if token.idx < stop or (_is_break(token) and region) or (token.text in _SENTENCE_END and region):
                break
            if not token.is_space:
                region.append(token)
        region.reverse()
        return region

    def _lead(self, k: int) -> _Attribution | None:
        """The cue before quote ``k`` in its own sentence: Putin said: “…” / Putin said, “…” / Putin: “…”."""
        article, segment = self.article, self.segments[k]
        stop, _ = article.paragraph_bounds(segment.start)
        if k > 0 and self.segments[k - 1].end > stop:
            stop = self.segments[k - 1].end
        return self._cue_before(self._lead_region(segment.start, stop))

    def _lead_in_paragraph(self, segment: QuoteSegment) -> _Attribution | None:
        """A quote that opens a paragraph after one ending in a colon ("He wrote on Twitter:")."""
        article = self.article
        number = article.paragraph_of(segment.start)
        if number == 0:
            return None
        start, end = article.paragraphs[number - 1]
        if not article.text[start:end].rstrip().endswith(":"):
            return None
        stop = max((s.end for s in self.segments if start <= s.end <= end), default=start)
        return self._cue_before(self._lead_region(end, stop))

    def _cue_before(self, region: list[Token]) -> _Attribution | None:
        if not region:
            return None
        article = self.article
        last = region[-1]
        if last.text not in (":", ",") and not article.is_cue(last):
            return None
        low, high = region[0].i, last.i + 1
        for position in range(len(region) - 1, -1, -1):
            token = region[position]
            if token.lower_ == "according" and position + 1 < len(region) and region[position + 1].lower_ == "to":
                return self._according(token, low, high)
            if not _is_verb(token):
                continue
            close = last.i - token.i <= _MAX_COLON_GAP and not any(_is_verb(t) for t in region[position + 1 :])
            put_it = (
                token.lower_ == "put" and token.i + 1 < len(article.doc) and article.doc[token.i + 1].lower_ == "it"
            )
            if not article.is_cue(token) and not (last.text == ":" and close) and not put_it:
                return None
            source = self._source(token, _subject(token), low, high)
            return _Attribution([], (token.idx, token.idx + len(token.text)), source[0], source[1], True)
        if last.text != ":":
            return None
        # "Donald Trump: “…”", "Here’s Clinton in 1992: “…”": the colon is the cue, the name before it the source.
        names = [t for t in region[:-1] if t.ent_type_ in _NAME_LABELS] or [
            t for t in region[:-1] if t.pos_ in ("PROPN", "NOUN", "PRON") and t.ent_type_ not in _NOT_SOURCES
        ]
        if not names:
            return None
        head = names[-1]
        first, last_index = _run([t.i for t in head.subtree if low <= t.i < high - 1], head.i)
        if head.ent_type_:
            first = min(i for i in range(first, head.i + 1) if article.doc[i].ent_type_ == head.ent_type_)
            last_index = max(i for i in range(head.i, last_index + 1) if article.doc[i].ent_type_ == head.ent_type_)
        return _Attribution([], (last.idx, last.idx + 1), article.span(first, last_index), head.i, True)

    def _according(self, according: Token, low: int, high: int) -> _Attribution:
        article = self.article
        to = article.doc[according.i + 1]
        cue = (according.idx, to.idx + len(to.text))
        objects = [c for c in to.children if c.dep_ == "pobj"]
        if not objects:
            return _Attribution([], cue, None, None, True)
        first, last = _run([t.i for t in objects[0].subtree if low <= t.i < high], objects[0].i)
        return _Attribution([], cue, article.span(first, last), objects[0].i, True)

    def _source(
        self, cue: Token, subject: Token | None, low: int, high: int
    ) -> tuple[tuple[int, int] | None, int | None]:
        """The source span of ``cue`` within tokens [low, high) (never inside the quote), and its head token."""
        article, doc = self.article, self.article.doc
        if subject is not None and low <= subject.i < high and subject.ent_type_ not in _NOT_SOURCES:
            if subject.lower_ in _EXPLETIVES and any(c.dep_ == "auxpass" for c in cue.children):
                return None, None
            first, last = _run([t.i for t in subject.subtree if low <= t.i < high], subject.i)
            return article.span(first, last), subject.i
        # The parse missed the subject: take the words between the quote and the cue ("” the email read"),
        # else the noun phrase after the cue ("said the woman, who …").
        before = [t for t in doc[low : cue.i] if not t.is_punct and not t.is_space]
        while before and before[-1].pos_ in ("ADV", "AUX", "PART"):
            before.pop()
        if before and any(t.pos_ in ("PROPN", "PRON", "NOUN") for t in before):
            head = next((t for t in reversed(before) if t.pos_ in ("PROPN", "PRON", "NOUN")), before[-1])
            return article.span(before[0].i, before[-1].i), head.i
        after: list[Token] = []
        for token in doc[cue.i + 1 : high]:
            if token.is_punct or token.is_space or _is_verb(token) or token.tag_ in ("WP", "WDT", "IN", "TO"):
                if after or token.is_punct:
                    break
                continue
            after.append(token)
        nouns = [t for t in after if t.pos_ in ("PROPN", "PRON", "NOUN") and t.ent_type_ not in _NOT_SOURCES]
        if nouns:
            return article.span(after[0].i, after[-1].i), nouns[-1].i
        return None, None


# ---------------------------------------------------------------- reported speech


class _ReportedFinder:
    """Attributions from the parse: cue verbs with their complements, parentheticals, "according to"."""

    def __init__(self, article: _Article, used_cues: set[int]) -> None:
        self.article = article
        self.used = used_cues

    def find(self) -> Iterator[_Attribution]:
        article, doc = self.article, self.article.doc
        for token in doc:
            if token.idx in self.used:
                continue
            if token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
                found = self._according(token)
            elif article.is_cue(token):
                found = self._verb(token)
            else:
                continue
            if found is not None:
                yield found

    def _spans(self, tokens: Iterable[Token]) -> list[tuple[int, int]]:
        """Character spans of the tokens, one per contiguous run, trimmed of edge punctuation."""
        spans: list[tuple[int, int]] = []
        run: list[int] = []
        for index in sorted({t.i for t in tokens if not t.is_space}):
            if run and index != run[-1] + 1:
                spans.append(self._snap(run))
                run = []
            run.append(index)
        if run:
            spans.append(self._snap(run))
        text = self.article.text
        return [s for s in spans if s[1] > s[0] and any(c.isalnum() for c in text[s[0] : s[1]])]

    def _snap(self, run: list[int]) -> tuple[int, int]:
        span = self.article.span(run[0], run[-1])
        if span is None:
            return (0, 0)
        start, end = span
        text = self.article.text
        # Keep a quote's opening mark with it when the parse left it out.
        if start > 0 and text[start - 1] in _QUOTE_CHARS:
            start -= 1
        return start, end

    def _source(self, verb: Token) -> tuple[tuple[int, int] | None, int | None]:
        subject = _subject(verb)
        if subject is None or subject.ent_type_ in _NOT_SOURCES:
            return None, None
        if subject.lower_ in _EXPLETIVES and any(c.dep_ == "auxpass" for c in verb.children):
            return None, None
        sentence, paragraph = subject.sent, self.article.paragraph_of(subject.idx)
        within = [
            t.i
            for t in subject.subtree
            if sentence.start <= t.i < sentence.end and t.i != verb.i and self.article.paragraph_of(t.idx) == paragraph
        ]
        first, last = _run(within, subject.i)
        return self.article.span(first, last), subject.i

    def _verb(self, verb: Token) -> _Attribution | None:
        article = self.article
        paragraph = article.paragraph_of(verb.idx)
        # A parse can hang a clause of the paragraph before on a verb: content stays in the cue's paragraph.
        complements = [c for c in verb.children if c.dep_ == "ccomp" and article.paragraph_of(c.idx) == paragraph]
        # "S showed that ..., Politico reported": a parse may hang the closing attribution on the verb before it
        # as a second complement; it is another speaker's, not part of what this verb says.
        closing = [c for c in complements[1:] if _closes_sentence(c, article)]
        complements = [c for c in complements if c not in closing]
        speech = True
        if _closes_sentence(verb, article):
            # That closing attribution itself: it reports the sentence it ends.
            inside = {t.i for t in verb.subtree}
            content = self._spans(t for t in verb.head.subtree if t.i not in inside)
        elif complements:
            stray = {t.i for c in complements for t in _stray_conjuncts(c)}
            content = self._spans(
                [*(t for c in complements for t in c.subtree if t.i not in stray),
                 *_misparsed_subjects(verb, complements)]
            )  # fmt: skip
        elif verb.dep_ == "parataxis" and verb.lower_ in article.clause:
            # "The economy, he said, is strong": the content is the sentence around the parenthetical.
            inside = {t.i for t in verb.subtree}
            content = self._spans(t for t in verb.head.subtree if t.i not in inside)
        elif verb.lower_ not in _ADDRESSEE_VERBS:
            objects = [c for c in verb.rights if c.dep_ in _OBJECT_CONTENT_DEPS]
            if not any(c.dep_ in ("dobj", "xcomp") for c in objects):
                return None
            content = self._spans(t for c in objects for t in c.subtree)
            speech = any(c.dep_ in _CLAUSAL_OBJECTS or (c.dep_ == "dobj" and _is_verb(c)) for c in objects)
        else:
            return None
        if not content:
            return None
        source, head = self._source(verb)
        attribution = _Attribution(content, (verb.idx, verb.idx + len(verb.text)), source, head, False)
        attribution.speech = speech
        return attribution

    def _according(self, according: Token) -> _Attribution | None:
        doc = self.article.doc
        to = doc[according.i + 1]
        objects = [c for c in to.children if c.dep_ == "pobj"]
        if not objects:
            return None
        source_tokens = [t.i for t in objects[0].subtree]
        phrase = {t.i for t in according.subtree} | set(source_tokens) | {according.i, to.i}
        clause = according.head
        while clause.dep_ not in ("ROOT", "ccomp", "conj") and clause.head.i != clause.i:
            clause = clause.head
        content = self._spans(t for t in clause.subtree if t.i not in phrase)
        if not content:
            return None
        source = self.article.span(min(source_tokens), max(source_tokens))
        return _Attribution(content, (according.idx, to.idx + len(to.text)), source, objects[0].i, False)


def _closes_sentence(verb: Token, article: _Article) -> bool:
    """Whether a cue verb is a sentence's closing attribution hung on an earlier verb as its complement: after a
    comma, with a subject of its own and no complement ("..., Politico reported on March 16.")."""
    if verb.dep_ != "ccomp" or not article.is_cue(verb) or verb.i <= verb.head.i:
        return False
    edge = verb.left_edge
    return (
        (edge.text == "," or (edge.i > 0 and verb.doc[edge.i - 1].text == ","))
        and any(c.dep_ == "nsubj" and c.i < verb.i for c in verb.children)
        and not any(c.dep_ in ("ccomp", "xcomp", "dobj") for c in verb.children)
    )


def _misparsed_subjects(verb: Token, complements: list[Token]) -> list[Token]:
    """A pronoun parsed as the cue verb's object right before a subjectless clause is that clause's subject
    ("claimed [it] would work")."""
    found = []
    for clause in complements:
        if any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in clause.children):
            continue
        before = clause.left_edge.i - 1
        if before >= 0:
            token = clause.doc[before]
            if token.head.i == verb.i and token.dep_ == "dobj" and token.tag_ == "PRP":
                found.append(token)
    return found


def _stray_conjuncts(clause: Token) -> list[Token]:
    """A noun phrase a parse coordinated with a reported clause (a speech verb's complement) at the end of its
    sentence, with its ", and": a clause is not coordinated with a bare noun phrase, which belongs with a name
    outside it ("criticized by Joe Biden, who claimed it would only work in Russia's favor, and other top Western
    officials")."""
    doc = clause.doc
    sentence_end = max((t.i for t in clause.sent if not t.is_punct and not t.is_space), default=clause.i)
    for child in clause.rights:
        if child.dep_ != "conj" or not child.tag_.startswith("NN") or child.right_edge.i != sentence_end:
            continue
        phrase = list(child.subtree)
        if any(_is_verb(t) or t.like_num for t in phrase):
            continue
        comma, conjunction = doc[child.left_edge.i - 2], doc[child.left_edge.i - 1]
        if comma.text == "," and conjunction.lower_ == "and" and comma.head.i == conjunction.head.i == clause.i:
            return [comma, conjunction, *phrase]
    return []


# ---------------------------------------------------------------- speakers


def _name_tokens(tokens: Iterable[Token], cue_words: frozenset[str]) -> list[Token]:
    """A name's tokens without leading titles or trailing possessives and cue words ("Obama Says" -> "Obama")."""
    kept = list(tokens)
    while kept and (kept[-1].text in ("'s", "’s", "'", "’") or kept[-1].lower_ in cue_words or kept[-1].is_punct):
        kept.pop()
    while len(kept) > 1 and (kept[0].lower_ in _TITLES or kept[0].is_punct):
        kept.pop(0)
    return kept


def _widened(entity: SpacySpan) -> list[Token]:
    """An entity's tokens, with first names the tagger saw but the recogniser left out ("Dmitry" Peskov)."""
    tokens = list(entity)
    doc = entity.doc
    index = entity.start - 1
    while index >= 0 and entity.label_ == "PERSON":
        token = doc[index]
        if not (token.pos_ == "PROPN" and token.is_title and token.lower_ not in _TITLES and not token.ent_type_):
            break
        if token.head.i < entity.start or token.head.i >= entity.end:
            break
        tokens.insert(0, token)
        index -= 1
    return tokens


def _contains(words: list[str], part: list[str]) -> bool:
    size = len(part)
    return bool(part) and any(words[i : i + size] == part for i in range(len(words) - size + 1))


@dataclass(frozen=True, slots=True)
class _Name:
    start: int
    end: int
    text: str
    words: tuple[str, ...]
    label: str
    root: Token
    # Role nouns the article puts before the name ("Ambassador Igor Morgulov": "ambassador").
    titles: frozenset[str] = frozenset()


def _titles(entity: SpacySpan, first: Token) -> frozenset[str]:
    """The title words before a name's first word, inside the entity or right before it."""
    doc = entity.doc
    index = first.i - 1
    found = set()
    while index >= 0 and (index >= entity.start or doc[index].dep_ == "compound"):
        word = doc[index].lower_
        if word not in _TITLES and word not in _PERSON_NOUNS:
            break
        found.add(word)
        index -= 1
    return frozenset(found)


class _Speakers:
    """Resolves sources to full names: titles dropped, partial names expanded, pronouns followed back."""

    def __init__(self, article: _Article) -> None:
        self.article = article
        cue_words = article.clause | article.objects
        self.names: list[_Name] = []
        self.name_of_token: dict[int, int] = {}
        for entity in article.doc.ents:
            if entity.label_ not in _NAME_LABELS:
                continue
            tokens = _name_tokens(_widened(entity), cue_words)
            if entity.label_ == "PERSON":
                # "Yury Ushakov, the Kremlin's" read as one name: the name ends at the comma.
                tokens = tokens[: next((n for n, t in enumerate(tokens) if t.text == ","), len(tokens))]
            if not tokens or "\n" in entity.text:
                continue
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
            words = tuple(t.text for t in tokens)
            for token in entity:
                self.name_of_token[token.i] = len(self.names)
            titles = _titles(entity, tokens[0])
            self.names.append(_Name(start, end, article.text[start:end], words, entity.label_, entity.root, titles))
        self.counts = Counter(name.words for name in self.names)
        self.genders = self._genders()
        # Earlier speakers as (character offset of the source, name, label), in text order.
        self.history: list[tuple[int, str, str]] = []

    def _genders(self) -> dict[str, int]:
        """+1 for a man, -1 for a woman, from the pronouns in the sentence where a name is the subject."""
        votes: dict[str, int] = {}
        for name in self.names:
            if name.label != "PERSON" or name.root.dep_ not in _SUBJECTS:
                continue
            sentence = name.root.sent
            # The first pronoun after the subject is most often the subject again ("X said she …").
            pronoun = next((t for t in sentence if t.i > name.root.i and t.lower_ in _MALE | _FEMALE), None)
            if pronoun is not None:
                vote = 1 if pronoun.lower_ in _MALE else -1
                votes[name.words[-1]] = votes.get(name.words[-1], 0) + vote
        return votes

    def full_name(self, name: _Name) -> str:
        """The fullest mention of a name, earlier ones first: "Peskov" -> "Dmitry Peskov"."""
        for earlier in (True, False):
            fuller = [
                other
                for other in self.names
                if (other.start < name.start) == earlier
                and (other.label == name.label or other.label == "PERSON")
                and len(other.words) > len(name.words)
                and _contains(list(other.words), list(name.words))
            ]
            if fuller:
                # The form the article uses most ("Hillary Clinton", not a one-off "Crooked Hillary Clinton").
                return max(fuller, key=lambda o: (self.counts[o.words], len(o.words), -o.start)).text
        return name.text

    def resolve(self, attribution: _Attribution, outer: str | None) -> tuple[str | None, str]:
        """The speaker's full name for the attribution's source (None if unknown), and its label."""
        if attribution.source is None or attribution.source_token is None:
            return None, "PERSON"
        article, doc = self.article, self.article.doc
        start, end = attribution.source
        head = doc[attribution.source_token]
        tokens = list(doc[article.token_at(start) : article.token_at(end - 1) + 1])
        # A name in the source stands for the speaker when it is the source's head ("Kremlin spokesman Dmitry
        # Peskov") or stands in apposition to it ("its CEO, Tim Cook"; "the news agency RIA Novosti"); not in "the
        # Clinton campaign".
        for token in [head, *tokens]:
            number = self.name_of_token.get(token.i)
            if number is None:
                continue
            name = self.names[number]
            appositive = name.root.dep_ == "appos" and name.root.head.i == head.i
            if token.i == head.i or appositive:
                return self.full_name(name), name.label
        word = head.lower_
        if word in _FIRST_PERSON:
            return (outer if len(tokens) == 1 else None), "PERSON"
        if word in ("who", "which") and head.head.dep_ == "relcl":
            described = head.head.head
            if described.i in self.name_of_token:
                name = self.names[self.name_of_token[described.i]]
                return self.full_name(name), name.label
        if word in _PERSON_PRONOUNS:
            gender = 1 if word in _MALE else -1 if word in _FEMALE else 0
            return self._antecedent("PERSON", start, gender, attribution.content), "PERSON"
        if word in _GROUP_PRONOUNS:
            return self._antecedent("ORG", start, 0, attribution.content), "ORG"
        if head.pos_ == "PROPN" and head.ent_type_ not in _NOT_SOURCES:
            words = _name_tokens(
                [t for t in tokens if t.pos_ == "PROPN" and abs(t.i - head.i) < len(tokens)], frozenset()
            )
            if words:
                name = _Name(words[0].idx, words[-1].idx + len(words[-1].text),
                             article.text[words[0].idx : words[-1].idx + len(words[-1].text)],
                             tuple(t.text for t in words), "PERSON", head)  # fmt: skip
                return self.full_name(name), "PERSON"
        definite = any(t.lower_ in ("the", "this", "that") or t.dep_ == "poss" for t in head.lefts)
        if head.tag_ == "NN" and definite and (word in _PERSON_NOUNS or word in _ORG_NOUNS):
            label = "ORG" if word in _ORG_NOUNS else "PERSON"
            # "The Kremlin's ambassador to Beijing said …  Ambassador Igor Morgulov said …": the person the
            # article gives that title is the speaker, before anyone else named earlier.
            titled = self._titled(word, start) if label == "PERSON" else None
            found = titled or self._antecedent(label, start, 0, attribution.content)
            if found is not None:
                return found, label
            return self._description(tokens, head), _DESCRIBED
        if head.tag_ == "NNS" and (word in _GROUP_NOUNS or word.removesuffix("s") in _PERSON_NOUNS):
            # "Multiple U.S. officials": a group of people, named by what the article says they are.
            return self._description(tokens, head), _DESCRIBED
        return None, "PERSON"

    def _titled(self, role: str, at: int) -> str | None:
        """The person the article gives the title ``role`` ("Ambassador Igor Morgulov"), nearest to character
        ``at`` before it, else in the rest of its paragraph or the next one."""
        article = self.article
        number = article.paragraph_of(at)
        latest = article.paragraphs[min(number + 1, len(article.paragraphs) - 1)][1]
        earliest = article.paragraphs[max(number - _MAX_ANTECEDENT_PARAGRAPHS, 0)][0]
        titled = [n for n in self.names if n.label == "PERSON" and role in n.titles and earliest <= n.start < latest]
        before = [n for n in titled if n.end <= at]
        after = [n for n in titled if n.start > at]
        if before:
            return self.full_name(before[-1])
        return self.full_name(after[0]) if after else None

    @staticmethod
    def _description(tokens: list[Token], head: Token) -> str | None:
        """What a source that names nobody says its speaker is, without the words that count it: "Multiple
        U.S. officials" -> "U.S. officials"; None when only the head noun is left ("officials")."""
        kept = [t for t in tokens if t.i <= head.i or not (t.is_punct or t.tag_ in ("WDT", "WP"))]
        end = next((n for n, t in enumerate(kept) if t.i > head.i and (t.is_punct or t.tag_ in ("WDT", "WP"))),
                   len(kept))  # fmt: skip
        kept = kept[:end]
        whole = list(kept)
        while kept and kept[0].i < head.i and (kept[0].lower_ in _QUANTIFIERS or kept[0].dep_ in ("det", "nummod")):
            kept.pop(0)
        if len(kept) < 2:
            # "the two leaders": counted and definite, a group the article has named before.
            definite = whole and whole[0].lower_ in ("the", "these", "those", "both")
            counted = any(t.dep_ == "nummod" or t.lower_ == "both" for t in whole)
            if not (definite and counted):
                return None
            kept = whole
        doc = head.doc
        return doc.text[kept[0].idx : kept[-1].idx + len(kept[-1].text)]

    def _antecedent(self, label: str, before: int, gender: int, content: Sequence[tuple[int, int]] = ()) -> str | None:
        """The latest speaker or subject with the label (and a compatible gender), else the latest mention.

        Names inside the statement's own ``content`` are what is said, not who says it.
        """
        article = self.article
        earliest = article.paragraphs[max(article.paragraph_of(before) - _MAX_ANTECEDENT_PARAGRAPHS, 0)][0]

        def compatible(name: str) -> bool:
            known = self.genders.get(name.split()[-1], 0)
            return gender == 0 or known == 0 or (known > 0) == (gender > 0)

        subject: tuple[int, str] | None = None
        mention: tuple[int, str] | None = None
        for name in reversed(self.names):
            if name.end > before or name.label != label or _overlaps([(name.start, name.end)], content):
                continue
            if name.start < earliest:
                break
            full = self.full_name(name)
            if not compatible(full):
                continue
            if mention is None:
                mention = (name.start, full)
            if name.root.dep_ in _SUBJECTS:
                subject = (name.start, full)
                break
        speaker = next(
            ((o, n) for o, n, k in reversed(self.history) if earliest <= o < before and k == label and compatible(n)),
            None,
        )
        candidates = [c for c in (speaker, subject) if c is not None]
        if candidates:
            return max(candidates, key=lambda c: c[0])[1]
        return mention[1] if mention else None


# ---------------------------------------------------------------- entry point


def _overlaps(a: Iterable[tuple[int, int]], b: Iterable[tuple[int, int]]) -> bool:
    listed = list(b)
    return any(s < e2 and s2 < e for s, e in a for s2, e2 in listed)


def find_quotes(doc: Doc) -> list[Quote]:
    """Every direct quote and reported statement in ``doc``, sorted by where its content starts."""
    article = _Article(doc)
    segments = quote_segments(article.text)
    attributions = _DirectFinder(article, segments).find()
    used = {a.cue[0] for a in attributions}
    direct_content = [span for a in attributions for span in a.content]
    quoted = [(s.start, s.end) for s in segments]
    for found in _ReportedFinder(article, used).find():
        nested = _overlaps([found.cue], quoted)
        if not nested and _overlaps(found.content, direct_content):
            continue
        if nested and article.doc[article.token_at(found.cue[0])].lower_ not in article.clause:
            continue  # Inside a quote only speech counts ("I told him …"), not "we found the parts".
        found.direct = article.text[found.content[0][0]] in _QUOTE_CHARS
        # Inside a quote, the quote itself is not the statement's to complete.
        around = [s for s in segments if not s.start <= found.cue[0] < s.end]
        found.content = _balanced(article.text, found.content, around)
        # Words in quote marks are someone's words, even as the object of a verb.
        found.speech = found.speech or found.direct
        attributions.append(found)
    attributions.sort(key=lambda a: (a.content[0][0], a.cue[0]))
    _continue_sources(article, attributions)
    speakers = _Speakers(article)
    quotes = []
    resolved: list[str | None] = []
    for attribution in attributions:
        if attribution.source is not None and attribution.source_token is not None:
            start, end = attribution.source
            if "\n" in article.text[start:end] or end - start > _MAX_SOURCE_CHARS:
                # A parse gone astray: keep the source's head word only.
                head = doc[attribution.source_token]
                attribution.source = (head.idx, head.idx + len(head.text))
        outer = next(
            (resolved[n] for n, other in enumerate(attributions[: len(resolved)])
             if other.direct and _overlaps(other.content, [attribution.cue])),
            None,
        )  # fmt: skip
        speaker, label = speakers.resolve(attribution, outer)
        if speaker and label != _DESCRIBED and attribution.source is not None:
            speakers.history.append((attribution.source[0], speaker, label))
        resolved.append(speaker)
        quotes.append(_quote(article.text, attribution, speaker))
    return quotes


def _continue_sources(article: _Article, attributions: list[_Attribution]) -> None:
    """Give a quote that continues another speaker's words the source of the latest attribution with one in
    its sentence or the sentence before (“…,” the Kremlin said. The leaders plan to discuss “…”); with none
    there, it keeps its own."""
    doc = article.doc
    for number, attribution in enumerate(attributions):
        if not attribution.continues:
            continue
        sentence = doc[article.token_at(attribution.cue[0])].sent
        earliest = doc[sentence.start - 1].sent.start if sentence.start > 0 else sentence.start
        paragraph = article.paragraph_of(attribution.cue[0])
        for other in reversed(attributions[:number]):
            if other.source is None or other.continues:
                continue
            near = paragraph - 1 <= article.paragraph_of(other.cue[0]) <= paragraph
            if near and earliest <= article.token_at(other.cue[0]) < sentence.end:
                attribution.source, attribution.source_token = other.source, other.source_token
            break
        attribution.continues = False


def _balanced(text: str, content: list[tuple[int, int]], segments: Sequence[QuoteSegment]) -> list[tuple[int, int]]:
    """Content spans with their quote marks in pairs: a span that cuts a quote reaches to the quote's other
    mark (the parse left the closing “,” out, or the quote's first words), unless all it holds of the quote
    is the mark itself (“…, he recalled, “”), which is left off."""

    def blank(first: int, last: int) -> bool:
        return not text[first:last].strip(_TRIM + _QUOTE_CHARS)

    balanced = []
    for start, end in content:
        cut = False
        for segment in segments:
            if segment.end <= start or segment.start >= end:
                continue
            if start <= segment.start and segment.end > end:
                if blank(segment.start, end) and not blank(start, segment.start):
                    end, cut = segment.start, True
                else:
                    end = segment.end
            elif segment.start < start and segment.end <= end:
                if blank(segment.start, start):
                    start = segment.start
                elif blank(segment.end, end):
                    end, cut = segment.end - 1, True  # “… words,” he said: the words before are not its
                elif blank(start, segment.end):
                    start, cut = segment.end, True
                else:
                    start = segment.start
        while cut and start < end and text[start] in _TRIM:
            start += 1
        while cut and end > start and text[end - 1] in _TRIM:
            end -= 1
        if end > start:
            balanced.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in balanced:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged or content


def unattributed_quotes(text: str) -> list[Quote]:
    """Every stretch in quote marks, as a direct quote nobody is said to have said.

    What can be read from an article in a language the parser does not read: the quote marks still mark the
    quoted words, and a report can match them with a quote another outlet attributes (``analyze.quotes``).
    """
    grouped: dict[int, list[QuoteSegment]] = {}
    for segment in quote_segments(text):
        grouped.setdefault(segment.group, []).append(segment)
    return [
        Quote(tuple(Span(s.start, s.end, text[s.start : s.end]) for s in segments), (), (), direct=True)
        for segments in grouped.values()
    ]


def _quote(text: str, attribution: _Attribution, speaker: str | None) -> Quote:
    def spans(pairs: Iterable[tuple[int, int]]) -> tuple[Span, ...]:
        return tuple(Span(s, e, text[s:e]) for s, e in pairs)

    source = spans([attribution.source]) if attribution.source else ()
    content, cue = spans(attribution.content), spans([attribution.cue])
    return Quote(content, cue, source, attribution.direct, speaker, speech=attribution.speech)
