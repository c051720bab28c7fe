"""Settings: shipped defaults, then a user file key by key, then flags.

Built once at the edge (the CLI or the caller of the API) and passed down;
nothing reads settings from globals.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError, Errors

USER_FILE_NAME = "storyline.toml"
CONFIG_ENV = "STORYLINE_CONFIG"


@dataclass(frozen=True, slots=True)
class StoreSettings:
    path: str


@dataclass(frozen=True, slots=True)
class IngestSettings:
    max_file_bytes: int
    max_future_days: int
    html_min_chars: int
    date_line_max_paragraphs: int
    date_line_max_chars: int
    furniture_patterns: tuple[str, ...]
    glued_furniture_prefixes: tuple[str, ...]
    caption_credit_pattern: str


@dataclass(frozen=True, slots=True)
class NlpSettings:
    languages: tuple[str, ...]
    language_min_chars: int
    language_sample_chars: int
    sentence_fallback_language: str
    spacy_model: str
    spacy_batch_size: int
    spacy_processes: int
    spacy_worker_min_articles: int
    spacy_max_chars: int


@dataclass(frozen=True, slots=True)
class EmbedSettings:
    model: str
    max_tokens: int
    batch_size: int
    threads: int
    lead_chars: int


@dataclass(frozen=True, slots=True)
class DedupeSettings:
    shingle_words: int
    permutations: int
    threshold: float
    remembered_articles: int


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    model: str
    candidates: int
    event_window_days: float
    max_active_events: int
    storyline_threshold: float
    storyline_sibling_threshold: float
    storyline_gap_days: float
    storyline_gap_threshold: float
    storyline_names_weight: float
    storyline_principal_share: float
    storyline_principal_idf: float
    storyline_principal_after: int
    storyline_theme_keywords: int
    storyline_theme_share: float
    storyline_theme_idf: float
    storyline_window_days: float
    max_active_storylines: int
    remembered_articles: int


@dataclass(frozen=True, slots=True)
class EntitySettings:
    spelling_ratio: float
    context_size: int
    shared_context: int
    person_evidence_votes: int
    role_dominance: float


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    batch_size: int
    event_processes: int
    event_worker_min_events: int
    event_sentence_vectors: int
    progress_min_articles: int
    progress_every_seconds: float
    skip: tuple[str, ...]
    state_changes: int
    state_changes_share: float


@dataclass(frozen=True, slots=True)
class BackfillSettings:
    partition_days: float
    overlap_days: float
    partition_articles: int
    overlap_articles: int
    chunk_articles: int
    batch_size: int


@dataclass(frozen=True, slots=True)
class WatchSettings:
    step_ms: int
    settle_ms: int
    poll_ms: int


@dataclass(frozen=True, slots=True)
class ServeSettings:
    max_connections: int
    header_timeout_s: float
    body_idle_s: float
    body_timeout_s: float
    keep_alive_s: float


@dataclass(frozen=True, slots=True)
class ReportSettings:
    quote_variant_similarity: float
    quote_min_words: int
    quote_translation_similarity: float


@dataclass(frozen=True, slots=True)
class FactSettings:
    candidate_cosine: float
    same_date_cosine: float
    same_date_probability: float
    restatement: float
    conflict_date_cosine: float
    cross_encoder: bool


@dataclass(frozen=True, slots=True)
class SummarySettings:
    budget_words: int
    min_words: int
    max_words: int
    centrality_weight: float
    corroboration_weight: float
    position_weight: float
    position_half_life: float
    corroboration_similarity: float
    copy_similarity: float
    mmr_lambda: float


@dataclass(frozen=True, slots=True)
class OutletSettings:
    table: str
    one_sided_column: str
    one_sided_min: int


@dataclass(frozen=True, slots=True)
class Settings:
    store: StoreSettings
    ingest: IngestSettings
    nlp: NlpSettings
    embed: EmbedSettings
    dedupe: DedupeSettings
    cluster: ClusterSettings
    entities: EntitySettings
    pipeline: PipelineSettings
    backfill: BackfillSettings
    watch: WatchSettings
    serve: ServeSettings
    report: ReportSettings
    facts: FactSettings
    summary: SummarySettings
    outlets: OutletSettings


_SECTIONS: dict[str, type] = {
    "store": StoreSettings,
    "ingest": IngestSettings,
    "nlp": NlpSettings,
    "embed": EmbedSettings,
    "dedupe": DedupeSettings,
    "cluster": ClusterSettings,
    "entities": EntitySettings,
    "pipeline": PipelineSettings,
    "backfill": BackfillSettings,
    "watch": WatchSettings,
    "serve": ServeSettings,
    "report": ReportSettings,
    "facts": FactSettings,
    "summary": SummarySettings,
    "outlets": OutletSettings,
}


def default_values() -> dict[str, dict[str, Any]]:
    """The shipped defaults as a plain nested dict."""
    text = resources.files("storyline").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _merge(base: dict[str, dict[str, Any]], override: dict[str, Any], origin: str) -> None:
    """Override ``base`` key by key; unknown sections, keys or wrong types are errors."""
    for section, values in override.items():
        if section not in base or not isinstance(values, dict):
            raise ConfigError(Errors.E013.format(path=origin, reason=f"unknown section [{section}]"))
        for key, value in values.items():
            if key not in base[section]:
                raise ConfigError(Errors.E013.format(path=origin, reason=f"unknown key '{key}' in [{section}]"))
            expected = type(base[section][key])
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ConfigError(
                    Errors.E013.format(
                        path=origin,
                        reason=f"[{section}] {key} must be {expected.__name__}, got {type(value).__name__}",
                    )
                )
            base[section][key] = value


def _build(values: dict[str, dict[str, Any]]) -> Settings:
    sections: dict[str, Any] = {}
    for name, section_type in _SECTIONS.items():
        raw = {k: tuple(v) if isinstance(v, list) else v for k, v in values[name].items()}
        sections[name] = section_type(**raw)
    return Settings(**sections)


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Settings:
    """Defaults, then the user file, then explicit overrides (from flags).

    The user file is ``config_file``, else ``$STORYLINE_CONFIG``, else
    ``./storyline.toml`` if it exists.
    """
    values = default_values()
    path = config_file or os.environ.get(CONFIG_ENV)
    if path is None and Path(USER_FILE_NAME).is_file():
        path = USER_FILE_NAME
    if path is not None:
        try:
            user = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(Errors.E013.format(path=path, reason=exc)) from exc
        _merge(values, user, str(path))
    if overrides:
        _merge(values, overrides, "command-line flags")
    return _build(values)
