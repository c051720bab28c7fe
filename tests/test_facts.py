"""The sentence-pair model behind facts: figures, pair features, the shipped models, `train/eval facts`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from storyline.analyze.cross_encoder import load_cross_encoder
from storyline.analyze.paraphrase import (
    ENCODER_BAND,
    PAIR_FEATURES,
    ParaphraseModel,
    SentenceView,
    compare_figures,
    figures,
    load_paraphrase_model,
    pair_features,
    pair_rows,
)
from storyline.config import Settings
from storyline.embed import MODELS, load_embedder
from storyline.errors import ConfigError
from storyline.serve.cli import cli

from .conftest import FIXTURES

PAIRS = FIXTURES / "facts-pairs.jsonl"
ARRIVED = "Xi Jinping arrived in Moscow on Monday for a three-day visit."
SAME = "Chinese President Xi Jinping landed in Moscow on Monday at the start of a three-day visit."
LEFT = "Xi left Moscow on Wednesday."


def views(settings: Settings, texts: list[tuple[str, str]]) -> list[SentenceView]:
    vectors = load_embedder(settings.embed).embed([text for text, _ in texts])
    return [SentenceView(text, vector, lang) for (text, lang), vector in zip(texts, vectors, strict=True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shares rose 4.4% to A$4.56.", [("percent", 4.4), ("money", 4.56)]),
        ("It sold the chain for $2.5 billion in 1998.", [("money", 2.5e9), ("year", 1998.0)]),
        ("About 1,250 people, three of them children, left on Monday.", [("number", 1250.0), ("number", 3.0),
                                                                         ("weekday", 1.0)]),
        ("Die Fähre fuhr am Mittwoch, dem 3. März, mit 1.250 Menschen.", [("weekday", 3.0), ("number", 3.0),
                                                                          ("month", 3.0), ("number", 1250.0)]),
        ("They may meet later.", []),
    ],
)  # fmt: skip
def test_facts_figures_lists_numbers_and_dates(text: str, expected: list[tuple[str, float]]) -> None:
    assert [(f.kind, f.value) for f in figures(text)] == expected


def test_facts_compare_figures_finds_a_mismatch_not_an_extra_detail() -> None:
    mismatch = compare_figures("The ferry carried 120 passengers.", "The ferry ran aground with 150 passengers.")
    assert mismatch.conflict and mismatch.conflicting_kinds == ("number",)
    assert [f.text for f in mismatch.only_first] == ["120"] and [f.text for f in mismatch.only_second] == ["150"]
    extra = compare_figures("The ferry carried 120 passengers.", "The ferry, with 120 passengers, sank on Friday.")
    assert not extra.conflict and [f.text for f in extra.shared] == ["120"]
    assert compare_figures(ARRIVED, LEFT).conflicting_kinds == ("weekday",)


def test_facts_pair_features_are_named_and_symmetric() -> None:
    rng = np.random.default_rng(0)
    a = SentenceView(ARRIVED, rng.standard_normal(8).astype(np.float32), "en")
    b = SentenceView(LEFT, rng.standard_normal(8).astype(np.float32), "en")
    forward, backward = pair_features(a, b), pair_features(b, a)
    assert len(forward) == len(PAIR_FEATURES)
    assert forward == pytest.approx(backward)
    named = dict(zip(PAIR_FEATURES, forward, strict=True))
    assert named["figures_conflict"] == 1.0 and named["negation_mismatch"] == 0.0


def test_facts_pair_features_see_an_added_clause_and_a_contained_sentence() -> None:
    vector = np.ones(4, dtype=np.float32) / 2
    short = SentenceView("Yucaipa sold the chain to Safeway in 1998.", vector, "en")
    added = SentenceView("Yucaipa sold the chain to Safeway in 1998, and bought Dominick's for $693 million.", vector)
    reworded = SentenceView("In 1998 Yucaipa sold the chain to Safeway.", vector, "en")
    with_clause = dict(zip(PAIR_FEATURES, pair_features(short, added), strict=True))
    reordered = dict(zip(PAIR_FEATURES, pair_features(short, reworded), strict=True))
    assert with_clause["chars_partial"] > 0.95 and with_clause["ngrams4_max"] == 1.0
    assert with_clause["insertion_longest"] > reordered["insertion_longest"]
    assert with_clause["ngrams1_min"] < reordered["ngrams1_min"] == 1.0


def test_facts_paraphrase_scores_high_a_different_fact_low(settings: Settings) -> None:
    model = load_paraphrase_model(settings.embed.model)
    arrived, same, left = views(settings, [(ARRIVED, "en"), (SAME, "en"), (LEFT, "en")])
    paraphrase, different = model.probability([(arrived, same), (arrived, left)])
    assert paraphrase >= model.threshold > different


def test_facts_other_language_paraphrase_scores_high_with_the_multilingual_model(settings: Settings) -> None:
    settings = replace(settings, embed=replace(settings.embed, model="use-m-v3"))
    model = load_paraphrase_model("use-m-v3")
    english, russian, german, unrelated = views(settings, [
        (ARRIVED, "en"),
        ("Си Цзиньпин прибыл в Москву в понедельник с трёхдневным визитом.", "ru"),
        ("Xi Jinping ist am Montag zu einem dreitägigen Besuch in Moskau eingetroffen.", "de"),
        ("В Санкт-Петербурге после реставрации открылся исторический театр.", "ru"),
    ])  # fmt: skip
    ru, de, other = model.probability([(english, russian), (english, german), (english, unrelated)])
    assert ru >= model.threshold and de >= model.threshold
    assert other < model.threshold


@pytest.mark.parametrize("embedding", MODELS)
def test_facts_model_for_another_embedding_is_a_config_error(tmp_path: Path, embedding: str) -> None:
    shipped = load_paraphrase_model(embedding)
    assert shipped.embedding == embedding and shipped.trained_on == ("msrp-train.jsonl",)
    other = next(m for m in MODELS if m != embedding)
    path = tmp_path / "model.json"
    shipped = replace(shipped, encoder="", encoder_digest="")  # its cross-encoder is not beside the copy
    path.write_text(json.dumps(shipped.to_json()), encoding="utf-8")
    assert load_paraphrase_model(embedding, str(path)) == shipped
    with pytest.raises(ConfigError, match=other):
        load_paraphrase_model(other, str(path))
    with pytest.raises(ConfigError, match="Unknown embedding model"):
        load_paraphrase_model("no-such-model")


def test_facts_model_round_trips_and_rejects_unknown_features() -> None:
    data = load_paraphrase_model("use-m-v3").to_json()
    assert ParaphraseModel.from_json(json.loads(json.dumps(data))).to_json() == data
    data["same"]["features"] = ["no_such_feature", *data["same"]["features"][1:]]
    with pytest.raises(ConfigError, match="features"):
        ParaphraseModel.from_json(data)


def test_facts_cross_encoder_reads_a_pair_in_both_orders_and_tells_a_paraphrase() -> None:
    model = load_paraphrase_model("use-m-v3")
    assert model.encoder and model.encoder_digest
    encoder = load_cross_encoder(model.encoder)
    forward, backward, different = encoder.logits([(ARRIVED, SAME), (SAME, ARRIVED), (ARRIVED, LEFT)])
    assert forward == pytest.approx(backward) and forward > 0 > different


def test_facts_cross_encoder_reads_english_pairs_the_regression_is_unsure_of(settings: Settings) -> None:
    settings = replace(settings, embed=replace(settings.embed, model="use-m-v3"))
    model = load_paraphrase_model("use-m-v3")
    began = "The Chinese leader began a state visit to Russia on Monday, his first since the war began."
    english, other_words, russian = views(settings, [(ARRIVED, "en"), (began, None),
                                                     ("Си Цзиньпин прибыл в Москву в понедельник.", "ru")])  # fmt: skip
    logits = model.encoder_logits([(english, other_words), (english, russian)])
    assert logits is not None and not np.isnan(logits[0]) and np.isnan(logits[1])
    # The regression is unsure of this pair and says no; read by the cross-encoder too, it is the same thing.
    (alone,) = model.probability([(english, other_words)], use_encoder=False)
    (both,) = model.probability([(english, other_words)])
    assert ENCODER_BAND[0] <= alone < model.threshold <= both
    # A cross-encoder logit of 0 is its decision point: averaged, it stands at the regression's threshold.
    rows = model.scored_rows(pair_rows([(english, other_words)]), english.vector[None], other_words.vector[None])
    (undecided,) = model.probability_of_rows(rows, None, np.array([0.0]))
    assert undecided == pytest.approx((alone + model.threshold) / 2)
    # A pair the regression is sure of is left to it.
    (sure,) = model.probability([(english, english)])
    assert sure == model.probability([(english, english)], use_encoder=False)[0] > ENCODER_BAND[1]


def test_facts_model_with_another_cross_encoder_than_its_own_is_a_config_error(tmp_path: Path) -> None:
    shipped = load_paraphrase_model("use-m-v3")
    folder = tmp_path / Path(shipped.encoder).name
    folder.mkdir()
    (folder / "model-int8.onnx").write_bytes(b"not the weights it was fitted with")
    (tmp_path / "model.json").write_text(json.dumps(shipped.to_json()), encoding="utf-8")
    with pytest.raises(ConfigError, match="not the one"):
        load_paraphrase_model("use-m-v3", str(tmp_path / "model.json"))


KEYS = {"file", "pairs", "positives", "mode", "folds", "accuracy", "precision", "recall", "f1", "baseline_accuracy",
        "baseline_f1", "pairs_per_second", "same_with_figure_conflict", "threshold", "embedding"}  # fmt: skip


def test_facts_cli_eval_scores_a_file_with_the_shipped_model() -> None:
    result = CliRunner().invoke(cli, ["eval", "facts", str(PAIRS), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (scores,) = json.loads(result.output)
    assert set(scores) >= KEYS
    assert scores["pairs"] == 8 and scores["positives"] == 4 and scores["mode"] == "model"
    assert scores["baseline_accuracy"] == 0.5 and scores["accuracy"] > 0.5
    assert scores["same_with_figure_conflict"] == 0
    assert scores["encoder"] == "shipped" and scores["encoder_pairs_per_second"] > 0
    text = CliRunner().invoke(cli, ["eval", "facts", str(PAIRS)], catch_exceptions=False).output
    assert "accuracy" in text and "always-yes" in text and "pairs/s" in text


def test_facts_cli_never_scores_a_file_with_a_model_trained_on_it(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    trained = CliRunner().invoke(cli, ["train", "facts", str(PAIRS), "-o", str(model)], catch_exceptions=False)
    assert trained.exit_code == 0, trained.output
    assert json.loads(model.read_text(encoding="utf-8"))["trained_on"] == [PAIRS.name]
    args = ["eval", "facts", str(PAIRS), "--model", str(model), "--folds", "2", "--json"]
    (scores,) = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).output)
    assert scores["mode"] == "cross-validation" and scores["folds"] == 2
    # The same pairs under another name and content are another file: scored by the model.
    copy = tmp_path / "copy.jsonl"
    copy.write_text(PAIRS.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    args = ["eval", "facts", str(copy), "--model", str(model), "--json"]
    (scores,) = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).output)
    assert scores["mode"] == "model"


def test_facts_cli_trains_a_cross_encoder_and_scores_it_held_out(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="fine-tuning the cross-encoder needs the bench extras")
    pytest.importorskip("all_minilm_l6_v2", reason="the base model ships in the bench extras")
    model = tmp_path / "model.json"
    args = ["train", "facts", str(PAIRS), "-o", str(model), "--cross-encoder", "pairs-encoder"]
    trained = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert trained.exit_code == 0, trained.output
    data = json.loads(model.read_text(encoding="utf-8"))
    assert data["encoder"] == "pairs-encoder" and (tmp_path / "pairs-encoder" / "model-int8.onnx").is_file()
    args = ["eval", "facts", str(PAIRS), "--model", str(model), "--folds", "2", "--encoder-folds", "2", "--json"]
    (scores,) = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).stdout)
    assert scores["mode"] == "cross-validation" and scores["encoder"] == "held out (2-fold fine-tuning)"
