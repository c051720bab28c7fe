"""Conflicts: reports of one statement that disagree on a value, found even where the facts aligner kept them
apart; people confirmed as people, numbers compared only when they count the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from storyline.analyze.conflicts import (
    differing_figures,
    differing_people,
    event_conflicts,
    event_people,
    same_office,
)
from storyline.analyze.facts import FactSentence, fact_sentences
from storyline.config import Settings
from storyline.model import Article, Mention, Sentence, TimeRef


class SameTextScorer:
    """A pair scorer that finds two sentences the same statement when their texts are equal."""

    threshold = 0.5

    def __call__(
        self, sentences: Sequence[FactSentence], vectors: npt.NDArray[np.float32], pairs: list[tuple[int, int]]
    ) -> npt.NDArray[np.float64]:
        return np.array([float(sentences[i].text == sentences[j].text) for i, j in pairs])


def _article(article_id: str, text: str, people: dict[str, str], labels: dict[str, str] | None = None) -> Article:
    """One outlet's one-sentence article naming ``people`` (name -> entity id), some with a label (name ->
    the words the article puts around it)."""
    labels = labels or {}
    mentions = tuple(Mention(text.index(name), text.index(name) + len(name), name, "PERSON", entity,
                             labels.get(name)) for name, entity in people.items())  # fmt: skip
    return Article(id=article_id, text=text, outlet=f"{article_id}.example", published="2023-03-20",
                   event="e", sentences=(Sentence(0, 0, len(text), 0, text),), mentions=mentions)  # fmt: skip


def _conflicts(settings: Settings, *articles: Article) -> list[tuple[str, list[str]]]:
    sentences = fact_sentences(articles)
    vectors = np.ones((len(sentences), 4), dtype=np.float32) / 2.0  # every pair at cosine 1
    found = event_conflicts([], articles, sentences, vectors, SameTextScorer(), settings.facts)
    return [(c.about, sorted(claim.value for claim in c.claims)) for c in found]


def test_conflicts_a_name_changed_is_found_though_no_fact_holds_the_two_sentences(settings: Settings) -> None:
    people = {"Joe Arpaio": "ent-arpaio", "Rick Perry": "ent-perry"}
    one = _article("a", "Sheriff Joe Arpaio endorsed Rick Perry for the nomination on Tuesday.", people)
    other = _article("b", "Sheriff Jay Carney endorsed Rick Perry for the nomination on Tuesday.",
                     {"Jay Carney": "ent-carney", "Rick Perry": "ent-perry"})  # fmt: skip
    assert _conflicts(settings, one, other) == [("person", ["Jay Carney", "Joe Arpaio"])]


def test_conflicts_different_statements_naming_different_people_are_none(settings: Settings) -> None:
    one = _article("a", "Sheriff Joe Arpaio endorsed Rick Perry for the nomination on Tuesday.",
                   {"Joe Arpaio": "ent-arpaio", "Rick Perry": "ent-perry"})  # fmt: skip
    other = _article("b", "Jay Carney told reporters the budget talks would resume next month.",
                     {"Jay Carney": "ent-carney"})  # fmt: skip
    assert _conflicts(settings, one, other) == []


def test_conflicts_a_figure_changed_is_found_outside_any_fact(settings: Settings) -> None:
    one = _article("a", "The ferry carried 120 passengers when it ran aground near the port.", {})
    other = _article("b", "The ferry carried 150 passengers when it ran aground near the port.", {})
    assert _conflicts(settings, one, other) == [("number", ["120", "150"])]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("The ferry carried 120 passengers.", "The ferry ran aground with 150 passengers.",
         {"number": (["120"], ["150"])}),
        # An age against a rank, a distance against a count of injured: different details, no disagreement.
        ("The crash was seven miles from the city.", "The crash left two injured in the city.", {}),
        ("Powell, 84, died on Monday.", "Powell, a four-star general, died on Monday.", {}),
        ("It cost $2 billion.", "It cost $3 billion in all.", {"money": (["$2 billion"], ["$3 billion"])}),
        # Large counts close to each other tally one thing whatever word follows them; one pair only.
        ("He offered protections for 700,000 Dreamers.", "He offered to shield 980,001 young immigrants.",
         {"number": (["700,000"], ["980,001"])}),
        ("He offered protections for 7,000 Dreamers.", "He offered to shield 98,001 young immigrants.", {}),
        ("It freed 300,000 prisoners and 700,000 migrants.", "It freed 400,000 people.", {}),
    ],
)  # fmt: skip
def test_conflicts_numbers_disagree_only_when_they_count_the_same_thing(
    first: str, second: str, expected: dict[str, tuple[list[str], list[str]]]
) -> None:
    assert differing_figures(first, second) == expected


def test_conflicts_a_person_is_a_name_typed_person_and_given_in_full_somewhere() -> None:
    text = "Joe Arpaio posted on Twitter. Arpaio spoke about Medicare."
    mentions = (
        Mention(0, 10, "Joe Arpaio", "PERSON", "ent-arpaio"),
        Mention(21, 28, "Twitter", "PERSON", "ent-tw"),
        Mention(30, 36, "Arpaio", "PERSON", "ent-arpaio"),
        Mention(49, 57, "Medicare", "PERSON", "ent-med"),
    )
    also = Article(id="b", text="Twitter said so.", mentions=(Mention(0, 7, "Twitter", "ORG", "ent-tw"),))
    assert event_people([Article(id="a", text=text, mentions=mentions), also]) == {"ent-arpaio"}


def test_conflicts_a_list_of_names_against_one_name_is_no_person_conflict() -> None:
    names = {"e1": "Jim Talent", "e2": "John Ashcroft", "e3": "John Danforth", "e4": "Kit Bond"}
    assert differing_people(names, {"e5": "Todd Akin"}) == ([], [])
    assert differing_people({"e1": "Joe Arpaio", "e6": "Rick Perry"}, {"e5": "Jay Carney", "e6": "Rick Perry"}) == (
        ["Joe Arpaio"], ["Jay Carney"])  # fmt: skip
    # One family, not two people in conflict.
    assert differing_people({"e1": "Hillary Clinton"}, {"e2": "the Clintons"}) == ([], [])


@pytest.mark.parametrize(
    ("first", "second", "exact", "same"),
    [
        ("New Jersey Governor", "New Jersey Gov.", True, True),
        ("U.S. District Judge", "U.S. District Judge", True, True),
        ("Treasury Secretary", "U.S. Treasury Secretary", True, False),
        ("Treasury Secretary", "U.S. Treasury Secretary", False, True),
        ("Russian President", "Chinese President", False, False),
        ("Sen.", "Sen.", True, False),  # one word: many hold it at once
        ("former communications director", "former communications director", True, False),
        ("Senate Majority Leader", "House Majority Leader", False, False),
    ],
)  # fmt: skip
def test_conflicts_an_office_is_a_label_of_two_words_or_more_held_now(
    first: str, second: str, exact: bool, same: bool
) -> None:
    assert same_office(first, second, exact) is same


def test_conflicts_one_office_given_to_two_people_is_a_conflict_though_the_sentences_differ(
    settings: Settings,
) -> None:
    one = _article("a", "Treasury Secretary Janet Yellen told Congress that the government would soon run out of cash.",
                   {"Janet Yellen": "ent-yellen"}, {"Janet Yellen": "Treasury Secretary"})  # fmt: skip
    other = _article("b", "Treasury Secretary Ted Sarandos warned lawmakers that borrowing was nearly exhausted.",
                     {"Ted Sarandos": "ent-sarandos"}, {"Ted Sarandos": "Treasury Secretary"})  # fmt: skip
    assert _conflicts(settings, one, other) == [("person", ["Janet Yellen", "Ted Sarandos"])]
    elsewhere = _article("c", "Netflix co-CEO Ted Sarandos warned lawmakers that borrowing was nearly exhausted.",
                         {"Ted Sarandos": "ent-sarandos"}, {"Ted Sarandos": "Netflix co-CEO"})  # fmt: skip
    assert _conflicts(settings, one, elsewhere) == []


def _dated(article_id: str, text: str, day: str, value: str) -> Article:
    """A one-sentence article giving ``day`` (written in ``text``) as ``value``."""
    start = text.index(day)
    return replace(_article(article_id, text, {}), times=(TimeRef(start, start + len(day), day, "DATE", value),))


@pytest.mark.parametrize(
    ("second", "conflicts"),
    [
        ("Nothing new was learned about the Sept. 12 attack, which killed four Americans.", [("date", 2)]),
        ("Nothing new was learned by Sept. 12 survivors, who asked for the files.", []),
    ],
)
def test_conflicts_one_thing_given_two_days_is_a_conflict_however_the_sentences_differ(
    settings: Settings, second: str, conflicts: list[tuple[str, int]]
) -> None:
    one = _dated("a", "The White House released the emails about the Sept. 11, 2012, attack in Benghazi.",
                 "Sept. 11, 2012", "2012-09-11")  # fmt: skip
    other = _dated("b", second, "Sept. 12", "2012-09-12")
    sentences = fact_sentences([one, other])
    vectors = np.array([[1.0, 0.0], [0.5, 0.75**0.5]], dtype=np.float32)  # cosine .5: two statements
    found = event_conflicts([], [one, other], sentences, vectors, SameTextScorer(), settings.facts)
    assert [(c.about, len(c.claims)) for c in found] == conflicts


def test_conflicts_an_office_given_to_someone_else_is_found_though_the_sentence_names_both(
    settings: Settings,
) -> None:
    one = _article("a", "Arpaio endorsed Texas Governor George Bush for the nomination, on a swing with Mr. Perry.",
                   {"George Bush": "ent-bush", "Perry": "ent-perry"}, {"George Bush": "Texas Governor"})  # fmt: skip
    other = _article("b", "Arpaio will officially endorse Texas Governor Rick Perry, a boost on immigration.",
                     {"Rick Perry": "ent-perry"}, {"Rick Perry": "Texas Governor"})  # fmt: skip
    assert _conflicts(settings, one, other) == [("person", ["George Bush", "Rick Perry"])]


def test_conflicts_a_description_after_a_name_is_no_office(settings: Settings) -> None:
    one = _article("a", "Mary Smith criticized Liz Jones, a Wyoming Senate candidate, over her stance on marriage.",
                   {"Mary Smith": "ent-smith", "Liz Jones": "ent-jones"},
                   {"Liz Jones": "a Wyoming Senate candidate"})  # fmt: skip
    other = _article("b", "Ann Beck, a Wyoming Senate candidate, opened a campaign office in Cheyenne on Monday.",
                     {"Ann Beck": "ent-beck"}, {"Ann Beck": "a Wyoming Senate candidate"})  # fmt: skip
    assert _conflicts(settings, one, other) == []


def test_conflicts_a_definite_description_beside_a_name_is_an_office(settings: Settings) -> None:
    bowdich = {"David Bowdich": "the deputy director of the F.B.I."}
    one = _article("a", "His lawyer said the deputy director of the F.B.I., David Bowdich, had overruled the office.",
                   {"David Bowdich": "ent-bowdich"}, bowdich)  # fmt: skip
    other = _article("b", "Aitan Goelman said FBI Deputy Director Mark Warner overruled the disciplinary office.",
                     {"Aitan Goelman": "ent-goelman", "Mark Warner": "ent-warner"},
                     {"Mark Warner": "FBI Deputy Director"})  # fmt: skip
    assert _conflicts(settings, one, other) == [("person", ["David Bowdich", "Mark Warner"])]
    warner = {"Mark Warner": "a deputy director of the F.B.I."}
    indefinite = _article("c", "Mark Warner, a deputy director of the F.B.I., spoke about its budget in Ohio.",
                          {"Mark Warner": "ent-warner"}, warner)  # fmt: skip
    assert _conflicts(settings, one, indefinite) == []


@pytest.mark.parametrize(
    ("second", "day", "conflicts"),
    [
        ("Trump said he is prepared to sign a bill to open the government through Feb. 16.", "Feb. 16", [("date", 2)]),
        ("Trump said he is prepared to sign a bill on Feb. 16 to open the government.", "Feb. 16", []),
    ],
)
def test_conflicts_two_deadlines_of_one_statement_are_one_thing(
    settings: Settings, second: str, day: str, conflicts: list[tuple[str, int]]
) -> None:
    one = _dated("a", "He said the deal would keep the government open for three weeks until Feb. 15.", "Feb. 15",
                 "2019-02-15")  # fmt: skip
    other = _dated("b", second, day, "2019-02-16")
    sentences = fact_sentences([one, other])
    vectors = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)  # cosine .6: not one statement by meaning alone
    found = event_conflicts([], [one, other], sentences, vectors, SameTextScorer(), settings.facts)
    assert [(c.about, len(c.claims)) for c in found] == conflicts


def test_conflicts_a_name_cut_from_a_quote_is_no_person_conflict(settings: Settings) -> None:
    quote = "“I would hope that the secretary joins Elizabeth Warren{} and the vast majority of Democrats,” {}said."
    people = {"Elizabeth Warren": "ent-warren", "Sherrod Brown": "ent-brown"}
    one = _article("a", quote.format(", Sherrod Brown", "she "), people)
    other = _article("b", quote.format("", "Sanders "), {"Elizabeth Warren": "ent-warren", "Sanders": "ent-sanders"})
    assert _conflicts(settings, one, other) == []
    # A name put in another's place inside the quote is one.
    swapped = _article(
        "c", quote.format(", Tim Kaine", "she "), {"Elizabeth Warren": "ent-warren", "Tim Kaine": "ent-kaine"}
    )
    assert _conflicts(settings, one, swapped) == [("person", ["Sherrod Brown", "Tim Kaine"])]


def test_conflicts_a_possessive_inside_a_name_does_not_make_a_person() -> None:
    text = "Mitt Romney’s Medicare ad ran. Medicare pays."
    mentions = (Mention(0, 22, "Mitt Romney’s Medicare", "PERSON", "ent-medicare", None),
                Mention(31, 39, "Medicare", "PERSON", "ent-medicare", None))  # fmt: skip
    article = Article(id="a", text=text, mentions=mentions)
    assert event_people([article]) == frozenset()


def test_conflicts_other_people_and_another_figure_are_two_statements(settings: Settings) -> None:
    one = _article("a", "Jeb Bush said his average federal tax rate was 36 percent over the years.",
                   {"Jeb Bush": "ent-bush"})  # fmt: skip
    other = _article("b", "Bill Clinton said his average federal tax rate was 30 percent over the years.",
                     {"Bill Clinton": "ent-clinton"})  # fmt: skip
    assert _conflicts(settings, one, other) == []
    # One value changed, the people the same: a disagreement.
    same_man = _article("c", "Jeb Bush said his average federal tax rate was 30 percent over the years.",
                        {"Jeb Bush": "ent-bush"})  # fmt: skip
    assert _conflicts(settings, one, same_man) == [("percentage", ["30 percent", "36 percent"])]


def test_conflicts_a_figure_one_report_rounds_agrees_with_the_exact_one() -> None:
    exact = "The couple paid $43,885,310 in federal taxes and $13,625,777 in state taxes."
    assert (
        differing_figures("They paid nearly $44 million in federal taxes and $13.6 million in state taxes.", exact)
        == {}
    )
    # Rounded otherwise, it is another figure.
    assert differing_figures("They paid $43.5 million in federal taxes.", exact) == {
        "money": (["$43.5 million"], ["$43,885,310", "$13,625,777"])
    }
    assert differing_figures("About 1,800 troops were sent.", "About 1,000 troops were sent.") == {
        "number": (["1,800"], ["1,000"])
    }
