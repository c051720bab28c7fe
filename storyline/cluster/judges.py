"""The learned models that judge candidate events: a pair scorer and a join-or-new decision per tier.

What a pair is judged by depends on its languages (``TIERS``, ``TIER_FEATURES``); the features are
computed in :mod:`storyline.cluster.events`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError, Errors
from ..shipped import check_embedding, read_model_file

PAIR_FEATURES = (
    "dense_centroid",
    "dense_max",
    "headline_max",
    "body_tfidf",
    "title_tfidf",
    "names_tfidf",
    "log_days_first",
    "log_days_last",
    "log_days_mean",
    "dated",
    "log_size",
)
DECISION_FEATURES = ("best", "second", "margin", "best_dense", "best_body", "best_title", "best_names",
                     "best_log_days_last", "dated")  # fmt: skip
# What a pair is judged by depends on its languages (``OnlineClusterer.tier``):
# - "dense": one language, which the embedding model was made for: every feature;
# - "cross": two languages, both of which a multilingual embedding was made for: the embedding, names,
#   numbers and time, not the words (they differ across languages);
# - "sparse": one language the embedding was not made for, as its cosines say little there (two unrelated
#   Chinese articles score 0.8 with an English model): no embedding features;
# - "names": two languages, one of which the embedding was not made for: only what carries across them, names,
#   numbers and time.
_NOT_SPARSE = ("dense_centroid", "dense_max", "headline_max", "best_dense")
_WORDS = ("body_tfidf", "title_tfidf", "best_body", "best_title")
_NOT_NAMES = (*_NOT_SPARSE, *_WORDS)
TIERS = ("dense", "cross", "sparse", "names")
# Tiers whose candidates are judged only when no candidate of the other tiers is joined: their scores, from
# names and numbers alone, are not comparable with the others'.
LATE_TIERS = ("names",)


def _without(features: tuple[str, ...], dropped: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in features if f not in dropped)


# Each tier's (pair features, decision features).
TIER_FEATURES = {
    "dense": (PAIR_FEATURES, DECISION_FEATURES),
    "cross": (_without(PAIR_FEATURES, _WORDS), _without(DECISION_FEATURES, _WORDS)),
    "sparse": (_without(PAIR_FEATURES, _NOT_SPARSE), _without(DECISION_FEATURES, _NOT_SPARSE)),
    "names": (_without(PAIR_FEATURES, _NOT_NAMES), _without(DECISION_FEATURES, _NOT_NAMES)),
}


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Logistic regression weights over named features (trained by `storyline train clustering`)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def probability(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        z = ((rows - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.weights) + self.bias
        probability: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return probability

    def to_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "weights": list(self.weights), "bias": self.bias,
                "mean": list(self.mean), "scale": list(self.scale)}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        return cls(tuple(data["features"]), tuple(data["weights"]), float(data["bias"]),
                   tuple(data["mean"]), tuple(data["scale"]))  # fmt: skip


def columns(subset: tuple[str, ...], features: tuple[str, ...]) -> list[int]:
    """Where each of ``subset`` sits in ``features``."""
    return [features.index(f) for f in subset]


@dataclass(frozen=True, slots=True)
class Judge:
    """The pair scorer and the join-or-new decision of one tier, over that tier's features."""

    pair: LinearModel
    decision: LinearModel
    # Join the best candidate when the decision's probability reaches this (chosen on the training files).
    join_probability: float = 0.5

    def pair_scores(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Scores of full pair rows (PAIR_FEATURES), read through this judge's features."""
        return self.pair.probability(rows[:, columns(self.pair.features, PAIR_FEATURES)])

    def joins(self, decision_row: list[float]) -> bool:
        """Whether a full decision row (DECISION_FEATURES) joins its best candidate."""
        row = np.array([decision_row])[:, columns(self.decision.features, DECISION_FEATURES)]
        return bool(self.decision.probability(row)[0] >= self.join_probability)

    def to_json(self) -> dict[str, Any]:
        return {"pair": self.pair.to_json(), "decision": self.decision.to_json(),
                "join_probability": self.join_probability}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Judge:
        return cls(LinearModel.from_json(data["pair"]), LinearModel.from_json(data["decision"]),
                   float(data.get("join_probability", 0.5)))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClusteringModel:
    """A judge per tier (TIERS), with what they were trained on."""

    judges: dict[str, Judge]
    trained_on: tuple[str, ...] = ()
    # The embedding model whose vectors its dense features were computed from (``embed.model``): cosines of
    # two models are not on one scale.
    embedding: str = ""

    def pair_scores(self, rows: npt.NDArray[np.float64], tiers: list[str]) -> npt.NDArray[np.float64]:
        """Each candidate's probability of being the article's event, each by its pair's tier."""
        scores = np.zeros(len(rows))
        for tier in set(tiers):
            mine = np.array([t == tier for t in tiers])
            scores[mine] = self.judges[tier].pair_scores(rows[mine])
        return scores

    def to_json(self) -> dict[str, Any]:
        return {"tiers": {tier: judge.to_json() for tier, judge in self.judges.items()},
                "trained_on": list(self.trained_on), "embedding": self.embedding}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClusteringModel:
        if set(data.get("tiers", {})) != set(TIERS):
            raise ConfigError("[E013] clustering model: made by an older version of storyline; retrain it.")
        judges = {tier: Judge.from_json(data["tiers"][tier]) for tier in TIERS}
        if any((j.pair.features, j.decision.features) != TIER_FEATURES[t] for t, j in judges.items()):
            raise ConfigError("[E013] clustering model: its features do not match this version of storyline.")
        return cls(judges, tuple(data.get("trained_on", ())), str(data.get("embedding", "")))


def load_clustering_model(path: str, embedding: str) -> ClusteringModel:
    """A model file for vectors of the ``embedding`` model; an empty path means the one shipped for it."""
    model = ClusteringModel.from_json(read_model_file("clustering", embedding, path))
    check_embedding("clustering", path, model.embedding, embedding)
    return model


def check_model_name(name: str) -> None:
    """Fail early on a model path that does not exist."""
    if name and not Path(name).is_file():
        raise ConfigError(Errors.E012.format(kind="clustering model file", name=name, known="a path to a .json file"))
