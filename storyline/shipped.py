"""The learned models that ship in ``storyline/models/``: one file per kind of model and embedding model."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError, Errors


def read_model_file(kind: str, embedding: str, path: str = "") -> dict[str, Any]:
    """The JSON of a ``kind`` model ("clustering", "paraphrase") for vectors of the ``embedding`` model: the file
    at ``path``, else the one shipped for that embedding."""
    if path:
        if not Path(path).is_file():
            raise ConfigError(Errors.E012.format(kind=f"{kind} model file", name=path, known="a path to a .json file"))
        text = Path(path).read_text(encoding="utf-8")
    else:
        folder = resources.files("storyline").joinpath("models")
        shipped = folder.joinpath(f"{kind}-{embedding}.json")
        if not shipped.is_file():
            known = sorted(f.name[len(kind) + 1 : -len(".json")] for f in folder.iterdir()
                           if f.name.startswith(f"{kind}-"))  # fmt: skip
            raise ConfigError(Errors.E012.format(kind="embedding model", name=embedding, known=", ".join(known)))
        text = shipped.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def check_embedding(kind: str, path: str, trained: str, embedding: str) -> None:
    """Fail when a model learned from another embedding model's vectors than ``embedding``: cosines of two
    models are not on one scale."""
    if trained != embedding:
        raise ConfigError(
            f"[E013] {kind} model {path or 'shipped'}: trained on vectors of the embedding model "
            f"'{trained or 'unknown'}', not of '{embedding}' (embed.model); retrain it with that model."
        )
