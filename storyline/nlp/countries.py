"""A country's mentions beyond its name: its people ("the Russians") and its institutions ("the Russian
government", "U.S. troops"), which outlets use for the country acting.

The entity reader keeps these apart from the country's name on purpose (a demonym is a NORP, a government
is not a name). Mention groups across outlets join them: within an event, "the Iranians", "Iranian
officials" and "Iran" are all the country. A demonym is matched to a country the event names by spelling
("Iranian" and "Iran" share their first letters), not by a list, so any country the event names works.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from spacy.tokens import Span

from ..model import Mention
from .entities import normalize_name

COUNTRY_TYPE = "GPE"
PEOPLE_TYPE = "NORP"
# Nouns for a state's institutions and agents: with a country before them they are the country acting
# (a closed class: "the Russian government", "South Korean officials", "Iranian regime", "U.S. troops").
INSTITUTIONS = frozenset(
    {"government", "regime", "administration", "authority", "official", "leadership", "military", "army",
     "force", "troop", "agent", "agency", "intelligence", "diplomat", "envoy", "ministry", "embassy",
     "delegation", "negotiator", "navy", "spy"}
)  # fmt: skip
# A demonym shares this many first letters with its country at least ("Iran-ian", "Brit-ish")...
_MIN_SHARED = 4
# ... and the country has at most this many letters beyond them ("Brit-ain", "Chin-a", "Russia-").
_MAX_COUNTRY_REST = 3
_PLURAL_ENDINGS = ("ans", "is", "ese")


def _shared_start(word: str, other: str) -> int:
    shared = 0
    for a, b in zip(word, other, strict=False):
        if a != b:
            break
        shared += 1
    return shared


def demonym_of(words: str, countries: Sequence[str]) -> str | None:
    """The country of ``countries`` (normalized names) that ``words`` ("North Korean", "Iranians") are the
    people or adjective of, by spelling; None when none or several fit."""
    parts = normalize_name(words).split()
    if not parts:
        return None
    last = parts[-1]
    if last.endswith(_PLURAL_ENDINGS) and last.endswith("s"):
        last = last[:-1]
    fits = set()
    for country in countries:
        names = country.split()
        if names[:-1] != parts[:-1] or last == names[-1]:
            continue
        shared = _shared_start(last, names[-1])
        if shared >= _MIN_SHARED and len(names[-1]) - shared <= _MAX_COUNTRY_REST:
            fits.add(country)
    return fits.pop() if len(fits) == 1 else None


def event_countries(names: Sequence[Sequence[Mention]]) -> dict[str, str]:
    """The countries an event's articles name: normalized name -> the entity most of its mentions have."""
    counts: dict[str, Counter[str]] = {}
    for mentions in names:
        for mention in mentions:
            if mention.type == COUNTRY_TYPE:
                counts.setdefault(normalize_name(mention.text), Counter())[mention.entity] += 1
    return {name: found.most_common(1)[0][0] for name, found in sorted(counts.items()) if name}


def join_people(mentions: Sequence[Mention], countries: dict[str, str]) -> list[Mention]:
    """The mentions with a people's name ("the Russians", NORP) keyed as the country the event names."""
    joined = []
    for mention in mentions:
        country = demonym_of(mention.text, list(countries)) if mention.type == PEOPLE_TYPE else None
        joined.append(replace(mention, entity=countries[country]) if country else mention)
    return joined


def institution_country(modifiers: Span, names: Sequence[Mention], countries: dict[str, str]) -> str | None:
    """The country entity that the words in front of an institution noun name ("U.S.", "Russian", "South
    Korean"): a country's name mention among them, else a demonym of a country the event names."""
    for mention in names:
        if mention.type == COUNTRY_TYPE and modifiers.start_char <= mention.start < modifiers.end_char:
            return mention.entity
    words = [t for t in modifiers if t.text[:1].isupper() and t.dep_ in {"amod", "compound", "nmod"}]
    if not words:
        return None
    country = demonym_of(" ".join(t.text for t in words), list(countries))
    return countries[country] if country else None
