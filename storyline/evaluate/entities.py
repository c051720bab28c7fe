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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from ..config import Settings
from ..errors import Errors, InputError
from ..model import Mention
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
class GoldMention:
    """A coded mention, as offsets into its article's text (:func:`read_event`)."""

    start: int
    end: int
    code: str
    code_type: str


def _field(record: dict[str, Any], name: str, path: Path, line: int, expected: str) -> Any:
    if name not in record:
        raise InputError(str(path), Errors.E014.format(path=path, line=line, field=name, expected=expected))
    return record[name]


def _article(article: dict[str, Any], path: Path, line: int) -> tuple[str, list[GoldMention]]:
    """The article as its sentences joined by blank lines, and its coded mentions as offsets into that."""
    sentences = _field(article, "sentences", path, line, "a list of strings")
    starts, text = [], ""
    for sentence in sentences:
        starts.append(len(text))
        text += sentence + _SENTENCE_JOIN
    mentions = []
    for mention in _field(article, "mentions", path, line, "a list of mentions"):
        located = (mention.get("sentence"), mention.get("start"), mention.get("end"))
        if not all(isinstance(value, int) for value in located) or not 0 <= mention["sentence"] < len(starts):
            # A few annotations carry no position in the text: they cannot be matched, so they are skipped.
            continue
        offset = starts[mention["sentence"]]
        code = (mention.get("code_name"), mention.get("code_type"))
        mentions.append(GoldMention(offset + mention["start"], offset + mention["end"], str(code[0]), str(code[1])))
    return text, mentions


def read_event(record: dict[str, Any], path: Path, line: int) -> tuple[str, list[tuple[str, list[GoldMention]]]]:
    """The event id of one NewsWCL50 record, and each article's text with its coded mentions (all codes)."""
    event = str(_field(record, "event_id", path, line, "an event id"))
    return event, [_article(a, path, line) for a in _field(record, "articles", path, line, "a list")]


def read_names(docs: Iterable[Doc], settings: Settings) -> list[list[Mention]]:
    """The entity reader's mentions of each of an event's articles, linked by one linker as an event's
    articles are in the store."""
    linker = EntityLinker(settings.entities)
    return [linker.link(find_mentions(doc, settings.entities)) for doc in docs]


def key_entities(gold: Sequence[GoldMention], mentions: Sequence[Mention]) -> list[str | None]:
    """For each coded mention, the entity of the engine mention that overlaps it most (on a tie, the
    shorter, closer to the coded words), or None where no engine mention overlaps it."""
    found: list[str | None] = []
    for mention in gold:
        overlaps = [
            (min(m.end, mention.end) - max(m.start, mention.start), m.start - m.end, m.entity)
            for m in mentions
            if m.start < mention.end and mention.start < m.end
        ]
        found.append(max(overlaps)[2] if overlaps else None)
    return found


def missed(event: str, article: int, mention: GoldMention) -> str:
    """The system-side cluster of a coded mention the engine did not find: one of its own."""
    return f"missed/{event}/{article}/{mention.start}/{mention.end}"


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
        event, read = read_event(record, path, number)
        docs = nlp.pipe((text for text, _ in read), batch_size=settings.nlp.spacy_batch_size)
        for index, (mentions, (_, coded)) in enumerate(zip(read_names(docs, settings), read, strict=True)):
            gold = [m for m in coded if m.code_type in ACTOR_CODES | COUNTRY_CODES]
            for mention, found in zip(gold, key_entities(gold, mentions), strict=True):
                gold_all.append(f"{event}/{mention.code}")
                # Codes are the event's own: so are the engine's groups (one name's id is the same in every event).
                predicted_all.append(f"{event}/{found}" if found else missed(event, index, mention))
                kinds.append("actor" if mention.code_type in ACTOR_CODES else "country")
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
