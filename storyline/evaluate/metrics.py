"""Clustering metrics: BCubed (Bagga & Baldwin 1998) and pairwise precision/recall/F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Item-averaged precision and recall of each item's cluster against its gold cluster."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must label the same items")
    if not gold:
        return Scores(0.0, 0.0, 0.0)
    joint = Counter(zip(gold, predicted, strict=True))
    gold_sizes, predicted_sizes = Counter(gold), Counter(predicted)
    precision = sum(n * n / predicted_sizes[p] for (_, p), n in joint.items()) / len(gold)
    recall = sum(n * n / gold_sizes[g] for (g, _), n in joint.items()) / len(gold)
    return Scores(precision, recall, _f1(precision, recall))


def pairwise(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Precision and recall over all pairs of items put in the same cluster."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must label the same items")

    def pairs(counts: Counter[Hashable]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    together = pairs(Counter(zip(gold, predicted, strict=True)))
    predicted_pairs, gold_pairs = pairs(Counter(predicted)), pairs(Counter(gold))
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / gold_pairs if gold_pairs else 1.0
    return Scores(precision, recall, _f1(precision, recall))
