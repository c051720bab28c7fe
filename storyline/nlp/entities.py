"""Named entities, the words each article uses for them, and their names across articles.

Within an article, spaCy's name mentions are cleaned (no "the", no possessive, no
stray headline words), grouped by name (a surname or given name joins the one
full name that contains it), and definite role nouns ("the Chinese leader") are
linked to the one person the article describes with those words. Across the
store, an :class:`EntityLinker` gives every entity a stable id: an exact name
seen before, or a near-identical spelling (rapidfuzz) of a name that shares
context (other entities it appears with), reuses that entity's id.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import fuzz
from spacy.tokens import Doc, Span, Token

from ..config import EntitySettings
from ..model import Mention, content_id

# Persons, organisations (the Kremlin, a ministry), places that act (Beijing as a government) or host.
ENTITY_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP"})
# Entity types that may be the same thing under another type tag: the small model often calls a
# country ORG in one sentence and GPE in the next.
_COMPATIBLE = {"PERSON": {"PERSON"}, "ORG": {"ORG", "GPE"}, "GPE": {"GPE", "ORG", "LOC"}, "LOC": {"LOC", "GPE"}}
_PROPER_TAGS = frozenset({"NNP", "NNPS"})
# Tags of the lower-case words that, capitalized in front of a name, are titles ("the special counsel").
_COMMON_TAGS = frozenset({"NN", "NNS", "JJ"})
# Words in front of a name that make it a person's name, whatever the NER tag says ("President [X] Y").
PERSON_TITLES = frozenset(
    {"president", "mr", "mrs", "ms", "dr", "sen", "senator", "rep", "gov", "governor", "minister",
     "chancellor", "premier", "king", "queen", "prince", "pope", "gen", "general", "secretary", "spokesman",
     "spokeswoman", "spokesperson", "ambassador", "judge", "mayor", "adviser", "advisor", "aide", "leader",
     "speaker", "chairman", "chairwoman", "director", "commissioner", "sheriff", "prosecutor", "attorney", "justice",
     "representative", "congressman", "congresswoman", "lawmaker", "chief", "deputy", "officer", "agent", "detective",
     "lieutenant", "colonel", "captain", "sergeant", "admiral", "commander", "marshal"}
)  # fmt: skip
# Role nouns that name a head of state or government in "the Chinese leader": besides these, any
# noun an article itself uses in a person's title ("Chinese President Xi" -> "the Chinese president").
GENERIC_ROLES = frozenset({"leader", "head", "chief", "counterpart"})
# Dependencies of words in front of a name that describe it ("Russian dictator Vladimir Putin").
_PREMODIFIER_DEPS = frozenset({"compound", "amod", "nmod", "poss", "nn"})
_EDGE_PUNCT = "[]()\"'“”‘’«»,.;:!?-–— "
_POSSESSIVE = re.compile(r"['’]s?$")
_WORD_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
# Punctuation that ends a name inside an NER span: "Joe Manchin — America" is Joe Manchin.
_NAME_BREAKS = frozenset({"—", "–", "|", ":", ";", "•"})
_ACRONYM_MIN_LETTERS = 2
# A short name of an organisation found inside a longer one has at least this many words: "Foreign
# Ministry" in "Chinese Foreign Ministry", but not "House" in "White House".
_MIN_SHORT_NAME_WORDS = 2
# Words after which a capitalized word is part of a job title: "Secretary of State" names no organisation.
_TITLE_OF = "of"
_LABEL_MAX_TOKENS = 8
_BLOCK_PREFIX = 3
# Words shorter than this are never spelling variants of each other, only equal.
_MIN_SPELLING_CHARS = 6
# A line of at least this many words, this share of them capitalized (or short, like "of", "in"),
# is a headline: there "Xi Doubles Down" is not a three-word name.
_HEADLINE_MIN_WORDS = 4
_HEADLINE_CAPITALIZED = 0.8
_SHORT_WORD = 3


# Linking compares the same few hundred names of a batch hundreds of thousands of times.
@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """The form names are compared in: no accents, case, possessives or punctuation; initials written
    with dots are one word ("D.N.C." is "dnc", as "DNC" is)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _WORD_POSSESSIVE.sub("", _POSSESSIVE.sub("", plain.strip()))
    words = [w for w in _WORD.findall(plain.casefold()) if w != "the"]
    joined: list[str] = []
    for index, word in enumerate(words):
        # One letter after another one-letter word continues the same initials.
        if len(word) == 1 and joined and index > 0 and len(words[index - 1]) == 1:
            joined[-1] += word
        else:
            joined.append(word)
    return " ".join(joined)


def initials(name: str) -> str:
    """The acronym a name would have: the first letters of its capitalized words ("Wall Street Journal" -> "wsj")."""
    words = _LETTERS.findall(name)
    return "".join(w[0] for w in words if w[0].isupper()).casefold() if len(words) > 1 else ""


