"""The one data model: every stage takes and returns these objects.

Ids are derived from content, so the same article read twice (or after a
restart) gets the same id, and everything keyed on it stays put.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, Union, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    # Only annotations name numpy: reading the store (every CLI read command) does without it.
    import numpy as np
    import numpy.typing as npt

PublishedSource = Literal["metadata", "text", "feed", "inferred"]
PUBLISHED_SOURCES: tuple[str, ...] = ("metadata", "text", "feed", "inferred")

# 16 hex digits = 64 bits: collisions stay improbable well past 10^8 articles.
_ID_HEX_DIGITS = 16
_WHITESPACE = re.compile(r"\s+")
# The marks that open or close a quotation in the languages read here (single marks are also apostrophes).
DOUBLE_QUOTE_MARKS = '"“”«»„'


def normalize_text(text: str) -> str:
    """Text in the form used for content hashing: NFKC, whitespace collapsed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def content_id(prefix: str, *parts: str | None) -> str:
    """A stable id such as ``a-9f86d081884c7d65`` from the given parts."""
    payload = json.dumps([p or "" for p in parts], ensure_ascii=False)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:_ID_HEX_DIGITS]}"


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an article's cleaned text; ``index`` is 0-based and stable."""

    index: int
    start: int
    end: int
    paragraph: int
    text: str


TimeType = Literal["DATE", "TIME", "DURATION", "SET"]
Tense = Literal["past", "present", "future"]


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of an article's text: ``text == article.text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A name, title or role noun that refers to an entity in one article.

    ``entity`` is the article-level entity key the mention was resolved to;
    ``label`` holds the words the article puts around a name to describe it
    ("Russian dictator", "the Chinese leader"), when there are any.
    """

    start: int
    end: int
    text: str
    type: str
    entity: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class TimeRef:
    """A time expression normalized to a TimeML value relative to the article's date.

    ``value`` follows TimeML (``2023-03-20``, ``2023-W12``, ``P3D``, ``XXXX-WXX-1``,
    ``PRESENT_REF``); a range ("Monday through Wednesday") has its first day in
    ``value`` and its last in ``end_value``. ``tense`` is that of the sentence.
    """

    start: int
    end: int
    text: str
    type: TimeType
    value: str
    mod: str | None = None
    end_value: str | None = None
    tense: Tense | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """What someone said, with the words that say so and who said it.

    ``content``, ``cue`` and ``source`` are spans of the article text (a part may
    be discontinuous); ``speaker`` is the speaker's name as the article gives it in
    full, after following pronouns and role nouns back ("he" -> "Yuri Ushakov"), or
    what the article says the speakers are when it names nobody ("U.S. officials").
    ``speech`` is False for a cue verb's noun phrase object ("expressed support for
    X", "announced a calendar of meetings"): an act or a stance attributed, not words.
    """

    content: tuple[Span, ...]
    cue: tuple[Span, ...]
    source: tuple[Span, ...]
    direct: bool
    speaker: str | None = None
    # The store-wide id of the speaker's entity, when the speaker is one the article names.
    entity: str | None = None
    speech: bool = True


@dataclass(frozen=True, slots=True)
class Article:
    """A news article as read from its source, plus what the stages add to it.

    ``text`` is the cleaned body: paragraphs joined by blank lines; sentence
    offsets index into it.
    """

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    path: str | None = None
    external_id: str | None = None
    author: str | None = None
    published: str | None = None
    published_source: PublishedSource | None = None
    lang: str | None = None
    sentences: tuple[Sentence, ...] = ()
    duplicate_of: str | None = None
    event: str | None = None
    # The storyline of the article's event when the article was placed (the store keeps an event's storyline
    # from the cluster stage's records, not from this).
    storyline: str | None = None
    # Undated articles: the earliest date they can have been written (ISO), from their own text.
    not_before: str | None = None
    # L2-normalized embedding of the headline and lead, once the embedding stage has run.
    embedding: npt.NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    # The same for the headline alone (the title, else the first sentence).
    headline_embedding: npt.NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    # The embedding model that made both (``embed.model``).
    embedding_model: str | None = field(default=None, compare=False, repr=False)
    # Entity mentions (with store-wide entity ids), time expressions and quotes, once analysed.
    mentions: tuple[Mention, ...] = field(default=(), compare=False, repr=False)
    times: tuple[TimeRef, ...] = field(default=(), compare=False, repr=False)
    quotes: tuple[Quote, ...] = field(default=(), compare=False, repr=False)

    @staticmethod
    def make_id(text: str, title: str | None, url: str | None, outlet: str | None) -> str:
        """The article id: a hash of what makes it this article and not another.

        The read path is left out on purpose, so the same file ingested from two
        places is one article; the outlet and URL are kept, so a wire story
        carried by two outlets stays two articles (deduplication links them).
        """
        return content_id("a", url, outlet, normalize_text(title or ""), normalize_text(text))

    @property
    def headline(self) -> str:
        """The title, else the first sentence or line: something to show a reader."""
        if self.title:
            return self.title
        if self.sentences:
            return self.sentences[0].text
        return self.text.strip().split("\n", 1)[0]


@dataclass(frozen=True, slots=True)
class SeenFile:
    """A file watch mode has read, as it was then (size, modification time): read again only once it changes."""

    path: str
    size: int
    mtime_ns: int
    status: Literal["ingested", "failed"]
    # Articles read from it (new or already stored).
    articles: int = 0
    # Why it could not be read (status "failed"), or what went wrong with some of it.
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """The exact sentence a statement comes from: every line of an analysis cites its sources with these."""

    article: str
    sentence: int
    text: str


@dataclass(frozen=True, slots=True)
class Event:
    """Articles that report the same real-world happening."""

    id: str
    title: str
    articles: tuple[str, ...]
    storyline: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None


@dataclass(frozen=True, slots=True)
class Storyline:
    """Events linked over time: the same actors and theme, weeks or years apart."""

    id: str
    title: str
    events: tuple[str, ...] = field(default_factory=tuple)


# What the cluster stage decided beyond each article's event, for the store to write as it is: nothing the
# store does may decide clustering. Records apply in the order the stage made them.


@dataclass(frozen=True, slots=True)
class StorylineRecord:
    """A storyline, new or retitled."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event, new or retitled or moved, with its storyline (written before it)."""

    id: str
    storyline: str
    title: str


