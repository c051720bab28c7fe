"""Exact and near-duplicate detection: wire copies and re-posts count as one source.

Exact duplicates share a hash of their normalized text; near-duplicates are
found by MinHash LSH over word shingles (datasketch), with a fixed seed, so the
same input always gives the same answer. The first article seen is the
original; later copies point to it with ``duplicate_of``.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
from datasketch import MinHash, MinHashLSH

from .config import DedupeSettings
from .model import Article, normalize_text
from .stateful import Resuming, pack_arrays, unpack_arrays

_WORD = re.compile(r"\w+", re.UNICODE)
_SEED = 1
# datasketch >= 2 hashing scheme; named so stored signatures reload with the same one.
_SCHEME = "affine64"
# Shingles are hashed with crc32 (C, ~8x faster than datasketch's default sha1; 32 bits are plenty for
# the few thousand shingles of an article). Saved with the state: signatures of another hash don't compare.
_SHINGLE_HASH = "crc32"
_LSH_SLACK = 0.1


def folded_words(text: str) -> list[str]:
    """The words of a text with case, punctuation and spacing folded away."""
    return _WORD.findall(normalize_text(text).lower())


def exact_key(words: list[str]) -> str:
    """Hash of the folded words: equal for texts that differ only in case, punctuation or spacing."""
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def shingles(words: list[str], width: int) -> set[bytes]:
    """Overlapping runs of ``width`` words (the whole text when shorter)."""
    if len(words) <= width:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + width]).encode("utf-8") for i in range(len(words) - width + 1)}


class Deduplicator:
    """Remembers recent articles and names the original of each new copy."""

    def __init__(self, settings: DedupeSettings) -> None:
        self.settings = settings
        # Banded LSH finds a pair right at its threshold only about half the time: it looks a little
        # lower, and the signatures' estimated Jaccard confirms each candidate at the real threshold.
        self.lsh = MinHashLSH(threshold=max(settings.threshold - _LSH_SLACK, 0.05), num_perm=settings.permutations)
        self.exact: OrderedDict[str, str] = OrderedDict()
        self.signatures: OrderedDict[str, MinHash] = OrderedDict()
        self.arrival: dict[str, int] = {}
        self.count = 0
        # What was remembered since the state was last saved (``changes``): each article's id and exact key.
        self._remembered: list[tuple[str, str]] = []
        # Drawn from the seed once: every signature uses the same permutations.
        self.permutations = MinHash(num_perm=settings.permutations, seed=_SEED, scheme=_SCHEME).permutations

    def _minhash(self, words: list[str]) -> MinHash:
        signature = MinHash(
            num_perm=self.settings.permutations,
            seed=_SEED,
            scheme=_SCHEME,
            permutations=self.permutations,
            hashfunc=zlib.crc32,
        )
        signature.update_batch(list(shingles(words, self.settings.shingle_words)))
        return signature

    def original_of(self, article: Article) -> str | None:
        """The id of an earlier article this one duplicates, else None; then remember it."""
        words = folded_words(article.text)
        key = exact_key(words)
        found = self.exact.get(key)
        signature = self._minhash(words)
        if found is None:
            matches = sorted(self.lsh.query(signature))
            # Confirm the LSH candidates by estimated Jaccard; the oldest close one is the original.
            close = [m for m in matches if self.signatures[m].jaccard(signature) >= self.settings.threshold]
            found = min(close, key=self.arrival.__getitem__) if close else None
        if article.id not in self.signatures:
            self.exact.setdefault(key, article.id)
            self.signatures[article.id] = signature
            self.arrival[article.id] = self.count
            self.count += 1
            self.lsh.insert(article.id, signature)
            self._remembered.append((article.id, key))
            self._forget()
        return found if found != article.id else None

    def _forget(self) -> None:
        while len(self.signatures) > self.settings.remembered_articles:
            old, _ = self.signatures.popitem(last=False)
            self.arrival.pop(old, None)
            self.lsh.remove(old)
        while len(self.exact) > self.settings.remembered_articles:
            self.exact.popitem(last=False)

    def snapshot(self) -> bytes:
        self._remembered.clear()
        return _packed(list(self.exact.items()), {i: s.hashvalues for i, s in self.signatures.items()})

    def changes(self) -> bytes:
        """The articles remembered since the state was last saved, in order: replayed on the saved state, they
        remember and forget what this deduplicator did (``merged``)."""
        remembered, self._remembered = self._remembered, []
        # An article remembered and forgotten again since (more in a batch than it remembers) is forgotten again
        # in the replay too, at the same point: any signature stands in for its own.
        forgotten = np.zeros(self.settings.permutations, np.uint64)
        values = [self.signatures[i].hashvalues if i in self.signatures else forgotten for i, _ in remembered]
        meta = {"remembered": remembered}
        return pack_arrays({"meta": _json_bytes(meta), "hashvalues": _stacked(values)})

    def merged(self, data: bytes, changes: Sequence[bytes]) -> bytes:
        exact, signatures = _unpacked(data)
        limit = self.settings.remembered_articles
        for change in changes:
            arrays = unpack_arrays(change)
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
            # What ``original_of`` and ``_forget`` do as each article comes, without the index.
            for (article_id, key), values in zip(meta["remembered"], arrays["hashvalues"], strict=True):
                exact.setdefault(key, article_id)
                signatures[article_id] = values
                while len(signatures) > limit:
                    signatures.popitem(last=False)
                while len(exact) > limit:
                    exact.popitem(last=False)
        return _packed(list(exact.items()), signatures)

    def restore(self, data: bytes) -> None:
        self._remembered.clear()
        arrays = unpack_arrays(data)
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        self.exact = OrderedDict((k, v) for k, v in meta["exact"])
        if meta.get("hash", "sha1") != _SHINGLE_HASH:
            # Saved by an older version with another shingle hash: its signatures would match nothing, so
            # only exact copies of those articles are still found.
            return
        for article_id, values in zip(meta["ids"], arrays["hashvalues"], strict=True):
            signature = MinHash(
                num_perm=self.settings.permutations,
                seed=_SEED,
                hashvalues=values,
                scheme=_SCHEME,
                permutations=self.permutations,
            )
            self.signatures[article_id] = signature
            self.arrival[article_id] = self.count
            self.count += 1
            self.lsh.insert(article_id, signature)


def _json_bytes(meta: object) -> npt.NDArray[np.uint8]:
    return np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)


def _stacked(values: Sequence[npt.NDArray[np.uint64]]) -> npt.NDArray[Any]:
    return np.stack(values) if values else np.zeros((0, 1))


def _packed(exact: list[tuple[str, str]], signatures: Mapping[str, npt.NDArray[np.uint64]]) -> bytes:
    """The state as bytes: the exact keys, and each remembered article's signature, oldest first."""
    meta = {"ids": list(signatures), "exact": exact, "hash": _SHINGLE_HASH}
    # Not compressed: hash values hardly compress, and this runs every batch.
    return pack_arrays({"meta": _json_bytes(meta), "hashvalues": _stacked(list(signatures.values()))})


def _unpacked(data: bytes) -> tuple[OrderedDict[str, str], OrderedDict[str, npt.NDArray[np.uint64]]]:
    """The exact keys and the signatures (hash values) of a state :func:`_packed` made."""
    arrays = unpack_arrays(data)
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    exact = OrderedDict((k, v) for k, v in meta["exact"])
    if meta.get("hash", "sha1") != _SHINGLE_HASH:
        return exact, OrderedDict()  # as ``restore``: signatures of another hash are dropped
    return exact, OrderedDict(zip(meta["ids"], arrays["hashvalues"], strict=True))


class DedupeStage(Resuming[Deduplicator]):
    """Marks exact and near-duplicate copies of earlier articles."""

    name: str = "dedupe"
    version: int = 1
    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("duplicate_of",)

    def __init__(self, settings: DedupeSettings) -> None:
        super().__init__(lambda: Deduplicator(settings))
        self.settings = settings

    @property
    def deduplicator(self) -> Deduplicator:
        return self.state

    def __call__(self, articles: list[Article]) -> list[Article]:
        return [replace(a, duplicate_of=self.deduplicator.original_of(a)) for a in articles]