def is_acronym(text: str) -> bool:
    """Whether a name is written as an acronym: capitals only, dots allowed ("WSJ", "D.N.C.")."""
    letters = text.replace(".", "")
    return len(letters) >= _ACRONYM_MIN_LETTERS and letters.isalpha() and letters.isupper()


def key_tokens(normalized: str) -> list[str]:
    """Blocking keys of a name: the first letters of each word (spellings rarely differ there)."""
    return [word[:_BLOCK_PREFIX] for word in normalized.split()]


@dataclass
class _Group:
    """One entity of one article while its mentions are being gathered."""

    type: str
    name: str
    tokens: tuple[str, ...]
    mentions: list[Mention] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def key(self) -> str:
        return f"{self.type}:{self.name}"


def find_mentions(doc: Doc, settings: EntitySettings) -> list[Mention]:
    """Entity mentions of one article, each with an article-level entity key ``TYPE:Full Name``."""
    common = frozenset(t.lower_ for t in doc if t.is_lower and t.tag_ in _COMMON_TAGS)
    names = [found for ent in doc.ents if (found := _clean_name(ent, common)) is not None]
    text = doc.text  # spaCy rebuilds it from the tokens on every access
    headline = [_in_headline_case(span, text) for span, _ in names]
    body = [n for n, in_headline in zip(names, headline, strict=True) if not in_headline]
    groups: list[_Group] = []
    # Longest names first, so that a bare "Xi" finds "Xi Jinping" further down.
    for span, entity_type in sorted(body, key=lambda item: (-len(item[0]), item[0].start)):
        _add_mention(groups, span, entity_type, settings)
    # Headline words after the body: "Xi Doubles Down" is "Xi" when the body knows a Xi.
    for span, entity_type in (n for n, in_headline in zip(names, headline, strict=True) if in_headline):
        for length in range(len(span), 0, -1):
            prefix = span[:length]
            tokens = tuple(normalize_name(prefix.text).split())
            if any(g.tokens == tokens or _is_part(tokens, g.tokens, settings) for g in groups):
                span = prefix
                break
        _add_mention(groups, span, entity_type, settings)
    _add_missed_names(doc, groups, settings)
    mentions = [m for g in groups for m in g.mentions]
    mentions.extend(_role_mentions(doc, groups, {(m.start, m.end) for m in mentions}, settings.role_dominance))
    return sorted(mentions, key=lambda m: (m.start, m.end))


def _add_mention(groups: list[_Group], span: Span, entity_type: str, settings: EntitySettings) -> None:
    tokens = tuple(normalize_name(span.text).split())
    if not tokens:
        return
    group = _defined_acronym(groups, span) or _matching_group(groups, tokens, entity_type, settings, span.text)
    if group is None:
        group = _Group(entity_type, display_name(span.text), tokens)
        groups.append(group)
    label = _label(span)
    if label:
        group.labels.append(label)
    group.mentions.append(Mention(span.start_char, span.end_char, span.text, group.type, group.key(), label))


def _add_missed_names(doc: Doc, groups: list[_Group], settings: EntitySettings) -> None:
    """Names the model tagged elsewhere in the article but missed here ("Yury Ushakov, the adviser")."""
    known = {token for g in groups if g.type == "PERSON" for token in g.tokens}
    taken = {(m.start, m.end) for g in groups for m in g.mentions}
    position = 0
    while position < len(doc):
        token = doc[position]
        if not _is_name_word(token) or normalize_name(token.text) not in known:
            position += 1
            continue
        start = end = position
        while start > 0 and _is_name_word(doc[start - 1]):
            start -= 1
        while end + 1 < len(doc) and _is_name_word(doc[end + 1]):
            end += 1
        span = doc[start : end + 1]
        if all(not (a < span.end_char and span.start_char < b) for a, b in taken):
            _add_mention(groups, span, "PERSON", settings)
        position = end + 1


def display_name(text: str) -> str:
    """A name as shown: no possessive, no editor's brackets ("[Volodymyr] Zelenskiy")."""
    return " ".join(_POSSESSIVE.sub("", re.sub(r"[\[\]()]", "", text)).split())


