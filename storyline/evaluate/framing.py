"""Mention groups across outlets, measured on NewsWCL50 (../shared/data/framing): do the engine's groups
of an event's mentions match the annotators' codes, for every kind of code?

NewsWCL50 codes actors and countries, and also concepts, events, actions and properties ("the wall",
"illegal immigrants", "suspends nuclear tests"); mentions sharing a ``code_name`` within an event are one
group. The event's articles go through the entity reader and one linker, then through the concept
grouping (:mod:`storyline.nlp.concepts`). Scoring is on key mentions, as in :mod:`.entities`: each coded
mention takes the group of the engine mention that overlaps it most, a coded mention the engine did not
find is a group of its own on the system side, and engine mentions that no annotator coded are not
scored (NewsWCL50 codes a sample of phrases, not every mention).

Three system groupings are scored from the same parse: ``names`` (the entity linker alone, the engine
before concept grouping), ``concepts`` (:func:`~storyline.nlp.concepts.group_mentions`: names, concepts and
predicates) and ``lumped``, a reference that no engine should ship: the same mentions, with every concept and
predicate of an event put in one group. BCubed, MUC and CEAF-e reward it on this corpus, whose codes are
large and whose mentions are mostly coded; best-match F1 does not. Each is scored over all codes, as
Hamborg et al. (JCDL 2019) do, and over actors, countries and the rest. Metrics: BCubed, MUC, CEAF-e
and their CoNLL F1, and ``best_match``, each code against the one system group holding most of its
mentions, averaged over codes: our reading of the measure behind Hamborg et al.'s F1 45.7.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..nlp.concepts import CONCEPT_TYPE, PREDICATE_TYPE, group_mentions
from ..nlp.spacy_pipeline import load_spacy
from .entities import ACTOR_CODES, COUNTRY_CODES, key_entities, missed, read_event, read_names
from .metrics import Scores, bcubed, best_match, ceaf_e, muc
from .records import read_records

# Kinds of code scored apart, besides all of them together.
CODE_GROUPS = ("all", "actors", "countries", "rest")
SYSTEMS = ("names", "concepts", "lumped")
# The one group of the ``lumped`` reference.
LUMP = "LUMP"
LUMPED_TYPES = frozenset({CONCEPT_TYPE, PREDICATE_TYPE})


@dataclass(frozen=True, slots=True)
class GroupScores:
    """One system grouping against the codes of one kind."""

    mentions: int
    codes: int
    found: float
    bcubed: Scores
    muc: Scores
    ceaf_e: Scores
    conll_f1: float
    best_match: Scores


@dataclass(frozen=True, slots=True)
class FramingScores:
    """Scores per system grouping (``names``, ``concepts``) and per kind of code (:data:`CODE_GROUPS`)."""

    file: str
    events: int
    articles: int
    names: dict[str, GroupScores]
    concepts: dict[str, GroupScores]
    lumped: dict[str, GroupScores]
    seconds: float


def code_group(code_type: str) -> str:
    """Which kind of code a NewsWCL50 code type is: actors, countries or the rest."""
    if code_type in ACTOR_CODES:
        return "actors"
    return "countries" if code_type in COUNTRY_CODES else "rest"


def score_groups(gold: list[str], predicted: list[str], found: list[bool]) -> GroupScores:
    """All the metrics of one system labelling of the coded mentions against their codes."""
    b3, links, entities = bcubed(gold, predicted), muc(gold, predicted), ceaf_e(gold, predicted)
    return GroupScores(
        mentions=len(gold),
        codes=len(set(gold)),
        found=sum(found) / max(len(found), 1),
        bcubed=b3,
        muc=links,
        ceaf_e=entities,
        conll_f1=(b3.f1 + links.f1 + entities.f1) / 3,
        best_match=best_match(gold, predicted),
    )


def evaluate_framing(path: Path, settings: Settings) -> FramingScores:
    """Read each event of ``path`` (NewsWCL50 format) and score the engine's mention groups against its codes."""
    nlp = load_spacy(settings.nlp.spacy_model)
    gold: list[str] = []
    kinds: list[str] = []
    predicted: dict[str, list[str]] = {system: [] for system in SYSTEMS}
    found: dict[str, list[bool]] = {system: [] for system in SYSTEMS}
    events = articles = 0
    started = time.perf_counter()
    for number, record in read_records(path):
        event, read = read_event(record, path, number)
        docs = list(nlp.pipe((text for text, _ in read), batch_size=settings.nlp.spacy_batch_size))
        names = read_names(docs, settings)
        grouped = group_mentions(docs, names)
        for index, (_, coded) in enumerate(read):
            gold.extend(f"{event}/{m.code}" for m in coded)
            kinds.extend(code_group(m.code_type) for m in coded)
            lumped = [replace(m, entity=LUMP) if m.type in LUMPED_TYPES else m for m in grouped[index]]
            mentions = {"names": names[index], "concepts": grouped[index], "lumped": lumped}
            for system in SYSTEMS:
                for mention, entity in zip(coded, key_entities(coded, mentions[system]), strict=True):
                    predicted[system].append(f"{event}/{entity}" if entity else missed(event, index, mention))
                    found[system].append(entity is not None)
        events += 1
        articles += len(read)

    def scores(system: str) -> dict[str, GroupScores]:
        by_group = {}
        for group in CODE_GROUPS:
            items = [i for i, kind in enumerate(kinds) if group in ("all", kind)]
            by_group[group] = score_groups(
                [gold[i] for i in items], [predicted[system][i] for i in items], [found[system][i] for i in items]
            )
        return by_group

    return FramingScores(
        file=str(path),
        events=events,
        articles=articles,
        names=scores("names"),
        concepts=scores("concepts"),
        lumped=scores("lumped"),
        seconds=time.perf_counter() - started,
    )


def format_framing(scores: FramingScores) -> str:
    """A short table of the scores: one line per system grouping and kind of code."""
    lines = [f"{scores.file}: {scores.events} events, {scores.articles} articles, {scores.seconds:.1f} s"]
    for system in SYSTEMS:
        for group, part in getattr(scores, system).items():
            lines.append(
                f"{system:8} {group:9} {part.mentions:5} mentions {part.codes:4} codes, found {part.found:.3f} | "
                f"BCubed P {part.bcubed.precision:.3f} R {part.bcubed.recall:.3f} F1 {part.bcubed.f1:.3f} | "
                f"MUC F1 {part.muc.f1:.3f} CEAF-e F1 {part.ceaf_e.f1:.3f} CoNLL F1 {part.conll_f1:.3f} | "
                f"best match F1 {part.best_match.f1:.3f}"
            )
    return "\n".join(lines)
