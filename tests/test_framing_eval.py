"""Coreference metrics, concept mentions and `storyline eval framing` on the project's own NewsWCL50-format file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.config import Settings
from storyline.errors import InputError
from storyline.evaluate.framing import evaluate_framing, format_framing
from storyline.evaluate.metrics import bcubed, best_match, ceaf_e, conll_f1, muc
from storyline.model import Mention
from storyline.nlp.concepts import find_concepts, find_predicates, group_mentions, singular, stem
from storyline.nlp.countries import demonym_of
from storyline.nlp.spacy_pipeline import load_spacy
from storyline.serve.cli import cli

from .conftest import FIXTURES

# Key {a b c} {d e}, response {a b} {c d e}; the values below are worked out by hand from the definitions.
KEY = ["k1", "k1", "k1", "k2", "k2"]
RESPONSE = ["r1", "r1", "r2", "r2", "r2"]


def test_metrics_muc_counts_links_kept() -> None:
    # Recall: {a b c} in 2 parts keeps 1 of 2 links, {d e} keeps 1 of 1: 2/3; precision likewise 2/3.
    scores = muc(KEY, RESPONSE)
    assert scores.recall == pytest.approx(2 / 3) and scores.precision == pytest.approx(2 / 3)
    # Singletons carry no links: a response of singletons scores nothing, and nothing divides by zero.
    assert muc(KEY, ["1", "2", "3", "4", "5"]).f1 == 0.0
    assert muc(KEY, KEY).f1 == 1.0


def test_metrics_bcubed_on_key_mentions() -> None:
    # Precision per mention 1, 1, 1/3, 2/3, 2/3; recall 2/3, 2/3, 1/3, 1, 1: both 11/15.
    scores = bcubed(KEY, RESPONSE)
    assert scores.precision == pytest.approx(11 / 15) and scores.recall == pytest.approx(11 / 15)


def test_metrics_ceaf_e_aligns_entities_one_to_one() -> None:
    # phi4(k1, r1) = 2*2/5, phi4(k2, r2) = 2*2/5; the best alignment sums 8/5, over 2 entities each side.
    scores = ceaf_e(KEY, RESPONSE)
    assert scores.precision == pytest.approx(4 / 5) and scores.recall == pytest.approx(4 / 5)
    # All in one: the one response entity aligns with k1 only (2*3/8); precision over 1, recall over 2.
    merged = ceaf_e(KEY, ["x"] * 5)
    assert merged.precision == pytest.approx(6 / 8) and merged.recall == pytest.approx(3 / 8)
    # The alignment is optimal, not greedy: k1 {a..f}, k2 {g h}; r1 {a b c d g h}, r2 {e f}. The largest
    # similarity is k1-r1 (2*4/12), which leaves k2-r2 (0); k1-r2 (2*2/8) and k2-r1 (2*2/8) sum to more.
    key = ["k1"] * 6 + ["k2"] * 2
    response = ["r1"] * 4 + ["r2"] * 2 + ["r1"] * 2
    assert ceaf_e(key, response).recall == pytest.approx(0.5)


def test_metrics_conll_f1_is_the_mean_of_three() -> None:
    assert conll_f1(KEY, RESPONSE) == pytest.approx((2 / 3 + 11 / 15 + 4 / 5) / 3)
    assert conll_f1(KEY, KEY) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same items"):
        muc(KEY, RESPONSE[:-1])


def test_metrics_best_match_takes_each_codes_largest_group() -> None:
    # k1's largest group r1 {a b}: precision 1, recall 2/3; k2's r2 {c d e}: precision 2/3, recall 1.
    scores = best_match(KEY, RESPONSE)
    assert scores.precision == pytest.approx(5 / 6) and scores.recall == pytest.approx(5 / 6)
    assert scores.f1 == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("plural", "noun"),
    [("tariffs", "tariff"), ("parties", "party"), ("taxes", "tax"), ("women", "woman"), ("crisis", "crisis")],
)
def test_concepts_singular(plural: str, noun: str) -> None:
    assert singular(plural) == noun


def test_concepts_common_noun_heads_not_names(settings: Settings) -> None:
    nlp = load_spacy(settings.nlp.spacy_model)
    doc = nlp("Mr. Trump's new tariffs angered the president of Mexico.")
    trump = doc.text.index("Trump")
    name = Mention(trump, trump + len("Trump"), "Trump", "PERSON", "PERSON:Donald Trump")
    found = {m.text: m.entity for m in find_concepts(doc, [name])}
    # The name and the honorific before it stay with the entity; the determiner is not the outlet's word.
    assert found.get("new tariffs") == "CONCEPT:tariff"
    assert "Trump" not in " ".join(found)
    assert not [text for text in found if text.lower().startswith("the ")]


def test_concepts_name_qualifying_head_stays_in_concept(settings: Settings) -> None:
    nlp = load_spacy(settings.nlp.spacy_model)
    doc = nlp("Macron defended the Iran deal.")
    iran = doc.text.index("Iran")
    name = Mention(iran, iran + len("Iran"), "Iran", "GPE", "ent-iran")
    found = {m.text: m.entity for m in find_concepts(doc, [name])}
    # "the Iran deal" is not any deal: the name that qualifies it is the outlet's word for it.
    assert found == {"Iran deal": "CONCEPT:deal"}


@pytest.mark.parametrize(
    ("forms", "key"),
    [
        (("allege", "alleges", "alleged", "alleging"), "alleg"),
        (("stop", "stopped", "stopping"), "stop"),
        (("deny", "denies", "denied"), "deni"),
        (("bogus",), "bogus"),
    ],
)
def test_concepts_stem_joins_a_words_forms(forms: tuple[str, ...], key: str) -> None:
    assert {stem(form) for form in forms} == {key}


def test_predicates_keyed_by_stem_outside_names(settings: Settings) -> None:
    nlp = load_spacy(settings.nlp.spacy_model)
    first = nlp("The lawsuit alleges a bogus conspiracy.")
    second = nlp("Democrats alleged that Russia was hostile.")
    russia = second.text.index("Russia")
    name = Mention(russia, russia + len("Russia"), "Russia", "GPE", "ent-russia")
    keys = {m.text: m.entity for m in find_predicates(first, []) + find_predicates(second, [name])}
    assert keys["alleges"] == keys["alleged"] == "PREDICATE:alleg"
    assert keys["bogus"] == "PREDICATE:bogus" and keys["hostile"] == "PREDICATE:hostil"
    # Stop words ("was") and names are no predicates.
    assert "was" not in keys and "Russia" not in keys


@pytest.mark.parametrize(
    ("words", "country"),
    [
        ("Iranians", "iran"),
        ("Russian", "russia"),
        ("British", "britain"),
        ("Chinese", "china"),
        ("North Korean", "north korea"),
        ("Korean", None),  # two Koreas: neither
        ("French", None),  # spelt too differently: not guessed
        ("Iran", None),  # the name itself is no demonym
    ],
)
def test_countries_demonym_by_spelling(words: str, country: str | None) -> None:
    countries = ["iran", "russia", "britain", "china", "north korea", "south korea", "france"]
    assert demonym_of(words, countries) == country


def test_group_mentions_joins_people_and_institutions_to_their_country(settings: Settings) -> None:
    nlp = load_spacy(settings.nlp.spacy_model)
    docs = [nlp("Russia denied it."), nlp("The Russian government and the Russians denied the lawsuit.")]
    at = docs[1].text.index("Russians")
    names = [
        [Mention(0, 6, "Russia", "GPE", "ent-russia")],
        [Mention(at, at + len("Russians"), "Russians", "NORP", "ent-russians")],
    ]
    grouped = group_mentions(docs, names)
    keys = {m.text: m.entity for m in grouped[1]}
    assert keys["Russian government"] == keys["Russians"] == "ent-russia"
    # A head that is no institution keeps its concept; the verbs are predicates.
    assert keys["lawsuit"] == "CONCEPT:lawsuit" and keys["denied"] == "PREDICATE:deni"
    assert {m.entity for m in grouped[0] if m.text == "denied"} == {"PREDICATE:deni"}


def test_evaluate_framing_groups_concepts_across_outlets(settings: Settings, tmp_path: Path) -> None:
    scores = evaluate_framing(FIXTURES / "framing.jsonl", settings)
    assert (scores.events, scores.articles) == (1, 2)
    names, concepts = scores.names, scores.concepts
    assert names["all"].mentions == 9 and names["rest"].mentions == 5 and names["all"].codes == 4
    # Names alone find no tariffs; concepts group the four tariff mentions of both outlets, predicates find "unfair".
    assert names["rest"].found == 0.0 and names["rest"].muc.f1 == 0.0
    assert concepts["rest"].found == pytest.approx(1.0)
    # The lumped reference puts "unfair" with the tariffs: BCubed precision falls, best match with it.
    assert scores.lumped["rest"].bcubed.precision < 1.0
    assert scores.lumped["rest"].best_match.f1 < concepts["rest"].best_match.f1
    assert concepts["rest"].bcubed.f1 == pytest.approx(1.0) and concepts["all"].conll_f1 == pytest.approx(1.0)
    assert names["actors"].bcubed.f1 == pytest.approx(1.0)
    assert "CoNLL F1" in format_framing(scores)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"event_id": 1, "articles": [{"sentences": []}]}\n', encoding="utf-8")
    with pytest.raises(InputError, match="mentions"):
        evaluate_framing(broken, settings)


@pytest.mark.slow
def test_cli_eval_framing_json() -> None:
    result = CliRunner().invoke(cli, ["eval", "framing", str(FIXTURES / "framing.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    (scores,) = json.loads(result.stdout)
    assert set(scores["concepts"]) == {"all", "actors", "countries", "rest"}
    assert scores["concepts"]["all"]["bcubed"]["f1"] == pytest.approx(1.0)
    assert scores["names"]["all"]["conll_f1"] < scores["concepts"]["all"]["conll_f1"]
