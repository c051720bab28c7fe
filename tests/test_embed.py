"""Both embedding models behind one interface, and a store that switches models re-embeds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from storyline.config import Settings
from storyline.embed import MODELS, EmbeddingStage, SentenceVectors, load_embedder
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


def test_embed_a_store_embedded_by_an_older_embedding_stage_is_embedded_and_clustered_again(
    store: SQLiteStore, settings: Settings
) -> None:
    store.add_articles(a for a in read_inputs([str(EXAMPLES)], settings.ingest) if isinstance(a, Article))
    older = clustering_stages(settings)
    embedding = next(s for s in older if isinstance(s, EmbeddingStage))
    embedding.version -= 1  # what a store embedded before the stage changed holds
    Pipeline(older, 64).run(store)
    assert store.stage_versions(EmbeddingStage.name) == {EmbeddingStage.version - 1}
    pipeline = Pipeline(clustering_stages(settings), 64)
    assert pipeline.stale_embeddings(store)
    run = pipeline.run(store)
    assert run.reembedded and run.processed["embed"] == 5 and run.processed["cluster"] == 5
    assert store.stage_versions(EmbeddingStage.name) == {EmbeddingStage.version}
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


def test_use_gives_an_article_the_same_vectors_in_a_batch_and_alone(settings: Settings) -> None:
    # The encoder packs a call's texts into one matrix: packed with other articles, a vector rounded otherwise.
    embedder = load_embedder(settings.embed)
    texts = ["Short one.\nFerries were suspended.", "Talks\nTalks resumed in Geneva on Monday.", "Rain\nRain fell."]
    headlines = [len(t.split("\n")[0]) for t in texts]
    together, together_headlines = embedder.embed_with_prefix(texts, headlines)
    for i, text in enumerate(texts):
        alone, alone_headline = embedder.embed_with_prefix([text], [headlines[i]])
        assert np.array_equal(alone[0], together[i]) and np.array_equal(alone_headline[0], together_headlines[i])


def test_sentence_vectors_embed_each_article_once_and_forget_the_oldest(settings: Settings) -> None:
    embedder = load_embedder(settings.embed)
    kept = SentenceVectors(embedder, capacity=3)
    first, second, third = ["Ferries were suspended.", "Talks resumed."], ["Rain fell."], ["Snow fell.", "Roads shut."]
    vectors = kept.of([first, second])
    # One call per article: the vectors it would get alone.
    assert np.array_equal(vectors, np.concatenate([embedder.embed(first), embedder.embed(second)]))
    assert (kept.embedded, kept.reused) == (3, 0)
    assert np.array_equal(kept.of([second, first]), np.concatenate([vectors[2:], vectors[:2]]))
    assert (kept.embedded, kept.reused) == (3, 3)
    # Two more sentences push out the oldest articles until three sentences are kept: ``third``'s alone.
    kept.of([third])
    kept.of([third, second])
    assert (kept.embedded, kept.reused) == (6, 5)
    nothing_kept = SentenceVectors(embedder, capacity=0)
    nothing_kept.of([first])
    nothing_kept.of([first])
    assert (nothing_kept.embedded, nothing_kept.reused) == (4, 0)
