"""Both embedding models behind one interface, and a store that switches models re-embeds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from storyline.config import Settings
from storyline.embed import MODELS, RememberingEmbedder, load_embedder
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.pipeline import Pipeline, clustering_stages
from storyline.serve.cli import cli
from storyline.store import SQLiteStore

from .conftest import EXAMPLES


def with_model(settings: Settings, model: str) -> Settings:
    return replace(settings, embed=replace(settings.embed, model=model))


@pytest.mark.parametrize("model", MODELS)
def test_embed_models_give_unit_vectors_independent_of_batch_companions(settings: Settings, model: str) -> None:
    embedder = load_embedder(with_model(settings, model).embed)
    texts = ["Ferries were suspended.", "Xi Jinping is to travel to Russia for talks with Putin."]
    together = embedder.embed(texts)
    assert together.shape == (2, embedder.dimensions) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert float(embedder.embed(texts[:1])[0] @ together[0]) > 0.9999


def test_embed_multilingual_model_carries_meaning_across_languages(settings: Settings) -> None:
    embedder = load_embedder(with_model(settings, "use-m-v3").embed)
    english, russian, chinese, unrelated = embedder.embed([
        "Chinese President Xi Jinping arrived in Moscow for talks with Vladimir Putin.",
        "Председатель КНР Си Цзиньпин прибыл в Москву для переговоров с Владимиром Путиным.",
        "中国国家主席习近平抵达莫斯科，与普京举行会谈。",
        "В Санкт-Петербурге после реставрации открылся исторический театр.",
    ])  # fmt: skip
    assert embedder.languages is not None and {"ru", "zh", "de"} <= set(embedder.languages)
    assert float(english @ russian) > float(english @ unrelated) + 0.3
    assert float(english @ chinese) > float(english @ unrelated) + 0.3


def test_embed_switching_models_reembeds_and_reclusters(store: SQLiteStore, settings: Settings) -> None:
    store.add_articles(a for a in read_inputs([str(EXAMPLES)], settings.ingest) if isinstance(a, Article))
    first, second = next(m for m in MODELS if m != settings.embed.model), settings.embed.model
    Pipeline(clustering_stages(with_model(settings, first)), 64).run(store)
    assert store.embedding_models() == {first}
    before = {a.id: a.event for a in store.articles()}
    pipeline = Pipeline(clustering_stages(with_model(settings, second)), 64)
    assert pipeline.stale_embeddings(store)
    run = pipeline.run(store)
    assert run.processed["embed"] == 5 and run.processed["cluster"] == 5
    articles = store.articles(with_embeddings=True)
    assert store.embedding_models() == {second}
    assert {a.embedding_model for a in articles} == {second}
    assert {len(a.embedding) for a in articles if a.embedding is not None} == {load_embedder(settings.embed).dimensions}
    assert all(a.event for a in articles) and set(before) == {a.id for a in articles}
    assert not pipeline.stale_embeddings(store) and not pipeline.run(store).processed


@pytest.mark.slow
def test_embed_cli_says_when_it_embeds_a_store_again(tmp_path: Path) -> None:
    db, config = str(tmp_path / "s.db"), tmp_path / "minilm.toml"
    config.write_text('[embed]\nmodel = "minilm-l6-v2"\n', encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", db, "--config", str(config), "ingest", str(EXAMPLES)])
    assert first.exit_code == 0 and "embedded again" not in first.output
    second = runner.invoke(cli, ["--db", db, "ingest", str(EXAMPLES)])
    assert second.exit_code == 0 and "embedded again" in second.output
    third = runner.invoke(cli, ["--db", db, "ingest", str(EXAMPLES)])
    assert "embedding them again" not in third.output


def test_remembering_embedder_embeds_each_text_once_and_forgets_the_oldest(settings: Settings) -> None:
    embedder = load_embedder(settings.embed)
    remembering = RememberingEmbedder(embedder, capacity=3)
    texts = ["Ferries were suspended.", "Talks resumed in Geneva.", "Ferries were suspended.", "Rain fell."]
    first = remembering.embed(texts)
    # The embedder's own vectors (up to rounding: texts packed otherwise are summed in another order), the repeated
    # text embedded once.
    assert np.allclose(first, embedder.embed(texts), atol=1e-6)
    assert (remembering.embedded, remembering.reused) == (3, 1)
    again = remembering.embed(texts[:2])
    assert np.array_equal(again, first[:2]) and (remembering.embedded, remembering.reused) == (3, 3)
    # A fourth text pushes out the one least recently used ("Rain fell.").
    remembering.embed(["Snow fell."])
    remembering.embed(["Rain fell.", "Ferries were suspended."])
    assert (remembering.embedded, remembering.reused) == (5, 4)
    # An embedder whose vectors move with their batch companions keeps nothing.
    onnx = with_model(settings, "minilm-l6-v2")
    batched = load_embedder(replace(onnx.embed, batch_size=8))
    passing = RememberingEmbedder(batched, capacity=100)
    passing.embed(texts)
    passing.embed(texts)
    assert not batched.batch_independent and (passing.embedded, passing.reused) == (8, 0)
