"""`storyline train facts` and `storyline eval facts`: the sentence-pair model behind facts.

One pair a line: ``{"id", "sentence1", "sentence2", "paraphrase"}`` (optionally ``"lang1"``, ``"lang2"``),
as in the Microsoft Research Paraphrase Corpus (Dolan & Brockett 2005). The scores are accuracy and
precision, recall and F1 of the "same thing" class, next to the always-yes baseline of the same file.

A file is never scored by a model that learned from it: when its content is one the model was trained
on (``ParaphraseModel.trained_digests``), it is scored by k-fold cross-validation instead, each fold by a
model (weights and threshold) fitted on the other folds, and the folds' predictions pooled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..analyze.paraphrase import (
    CROSS_FEATURES,
    SCORED_FEATURES,
    ParaphraseModel,
    SentenceView,
    VectorModel,
    compare_figures,
    cross_language,
    encoder_reads,
    file_digest,
    load_paraphrase_model,
    pair_rows,
    pair_vectors,
    vector_pair_rows,
    with_cross_threshold,
)
from ..cluster.judges import LinearModel
from ..config import Settings
from ..embed import load_embedder
from ..errors import Errors, InputError, StorylineError
from .metrics import precision_recall_f1
from .records import read_records

__all__ = ["FactScores", "evaluate_facts", "fit_paraphrase_model", "format_facts", "train_facts"]

# The features of the same-language model, chosen by cross-validation on msrp-train (benchmarks/RESULTS.md).
SAME_FEATURES = SCORED_FEATURES
# Thresholds tried on the training pairs; the one with the best accuracy + F1 is kept.
_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.2, 0.81, 0.01))
# Regularization of the logistic regressions (sklearn's C); features are standardized first.
_C = 1.0
_FOLD_SEED = 0
# Folds within the training pairs that give each one a vector score from a model that did not learn from it.
_VECTOR_FOLDS = 5


@dataclass(frozen=True, slots=True)
class FactPair:
    id: str
    sentence1: str
    sentence2: str
    paraphrase: bool
    lang1: str | None = None
    lang2: str | None = None


@dataclass(frozen=True, slots=True)
class FactScores:
    """Figures for one file; ``dataclasses.asdict`` gives its JSON form."""

    file: str
    pairs: int
    positives: int
    # "cross-validation" (the model learned from this file) or "model".
    mode: str
    folds: int
    model: str
    embedding: str
    threshold: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    baseline_accuracy: float  # always "the same thing"
    baseline_precision: float
    baseline_recall: float
    baseline_f1: float
    # Pairs judged the same by the annotators whose numbers or dates disagree: where conflicts hide.
    same_with_figure_conflict: int
    embed_seconds: float
    sentences_per_second: float
    # Features and model, with the vectors given: what the facts stage pays per candidate pair.
    pairs_per_second: float
    # How the cross-encoder's part was scored: "none" (the model has none, or facts.cross_encoder is off),
    # "shipped", "held out (k folds)" (each pair by one fine-tuned without it), or why it was left out.
    encoder: str = "none"
    # The shipped cross-encoder's pairs per second (both readings of a pair): on the pairs it scores, or on up to
    # 512 of them when held-out cross-encoders score the file.
    encoder_pairs_per_second: float = 0.0


def read_pairs(path: Path) -> list[FactPair]:
    """The pairs of a facts file; a malformed line raises :class:`InputError` naming it."""
    pairs = []
    for line, record in read_records(path):
        for field, kind in (("sentence1", str), ("sentence2", str), ("paraphrase", bool)):
            if not isinstance(record.get(field), kind):
                expected = "a string" if kind is str else "true or false"
                raise InputError(str(path), Errors.E014.format(path=path, line=line, field=field, expected=expected))
        pairs.append(FactPair(str(record.get("id", line)), record["sentence1"], record["sentence2"],
                              record["paraphrase"], record.get("lang1"), record.get("lang2")))  # fmt: skip
    return pairs


def _views(pairs: Sequence[FactPair], settings: Settings) -> tuple[list[tuple[SentenceView, SentenceView]], float]:
    """Each pair as the scorer sees it (each distinct sentence embedded once), and the seconds embedding took."""
    texts = sorted({p.sentence1 for p in pairs} | {p.sentence2 for p in pairs})
    started = time.perf_counter()
    vectors = dict(zip(texts, load_embedder(settings.embed).embed(texts), strict=True))
    seconds = time.perf_counter() - started
    views = [(SentenceView(p.sentence1, vectors[p.sentence1], p.lang1),
              SentenceView(p.sentence2, vectors[p.sentence2], p.lang2)) for p in pairs]  # fmt: skip
    return views, seconds


def _confusion(gold: npt.NDArray[np.bool_], said: npt.NDArray[np.bool_]) -> tuple[float, float, float, float]:
    """Accuracy, precision, recall and F1 of the positive class."""
    scores = precision_recall_f1(float((gold & said).sum()), float(said.sum()), float(gold.sum()))
    return float((gold == said).mean()) if len(gold) else 0.0, scores.precision, scores.recall, scores.f1


def _best_threshold(gold: npt.NDArray[np.bool_], probability: npt.NDArray[np.float64]) -> float:
    """The threshold with the best accuracy + F1 on these pairs: F1 alone drifts to saying "the same" always."""

    def merit(threshold: float) -> float:
        accuracy, _, _, f1 = _confusion(gold, probability >= threshold)
        return accuracy + f1

    return max(_THRESHOLDS, key=merit)


def _fit(rows: npt.NDArray[np.float64], gold: npt.NDArray[np.bool_], features: tuple[str, ...]) -> LinearModel:
    from sklearn.linear_model import LogisticRegression  # training-only dependency

    chosen = rows[:, [SCORED_FEATURES.index(f) for f in features]]
    mean = chosen.mean(axis=0)
    scale = chosen.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=_C, max_iter=2000).fit((chosen - mean) / scale, gold.astype(int))
    return LinearModel(features, tuple(float(w) for w in fitted.coef_[0]), float(fitted.intercept_[0]),
                       tuple(float(m) for m in mean), tuple(float(s) for s in scale))  # fmt: skip


def _fit_vectors(vector_rows: npt.NDArray[np.float32], gold: npt.NDArray[np.bool_]) -> VectorModel:
    from sklearn.linear_model import LogisticRegression  # training-only dependency

    fitted = LogisticRegression(C=_C, max_iter=3000).fit(vector_rows, gold.astype(int))
    return VectorModel(tuple(float(w) for w in fitted.coef_[0]), float(fitted.intercept_[0]))


def fit_paraphrase_model(
    rows: npt.NDArray[np.float64],
    first: npt.NDArray[np.float32],
    second: npt.NDArray[np.float32],
    gold: npt.NDArray[np.bool_],
    embedding: str,
    trained_on: tuple[str, ...] = (),
    digests: tuple[str, ...] = (),
) -> ParaphraseModel:
    """Both scorers fitted on PAIR_FEATURES rows and the pairs' vectors (``first``, ``second``), each with its
    threshold chosen on the same rows; the cross scorer learns from the same pairs, read through the features
    that carry across languages. The vector model is stacked: the pair model learns from scores that each
    training pair got from a vector model fitted without it, as it will see scores of pairs it never saw."""
    if len(set(gold.tolist())) < 2:
        raise StorylineError("[E019] Training needs pairs that say the same thing and pairs that do not.")
    vector_rows = vector_pair_rows(first, second)
    held_out_scores = np.zeros(len(rows))
    for held_out in _folds(len(rows), min(_VECTOR_FOLDS, len(rows))):
        training = np.setdiff1d(np.arange(len(rows)), held_out)
        if len(set(gold[training].tolist())) < 2:
            continue
        held_out_scores[held_out] = _fit_vectors(vector_rows[training], gold[training]).score(
            first[held_out], second[held_out]
        )
    scored = np.hstack([rows, held_out_scores[:, None]])
    same, cross = _fit(scored, gold, SAME_FEATURES), _fit(scored, gold, CROSS_FEATURES)
    vector = _fit_vectors(vector_rows, gold)
    model = ParaphraseModel(same, cross, 0.5, embedding, trained_on, digests, vector)
    threshold = _best_threshold(gold, model.probability_of_rows(scored))
    cross_threshold = _best_threshold(gold, model.probability_of_rows(scored, np.ones(len(rows), dtype=bool)))
    model = ParaphraseModel(same, cross, threshold, embedding, trained_on, digests, vector)
    return with_cross_threshold(model, cross_threshold)


def train_facts(paths: Sequence[str], settings: Settings) -> ParaphraseModel:
    """Fit the paraphrase model on facts files, for vectors of the configured embedding model."""
    pairs = [p for path in paths for p in read_pairs(Path(path))]
    views, _ = _views(pairs, settings)
    gold = np.array([p.paraphrase for p in pairs], dtype=bool)
    return fit_paraphrase_model(pair_rows(views), *pair_vectors(views), gold, settings.embed.model,
                                tuple(Path(p).name for p in paths), tuple(file_digest(p) for p in paths))  # fmt: skip


def _folds(count: int, folds: int) -> list[npt.NDArray[np.int64]]:
    order = np.random.default_rng(_FOLD_SEED).permutation(count)
    return [np.sort(order[k::folds]) for k in range(folds)]


def _encoder_logits(
    model: ParaphraseModel,
    pairs: Sequence[FactPair],
    views: list[tuple[SentenceView, SentenceView]],
    learned: bool,
    encoder_folds: int,
    progress: Callable[[str], None],
) -> tuple[npt.NDArray[np.float64] | None, str, float]:
    """The cross-encoder's logit of each pair (NaN where it reads none), how they were had, and the shipped
    one's pairs per second (on all the pairs it scores, or on up to 512 when held-out ones score them)."""
    timed = views if not learned else views[:512]
    started = time.perf_counter()
    shipped = model.encoder_logits(timed)
    speed = len(timed) / max(time.perf_counter() - started, 1e-9)
    if not learned:
        return shipped, "shipped", speed
    from .cross_encoder import held_out_logits

    try:
        logits = held_out_logits([(p.sentence1, p.sentence2, p.paraphrase) for p in pairs], encoder_folds,
                                 _FOLD_SEED, progress)  # fmt: skip
    except StorylineError as error:
        progress(f"{error}: the cross-encoder's part is left out of these figures")
        return None, "left out: needs torch (make .venv/.installed-bench)", speed
    read = np.array([encoder_reads(a, b) for a, b in views])
    return np.where(read, logits, np.nan), f"held out ({encoder_folds}-fold fine-tuning)", speed