def _clean_name(ent: Span, common: frozenset[str]) -> tuple[Span, str] | None:
    """The name inside an NER span, and its type; None for spans that hold no name.

    ``common`` holds the words the article writes in lower case as common nouns or adjectives: in front of a
    name they are a title ("Special Counsel"), not a given name.
    """
    if ent.label_ not in ENTITY_TYPES:
        return None
    entity_type = ent.label_
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (doc[start].is_punct or doc[start].lower_ == "the" or doc[start].tag_ == "DT"):
        start += 1
    while start < end and (doc[end - 1].is_punct or doc[end - 1].tag_ == "POS"):
        end -= 1
    for index in range(start + 1, end):
        if doc[index].text in _NAME_BREAKS:
            end = index
            break
    if entity_type == "PERSON":
        # A given name the model left out ("Yury" in "Yury Ushakov, the adviser"): only before a lone
        # surname, and never a word the article also writes in lower case ("Special Counsel Robert Mueller").
        if end - start == 1 and start > 0 and _is_name_word(doc[start - 1]) and doc[start - 1].lower_ not in common:
            start -= 1
        # A title inside the span ("President Zelenskiy", "Speaker Nancy Pelosi" beside "the speaker") is a
        # label, not part of the name; a full name (two words) stays.
        while start < end - 1 and (
            doc[start].lower_.rstrip(".") in PERSON_TITLES or (end - start > 2 and doc[start].lower_ in common)
        ):
            start += 1
        # Headline words the model swept in ("Following Putin", "Xi Doubles Down") are not proper nouns. A
        # lone name stays: at the start of a sentence the tagger may take "Trump" for a verb.
        while end - start > 1 and start < end and doc[start].tag_ not in _PROPER_TAGS:
            start += 1
        while end - start > 1 and start < end and doc[end - 1].tag_ not in _PROPER_TAGS:
            end -= 1
        if end - start == 1 and doc[start].tag_ not in _PROPER_TAGS and not doc[start].is_title:
            return None
    if start >= end:
        return None
    span = doc[start:end]
    text = span.text.strip(_EDGE_PUNCT)
    if not text or not any(c.isalpha() for c in text) or text[0].islower():
        return None
    before = start - 1
    while before >= 0 and doc[before].is_punct:
        before -= 1
    titled = before >= 0 and doc[before].lower_.rstrip(".") in PERSON_TITLES
    # "Secretary of State", "Minister of Defence": the word completes a title, it names nothing itself.
    title_of = before >= 1 and doc[before].lower_ == _TITLE_OF and doc[before - 1].lower_.rstrip(".") in PERSON_TITLES
    if entity_type != "PERSON" and end - start == 1 and title_of:
        return None
    if entity_type != "PERSON" and titled and all(t.is_title or t.is_punct for t in span):
        # "President [Volodymyr] Zelenskiy" tagged ORG: the title says it is a person.
        entity_type = "PERSON"
    if entity_type == "NORP":
        return None if span.root.pos_ == "ADJ" else (span, entity_type)
    return span, entity_type


def _is_name_word(token: Token) -> bool:
    """A capitalized proper noun outside any other entity, and not a title."""
    return (
        token.tag_ in _PROPER_TAGS
        and token.is_title
        and token.ent_iob_ == "O"
        and token.lower_.rstrip(".") not in PERSON_TITLES
        and "\n" not in token.whitespace_
    )


def _in_headline_case(span: Span, text: str) -> bool:
    """Whether the span sits in a Title Case line of ``text``, where capitals do not mark names."""
    line_start = text.rfind("\n", 0, span.start_char) + 1
    line_end = text.find("\n", span.end_char)
    words = _LETTERS.findall(text[line_start : line_end if line_end >= 0 else None])
    if len(words) < _HEADLINE_MIN_WORDS:
        return False
    capitalized = sum(1 for w in words if w[0].isupper() or len(w) <= _SHORT_WORD)
    return capitalized / len(words) >= _HEADLINE_CAPITALIZED


def _defined_acronym(groups: Sequence[_Group], span: Span) -> _Group | None:
    """The group an acronym in brackets right after a name stands for: "the Wall Street Journal (WSJ)"."""
    doc = span.doc
    if not is_acronym(span.text) or span.start < 2 or span.end >= len(doc):
        return None
    if doc[span.start - 1].text != "(" or doc[span.end].text != ")":
        return None
    before = doc[span.start - 2].idx + len(doc[span.start - 2].text)
    found = [g for g in groups if g.type != "PERSON" and any(m.end == before for m in g.mentions)]
    return found[0] if len(found) == 1 else None


