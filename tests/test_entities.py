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
from storyline.nlp.spelling import other_names
from storyline.store import SQLiteStore, Store

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


def _mention(text: str, entity_type: str, key: str | None = None, label: str | None = None, at: int = 0) -> Mention:
    """A hand-built mention, keyed as find_mentions keys it (``TYPE:Name`` of its article-level entity)."""
    return Mention(at, at + len(text), text, entity_type, key or f"{entity_type}:{text}", label)


@pytest.mark.parametrize(
    ("name", "expected"), [("D.N.C.", "dnc"), ("China’s Foreign Ministry", "china foreign ministry")]
)
def test_normalize_name_joins_initials_and_drops_inner_possessives(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


def test_linker_bare_surname_joins_the_one_full_name_in_the_store(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    (joe,) = linker.link([_mention("Joe Biden", "PERSON", label="President")])
    # No shared company: the store knows one full name with this surname, and that settles it.
    (bare, _) = linker.link([_mention("Biden", "PERSON", label="President"), _mention("Senate", "ORG", at=20)])
    assert bare.entity == joe.entity
    assert linker.name(joe.entity) == ("Joe Biden", "PERSON")
    # Surname first, full name later: the same.
    later = EntityLinker(settings.entities)
    (first,) = later.link([_mention("Biden", "PERSON", label="President")])
    (full,) = later.link([_mention("Joe Biden", "PERSON")])
    assert first.entity == full.entity and later.name(first.entity) == ("Joe Biden", "PERSON")


def test_linker_bare_surname_of_two_full_names_stays_apart(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    (joe,) = linker.link([_mention("Joe Biden", "PERSON")])
    (hunter,) = linker.link([_mention("Hunter Biden", "PERSON")])
    (bare,) = linker.link([_mention("Biden", "PERSON", label="President")])
    assert joe.entity != hunter.entity and bare.entity not in {joe.entity, hunter.entity}


def test_linker_bare_surname_goes_to_whom_the_store_calls_so(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    donald = linker.link(
        [_mention("Donald Trump", "PERSON")]
        + [_mention("Trump", "PERSON", "PERSON:Donald Trump", at=i) for i in (20, 40)]
    )
    # This article joined its bare "Trump" to the one full name it wrote, Melania Trump.
    article = [_mention("Melania Trump", "PERSON"), _mention("Trump", "PERSON", "PERSON:Melania Trump", at=30)]
    melania, bare = linker.link(article)
    assert melania.entity != donald[0].entity
    assert bare.entity == donald[0].entity
    # A role noun the article tied to her only through "President Trump" follows him.
    roles = [
        _mention("Melania Trump", "PERSON", label="first lady"),
        _mention("Trump", "PERSON", "PERSON:Melania Trump", label="President", at=30),
        _mention("the president", "PERSON", "PERSON:Melania Trump", label="the president", at=60),
    ]
    melania, bare, role = linker.link(roles)
    assert bare.entity == role.entity == donald[0].entity != melania.entity


def test_linker_full_name_inside_another_needs_company(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    (father,) = linker.link([_mention("Donald Trump", "PERSON")])
    (son,) = linker.link([_mention("Donald Trump Jr.", "PERSON")])
    assert father.entity != son.entity


def test_linker_type_is_a_vote_of_all_mentions(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    # A one-word name the model calls a person, with no title, label or full name anywhere: not a person.
    (politico,) = linker.link([_mention("Politico", "PERSON")])
    assert linker.name(politico.entity) == ("Politico", "ORG") and politico.type == "ORG"
    # A name tagged ORG in one parse is the person the store knows, and typed as one.
    linker.link(
        [_mention("Donald Trump", "PERSON", label="President"), _mention("Trump", "PERSON", "PERSON:Donald Trump")]
    )
    (trump,) = linker.link([_mention("Trump", "ORG")])
    assert linker.name(trump.entity) == ("Donald Trump", "PERSON") and trump.type == "PERSON"


def test_linker_titles_stay_out_of_names(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    (titled,) = linker.link([_mention("Speaker Nancy Pelosi", "PERSON")])
    (plain,) = linker.link([_mention("Nancy Pelosi", "PERSON")])
    assert titled.entity == plain.entity and linker.name(plain.entity) == ("Nancy Pelosi", "PERSON")
    # A role the store's articles write in lower case ("drugmaker Pfizer") is a title in front of a name.
    linker.link([_mention("Pfizer", "ORG", label="drugmaker")])
    (drugmaker,) = linker.link([_mention("Drugmaker Pfizer", "PERSON")])
    assert linker.name(drugmaker.entity) == ("Pfizer", "ORG")


def test_linker_organisation_acronyms_and_short_forms_join(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    context = [_mention("Beijing", "GPE", at=50)]
    (journal, _) = linker.link([_mention("Wall Street Journal", "ORG"), *context])
    (acronym, _) = linker.link([_mention("WSJ", "ORG"), *context])
    assert acronym.entity == journal.entity and linker.name(journal.entity) == ("Wall Street Journal", "ORG")
    (ministry, _) = linker.link([_mention("Chinese Foreign Ministry", "ORG"), *context])
    (short, _) = linker.link([_mention("Foreign Ministry", "ORG"), *context])
    (possessive, _) = linker.link([_mention("China's Foreign Ministry", "ORG"), *context])
    assert ministry.entity == short.entity == possessive.entity
    # A one-word name inside a longer one is no short form of it: the House is not the White House.
    (white_house, _) = linker.link([_mention("White House", "ORG"), *context])
    (house, _) = linker.link([_mention("House", "ORG"), *context])
    assert house.entity != white_house.entity


def test_entities_titles_and_junk_stay_out_of_names(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = (
        "Speaker Nancy Pelosi said on Monday that the bill would pass. The speaker told reporters the vote was "
        "close. Senator Joe Manchin — America's swing vote — did not say how he would vote."
    )
    names = {m.text for m in mentions_of(text) if m.type == "PERSON"}
    assert {"Nancy Pelosi", "Joe Manchin"} <= names
    assert not [n for n in names if "Speaker" in n or "America" in n]


def test_entities_secretary_of_state_names_no_organisation(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = "U.S. Secretary of State Antony Blinken warned Wang Yi on Sunday. The State Department said little."
    texts = {m.text for m in mentions_of(text)}
    assert "State" not in texts and "State Department" in texts


def test_entities_organisation_short_forms_and_acronyms_join(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = (
        "A statement from the Chinese Foreign Ministry said the visit would go ahead as planned. The Foreign "
        "Ministry added that the talks would be about trade. The trip was first reported by the Wall Street "
        "Journal, which said it was planned for the spring. Officials told the WSJ that the date was not fixed. "
        "The Committee to Protect Journalists (CPJ) said it would watch the visit."
    )
    grouped = _entities(mentions_of(text))
    assert {"Chinese Foreign Ministry", "Foreign Ministry"} in grouped.values()
    assert {"Wall Street Journal", "WSJ"} in grouped.values()
    assert {"Committee to Protect Journalists", "CPJ"} in grouped.values()


def test_entities_subject_of_the_article_takes_a_shared_role_noun(mentions_of: Callable[[str], list[Mention]]) -> None:
    text = (
        "President Donald Trump spoke on Monday. Trump said the talks would go on, and Trump praised the team. "
        "Russian President Vladimir Putin did not reply. Later the president left for Florida."
    )
    mentions = mentions_of(text)
    (role,) = [m for m in mentions if m.text == "the president"]
    assert role.entity == next(m.entity for m in mentions if m.text == "Donald Trump")


def test_sample_store_decides_types_and_organisation_names(ingested: SQLiteStore) -> None:
    mentions = [m for a in ingested.articles(with_annotations=True) for m in a.mentions]
    known = ingested.entities(m.entity for m in mentions)
    by_name = {name: (entity_id, entity_type) for entity_id, (name, entity_type) in known.items()}
    assert by_name["Politico"][1] != "PERSON"
    assert "State" not in by_name and "State" not in {m.text for m in mentions}
    ministries = {m.entity for m in mentions if "Foreign Ministry" in m.text}
    assert {m.text for m in mentions if m.entity in ministries} >= {
        "Chinese Foreign Ministry",
        "Foreign Ministry",
        "China’s Foreign Ministry",
    }
    assert len(ministries) == 1
    assert len({m.entity for m in mentions if m.text in {"WSJ", "Wall Street Journal"}}) == 1
    assert by_name["Xi Jinping"][1] == "PERSON"
    # What a report shows comes from the store: names without titles, types by vote.
    entities = event_entities([a for a in ingested.articles(with_annotations=True)], known)
    assert {e["name"]: e["type"] for e in entities}["Politico"] == "ORG"
    # "People’s Republic of China" and "People's Republic of China" are one spelling, not a name and an alias.
    prc = next(e for e in entities if e["name"].replace("’", "'") == "People's Republic of China")
    assert not [a for a in prc["aliases"] if a.replace("’", "'") == "People's Republic of China"]


def test_other_names_leave_out_typographic_variants() -> None:
    names = ["People's Republic of China", "PRC", "China’s Foreign Ministry", "China's Foreign Ministry", "China"]
    assert other_names("People’s Republic of China", names) == ["PRC", "China’s Foreign Ministry", "China"]


def test_linker_snapshot_keeps_votes_titles_and_forms(settings: Settings) -> None:
    linker = EntityLinker(settings.entities)
    linker.link([_mention("Politico", "PERSON"), _mention("Wall Street Journal", "ORG", at=20)])
    linker.link([_mention("Pfizer", "ORG", label="drugmaker")])
    restored = EntityLinker(settings.entities)
    restored.restore(linker.snapshot())
    politico, acronym = restored.link([_mention("Politico", "PERSON"), _mention("WSJ", "ORG", at=20)])
    assert politico.type == "ORG" and restored.name(acronym.entity) == ("Wall Street Journal", "ORG")
    (drugmaker,) = restored.link([_mention("Drugmaker Pfizer", "ORG")])
    assert restored.name(drugmaker.entity) == ("Pfizer", "ORG")
    assert restored.snapshot() != linker.snapshot()  # it learned the new names
    assert [e for e in restored.changed() if e[1] == "Pfizer"]


def test_store_entities_saved_read_and_reset(any_store: Store) -> None:
    store = any_store
    store.save_entities([("ent-a", "Nancy Pelosi", "PERSON"), ("ent-b", "Pfizer", "ORG")])
    store.save_entities([("ent-b", "Pfizer", "ORG"), ("ent-a", "Nancy Pelosi", "PERSON")])
    assert store.entities(["ent-a", "ent-c"]) == {"ent-a": ("Nancy Pelosi", "PERSON")}
    store.reset_stage("analysis", ["mentions"])
    assert store.entities(["ent-a", "ent-b"]) == {}
