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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

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
# Words in front of a name that make it a person's name, whatever the NER tag says ("President [X] Y").
PERSON_TITLES = frozenset(
    {"president", "mr", "mrs", "ms", "dr", "sen", "senator", "rep", "gov", "governor", "minister",
     "chancellor", "premier", "king", "queen", "prince", "pope", "gen", "general", "secretary", "spokesman",
     "spokeswoman", "spokesperson", "ambassador", "judge", "mayor", "adviser", "advisor", "aide", "leader"}
)  # fmt: skip
# Role nouns that name a head of state or government in "the Chinese leader": besides these, any
# noun an article itself uses in a person's title ("Chinese President Xi" -> "the Chinese president").
GENERIC_ROLES = frozenset({"leader", "head", "chief", "counterpart"})
# Dependencies of words in front of a name that describe it ("Russian dictator Vladimir Putin").
_PREMODIFIER_DEPS = frozenset({"compound", "amod", "nmod", "poss", "nn"})
_EDGE_PUNCT = "[]()\"'“”‘’«»,.;:!?-–— "
_POSSESSIVE = re.compile(r"['’]s?$")
_LABEL_MAX_TOKENS = 8
_BLOCK_PREFIX = 3
# Words shorter than this are never spelling variants of each other, only equal.
_MIN_SPELLING_CHARS = 6
# A line of at least this many words, this share of them capitalized (or short, like "of", "in"),
# is a headline: there "Xi Doubles Down" is not a three-word name.
_HEADLINE_MIN_WORDS = 4
_HEADLINE_CAPITALIZED = 0.8
_SHORT_WORD = 3