def _matching_group(
    groups: Sequence[_Group], tokens: tuple[str, ...], entity_type: str, settings: EntitySettings, text: str = ""
) -> _Group | None:
    """The one earlier group this name is a variant of, if exactly one fits."""
    compatible = [g for g in groups if g.type in _COMPATIBLE.get(entity_type, {entity_type})]
    exact = [g for g in compatible if g.tokens == tokens]
    if exact:
        return exact[0]
    if entity_type != "PERSON":
        # An organisation's short names: its acronym ("WSJ" = Wall Street Journal), or its name without the
        # country in front ("Foreign Ministry" of the one "Chinese Foreign Ministry" here).
        if is_acronym(text):
            spelled = [g for g in groups if g.type != "PERSON" and initials(g.name) == tokens[0]]
            if len(spelled) == 1:
                return spelled[0]
        if len(tokens) >= _MIN_SHORT_NAME_WORDS:
            longer = [g for g in compatible if len(g.tokens) > len(tokens) and g.tokens[-len(tokens) :] == tokens]
            if len(longer) == 1:
                return longer[0]
    if entity_type == "PERSON":
        # A surname or given name alone ("Xi", "Ushakov") belongs to the one full name containing it.
        part = [g for g in compatible if _is_part(tokens, g.tokens, settings)]
        if len(part) == 1 and not _surname_of_another(tokens, part[0], groups):
            return part[0]
    elif entity_type == "ORG" and len(tokens) == 1:
        # "Xi's" tagged ORG in a text about Xi Jinping.
        persons = [
            g for g in groups if g.type == "PERSON" and (g.tokens == tokens or _is_part(tokens, g.tokens, settings))
        ]
        if len(persons) == 1:
            return persons[0]
    similar = [
        g
        for g in compatible
        if len(g.tokens) == len(tokens) and fuzz.ratio(" ".join(g.tokens), " ".join(tokens)) >= settings.spelling_ratio
    ]
    return similar[0] if len(similar) == 1 else None


def _same_word(word: str, other: str, settings: EntitySettings) -> bool:
    """One word of a name in two spellings ("zelensky" / "zelenskiy"); short words must be equal,
    or "burma" would be a spelling of "burman"."""
    if word == other:
        return True
    return min(len(word), len(other)) >= _MIN_SPELLING_CHARS and fuzz.ratio(word, other) >= settings.spelling_ratio


def _surname_of_another(tokens: tuple[str, ...], person: _Group, groups: Sequence[_Group]) -> bool:
    """Whether the article also writes this surname after another given name, inside another entity.

    Beside "Michelle Obama", the "Barack Obama Foundation" says that a bare "Obama" may be someone else.
    """
    if len(tokens) != 1 or tokens[0] not in person.tokens[1:]:
        return False
    surname = tokens[0]
    given = person.tokens[person.tokens.index(surname) - 1]
    return any(
        word == surname and other.tokens[i - 1] != given
        for other in groups
        if other is not person
        for i, word in enumerate(other.tokens[1:], start=1)
    )


def _is_part(tokens: tuple[str, ...], full: tuple[str, ...], settings: EntitySettings) -> bool:
    """Whether every word of a shorter name matches a word of the full name, in order."""
    if len(tokens) >= len(full):
        return False
    position = 0
    for token in tokens:
        while position < len(full) and not _same_word(token, full[position], settings):
            position += 1
        if position == len(full):
            return False
        position += 1
    return True


def _label(span: Span) -> str | None:
    """Words the article puts next to a name to describe it: premodifiers, else an appositive."""
    doc = span.doc
    root = span.root
    left_edges = [
        child.left_edge.i
        for token in span
        for child in token.lefts
        if child.i < span.start and child.dep_ in _PREMODIFIER_DEPS
    ]
    if left_edges:
        start = min(left_edges)
        while start < span.start and (doc[start].tag_ in {"DT", "PRP$"} or doc[start].is_punct):
            start += 1
        words = doc[start : span.start]
        if 0 < len(words) <= _LABEL_MAX_TOKENS and _describes(words):
            return words.text
    for child in root.rights:
        if child.dep_ == "appos" and child.pos_ == "NOUN":
            return _noun_phrase(child)
    if root.dep_ == "appos" and root.head.pos_ == "NOUN" and root.head.i < span.start:
        return _noun_phrase(root.head)
    return None


def _noun_phrase(head: Token) -> str | None:
    """The noun phrase around ``head`` up to its own right edge or a clause, capped in length."""
    doc = head.doc
    start = head.left_edge.i
    end = head.i + 1
    for child in head.rights:
        # "the president of Russia" keeps "of Russia"; relative clauses and appositions stop it.
        if child.dep_ == "prep" and child.lower_ == "of":
            end = child.right_edge.i + 1
        else:
            break
    while start < end and (doc[start].tag_ == "PRP$" or doc[start].is_punct or doc[start].is_quote):
        start += 1
    words = doc[start:end]
    text = words.text.strip(_EDGE_PUNCT)
    return text if text and len(words) <= _LABEL_MAX_TOKENS and _describes(words) else None


def _describes(words: Span) -> bool:
    """Whether words can describe someone: one line, with a common noun or a title in it."""
    if "\n" in words.text:
        return False
    return any(t.tag_ in {"NN", "NNS"} or t.lower_.rstrip(".") in PERSON_TITLES for t in words)


def _role_words(label: str) -> set[str]:
    return {normalize_name(word) for word in label.split()} - {""}


