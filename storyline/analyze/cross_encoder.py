"""A cross-encoder: one small transformer reads both sentences of a pair at once and says whether they say the same
thing. It sees which words of one answer which of the other, which two separate sentence vectors cannot.

The shipped one is all-MiniLM-L6-v2 (Apache-2.0) fine-tuned on English news sentence pairs
(:mod:`storyline.evaluate.cross_encoder`), exported to ONNX with int8 weights and run with onnxruntime; it reads
English only. A pair is read in both orders and the two logits averaged, so the score does not depend on which
sentence comes first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError

# MSRP's longest pair is 96 word pieces; news sentences run longer: a pair is cut at this many.
MAX_TOKENS = 128


WEIGHTS = "model-int8.onnx"


def weights_digest(directory: Path) -> str:
    """The SHA-256 of a cross-encoder's weights: which one a paraphrase model was fitted with."""
    return hashlib.sha256((directory / WEIGHTS).read_bytes()).hexdigest()


class CrossEncoder:
    """A pair classifier in ONNX (``model-int8.onnx``) with its word-piece tokenizer (``tokenizer.json``)."""

    def __init__(self, directory: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model = directory / WEIGHTS
        if not model.is_file() or not (directory / "tokenizer.json").is_file():
            raise ConfigError(f"[E013] cross-encoder {directory}: model-int8.onnx or tokenizer.json is missing.")
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        # One thread: the event analysis runs one worker per core.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def logits(self, pairs: Sequence[tuple[str, str]]) -> npt.NDArray[np.float64]:
        """Each pair's logit of saying the same thing, the mean of its two readings (either sentence first)."""
        if not pairs:
            return np.zeros(0)
        forward = self._read(list(pairs))
        backward = self._read([(b, a) for a, b in pairs])
        return (forward + backward) / 2

    def _read(self, pairs: list[tuple[str, str]]) -> npt.NDArray[np.float64]:
        # One pair a run: the int8 model quantizes its activations over the whole batch, so a pair read among
        # others would score as its company lets it (by ~0.005 in a logit); alone it scores the same anywhere.
        out = np.zeros(len(pairs))
        for i, encoded in enumerate(self.tokenizer.encode_batch(pairs)):
            feeds = {
                "input_ids": np.array([encoded.ids], np.int64),
                "attention_mask": np.array([encoded.attention_mask], np.int64),
                "token_type_ids": np.array([encoded.type_ids], np.int64),
            }
            (logits,) = self.session.run(None, {name: value for name, value in feeds.items() if name in self.inputs})
            out[i] = float(np.asarray(logits).reshape(-1)[0])
        return out


@cache
def load_cross_encoder(directory: str) -> CrossEncoder:
    """The cross-encoder in ``directory``, loaded once per process."""
    return CrossEncoder(Path(directory))