def evaluate_facts(
    path: Path,
    settings: Settings,
    model_path: str = "",
    folds: int = 10,
    encoder_folds: int = 5,
    progress: Callable[[str], None] = lambda message: None,
) -> FactScores:
    """Score the pairs of ``path``: with the model, or by cross-validation when the model learned from this file.

    The regression is cross-validated in ``folds``; a cross-encoder, costlier to fit, in ``encoder_folds``
    (each pair read by one fine-tuned on the other folds; needs torch)."""
    model = load_paraphrase_model(settings.embed.model, model_path)
    pairs = read_pairs(path)
    if not pairs:
        raise InputError(str(path), Errors.E010.format(path=path))
    views, embed_seconds = _views(pairs, settings)
    gold = np.array([p.paraphrase for p in pairs], dtype=bool)
    cross = np.array([cross_language(a, b) for a, b in views], dtype=bool)
    started = time.perf_counter()
    rows = pair_rows(views)
    first, second = pair_vectors(views)
    scored = model.scored_rows(rows, first, second)
    probability = model.probability_of_rows(scored, cross)
    scoring_seconds = time.perf_counter() - started
    learned = file_digest(path) in model.trained_digests
    logits, encoder, encoder_speed = None, "none", 0.0
    if model.encoder and settings.facts.cross_encoder:
        logits, encoder, encoder_speed = _encoder_logits(model, pairs, views, learned, encoder_folds, progress)
        probability = model.probability_of_rows(scored, cross, logits)
    if learned:
        if not 2 <= folds <= len(pairs):
            raise StorylineError(f"[E019] {path}: {folds} folds for {len(pairs)} pairs; give 2 to {len(pairs)}.")
        said = np.zeros(len(pairs), dtype=bool)
        thresholds = []
        for held_out in _folds(len(pairs), folds):
            training = np.setdiff1d(np.arange(len(pairs)), held_out)
            fold_model = fit_paraphrase_model(
                rows[training], first[training], second[training], gold[training], model.embedding
            )
            scored = fold_model.scored_rows(rows[held_out], first[held_out], second[held_out])
            held_logits = None if logits is None else logits[held_out]
            said[held_out] = (
                fold_model.probability_of_rows(scored, cross[held_out], held_logits) >= fold_model.threshold
            )
            thresholds.append(fold_model.threshold)
        threshold = float(np.mean(thresholds))
    else:
        said = probability >= model.threshold
        threshold = model.threshold
    accuracy, precision, recall, f1 = _confusion(gold, said)
    base_accuracy, base_precision, base_recall, base_f1 = _confusion(gold, np.ones(len(pairs), dtype=bool))
    conflicts = sum(p.paraphrase and compare_figures(p.sentence1, p.sentence2).conflict for p in pairs)
    return FactScores(
        file=str(path), pairs=len(pairs), positives=int(gold.sum()),
        mode="cross-validation" if learned else "model", folds=folds if learned else 0,
        model=model_path or f"shipped paraphrase-{model.embedding}", embedding=model.embedding,
        threshold=round(threshold, 4), accuracy=accuracy, precision=precision, recall=recall, f1=f1,
        baseline_accuracy=base_accuracy, baseline_precision=base_precision, baseline_recall=base_recall,
        baseline_f1=base_f1, same_with_figure_conflict=int(conflicts), embed_seconds=round(embed_seconds, 2),
        sentences_per_second=round(2 * len(pairs) / max(embed_seconds, 1e-9), 1),
        pairs_per_second=round(len(pairs) / max(scoring_seconds, 1e-9), 1),
        encoder=encoder, encoder_pairs_per_second=round(encoder_speed, 1),
    )  # fmt: skip


def format_facts(scores: FactScores) -> str:
    """One line of figures for a file."""
    how = f"{scores.folds}-fold cross-validation" if scores.mode == "cross-validation" else scores.model
    return (
        f"{Path(scores.file).name}: {scores.pairs} pairs ({scores.positives} the same) | {how}, "
        f"{scores.embedding} | accuracy {scores.accuracy:.3f} F1 {scores.f1:.3f} P {scores.precision:.3f} "
        f"R {scores.recall:.3f} | always-yes: accuracy {scores.baseline_accuracy:.3f} F1 {scores.baseline_f1:.3f} "
        f"| {scores.pairs_per_second:.0f} pairs/s (vectors given), {scores.sentences_per_second:.0f} sentences/s "
        f"embedded | {scores.same_with_figure_conflict} same-thing pairs disagree on a figure"
        + (f" | cross-encoder: {scores.encoder}, {scores.encoder_pairs_per_second:.0f} pairs/s"
           if scores.encoder != "none" else "")
    )  # fmt: skip
