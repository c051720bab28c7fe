"""spaCy's English stop words, without importing spaCy: the report's timeline compares sentences on their
content words, and `import spacy` would cost the `report` command a second."""

from __future__ import annotations

import runpy
import sys
from functools import cache
from importlib.util import find_spec
from pathlib import Path

# The list is a module with no imports of its own, inside the spaCy package.
_LIST_FILE = ("lang", "en", "stop_words.py")


@cache
def english_stop_words() -> frozenset[str]:
    """spaCy's English stop words (``spacy.lang.en.stop_words.STOP_WORDS``)."""
    if "spacy" not in sys.modules:
        spec = find_spec("spacy")  # finds the package without running its __init__
        if spec is not None and spec.origin is not None:
            try:
                words = runpy.run_path(str(Path(spec.origin).parent.joinpath(*_LIST_FILE)))["STOP_WORDS"]
                return frozenset(words)
            except (OSError, KeyError):
                pass  # another layout of spaCy: import it after all
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)
