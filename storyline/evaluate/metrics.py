"""Clustering and coreference metrics: BCubed (Bagga & Baldwin 1998), pairwise precision/recall/F1, MUC
(Vilain et al. 1995), CEAF-e (Luo 2005) and the CoNLL F1 (their mean with BCubed, Pradhan et al. 2014).

Every metric compares two labellings of the same items: ``gold[i]`` and ``predicted[i]`` are the clusters
item ``i`` is in. Coreference on key mentions is this case: a key mention the system did not find is a
cluster of its own on the system side, and system mentions outside the key are not scored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float


def f1(precision: float, recall: float) -> float:
    """Their harmonic mean; 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def precision_recall_f1(correct: float, predicted: float, gold: float) -> Scores:
    """``correct`` hits among ``predicted`` answers against ``gold`` items (0 where a ratio is undefined)."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    return Scores(precision, recall, f1(precision, recall))


def _check(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> None:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must label the same items")


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Item-averaged precision and recall of each item's cluster against its gold cluster."""
    _check(gold, predicted)
    if not gold:
        return Scores(0.0, 0.0, 0.0)
    joint = Counter(zip(gold, predicted, strict=True))
    gold_sizes, predicted_sizes = Counter(gold), Counter(predicted)
    precision = sum(n * n / predicted_sizes[p] for (_, p), n in joint.items()) / len(gold)
    recall = sum(n * n / gold_sizes[g] for (g, _), n in joint.items()) / len(gold)
    return Scores(precision, recall, f1(precision, recall))


def pairwise(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Precision and recall over all pairs of items put in the same cluster."""
    _check(gold, predicted)

    def pairs(counts: Counter[Hashable]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    together = pairs(Counter(zip(gold, predicted, strict=True)))
    predicted_pairs, gold_pairs = pairs(Counter(predicted)), pairs(Counter(gold))
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / gold_pairs if gold_pairs else 1.0
    return Scores(precision, recall, f1(precision, recall))


def _clusters(labels: Sequence[Hashable]) -> list[list[int]]:
    """The items of each cluster, in order of first appearance."""
    found: dict[Hashable, list[int]] = {}
    for item, label in enumerate(labels):
        found.setdefault(label, []).append(item)
    return list(found.values())


def _muc_side(key: Sequence[Hashable], response: Sequence[Hashable]) -> float:
    """MUC recall of ``response`` against ``key``: the links of each key cluster that the response keeps,
    a cluster of n items split into p response parts keeping n - p of its n - 1 links."""
    kept = links = 0
    for cluster in _clusters(key):
        kept += len(cluster) - len({response[i] for i in cluster})
        links += len(cluster) - 1
    return kept / links if links else 0.0


def muc(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """The link-based MUC score (Vilain et al. 1995); singletons carry no links and do not count."""
    _check(gold, predicted)
    recall, precision = _muc_side(gold, predicted), _muc_side(predicted, gold)
    return Scores(precision, recall, f1(precision, recall))


def ceaf_e(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Entity-based CEAF (Luo 2005, phi_4): the one-to-one alignment of gold and predicted clusters that
    maximizes the summed similarity 2|K & R| / (|K| + |R|), divided by the number of predicted clusters
    (precision) and of gold clusters (recall)."""
    _check(gold, predicted)
    if not gold:
        return Scores(0.0, 0.0, 0.0)
    from scipy.optimize import linear_sum_assignment

    keys, responses = _clusters(gold), _clusters(predicted)
    key_index = {gold[c[0]]: i for i, c in enumerate(keys)}
    response_index = {predicted[c[0]]: j for j, c in enumerate(responses)}
    similarity = np.zeros((len(keys), len(responses)))
    for (g, p), shared in Counter(zip(gold, predicted, strict=True)).items():
        i, j = key_index[g], response_index[p]
        similarity[i, j] = 2 * shared / (len(keys[i]) + len(responses[j]))
    rows, columns = linear_sum_assignment(similarity, maximize=True)
    total = float(similarity[rows, columns].sum())
    precision, recall = total / len(responses), total / len(keys)
    return Scores(precision, recall, f1(precision, recall))


def conll_f1(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """The CoNLL-2012 score: the mean of the MUC, BCubed and CEAF-e F1."""
    return (muc(gold, predicted).f1 + bcubed(gold, predicted).f1 + ceaf_e(gold, predicted).f1) / 3


def best_match(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Each gold cluster against the predicted cluster holding most of its items (the first such on ties):
    precision is the share of that cluster that is the gold one's, recall the share of the gold cluster
    it holds; both, and the F1 of each gold cluster, averaged over gold clusters (each counts once)."""
    _check(gold, predicted)
    if not gold:
        return Scores(0.0, 0.0, 0.0)
    predicted_sizes = Counter(predicted)
    precisions, recalls, f1s = [], [], []
    for cluster in _clusters(gold):
        label, shared = Counter(predicted[i] for i in cluster).most_common(1)[0]
        precision, recall = shared / predicted_sizes[label], shared / len(cluster)
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(f1(precision, recall))
    n = len(f1s)
    return Scores(sum(precisions) / n, sum(recalls) / n, sum(f1s) / n)
