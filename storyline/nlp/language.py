"""Language identification (py3langid: its model ships inside the package)."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from ..config import NlpSettings
from ..model import Article


@lru_cache(maxsize=4)
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # The model also knows a few ISO 639-3 varieties (wuu, ...); the report speaks ISO 639-1.
    identifier.set_languages(list(languages) or [label for label in identifier.labels if len(label) == 2])
    return identifier


def detect_language(text: str, settings: NlpSettings) -> str | None:
    """ISO 639-1 code of ``text``, or None when it is too short to tell."""
    sample = text[: settings.language_sample_chars]
    if len(sample.strip()) < settings.language_min_chars:
        return None
    lang, _ = _identifier(settings.languages).classify(sample)
    return str(lang)


class LanguageStage:
    """Fills ``Article.lang`` where the source did not give it."""

    name: str = "language"
    version: int = 1
    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("lang",)

    def __init__(self, settings: NlpSettings) -> None:
        self.settings = settings

    def __call__(self, articles: list[Article]) -> list[Article]:
        return [
            a if a.lang else replace(a, lang=detect_language(f"{a.title or ''}\n{a.text}", self.settings))
            for a in articles
        ]