def _role_mentions(
    doc: Doc, groups: Sequence[_Group], taken: set[tuple[int, int]], role_dominance: float
) -> list[Mention]:
    """Definite role nouns that fit exactly one person the article describes: "the Chinese leader"
    (its words all in one person's labels), or a bare "the president" when one person alone is
    called president here, or is named ``role_dominance`` times as often as any other so called."""
    persons = [g for g in groups if g.type == "PERSON" and g.labels]
    if not persons:
        return []
    described = {id(g): set().union(*(_role_words(label) for label in g.labels)) for g in persons}
    # A label's last word is its role ("foreign ministry spokesman": spokesman, not ministry).
    heads = {id(g): {normalize_name(label.split()[-1]) for label in g.labels} for g in persons}
    roles = set(GENERIC_ROLES).union(*heads.values())
    found = []
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.pos_ != "NOUN" or root.lower_ not in roles or chunk[0].lower_ != "the":
            continue
        if any(start < chunk.end_char and chunk.start_char < end for start, end in taken):
            continue
        modifiers = {normalize_name(t.text) for t in chunk[1:] if t.i != root.i and t.dep_ in _PREMODIFIER_DEPS}
        modifiers.discard("")
        if len(chunk) > 2 + len(modifiers):
            continue  # more words than a role: "the president of the club", "the president's plan"
        fits = [
            g
            for g in persons
            if modifiers <= described[id(g)]
            and (root.lower_ in heads[id(g)] or (modifiers and root.lower_ in GENERIC_ROLES))
        ]
        # Several people may hold the role ("President Trump" beside "Russian President Vladimir Putin"): the
        # article's own subject, named far more often than the others, is the one it calls "the president".
        fits.sort(key=lambda g: -len(g.mentions))
        if len(fits) == 1 or (fits and len(fits[0].mentions) >= role_dominance * len(fits[1].mentions)):
            text = chunk.text
            found.append(Mention(chunk.start_char, chunk.end_char, text, "PERSON", fits[0].key(), text))
    return found


@dataclass
class _Known:
    """An entity the linker has seen: its names, the types its mentions were tagged, the entities it
    appears with."""

    id: str
    type: str
    name: str
    names: Counter[str] = field(default_factory=Counter)
    context: Counter[str] = field(default_factory=Counter)
    # Votes for its type: each mention's NER type, and PERSON_EVIDENCE for each sign of a person.
    votes: Counter[str] = field(default_factory=Counter)
    # Every name used for it (normalized), a bare surname included, with how often.
    surface: Counter[str] = field(default_factory=Counter)


# The vote a mention casts when something besides the NER tag says "person": a title, a label, a full name.
PERSON_EVIDENCE = "PERSON+"
# The type of a one-word name the model calls a person with nothing else saying so ("Politico reported",
# "Twitter", "Moderna"): news introduce a person by full name or title first, so a bare word that never
# gets either is, most often, an organisation or a brand.
_UNSURE_PERSON_TYPE = "ORG"
# Types whose names join by a shorter or longer form, an acronym, or a title in front.
_ORG_LIKE = frozenset({"ORG", "FAC", "EVENT"})


