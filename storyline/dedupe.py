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
from dataclasses import replace

import numpy as np
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
        ids = list(self.signatures)
        # Not compressed: hash values hardly compress, and this runs every batch.
        return pack_arrays(
            {
                "meta": np.frombuffer(
                    json.dumps({"ids": ids, "exact": list(self.exact.items()), "hash": _SHINGLE_HASH}).encode(),
                    dtype=np.uint8,
                ),
                "hashvalues": np.stack([self.signatures[i].hashvalues for i in ids]) if ids else np.zeros((0, 1)),
            }
        )

    def restore(self, data: bytes) -> None:
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