@dataclass(frozen=True, slots=True)
class StorylineFold:
    """Storyline ``absorbed`` folded into ``into``: every event of it moves there, and it goes."""

    absorbed: str
    into: str


ClusterRecord: TypeAlias = StorylineRecord | EventRecord | StorylineFold


# What the event analysis stage computes once per event and the store keeps (../shared/spec/report.md): the
# report, the CLI and the API serialize it, never recompute it.


@dataclass(frozen=True, slots=True)
class EntityProfile:
    """An entity as one event names it: every name used, in which articles, how often."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...]
    articles: tuple[str, ...]
    mentions: int


@dataclass(frozen=True, slots=True)
class Label:
    """The words one article uses to describe an entity.

    ``quoted``: the words stand inside quotation marks, so they are the ``speaker``'s, not the outlet's.
    """

    entity: str
    article: str
    outlet: str | None
    label: str
    quoted: bool = False
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """One piece of information, as each article that reports it puts it (one sentence per article).

    ``outlets`` counts the publishers; ``independent_outlets`` folds near-duplicate articles, one
    outlet's several articles and copies of one text (wire or press release) into one source each;
    ``origin`` is the article the copied text appeared in first, when several outlets carry it.
    """

    id: str
    text: str
    sources: tuple[Citation, ...]
    outlets: int
    independent_outlets: int
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """One side of a conflict: what some sources say."""

    text: str
    value: str
    sources: tuple[Citation, ...]
    published: str | None = None


@dataclass(frozen=True, slots=True)
class Conflict:
    """Sources that report one fact differently: a number, date, place, person or polarity.

    ``kind`` is "update" when the later claim revises an earlier expectation (the later comes last).
    """

    about: str
    kind: Literal["conflict", "update"]
    fact: str
    claims: tuple[Claim, ...]


@dataclass(frozen=True, slots=True)
class QuoteVariant:
    """Another outlet's (or language's) rendering of a quote."""

    text: str
    direct: bool
    sources: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class QuoteGroup:
    """What someone said, once, with every outlet's rendering of it."""

    speaker: str | None
    speaker_name: str | None
    text: str
    direct: bool
    sources: tuple[Citation, ...]
    variants: tuple[QuoteVariant, ...] = ()


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """A sentence of the event's summary, with the sources that say it and how many independent outlets."""

    text: str
    sources: tuple[Citation, ...]
    outlets: int = 1


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """Something dated that the event's articles report, once, with all its sources."""

    date: str
    end: str | None
    precision: str
    text: str
    sources: tuple[Citation, ...]
    tense: str | None = None
    expressions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DistinctiveTerm:
    """A word one outlet uses for an event more than the others do: ``z`` is its log-odds ratio's z-score."""

    term: str
    z: float
    count: int


