"""Mentions of concepts: the things an event's outlets name with common nouns ("illegal immigrants",
"the wall", "the tariffs"), which the entity reader, reading names, leaves alone.

A noun phrase is a concept mention when its head is a common noun and not part of a name or role
the entity reader found (those belong to their entity). Within one event, the mentions whose heads are
the same noun in the singular are one concept, whatever the outlet puts around it: "migrants",
"illegal migrants", "the migrant caravan's migrants". What each outlet puts around the head is its
framing; which head it chose ("migrants" or "aliens") stays a different concept.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc, Token

from ..model import Mention
from .countries import INSTITUTIONS, event_countries, institution_country, join_people
from .entities import PERSON_TITLES

CONCEPT_TYPE = "CONCEPT"
PREDICATE_TYPE = "PREDICATE"
# Plurals that do not end in a plain -s (the parse leaves out the lemmatizer for speed).
_IRREGULAR_PLURALS = {
    "children": "child",
    "men": "man",
    "women": "woman",
    "people": "people",
    "feet": "foot",
    "mice": "mouse",
    "teeth": "tooth",
    "data": "data",
    "media": "media",
    "criteria": "criterion",
}
_SIBILANT_PLURALS = ("sses", "xes", "ches", "shes", "zzes")
_NOT_PLURAL_ENDINGS = ("ss", "us", "is")


def singular(noun: str) -> str:
    """The singular of a lower-case English noun, by the regular rules and a short list of exceptions."""
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if len(noun) > 4 and noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(_SIBILANT_PLURALS):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith(_NOT_PLURAL_ENDINGS) and len(noun) > 3:
        return noun[:-1]
    return noun


def _head(token: Token) -> str | None:
    """The concept a noun heads: its singular, lower case, when it is a content word."""
    word = token.lower_
    if not word.isalpha() or word in STOP_WORDS:
        return None
    return singular(word) if token.tag_ in {"NNS", "NNPS"} else word


def _owns_head(name_word: Token) -> bool:
    """Whether a word of a name in front of a concept's head makes the name a possessor of it ("Mr.
    Trump's visit") rather than a qualifier ("the Iran deal", "the Trump campaign")."""
    doc = name_word.doc
    after = doc[name_word.i + 1] if name_word.i + 1 < len(doc) else None
    before = doc[name_word.sent.start : name_word.i]
    titled = any(t.lower_.rstrip(".") in PERSON_TITLES for t in before[-3:])
    return titled or (after is not None and after.tag_ == "POS")


def find_concepts(doc: Doc, names: Sequence[Mention], countries: dict[str, str] | None = None) -> list[Mention]:
    """The article's noun phrases headed by a common noun that is not inside one of its ``names`` (the
    entity reader's mentions), each keyed ``CONCEPT:head`` by the singular of its head; an institution
    of one of the event's ``countries`` (:func:`.countries.event_countries`) is keyed as that country."""
    taken = sorted((m.start, m.end) for m in names)
    found = []
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.pos_ != "NOUN" or any(start <= root.idx < end for start, end in taken):
            continue
        head = _head(root)
        if head is None:
            continue
        # A name's possessive in front of the head is its entity's mention, with everything before it
        # ("Mr. Trump's visit": the concept is the visit); a name that qualifies the head is part of the
        # concept ("the Iran deal" is not "the deal" of another country), unless a title ties it to a person.
        # Determiners and possessives are not the outlet's words for it.
        start = chunk.start
        for token in doc[chunk.start : root.i]:
            if any(s < token.idx + len(token) and token.idx < e for s, e in taken) and _owns_head(token):
                start = token.i + 1
        while start < root.i and (doc[start].tag_ in {"DT", "PRP$", "POS"} or doc[start].is_punct):
            start += 1
        words = doc[start : chunk.end]
        key = f"{CONCEPT_TYPE}:{head}"
        if countries and head in INSTITUTIONS:
            key = institution_country(doc[chunk.start : root.i], names, countries) or key
        found.append(Mention(words.start_char, words.end_char, words.text, CONCEPT_TYPE, key))
    return found


# Endings of verb and adjective forms, longest first; one is taken off ("alleged", "alleging" -> "alleg").
_INFLECTIONS = ("ingly", "edly", "ing", "ed", "es", "s", "e")
_MIN_STEM = 3
_KEPT_DOUBLES = frozenset("lsz")
# Parts of speech of the words outlets choose to describe what happens ("conspired", "sham", "desperate").
_PREDICATE_POS = frozenset({"VERB", "ADJ"})


def stem(word: str) -> str:
    """A light stem of a lower-case verb or adjective: one inflection off, a doubled final consonant undone,
    a final y as i, so that the forms of one word meet ("allege", "alleges", "alleged" -> "alleg"; "stopped",
    "stop"; "denied", "deny" -> "deni"). Not a dictionary form: a key."""
    for ending in _INFLECTIONS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            if ending == "s" and word.endswith(_NOT_PLURAL_ENDINGS):
                break
            word = word[: -len(ending)]
            break
    if len(word) > _MIN_STEM and word[-1] == word[-2] and word[-1] not in "aeiou" and word[-1] not in _KEPT_DOUBLES:
        word = word[:-1]
    return word[:-1] + "i" if word.endswith("y") and len(word) > _MIN_STEM else word


def find_predicates(doc: Doc, names: Sequence[Mention]) -> list[Mention]:
    """The article's content verbs and adjectives outside ``names``, each keyed ``PREDICATE:stem`` by its
    stem, so that "alleges", "alleged" and "alleging" are one word across the event's outlets."""
    taken = [(m.start, m.end) for m in names]
    found = []
    for token in doc:
        word = token.lower_
        if token.pos_ not in _PREDICATE_POS or word in STOP_WORDS or not word.replace("-", "").isalpha():
            continue
        if any(start <= token.idx < end for start, end in taken):
            continue
        key = f"{PREDICATE_TYPE}:{stem(word)}"
        found.append(Mention(token.idx, token.idx + len(token), token.text, PREDICATE_TYPE, key))
    return found


def group_mentions(docs: Sequence[Doc], names: Sequence[Sequence[Mention]]) -> list[list[Mention]]:
    """Every mention of each of an event's articles (``docs``, with the entity reader's linked mentions of
    each in ``names``), grouped across the articles by a shared ``entity`` key: the names (a people's name
    joined to its country), the concepts (a country's institutions joined to it) and the predicates."""
    if len(docs) != len(names):
        raise ValueError("docs and names must be the same articles")
    countries = event_countries(names)
    return [
        join_people(found, countries) + find_concepts(doc, found, countries) + find_predicates(doc, found)
        for doc, found in zip(docs, names, strict=True)
    ]