class EntityLinker:
    """Gives article-level entities store-wide ids, remembering names and context across runs.

    What one parse cannot settle is decided here, over every mention the store has seen: an entity's type
    (a vote of all its mentions' tags, titles counting for PERSON), a bare surname (it joins the one full
    name the store knows with it), an organisation's short forms and acronyms, and the name shown (no title
    in front).
    """

    def __init__(self, settings: EntitySettings) -> None:
        self.settings = settings
        self._by_name: dict[str, list[str]] = {}
        self._known: dict[str, _Known] = {}
        # Blocking for spelling variants: entities by the first letters of each word of their names.
        self._by_prefix: dict[str, set[str]] = {}
        # Entities by the trailing words of their names ("foreign ministry" of "chinese foreign ministry")
        # and by the initials of their multi-word names ("wsj").
        self._by_suffix: dict[str, set[str]] = {}
        self._by_initials: dict[str, set[str]] = {}
        # Roles the store's articles give names in lower case ("the special counsel", "drugmaker Pfizer"):
        # in front of a name they are a title, not part of it.
        self._titles: set[str] = set(PERSON_TITLES)
        # Entities linked since the store last asked (their name or type may have changed).
        self._changed: set[str] = set()

    def link(self, mentions: Sequence[Mention]) -> list[Mention]:
        """The mentions with ``entity`` set to store-wide entity ids and ``type`` to the entity's type."""
        local: dict[str, list[Mention]] = {}
        for mention in mentions:
            local.setdefault(mention.entity, []).append(mention)
            words = _LETTERS.findall(mention.label or "")
            if words and words[-1].islower():
                # A label's last word is its role ("foreign ministry spokesman": spokesman, not foreign).
                self._titles.add(words[-1])
        ids: dict[str, str] = {}
        # Longest names first: "Yuri Ushakov" is linked before a bare "Ushakov" elsewhere could be.
        normalized = {key: normalize_name(key.split(":", 1)[1]) for key in local}
        for key in sorted(local, key=lambda k: (-len(k.split(":", 1)[1]), k)):
            entity_type, name = key.split(":", 1)
            others = {normalized[k] for k in local if k != key}
            ids[key] = self._resolve(entity_type, name, local[key], others)
        moved = self._bare_surnames(mentions, local, ids)
        for index, target in moved.items():
            self._changed.add(target)
            if mentions[index].label == mentions[index].text:
                continue  # a role noun is no name of anyone's
            # The name counts for whom it was moved to: the store's later choices build on it.
            bare = normalize_name(mentions[index].text)
            self._known[ids[mentions[index].entity]].surface[bare] -= 1
            self._known[target].surface[bare] += 1
        linked = []
        for index, mention in enumerate(mentions):
            known = self._known[moved.get(index, ids[mention.entity])]
            linked.append(replace(mention, entity=known.id, type=known.type))
        return linked

    def name(self, entity_id: str) -> tuple[str, str] | None:
        """The display name and type of an entity."""
        known = self._known.get(entity_id)
        return (known.name, known.type) if known else None

    def changed(self) -> list[tuple[str, str, str]]:
        """(id, display name, type) of the entities linked since the last call, by id, for the store."""
        changed = [(k.id, k.name, k.type) for i in sorted(self._changed) if (k := self._known.get(i))]
        self._changed = set()
        return changed

    def _key(self, normalized: str, entity_type: str) -> str:
        """A name without the titles in front of it: "speaker nancy pelosi" -> "nancy pelosi"."""
        words = normalized.split()
        keep = _MIN_SHORT_NAME_WORDS if entity_type == "PERSON" else 1
        while len(words) > keep and words[0] in self._titles:
            words = words[1:]
        return " ".join(words)

    def _resolve(self, entity_type: str, name: str, mentions: Sequence[Mention], context: set[str]) -> str:
        normalized = self._key(normalize_name(name), entity_type)
        known = self._find(entity_type, normalized, name, context)
        if known is None:
            known = _Known(content_id("ent", entity_type, normalized), entity_type, name)
            self._known[known.id] = known
        known.names[name] += 1
        self._index_initials(known, name)
        surface = [normalize_name(m.text) for m in mentions if m.label != m.text]
        for key in sorted({normalized, normalize_name(name), *surface} - {""}):
            self._index(known, key)
        known.surface.update(s for s in surface if s)
        for mention in mentions:
            known.votes[mention.type] += 1
        if self._person_evidence(normalized, entity_type, mentions):
            known.votes[PERSON_EVIDENCE] += self.settings.person_evidence_votes
        known.context.update(context)
        if len(known.context) > self.settings.context_size:
            known.context = Counter(dict(known.context.most_common(self.settings.context_size)))
        self._decide(known)
        self._changed.add(known.id)
        return known.id

    def _index(self, known: _Known, key: str) -> None:
        ids = self._by_name.setdefault(key, [])
        if known.id not in ids:
            ids.append(known.id)
        words = key.split()
        for token in key_tokens(key):
            self._by_prefix.setdefault(token, set()).add(known.id)
        for start in range(1, len(words)):
            self._by_suffix.setdefault(" ".join(words[start:]), set()).add(known.id)

    def _person_evidence(self, normalized: str, entity_type: str, mentions: Sequence[Mention]) -> bool:
        """Whether anything besides the tag says "person": a full name (titles left out), a title or label."""
        if entity_type != "PERSON":
            return False
        full_name = len(self._key(normalized, "ORG").split()) >= _MIN_SHORT_NAME_WORDS
        return full_name or any(m.label for m in mentions)

    def _decide(self, known: _Known) -> None:
        """The entity's type by vote, and the name it is shown by."""
        votes = Counter({t: n for t, n in known.votes.items() if t in ENTITY_TYPES})
        if votes["PERSON"] and not known.votes[PERSON_EVIDENCE]:
            votes[_UNSURE_PERSON_TYPE] += votes.pop("PERSON")
        elif known.votes[PERSON_EVIDENCE]:
            votes["PERSON"] += known.votes[PERSON_EVIDENCE]
        known.type = max(votes, key=lambda t: (votes[t], t)) if votes else known.type
        known.name = self._display(known)

    def _display(self, known: _Known) -> str:
        """The name shown: no title in front; a person's fullest name, else the most used, an acronym last."""
        pool: Counter[str] = Counter()
        for name, count in known.names.items():
            words = name.split()
            keep = _MIN_SHORT_NAME_WORDS if known.type == "PERSON" and len(words) > 1 else 1
            while len(words) > keep and normalize_name(words[0]) in self._titles:
                words = words[1:]
            pool[" ".join(words)] += count
        keys = {normalize_name(n): n for n in pool}
        # A name that is another of its names with words in front ("Speaker Nancy Pelosi", "Drugmaker Pfizer")
        # carries a title; for a person, only in front of a full name ("Joe Biden" is not a titled "Biden").
        plain = [n for n in pool if not self._titled_form(normalize_name(n), keys, known.type)] or list(pool)
        if known.type == "PERSON":
            return max(plain, key=lambda n: (len(n.split()), pool[n], n))
        return max(plain, key=lambda n: (not is_acronym(n), pool[n], len(n.split()), n))

    @staticmethod
    def _titled_form(normalized: str, others: dict[str, str], entity_type: str) -> bool:
        words = normalized.split()
        least = _MIN_SHORT_NAME_WORDS if entity_type == "PERSON" else 1
        return any(" ".join(words[start:]) in others for start in range(1, len(words) - least + 1))

    def _find(self, entity_type: str, normalized: str, name: str, context: set[str]) -> _Known | None:
        types = _COMPATIBLE.get(entity_type, {entity_type})
        # The same name is the same entity whatever this one parse tagged it: the vote settles the type.
        exact = [self._known[i] for i in self._by_name.get(normalized, [])]
        exact = [k for k in exact if k.type in types] or exact
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            return self._best_context(exact, context, normalized)
        if entity_type != "PERSON":
            found = self._short_or_long_form(entity_type, normalized, name, context)
            if found is not None:
                return found
        tokens = tuple(normalized.split())
        if entity_type == "PERSON" and len(tokens) >= _MIN_SHORT_NAME_WORDS:
            # "Special Counsel Robert Mueller" when the store knows Robert Mueller, and the other way round.
            titled = [self._known[i] for i in sorted(self._longer_or_shorter(tokens)) if self._known[i].type in types]
            if titled:
                return self._best_context(titled, context, normalized) if len(titled) > 1 else titled[0]
        if entity_type == "ORG" and len(tokens) > 1:
            # The small model calls some full personal names ORG ("Volodymyr Zelenskiy"): a near-identical
            # spelling of a known person, in the same company, is that person.
            types = types | {"PERSON"}
        similar, parts = [], []
        nearby = set().union(*(self._by_prefix.get(t, set()) for t in key_tokens(normalized)))
        for known in (self._known[i] for i in sorted(nearby)):
            if known.type not in types and not (entity_type == "PERSON" and known.votes["PERSON"]):
                continue
            for variant in sorted({normalize_name(n) for n in known.names}):
                known_tokens = tuple(self._key(variant, known.type).split())
                if len(known_tokens) == len(tokens) and (
                    fuzz.ratio(normalized, " ".join(known_tokens)) >= self.settings.spelling_ratio
                ):
                    similar.append(known)
                    break
                if entity_type == "PERSON" and (
                    _is_part(tokens, known_tokens, self.settings) or _is_part(known_tokens, tokens, self.settings)
                ):
                    parts.append(known)
                    break
        # A bare surname joins the one full name the store knows with it, and a full name the one entity
        # known by its surname alone, whatever the company; full names inside full names ("Donald Trump",
        # "Donald Trump Jr.") need company like spellings do.
        surnames = [k for k in parts if len(tokens) == 1 or all(len(n.split()) == 1 for n in k.names)]
        if len(parts) == 1 and surnames and not similar:
            return parts[0]
        # A similar name is only the same entity when it keeps the same company.
        candidates = [k for k in similar + parts if len(context & set(k.context)) >= self.settings.shared_context]
        return self._best_context(candidates, context, normalized) if candidates else None

    def _longer_or_shorter(self, tokens: tuple[str, ...]) -> set[str]:
        """Entities named by these words with a title in front, or by their last words (at least two)."""
        found = set(self._by_suffix.get(" ".join(tokens), set()))
        for start in range(1, len(tokens) - _MIN_SHORT_NAME_WORDS + 1):
            found.update(self._by_name.get(" ".join(tokens[start:]), []))
        return found

    def _short_or_long_form(self, entity_type: str, normalized: str, name: str, context: set[str]) -> _Known | None:
        """An organisation or place by its acronym or its initials; an organisation by a shorter or longer
        form of its name.

        "WSJ" is the one entity the store knows whose initials are W, S, J; "Foreign Ministry" is "Chinese
        Foreign Ministry" when that is the one the store knows with those last words, in the same company.
        """
        if is_acronym(name):
            spelled = sorted(self._by_initials.get(normalized, set()))
        else:
            spelled = [i for i in self._by_name.get(initials(name), []) if any(map(is_acronym, self._known[i].names))]
        types = _ORG_LIKE if entity_type in _ORG_LIKE else _COMPATIBLE.get(entity_type, {entity_type})
        if spelled:
            found = [self._known[i] for i in spelled if self._known[i].type in types]
            if len(found) == 1:
                return found[0]
            if found:
                return self._best_context(found, context, normalized)
        if entity_type not in _ORG_LIKE:
            return None
        words = normalized.split()
        forms: set[str] = set()
        if len(words) >= _MIN_SHORT_NAME_WORDS:
            forms.update(self._by_suffix.get(normalized, set()))
        for start in range(1, len(words)):
            short = words[start:]
            # Words in front of a short name are a country, or a descriptor ("Drugmaker Pfizer").
            if len(short) >= _MIN_SHORT_NAME_WORDS or all(w in self._titles for w in words[:start]):
                forms.update(self._by_name.get(" ".join(short), []))
        candidates = [
            self._known[i]
            for i in sorted(forms)
            if self._known[i].type in _ORG_LIKE
            and len(context & set(self._known[i].context)) >= self.settings.shared_context
        ]
        return self._best_context(candidates, context, normalized) if candidates else None

    def _bare_surnames(
        self, mentions: Sequence[Mention], local: dict[str, list[Mention]], ids: dict[str, str]
    ) -> dict[int, str]:
        """Bare surnames the article joined to a full name, that the store knows as someone else's.

        Beside "Melania Trump", a bare "Trump" is Donald Trump when the store has called him "Trump" more
        often than it has her. Returns the new entity id per position in the article's mentions.
        """
        moved: dict[int, str] = {}
        position = {id(m): i for i, m in enumerate(mentions)}
        for key, group in local.items():
            own = self._known[ids[key]]
            if own.type != "PERSON" or len(own.name.split()) < _MIN_SHORT_NAME_WORDS:
                continue
            for mention in group:
                bare = normalize_name(mention.text)
                if mention.label == mention.text or " " in bare or bare not in normalize_name(own.name).split():
                    continue
                others = [
                    self._known[i]
                    for i in self._by_name.get(bare, [])
                    if i != own.id and self._known[i].type == "PERSON"
                ]
                best = max(others, key=lambda k: (k.surface[bare], k.id), default=None)
                if best is not None and best.surface[bare] > own.surface[bare]:
                    moved[position[id(mention)]] = best.id
            self._move_roles(group, moved, position)
        return moved

    @staticmethod
    def _move_roles(group: Sequence[Mention], moved: dict[int, str], position: dict[int, int]) -> None:
        """Role nouns follow the bare surnames that moved when only those carried the role: "the president"
        beside "President Trump", not beside "Melania Trump"."""
        targets = {moved[position[id(m)]] for m in group if position[id(m)] in moved}
        if len(targets) != 1:
            return
        names = [m for m in group if m.label != m.text]
        went = {w for m in names if position[id(m)] in moved for w in _role_words(m.label or "")}
        stayed = {w for m in names if position[id(m)] not in moved for w in _role_words(m.label or "")}
        for mention in group:
            role = normalize_name(mention.text).split()
            if mention.label == mention.text and role and role[-1] in went - stayed:
                moved[position[id(mention)]] = next(iter(targets))

    @staticmethod
    def _best_context(candidates: Sequence[_Known], context: set[str], normalized: str = "") -> _Known | None:
        """The candidate sharing most company; on a tie, the one the store most often calls by this name."""
        scored = sorted(
            ((len(context & set(k.context)), k.surface[normalized], k.id) for k in candidates), reverse=True
        )
        if len(scored) > 1 and scored[0][:2] == scored[1][:2]:
            return None
        best = scored[0][2]
        return next(k for k in candidates if k.id == best)

    def snapshot(self) -> bytes:
        state = {
            "by_name": self._by_name,
            "titles": sorted(self._titles),
            "known": [
                [k.id, k.type, k.name, dict(k.names), dict(k.context), dict(k.votes), dict(k.surface)]
                for k in sorted(self._known.values(), key=lambda k: k.id)
            ],
        }
        return json.dumps(state, sort_keys=True).encode("utf-8")

    def restore(self, state: bytes | None) -> None:
        self._by_name, self._known, self._by_prefix, self._by_suffix, self._by_initials = {}, {}, {}, {}, {}
        self._titles = set(PERSON_TITLES)
        if not state:
            return
        data = json.loads(state)
        self._titles.update(data.get("titles", []))
        for entity_id, entity_type, name, names, context, *votes_surface in data["known"]:
            votes, surface = votes_surface if votes_surface else ({}, {})
            known = _Known(entity_id, entity_type, name, Counter(names), Counter(context), Counter(votes))
            known.surface = Counter(surface)
            self._known[entity_id] = known
            for variant in names:
                self._index_initials(known, variant)
        for key, entity_ids in data["by_name"].items():
            for entity_id in entity_ids:
                self._index(self._known[entity_id], key)

    def _index_initials(self, known: _Known, name: str) -> None:
        letters = initials(name)
        if len(letters) >= _ACRONYM_MIN_LETTERS:
            self._by_initials.setdefault(letters, set()).add(known.id)
