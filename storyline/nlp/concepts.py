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

CONCEPT_TYPE = "CONCEPT"
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


def find_concepts(doc: Doc, names: Sequence[Mention]) -> list[Mention]:
    """The article's noun phrases headed by a common noun that is not inside one of its ``names`` (the
    entity reader's mentions), each keyed ``CONCEPT:head`` by the singular of its head."""
    taken = sorted((m.start, m.end) for m in names)
    found = []
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.pos_ != "NOUN" or any(start <= root.idx < end for start, end in taken):
            continue
        head = _head(root)
        if head is None:
            continue
        # A name in front of the head is its entity's mention, with everything before it ("Mr. Trump's
        # visit": the concept is the visit); determiners and possessives are not the outlet's words for it.
        start = chunk.start
        for token in doc[chunk.start : root.i]:
            if any(s < token.idx + len(token) and token.idx < e for s, e in taken):
                start = token.i + 1
        while start < root.i and (doc[start].tag_ in {"DT", "PRP$", "POS"} or doc[start].is_punct):
            start += 1
        words = doc[start : chunk.end]
        found.append(Mention(words.start_char, words.end_char, words.text, CONCEPT_TYPE, f"{CONCEPT_TYPE}:{head}"))
    return found


def group_concepts(docs: Sequence[Doc], names: Sequence[Sequence[Mention]]) -> list[list[Mention]]:
    """The concept mentions of each of an event's articles (``docs``, with the entity reader's mentions of
    each in ``names``); mentions of one concept share their ``entity`` key across the articles."""
    if len(docs) != len(names):
        raise ValueError("docs and names must be the same articles")
    return [find_concepts(doc, found) for doc, found in zip(docs, names, strict=True)]