@dataclass(frozen=True, slots=True)
class OutletTerms:
    """The words that set one outlet's coverage of an event apart (its articles; its domain, else an article's
    id when the outlet is unknown)."""

    outlet: str
    articles: tuple[str, ...]
    terms: tuple[DistinctiveTerm, ...]


@dataclass(frozen=True, slots=True)
class OutletCoverage:
    """One outlet's articles on an event and when it first reported it."""

    outlet: str
    articles: tuple[str, ...]
    first_published: str | None


@dataclass(frozen=True, slots=True)
class CoverageSplit:
    """How many of an event's outlets have each value of one column of the user's outlet table."""

    column: str
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Coverage:
    """Who covers an event: its outlets (first reporter first), their split by the outlet table's columns, and
    ``one_sided`` ("lean=left") when every outlet with a known value shares one."""

    outlets: tuple[OutletCoverage, ...] = ()
    first: str | None = None
    split: tuple[CoverageSplit, ...] = ()
    one_sided: str | None = None


@dataclass(frozen=True, slots=True)
class EventAnalysis:
    """Everything the report says about one event beyond its articles, as the analysis stage computed it.

    ``signature`` identifies the articles (and the analysis version) it was computed from: an event whose
    signature changed is analysed again.
    """

    event: str
    signature: str
    # The headline of the event's most central article (the one closest to the mean of its articles' vectors).
    title: str = ""
    entities: tuple[EntityProfile, ...] = ()
    facts: tuple[Fact, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    quotes: tuple[QuoteGroup, ...] = ()
    labels: tuple[Label, ...] = ()
    summary: tuple[SummaryLine, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    terms: tuple[OutletTerms, ...] = ()
    coverage: Coverage = field(default_factory=Coverage)


# What lists of events show and filter on (a page of events reads these, not whole analyses).


@dataclass(frozen=True, slots=True)
class EventDigest:
    """An event as a list shows it: ``corroboration`` is the most independent outlets behind any one of its
    facts; ``lead`` its summary's first line."""

    id: str
    title: str
    storyline: str | None
    first_seen: str | None
    last_seen: str | None
    articles: int
    outlets: tuple[str, ...]
    corroboration: int
    lead: str


@dataclass(frozen=True, slots=True)
class StorylineDigest:
    """A storyline as lists show it: titled after its event with most articles."""

    id: str
    title: str
    events: int
    articles: int
    first_seen: str | None
    last_seen: str | None


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which events a list holds: all of these that are set must hold.

    ``since``/``until`` bound the days reported (an event overlapping the range is in); ``outlets`` keeps the
    events at least one of them covers; ``text`` the events whose articles match it (all its words).
    """

    since: str | None = None
    until: str | None = None
    entity: str | None = None
    outlets: tuple[str, ...] | None = None
    text: str | None = None
    min_corroboration: int = 0
    storyline: str | None = None


def to_data(value: Any) -> Any:
    """A model object as JSON data: dataclasses become objects, tuples lists."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: to_data(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    return value


@cache
def _type_hints(kind: type) -> dict[str, Any]:
    # Resolving a class's annotations is slow (string annotations are evaluated): once per class.
    try:
        return get_type_hints(kind)
    except NameError:
        # An embedding's annotation names numpy, which this module imports only for type checkers.
        import numpy
        import numpy.typing

        return get_type_hints(kind, localns={"np": numpy, "npt": numpy.typing})


def from_data(kind: Any, data: Any) -> Any:
    """The model object of type ``kind`` that :func:`to_data` gave ``data`` for."""
    if data is None:
        return None
    if hasattr(kind, "__dataclass_fields__"):
        hints = _type_hints(kind)
        return kind(**{name: from_data(hints[name], data[name]) for name in kind.__dataclass_fields__ if name in data})
    origin = get_origin(kind)
    if origin is tuple:
        item = get_args(kind)[0]
        return tuple(from_data(item, v) for v in data)
    if origin in (Union, UnionType):
        options = [a for a in get_args(kind) if a is not type(None)]
        return from_data(options[0], data) if len(options) == 1 else data
    return data
