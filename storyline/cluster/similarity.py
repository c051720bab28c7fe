"""TF-IDF over hashed term bags, with document frequencies learned online as articles arrive."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..nlp.terms import HASH_SIZE, TermBag

# New terms are listed among the known ones in one merge when this many have come: inserting each article's into
# the sorted list copied the whole list (up to the hashed space, 8 MB) for nearly every article of a real stream.
_LIST_NEW_EVERY = 1 << 16


class DocumentFrequencies:
    """Online document frequencies over hashed terms: a fixed-size array."""

    def __init__(self) -> None:
        self.counts = np.zeros(HASH_SIZE, dtype=np.int32)
        self.documents = 0
        # Every term whose count may be non-zero, ascending: the snapshot after each batch saves the non-zero
        # counts, and finding them among these is far quicker than scanning the whole hashed space for them.
        self._terms = np.zeros(0, np.int64)
        # Terms first counted since ``_terms`` was last brought up to date: listed by ``_list_new``.
        self._new: list[npt.NDArray[np.int64]] = []
        self._new_count = 0
        # The terms counted since the counts were last saved (``changed``); None: rewritten other than by ``add``.
        self._counted: list[npt.NDArray[np.int64]] | None = []

    def add(self, bag: TermBag) -> None:
        new = bag.keys[self.counts[bag.keys] == 0]
        if len(new):
            self._new.append(new.astype(np.int64))
            self._new_count += len(new)
            if self._new_count >= _LIST_NEW_EVERY:
                self._list_new()
        self.counts[bag.keys] += 1
        self.documents += 1
        if self._counted is not None:
            self._counted.append(bag.keys)

    def changed(self) -> npt.NDArray[np.int64] | None:
        """The terms counted since the last call (or ``saved``), ascending; None if the counts were rewritten
        other than by ``add`` since (only the whole array says what they are)."""
        counted, self._counted = self._counted, []
        if counted is None:
            return None
        return np.unique(np.concatenate(counted)).astype(np.int64) if counted else np.zeros(0, np.int64)

    def saved(self) -> None:
        """The counts as they are now were saved whole: ``changed`` starts again from here."""
        self._counted = []

    def nonzero(self) -> npt.NDArray[np.int64]:
        """The terms with a non-zero count, ascending (as ``np.flatnonzero(self.counts)``)."""
        self._list_new()
        self._terms = self._terms[self.counts[self._terms] != 0]
        return self._terms

    def _list_new(self) -> None:
        """Merge the new terms into the sorted list (a term at zero again, after a backfill's replay counted down
        to it, may be listed already: it is not listed twice)."""
        if self._new:
            self._terms = np.union1d(self._terms, np.concatenate(self._new))
            self._new, self._new_count = [], 0

    def recount(self) -> None:
        """Find the non-zero terms anew: after ``counts`` was written other than through :meth:`add`."""
        self._terms = np.flatnonzero(self.counts).astype(np.int64)
        self._new, self._new_count = [], 0
        self._counted = None

    def assign(self, terms: npt.NDArray[np.int64], counts: npt.NDArray[np.integer]) -> None:
        """Set the counts to ``counts`` at ``terms`` (ascending, distinct) and to zero elsewhere."""
        self.counts[:] = 0
        self.counts[terms] = counts
        self._terms = np.asarray(terms, np.int64)
        self._new, self._new_count = [], 0
        self._counted = None

    def cosines(self, article: Weighted, bags: list[TermBag]) -> npt.NDArray[np.float64]:
        """TF-IDF cosine of ``article`` to each bag: one pass over all their terms, not a loop per bag."""
        sizes = np.array([len(b) for b in bags], dtype=np.int64)
        if not sizes.sum() or not article.norm:
            return np.zeros(len(bags))
        keys = np.concatenate([b.keys for b in bags])
        values = self._tf_idf(keys, np.concatenate([b.counts for b in bags]))
        owner = np.repeat(np.arange(len(bags)), sizes)
        norms = np.sqrt(np.bincount(owner, weights=values * values, minlength=len(bags)))
        at = np.minimum(np.searchsorted(article.keys, keys), len(article.keys) - 1)
        shared = article.keys[at] == keys
        dots = np.bincount(owner[shared], weights=values[shared] * article.values[at[shared]], minlength=len(bags))
        return np.divide(dots, norms * article.norm, out=np.zeros(len(bags)), where=norms > 0)

    def weights(self, bag: TermBag) -> Weighted:
        """TF-IDF weights of ``bag``."""
        values = self._tf_idf(bag.keys, bag.counts)
        return Weighted(bag.keys, values, float(np.sqrt(values @ values)))

    def idf(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Smoothed inverse document frequency (natural log) of each term: 0 for a term in every document."""
        idf: npt.NDArray[np.float64] = np.log((1.0 + self.documents) / (1.0 + self.counts[keys]))
        return idf

    def _tf_idf(self, keys: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Sublinear term frequency times smoothed inverse document frequency."""
        weights: npt.NDArray[np.float64] = (1.0 + np.log(counts)) * (self.idf(keys) + 1.0)
        return weights


@dataclass(frozen=True, slots=True)
class Weighted:
    """A bag's TF-IDF weights, by ascending term id, and their norm."""

    keys: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    norm: float
