"""Names told apart by their spelling, not by their typography: a module without imports, so that the report can
use it without loading the language models."""

from __future__ import annotations

from collections.abc import Sequence

# Typographic variants of one spelling ("People’s Republic of China", "People's Republic of China").
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def other_names(name: str, candidates: Sequence[str]) -> list[str]:
    """``candidates`` in their order without ``name`` and without a second typographic variant of one spelling."""
    seen = {name.translate(_TYPOGRAPHY)}
    kept = []
    for candidate in candidates:
        spelling = candidate.translate(_TYPOGRAPHY)
        if spelling not in seen:
            seen.add(spelling)
            kept.append(candidate)
    return kept
