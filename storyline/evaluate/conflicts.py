"""`storyline eval conflicts`: does the engine see where outlets disagree?

No dataset labels conflicts between outlets, so they are made: each file in the clustering format is run
through the whole pipeline as it is, then again with one outlet's article of some events changed in one
sentence that another outlet's article reports too (a number, a day or a person's name replaced).
*Recall* is the share of those changes that come out as a conflict citing the changed sentence. The run
as it is says how many conflicts the engine reports on real events, with a sample to read: real outlets do
disagree, so these are not all false, but each should be checkable by eye.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..model import Article, Conflict, EventAnalysis
from ..nlp.entities import GENERIC_ROLES, PERSON_TITLES
from ..pipeline import Pipeline, Progress, default_stages
from ..store import Store, open_store
from .clustering import ingest_file
from .records import read_records

# A count as written: not part of a date or a fraction ("9/11").
_NUMBER = re.compile(r"(?<![\w.,/-])\d{1,3}(?:,\d{3})+(?![\w,/-])|(?<![\w.,/-])\d+(?![\w.,%/-])")
_NAME_GOES_ON = re.compile(r"\s+[A-Z]")
# A word of a person's name as written: capitalized with a lower-case letter in it ("Cesar", "McConnell",
# "O'Rourke", "Jr."; not "BBC"), or an initial ("G.").
_LOWER_WORD = re.compile(r"(?<![\w.])[a-z][a-z'’-]+")
_NAME_WORD = re.compile(r"[A-Z]\.|[A-Z][A-Za-z'’-]*[a-z][A-Za-z'’-]*\.?")
_POSSESSIVE = re.compile(r"['’]s?$")
_DAY = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.) (\d{1,2})\b"
)


@dataclass(frozen=True, slots=True)
class Perturbation:
    """One sentence of one article changed: what was there and what it became."""

    record: str  # the record id in the file
    sentence: str  # the sentence as it was
    kind: str  # number, date or person
    before: str
    after: str


@dataclass
class ConflictResult:
    file: str
    events: int
    conflicts: int
    updates: int
    events_with_conflicts: int
    perturbations: list[Perturbation] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return sum(self.found) / len(self.found) if self.found else 0.0

    def recall_by_kind(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for change, hit in zip(self.perturbations, self.found, strict=True):
            found, tried = counts.get(change.kind, (0, 0))
            counts[change.kind] = (found + hit, tried + 1)
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "events": self.events, "conflicts": self.conflicts, "updates": self.updates,
            "events_with_conflicts": self.events_with_conflicts, "perturbations": len(self.perturbations),
            "recall": round(self.recall, 4),
            "recall_by_kind": {k: {"found": f, "tried": t} for k, (f, t) in self.recall_by_kind().items()},
            "sample": self.sample,
            # The changes not found, to read against the file (record id; the values only, not its text).
            "missed": [{"record": c.record, "kind": c.kind, "before": c.before, "after": c.after}
                       for c, hit in zip(self.perturbations, self.found, strict=True) if not hit],
        }  # fmt: skip


def _run(path: Path, settings: Settings, folder: str, name: str, progress: Progress | None) -> Store:
    store = open_store(f"{folder}/{name}.db")
    ingest_file(store, str(path), settings)
    Pipeline.configured(default_stages(settings), settings.pipeline).run(store, progress)
    return store


def _perturb(
    sentence: str, people: list[str], others: list[str], rng: random.Random, reported: str
) -> tuple[str, str, str] | None:
    """(kind, before, after) for one change to ``sentence``: a day moved, a number changed or a person
    replaced by someone named elsewhere in the file, each only where the fact's other sources (``reported``)
    give it too, so that there is something to disagree with; a kind is drawn first, then one of its
    instances. None when it has none of these."""
    options: list[tuple[str, str, str]] = []
    for match in _DAY.finditer(sentence):
        day = int(match.group(2))
        moved = day + 1 if day < 28 else day - 1
        options.append(("date", match.group(0), f"{match.group(1)} {moved}"))
    for match in _NUMBER.finditer(sentence):
        text = match.group(0)
        value = int(text.replace(",", ""))
        if 1900 <= value <= 2100 or any(o[0] == "date" and o[1].endswith(f" {text}") for o in options):
            continue  # a year, or a day already offered
        changed = value + max(1, round(value * 0.4)) + 1
        options.append(("number", text, f"{changed:,}" if "," in text else str(changed)))
    for person in people:
        at = sentence.find(person)
        # A whole name, not the start of a longer one: "Special Agent" in "Special Agent Strzok" (a title the
        # tagger took for a name) would make "Glenn Beck Strzok", which no outlet would write.
        if at >= 0 and not _NAME_GOES_ON.match(sentence, at + len(person)):
            replacement = next((o for o in others if o != person and o not in sentence), None)
            if replacement:
                options.append(("person", person, replacement))
    options = [o for o in options if _gives(reported, o[0], o[1])]
    kinds = sorted({o[0] for o in options})
    if not kinds:
        return None
    kind = rng.choice(kinds)
    return rng.choice([o for o in options if o[0] == kind])


def _reads_as_name(person: str, common: set[str]) -> bool:
    """Whether the tagger's person reads as a person's name, two words or more: not an organisation ("BBC
    Panorama", "Alexandria Police": a last word the file writes in lower case, in ``common``), nor a title it
    took for one ("Special Agent", "Chief Clerk"), whose change would not be a person's name changed."""
    words = person.split()
    if len(words) < 2 or not all(_NAME_WORD.fullmatch(w) and not _POSSESSIVE.search(w) for w in words):
        return False
    titles = PERSON_TITLES | GENERIC_ROLES
    return words[-1].lower() not in common and not any(w.lower().rstrip(".") in titles for w in words)


def _gives(reported: str, kind: str, value: str) -> bool:
    """Whether the other sources give ``value`` as a whole figure, day or name: "3" is not given by "2013",
    nor "March 2" by "March 22"."""
    if kind == "number":
        return any(m.group(0) == value for m in _NUMBER.finditer(reported))
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", reported) is not None


def _cites(conflict: Conflict, article: str, sentence_text: str) -> bool:
    return any(c.article == article and c.text == sentence_text for claim in conflict.claims for c in claim.sources)


def _sample(conflict: Conflict) -> dict[str, Any]:
    return {
        "about": conflict.about, "kind": conflict.kind,
        "claims": [{"value": c.value, "text": c.text, "sources": len(c.sources)} for c in conflict.claims],
    }  # fmt: skip


def evaluate_conflicts(
    path: str,
    settings: Settings,
    max_events: int = 40,
    seed: int = 13,
    sample_size: int = 5,
    progress: Progress | None = None,
) -> ConflictResult:
    """Conflicts on ``path`` as it is, and recall on one change in each of at most ``max_events`` events."""
    rng = random.Random(seed)
    records = [record for _, record in read_records(Path(path))]
    events_of: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        events_of.setdefault(str(record["cluster"]), []).append(record)
    chosen = sorted(events_of)[:max_events] if max_events else sorted(events_of)
    kept = [r for event in chosen for r in events_of[event]]
    with tempfile.TemporaryDirectory(prefix="storyline-conflicts-") as folder:
        original = Path(folder) / "original.jsonl"
        original.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
        with _run(original, settings, folder, "original", progress) as store:
            analyses = store.event_analyses()
            articles = {a.id: a for a in store.articles(with_annotations=True)}
            result = _baseline(path, analyses)
            changes = _changes(analyses, articles, rng)
        if not changes:
            return result
        by_record = {c.record: c for c in changes}
        perturbed = Path(folder) / "perturbed.jsonl"
        lines, applied = [], []
        for record in kept:
            change = by_record.get(str(record["id"]))
            # The cleaned sentence must be found in the record as written (cleaning may have changed it).
            if change is not None and change.sentence in str(record["text"]):
                edited = change.sentence.replace(change.before, change.after, 1)
                record = {**record, "text": str(record["text"]).replace(change.sentence, edited, 1)}
                applied.append(change)
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        changes = applied
        perturbed.write_text("".join(lines), encoding="utf-8")
        with _run(perturbed, settings, folder, "perturbed", progress) as store:
            by_external = {a.external_id: a for a in store.articles()}
            found_analyses = store.event_analyses()
            for change in changes:
                article = by_external.get(change.record)
                edited = change.sentence.replace(change.before, change.after, 1)
                analysis = found_analyses.get(article.event or "") if article is not None else None
                hit = article is not None and analysis is not None and any(
                    _cites(c, article.id, edited) for c in analysis.conflicts
                )  # fmt: skip
                result.perturbations.append(change)
                result.found.append(hit)
    result.sample = result.sample[:sample_size]
    return result


def _baseline(path: str, analyses: dict[str, EventAnalysis]) -> ConflictResult:
    conflicts = [c for a in analyses.values() for c in a.conflicts]
    return ConflictResult(
        file=path,
        events=len(analyses),
        conflicts=sum(c.kind == "conflict" for c in conflicts),
        updates=sum(c.kind == "update" for c in conflicts),
        events_with_conflicts=sum(bool(a.conflicts) for a in analyses.values()),
        sample=[_sample(c) for c in conflicts],
    )


def _changes(
    analyses: dict[str, EventAnalysis], articles: dict[str, Article], rng: random.Random
) -> list[Perturbation]:
    """One change per event, in a sentence of a fact another outlet reports too."""
    common = {w for a in articles.values() for w in _LOWER_WORD.findall(a.text)}
    people = sorted(
        {m.text for a in articles.values() for m in a.mentions if m.type == "PERSON" and _reads_as_name(m.text, common)}
    )
    changes = []
    for event in sorted(analyses):
        options = []
        for fact in analyses[event].facts:
            if fact.independent_outlets < 2:
                continue
            for citation in fact.sources:
                article = articles.get(citation.article)
                if article is None or article.external_id is None or citation.text not in article.text:
                    continue
                reported = "\n".join(c.text for c in fact.sources if c.article != citation.article)
                others = rng.sample(people, min(len(people), 20))
                change = _perturb(citation.text, people, others, rng, reported)
                if change is not None:
                    options.append(Perturbation(article.external_id, citation.text, *change))
        if options:
            changes.append(rng.choice(options))
    return changes


def format_conflicts(result: ConflictResult) -> str:
    """One line of figures, then the sample of conflicts on the file as it is."""
    kinds = ", ".join(f"{k} {f}/{t}" for k, (f, t) in sorted(result.recall_by_kind().items()))
    lines = [
        f"{Path(result.file).name}: recall {result.recall:.3f} on {len(result.perturbations)} changes ({kinds}) | "
        f"as it is: {result.conflicts} conflicts and {result.updates} updates in {result.events_with_conflicts} "
        f"of {result.events} events"
    ]
    for item in result.sample:
        claims = " | ".join(f"{c['value']}: {c['text'][:90]}" for c in item["claims"])
        lines.append(f"    {item['about']} ({item['kind']}): {claims}")
    return "\n".join(lines)
