"""`storyline train clustering`: fit the clustering model on files in the clustering format.

Each file is streamed in publication order with the gold events forced (teacher forcing),
collecting the features of every (article, candidate event) pair; each tier's pair scorer
is fitted on them, then its join-or-new decision on the scores, then its join threshold
on the training files' BCubed F1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..cluster import (
    DECISION_FEATURES,
    LATE_TIERS,
    PAIR_FEATURES,
    TIER_FEATURES,
    TIERS,
    ClusteringModel,
    ClusterStage,
    Judge,
    LinearModel,
    OnlineClusterer,
    columns,
)
from ..config import Settings
from ..embed import load_embedder
from ..errors import StorylineError
from ..model import Article
from ..pipeline import Pipeline, preparation_stages
from .clustering import evaluation_store, gold_labels, ingest_file
from .metrics import bcubed

# Join probabilities tried when training; the best on the training files is kept in the model.
_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
_DEFAULT_JOIN = 0.5


@dataclass
class TrainingRows:
    """Pair rows (article x candidate event) and the candidate groups of each article."""

    pair_rows: list[list[float]]
    pair_labels: list[int]
    pair_tiers: list[str]  # the tier each pair is judged in
    groups: list[tuple[int, int, int]]  # (first row, row count, index of the gold candidate or -1)
    articles: list[Article]
    gold: list[str]


def training_rows(path: str, settings: Settings, cache: str | None = None) -> TrainingRows:
    """Features of every (article, candidate) pair, streaming with gold events (teacher forcing)."""
    labels = gold_labels(path)
    with evaluation_store(path, cache) as store:
        ingest_file(store, path, settings)
        store.reset_stage(ClusterStage.name, ClusterStage.writes)
        Pipeline.configured(preparation_stages(settings), settings.pipeline).run(store)
        articles = store.articles(with_embeddings=True)
    embedder = load_embedder(settings.embed)
    model = ClusteringModel({tier: Judge(_neutral(pair), _neutral(decision))
                             for tier, (pair, decision) in TIER_FEATURES.items()})  # fmt: skip
    clusterer = OnlineClusterer(model, settings.cluster, embedder.dimensions, embedder.languages)
    rows = TrainingRows([], [], [], [], [], [])
    for article in articles:
        gold = labels.get(article.external_id or "")
        if gold is None:
            continue
        rows.articles.append(article)
        rows.gold.append(gold)
        _, _, decision = clusterer.assign(replace(article, duplicate_of=None), event=gold)
        first = len(rows.pair_rows)
        hit = decision.candidates.index(gold) if gold in decision.candidates else -1
        rows.pair_rows.extend(decision.pair_rows)
        rows.pair_labels.extend(int(c == gold) for c in decision.candidates)
        rows.pair_tiers.extend(decision.tiers)
        rows.groups.append((first, len(decision.candidates), hit))
    return rows


def _neutral(features: tuple[str, ...]) -> LinearModel:
    n = len(features)
    return LinearModel(features, (0.0,) * n, 0.0, (0.0,) * n, (1.0,) * n)


def _fit(rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...], balanced: bool) -> LinearModel:
    from sklearn.linear_model import LogisticRegression  # training-only dependency

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=1.0, class_weight="balanced" if balanced else None, max_iter=2000)
    fitted.fit((rows - mean) / scale, labels)
    return LinearModel(features, tuple(float(w) for w in fitted.coef_[0]), float(fitted.intercept_[0]),
                       tuple(float(m) for m in mean), tuple(float(s) for s in scale))  # fmt: skip


_TIME_FEATURES = ("log_days_first", "log_days_last", "log_days_mean", "dated")


def _undated(rows: TrainingRows) -> TrainingRows:
    """The same pairs as the stream gives them when neither side is dated: no time gaps, ``dated`` 0."""
    blank = columns(_TIME_FEATURES, PAIR_FEATURES)
    pair_rows = [[0.0 if i in blank else value for i, value in enumerate(row)] for row in rows.pair_rows]
    return replace(rows, pair_rows=pair_rows)


def train_clustering(paths: list[str], settings: Settings, cache: str | None = None) -> ClusteringModel:
    """Fit each tier's pair scorer on candidate pairs, then its join-or-new decision on the scores.

    The dense tier learns from the pairs the embedding covers. The other tiers learn from every
    pair, read through their own features, so that they are trained even when every training
    file is in one language the embedding covers.
    """
    collected = [training_rows(p, settings, cache) for p in paths]
    # Every file teaches twice: as it is, and as if nothing in it were dated, so that the models learn what an
    # undated pair is worth even from files where every article has a date (otherwise its zero time gaps
    # would read as "the same day").
    taught = collected + [_undated(c) for c in collected]
    pair_x = np.array([r for c in taught for r in c.pair_rows], dtype=np.float64)
    pair_y = np.array([y for c in taught for y in c.pair_labels])
    dense = np.array([t == "dense" for c in taught for t in c.pair_tiers], dtype=bool)
    if len(set(pair_y[dense].tolist())) < 2:
        raise StorylineError(
            "[E019] Training needs both matching and non-matching candidate pairs in the embedding's languages."
        )
    # Few candidates are right: balance the classes so the scorers learn to rank, not the prior.
    scorers = {}
    for tier in TIERS:
        chosen = dense if tier == "dense" else np.ones(len(pair_y), dtype=bool)
        features = TIER_FEATURES[tier][0]
        scorers[tier] = _fit(pair_x[chosen][:, columns(features, PAIR_FEATURES)], pair_y[chosen], features, True)
    scoring = ClusteringModel({tier: Judge(scorer, _neutral(DECISION_FEATURES)) for tier, scorer in scorers.items()})
    decision_rows: dict[str, tuple[list[list[float]], list[int]]] = {tier: ([], []) for tier in TIERS}
    for c in taught:
        for first, count, hit in c.groups:
            if count == 0:
                continue
            block = np.array(c.pair_rows[first : first + count])
            tiers = c.pair_tiers[first : first + count]
            # The dense decision learns from the articles whose best pair in their own language, scored as
            # the stream does, is dense; every article teaches the other tiers, as if all its pairs were in it.
            for tier in TIERS:
                judged = (
                    [i for i, t in enumerate(tiers) if t not in LATE_TIERS] if tier == "dense" else list(range(count))
                )
                if not judged:
                    continue
                scores = scoring.pair_scores(
                    block[judged], [tiers[i] for i in judged] if tier == "dense" else [tier] * len(judged)
                )
                best = int(np.argmax(scores))
                if tier == "dense" and tiers[judged[best]] != "dense":
                    continue
                row = OnlineClusterer.decision_row(scores.tolist(), block[judged].tolist(), best)
                decision_rows[tier][0].append([row[i] for i in columns(TIER_FEATURES[tier][1], DECISION_FEATURES)])
                decision_rows[tier][1].append(int(judged[best] == hit))
    judges = {
        tier: Judge(scorers[tier], _fit(np.array(x), np.array(y), TIER_FEATURES[tier][1], balanced=True))
        for tier, (x, y) in decision_rows.items()
    }
    # The other tiers' thresholds first, each judged with every pair in it; then the dense one, as the stream runs.
    for tier in (*TIERS[1:], TIERS[0]):
        judges[tier] = replace(judges[tier], join_probability=_best_threshold(judges, tier, collected, settings))
    return ClusteringModel(judges, tuple(Path(p).name for p in paths), settings.embed.model)


def _best_threshold(judges: dict[str, Judge], tier: str, collected: list[TrainingRows], settings: Settings) -> float:
    """The join probability of ``tier`` with the best mean BCubed F1 over the training files (never the
    evaluated one)."""
    embedder = load_embedder(settings.embed)
    best, best_f1 = _DEFAULT_JOIN, -1.0
    for threshold in _THRESHOLDS:
        tuned = ClusteringModel(judges | {tier: replace(judges[tier], join_probability=threshold)})
        scores = []
        for rows in collected:
            clusterer = OnlineClusterer(tuned, settings.cluster, embedder.dimensions, embedder.languages,
                                        only_tier=None if tier == "dense" else tier)  # fmt: skip
            predicted = [clusterer.assign(a)[0] for a in rows.articles]
            scores.append(bcubed(rows.gold, predicted).f1)
        if float(np.mean(scores)) > best_f1 + 1e-9:
            best, best_f1 = threshold, float(np.mean(scores))
    return best
