"""Entities: names grouped within an article, linked across articles, labels, role nouns, the sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from spacy.language import Language

from storyline.analyze.entities import event_entities, event_labels
from storyline.config import Settings
from storyline.errors import InputError
from storyline.evaluate.entities import evaluate_entities, format_entities
from storyline.model import Article, Mention
from storyline.nlp.entities import EntityLinker, display_name, find_mentions, normalize_name
from storyline.nlp.spacy_pipeline import load_spacy
from storyline.store import SQLiteStore

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_spacy()


@pytest.fixture
def mentions_of(nlp: Language, settings: Settings) -> Callable[[str], list[Mention]]:
    return lambda text: find_mentions(nlp(text), settings.entities)


def _entities(mentions: list[Mention]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for m in mentions:
        grouped.setdefault(m.entity, set()).add(m.text)
    return grouped


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Xi’s", "xi"), ("the Kremlin", "kremlin"), ("Zelenskyy", "zelenskyy"), ("José  Martí", "jose marti")],
)
def test_normalize_name_drops_case_accents_possessives(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


def test_display_name_drops_editor_brackets() -> None:
    assert display_name("[Volodymyr] Zelenskiy") == "Volodymyr Zelenskiy"


def test_entities_surname_joins_the_full_name(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = (
        "German Chancellor Olaf Scholz met Finnish President Sauli Niinisto in Berlin on Tuesday. "
        "Scholz said the talks were useful. Niinisto agreed."
    )
    grouped = _entities(mentions_of(text))
    assert {"Olaf Scholz", "Scholz"} in grouped.values()
    assert {"Sauli Niinisto", "Niinisto"} in grouped.values()


def test_entities_surname_another_given_name_also_carries_stays_apart(
    mentions_of: Callable[[str], list[Mention]],
) -> None:
    text = "Michelle Obama visited the Barack Obama Foundation. Obama praised the staff."
    grouped = _entities(mentions_of(text))
    assert {"Michelle Obama"} in grouped.values() and {"Obama"} in grouped.values()
    same_given_name = "Barack Obama visited the Barack Obama Foundation. Obama praised the staff."
    assert {"Barack Obama", "Obama"} in _entities(mentions_of(same_given_name)).values()


def test_entities_premodifier_and_appositive_labels(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = (
        "Russian dictator Vladimir Putin met the envoy on Monday. "
        "Maria Zakharova, the foreign ministry spokeswoman, said the meeting went well."
    )
    labels = {m.text: m.label for m in mentions_of(text) if m.type == "PERSON"}
    assert labels["Vladimir Putin"] == "Russian dictator"
    assert labels["Maria Zakharova"] == "the foreign ministry spokeswoman"


def test_entities_role_noun_links_to_the_one_person_it_fits(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = (
        "Brazilian President Luiz Inacio Lula da Silva arrived in Lisbon. "
        "Portuguese Prime Minister Antonio Costa welcomed him. "
        "Later the Brazilian leader visited a school."
    )
    mentions = mentions_of(text)
    (role,) = [m for m in mentions if m.text == "the Brazilian leader"]
    (lula,) = {m.entity for m in mentions if "Lula" in m.text}
    assert role.entity == lula


def test_entities_ambiguous_role_noun_stays_unlinked(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = (
        "French President Emmanuel Macron met French Prime Minister Michel Barnier. "
        "The French leader then left for Brussels."
    )
    assert not [m for m in mentions_of(text) if "leader" in m.text]


def test_linker_spelling_variants_with_shared_context_are_one(
    mentions_of: Callable[[str], list[Mention]], settings: Settings
) -> None:
    linker = EntityLinker(settings.entities)
    first = linker.link(mentions_of("Volodymyr Zelensky spoke with Emmanuel Macron in Kyiv about Russia."))
    second = linker.link(mentions_of("Volodymyr Zelenskiy thanked Emmanuel Macron in Kyiv for the support."))
    zelensky = {m.entity for m in first + second if "Zelensk" in m.text}
    assert len(zelensky) == 1


def test_linker_similar_names_without_shared_context_stay_apart(
    mentions_of: Callable[[str], list[Mention]], settings: Settings
) -> None:
    linker = EntityLinker(settings.entities)
    first = linker.link(mentions_of("Mark Johnson won the marathon in Boston."))
    second = linker.link(mentions_of("Mark Johnston opened a bakery in Leeds."))
    assert {m.entity for m in first if m.type == "PERSON"} != {m.entity for m in second if m.type == "PERSON"}


def test_linker_snapshot_restores_the_same_ids(mentions_of: Callable[[str], list[Mention]], settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    before = linker.link(mentions_of("Angela Merkel visited Paris."))
    restored = EntityLinker(settings.entities)
    restored.restore(linker.snapshot())
    after = restored.link(mentions_of("Merkel spoke to Angela Merkel's aides in Paris."))
    assert {m.entity for m in before if m.type == "PERSON"} <= {m.entity for m in after}


def test_sample_aliases_merged_and_nothing_wrongly_merged(ingested: SQLiteStore) -> None:
    articles = ingested.articles(with_annotations=True)
    by_event: dict[str | None, list[Article]] = {}
    for article in articles:
        by_event.setdefault(article.event, []).append(article)
    (visit,) = [group for group in by_event.values() if len(group) == 4]
    entities = {e["name"]: e for e in event_entities(visit)}
    assert {"Xi", "the Chinese leader"} <= set(entities["Xi Jinping"]["aliases"])
    zelensky = [e for e in entities.values() if "Zelensk" in e["name"]]
    assert len(zelensky) == 1 and any("Zelenskiy" in a for a in zelensky[0]["aliases"])
    ushakov = [e for e in entities.values() if "Ushakov" in e["name"]]
    assert len(ushakov) == 1 and {"Yuri Ushakov", "Yury Ushakov"} <= {ushakov[0]["name"], *ushakov[0]["aliases"]}
    # No person carries another person's name.
    persons = [e for e in entities.values() if e["type"] == "PERSON"]
    for person in persons:
        surname = person["name"].split()[-1]
        assert not [a for a in person["aliases"] for other in persons if other is not person and other["name"] in a]
        assert surname in person["name"]
    labels = {(lab["label"], lab["entity"]) for lab in event_labels(visit)}
    putin = entities["Vladimir Putin"]["id"]
    assert ("Russian dictator", putin) in labels and ("Russian President", putin) in labels


def test_evaluate_entities_groups_names_across_outlets(settings: Settings, tmp_path: Path) -> None:
    scores = evaluate_entities(FIXTURES / "entities.jsonl", settings)
    assert (scores.events, scores.articles, scores.actor_mentions) == (1, 2, 6)
    assert scores.actor_coverage == 1.0
    assert scores.actors.f1 == pytest.approx(1.0)
    assert "BCubed" in format_entities(scores)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"articles": []}\n', encoding="utf-8")
    with pytest.raises(InputError, match="event_id"):
        evaluate_entities(broken, settings)


def test_entities_bare_role_noun_links_when_one_person_holds_it(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = "French President Emmanuel Macron met Olaf Scholz in Paris. The president said the talks went well."
    mentions = mentions_of(text)
    (role,) = [m for m in mentions if m.text == "The president"]
    assert role.entity == next(m.entity for m in mentions if m.text == "Emmanuel Macron")
    two = "President Joe Biden met President Emmanuel Macron. The president said little."
    assert not [m for m in mentions_of(two) if m.text == "The president"]