def normalize_name(name: str) -> str:
    """The form names are compared in: no accents, case, possessive or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _POSSESSIVE.sub("", plain.strip())
    words = re.findall(r"\w+", plain.casefold())
    return " ".join(w for w in words if w != "the")


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
    names = [found for ent in doc.ents if (found := _clean_name(ent)) is not None]
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
    mentions.extend(_role_mentions(doc, groups, {(m.start, m.end) for m in mentions}))
    return sorted(mentions, key=lambda m: (m.start, m.end))


def _add_mention(groups: list[_Group], span: Span, entity_type: str, settings: EntitySettings) -> None:
    tokens = tuple(normalize_name(span.text).split())
    if not tokens:
        return
    group = _matching_group(groups, tokens, entity_type, settings)
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


def _clean_name(ent: Span) -> tuple[Span, str] | None:
    """The name inside an NER span, and its type; None for spans that hold no name."""
    if ent.label_ not in ENTITY_TYPES:
        return None
    entity_type = ent.label_
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (doc[start].is_punct or doc[start].lower_ == "the" or doc[start].tag_ == "DT"):
        start += 1
    while start < end and (doc[end - 1].is_punct or doc[end - 1].tag_ == "POS"):
        end -= 1
    if entity_type == "PERSON":
        # A given name the model left out ("Yury" in "Yury Ushakov, the adviser").
        while start > 0 and _is_name_word(doc[start - 1]):
            start -= 1
        # A title inside the span ("President Zelenskiy") is a label, not part of the name.
        while start < end - 1 and doc[start].lower_.rstrip(".") in PERSON_TITLES:
            start += 1
        # Headline words the model swept in ("Following Putin", "Xi Doubles Down") are not proper nouns.
        while start < end and doc[start].tag_ not in _PROPER_TAGS:
            start += 1
        while start < end and doc[end - 1].tag_ not in _PROPER_TAGS:
            end -= 1
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
    words = re.findall(r"[^\W\d_]+", text[line_start : line_end if line_end >= 0 else None])
    if len(words) < _HEADLINE_MIN_WORDS:
        return False
    capitalized = sum(1 for w in words if w[0].isupper() or len(w) <= _SHORT_WORD)
    return capitalized / len(words) >= _HEADLINE_CAPITALIZED


def _matching_group(
    groups: Sequence[_Group], tokens: tuple[str, ...], entity_type: str, settings: EntitySettings
) -> _Group | None:
    """The one earlier group this name is a variant of, if exactly one fits."""
    compatible = [g for g in groups if g.type in _COMPATIBLE.get(entity_type, {entity_type})]
    exact = [g for g in compatible if g.tokens == tokens]
    if exact:
        return exact[0]
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


def _role_mentions(doc: Doc, groups: Sequence[_Group], taken: set[tuple[int, int]]) -> list[Mention]:
    """Definite role nouns that fit exactly one person the article describes: "the Chinese leader"
    (its words all in one person's labels), or a bare "the president" when one person alone is
    called president here."""
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
        if len(fits) == 1:
            text = chunk.text
            found.append(Mention(chunk.start_char, chunk.end_char, text, "PERSON", fits[0].key(), text))
    return found


@dataclass
class _Known:
    """An entity the linker has seen: its names and the entities it appears with."""

    id: str
    type: str
    name: str
    names: Counter[str] = field(default_factory=Counter)
    context: Counter[str] = field(default_factory=Counter)


class EntityLinker:
    """Gives article-level entities store-wide ids, remembering names and context across runs."""

    def __init__(self, settings: EntitySettings) -> None:
        self.settings = settings
        self._by_name: dict[str, list[str]] = {}
        self._known: dict[str, _Known] = {}
        # Blocking for spelling variants: entities by the first letters of each word of their names.
        self._by_prefix: dict[str, set[str]] = {}

    def link(self, mentions: Sequence[Mention]) -> list[Mention]:
        """The mentions with ``entity`` set to store-wide entity ids."""
        local: dict[str, list[Mention]] = {}
        for mention in mentions:
            local.setdefault(mention.entity, []).append(mention)
        ids: dict[str, str] = {}
        # Longest names first: "Yuri Ushakov" is linked before a bare "Ushakov" elsewhere could be.
        normalized = {key: normalize_name(key.split(":", 1)[1]) for key in local}
        for key in sorted(local, key=lambda k: (-len(k.split(":", 1)[1]), k)):
            entity_type, name = key.split(":", 1)
            others = {normalized[k] for k in local if k != key}
            ids[key] = self._resolve(entity_type, name, [m.text for m in local[key] if m.label != m.text], others)
        return [replace(m, entity=ids[m.entity]) for m in mentions]

    def name(self, entity_id: str) -> tuple[str, str] | None:
        """The display name and type of an entity."""
        known = self._known.get(entity_id)
        return (known.name, known.type) if known else None

    def _resolve(self, entity_type: str, name: str, surface: Iterable[str], context: set[str]) -> str:
        normalized = normalize_name(name)
        known = self._find(entity_type, normalized, context)
        if known is None:
            known = _Known(content_id("ent", entity_type, normalized), entity_type, name)
            self._known[known.id] = known
        known.names[name] += 1
        for key in {normalized, *(normalize_name(text) for text in surface)} - {""}:
            ids = self._by_name.setdefault(key, [])
            if known.id not in ids:
                ids.append(known.id)
        for token in key_tokens(normalized):
            self._by_prefix.setdefault(token, set()).add(known.id)
        known.context.update(context)
        if len(known.context) > self.settings.context_size:
            known.context = Counter(dict(known.context.most_common(self.settings.context_size)))
        # The display name is the fullest name used most often.
        known.name = max(known.names, key=lambda n: (len(n.split()), known.names[n], n))
        return known.id

    def _find(self, entity_type: str, normalized: str, context: set[str]) -> _Known | None:
        types = _COMPATIBLE.get(entity_type, {entity_type})
        exact = [self._known[i] for i in self._by_name.get(normalized, []) if self._known[i].type in types]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            return self._best_context(exact, context)
        tokens = tuple(normalized.split())
        if entity_type == "ORG" and len(tokens) > 1:
            # The small model calls some full personal names ORG ("Volodymyr Zelenskiy"): a near-identical
            # spelling of a known person, in the same company, is that person.
            types = types | {"PERSON"}
        candidates = []
        nearby = set().union(*(self._by_prefix.get(t, set()) for t in key_tokens(normalized)))
        for known in (self._known[i] for i in sorted(nearby)):
            if known.type not in types:
                continue
            known_tokens = tuple(normalize_name(known.name).split())
            same_length = len(known_tokens) == len(tokens)
            spelled_alike = (
                same_length and fuzz.ratio(normalized, " ".join(known_tokens)) >= self.settings.spelling_ratio
            )
            part_of = entity_type == "PERSON" and (
                _is_part(tokens, known_tokens, self.settings) or _is_part(known_tokens, tokens, self.settings)
            )
            if spelled_alike or part_of:
                candidates.append(known)
        # A similar name is only the same entity when it keeps the same company.
        candidates = [k for k in candidates if len(context & set(k.context)) >= self.settings.shared_context]
        return self._best_context(candidates, context) if candidates else None

    @staticmethod
    def _best_context(candidates: Sequence[_Known], context: set[str]) -> _Known | None:
        scored = sorted(((len(context & set(k.context)), k.id) for k in candidates), reverse=True)
        if len(scored) > 1 and scored[0][0] == scored[1][0]:
            return None
        best = scored[0][1]
        return next(k for k in candidates if k.id == best)

    def snapshot(self) -> bytes:
        state = {
            "by_name": self._by_name,
            "known": [
                [k.id, k.type, k.name, dict(k.names), dict(k.context)]
                for k in sorted(self._known.values(), key=lambda k: k.id)
            ],
        }
        return json.dumps(state, sort_keys=True).encode("utf-8")

    def restore(self, state: bytes | None) -> None:
        self._by_name, self._known = {}, {}
        if not state:
            return
        data = json.loads(state)
        self._by_name = {k: list(v) for k, v in data["by_name"].items()}
        self._by_prefix = {}
        for entity_id, entity_type, name, names, context in data["known"]:
            self._known[entity_id] = _Known(entity_id, entity_type, name, Counter(names), Counter(context))
            for variant in names:
                for token in key_tokens(normalize_name(variant)):
                    self._by_prefix.setdefault(token, set()).add(entity_id)
