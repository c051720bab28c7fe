"""Entity names across outlets, measured on NewsWCL50 (../shared/data/framing).

Each record is one event: several outlets' articles, with their mentions of actors and
countries coded so that mentions sharing a ``code_name`` are the same actor. The event's
articles go through the engine's entity reading and one entity linker (as an event's articles
do in the store); each gold mention takes the entity of the engine's mention that overlaps it
most, or stays alone when none does. Scores are BCubed over gold mentions (do the engine's
entities group the mentions the annotators grouped?) and coverage (how many gold mentions the
engine found at all). Only actors and countries are scored: the other codes are concepts,
actions and properties ("the wall", "illegal immigrants") that no entity reader finds.

Metonyms are kept apart on purpose ("Pyongyang" the government is not "North Korea" the
country), which NewsWCL50 codes as one: country recall is lower by design.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import Errors, InputError
from ..nlp.entities import EntityLinker, find_mentions
from ..nlp.spacy_pipeline import load_spacy
from .metrics import Scores, bcubed
from .records import read_records

# NewsWCL50 codes of named actors (persons, organisations) and of countries.
ACTOR_CODES = frozenset({"ACTOR", "ACTOR-I", "GROUP"})
COUNTRY_CODES = frozenset({"COUNTRY"})
_SENTENCE_JOIN = "\n\n"


@dataclass(frozen=True, slots=True)
class EntityScores:
    """BCubed of the engine's entities against the coded actors, per kind of code."""

    file: str
    events: int
    articles: int
    actors: Scores
    actor_mentions: int
    actor_coverage: float
    all: Scores
    all_mentions: int
    all_coverage: float
    seconds: float


@dataclass(frozen=True, slots=True)
class _GoldMention:
    start: int
    end: int
    code: str
    kind: str


def _field(record: dict[str, Any], name: str, path: Path, line: int, expected: str) -> Any:
    if name not in record:
        raise InputError(str(path), Errors.E014.format(path=path, line=line, field=name, expected=expected))
    return record[name]


def _article(article: dict[str, Any], path: Path, line: int) -> tuple[str, list[_GoldMention]]:
    """The article as its sentences joined by blank lines, and its coded mentions as offsets into that."""
    sentences = _field(article, "sentences", path, line, "a list of strings")
    starts, text = [], ""
    for sentence in sentences:
        starts.append(len(text))
        text += sentence + _SENTENCE_JOIN
    mentions = []
    for mention in _field(article, "mentions", path, line, "a list of mentions"):
        code_type = mention.get("code_type")
        if code_type not in ACTOR_CODES | COUNTRY_CODES:
            continue
        kind = "actor" if code_type in ACTOR_CODES else "country"
        located = (mention.get("sentence"), mention.get("start"), mention.get("end"))
        if not all(isinstance(value, int) for value in located) or not 0 <= mention["sentence"] < len(starts):
            # A few annotations carry no position in the text: they cannot be matched, so they are skipped.
            continue
        offset = starts[mention["sentence"]]
        mentions.append(_GoldMention(offset + mention["start"], offset + mention["end"], mention["code_name"], kind))
    return text, mentions


def evaluate_entities(path: Path, settings: Settings) -> EntityScores:
    """Read each event of ``path`` (NewsWCL50 format) and score the engine's entities against its codes."""
    nlp = load_spacy(settings.nlp.spacy_model)
    gold_all: list[str] = []
    predicted_all: list[str] = []
    kinds: list[str] = []
    found_all: list[bool] = []
    events = articles = 0
    started = time.perf_counter()
    for number, record in read_records(path):
        event = _field(record, "event_id", path, number, "an event id")
        read = [_article(a, path, number) for a in _field(record, "articles", path, number, "a list")]
        linker = EntityLinker(settings.entities)
        docs = nlp.pipe((text for text, _ in read), batch_size=settings.nlp.spacy_batch_size)
        for index, (doc, (_, gold)) in enumerate(zip(docs, read, strict=True)):
            mentions = linker.link(find_mentions(doc, settings.entities))
            for mention in gold:
                overlaps = [
                    (min(m.end, mention.end) - max(m.start, mention.start), m.entity)
                    for m in mentions
                    if m.start < mention.end and mention.start < m.end
                ]
                found = max(overlaps)[1] if overlaps else None
                gold_all.append(f"{event}/{mention.code}")
                # A mention the engine missed is an entity of its own.
                predicted_all.append(found or f"missed/{event}/{index}/{mention.start}")
                kinds.append(mention.kind)
                found_all.append(found is not None)
        events += 1
        articles += len(read)
    actor = [i for i, kind in enumerate(kinds) if kind == "actor"]
    return EntityScores(
        file=str(path),
        events=events,
        articles=articles,
        actors=bcubed([gold_all[i] for i in actor], [predicted_all[i] for i in actor]),
        actor_mentions=len(actor),
        actor_coverage=sum(found_all[i] for i in actor) / max(len(actor), 1),
        all=bcubed(gold_all, predicted_all),
        all_mentions=len(gold_all),
        all_coverage=sum(found_all) / max(len(found_all), 1),
        seconds=time.perf_counter() - started,
    )


def format_entities(scores: EntityScores) -> str:
    """A short table of the scores."""
    lines = [f"{scores.file}: {scores.events} events, {scores.articles} articles, {scores.seconds:.1f} s"]
    for name, part, count, coverage in (
        ("actors", scores.actors, scores.actor_mentions, scores.actor_coverage),
        ("actors + countries", scores.all, scores.all_mentions, scores.all_coverage),
    ):
        lines.append(
            f"{name:19} {count:5} gold mentions, found {coverage:.3f} | BCubed P {part.precision:.3f} "
            f"R {part.recall:.3f} F1 {part.f1:.3f}"
        )
    return "\n".join(lines)
