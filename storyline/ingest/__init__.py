"""Readers: files, folders, globs and stdin in; Articles (or precise errors) out."""

from __future__ import annotations

import glob
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..config import IngestSettings
from ..errors import Errors, InputError, Notice, Warnings
from ..model import Article
from .decode import decode_bytes
from .feed import read_feed
from .html import read_html
from .jsonl import read_jsonl
from .text import read_text

__all__ = ["READERS", "STDIN", "Notice", "input_files", "read_file", "read_inputs"]

STDIN = "-"
STDIN_LABEL = "<stdin>"

ByteReader = Callable[[bytes, str, IngestSettings], Iterable[Article | InputError | Notice]]


def _text_reader(
    reader: Callable[[str, str, IngestSettings], Iterable[Article | InputError | Notice]],
) -> ByteReader:
    def read(data: bytes, path: str, settings: IngestSettings) -> Iterable[Article | InputError | Notice]:
        return reader(decode_bytes(data, path), path, settings)

    return read


READERS: dict[str, ByteReader] = {
    ".txt": _text_reader(read_text),
    ".md": _text_reader(read_text),
    ".markdown": _text_reader(read_text),
    ".html": _text_reader(read_html),
    ".htm": _text_reader(read_html),
    ".jsonl": _text_reader(read_jsonl),
    ".ndjson": _text_reader(read_jsonl),
    ".rss": read_feed,
    ".atom": read_feed,
    ".xml": read_feed,
}


def _sniff_suffix(data: bytes) -> str:
    """The reader for stdin, chosen from the first bytes."""
    head = data[:2048].lstrip().lower()
    if head.startswith(b"{"):
        return ".jsonl"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return ".rss"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return ".html"
    return ".txt"


def _expand(path_arg: str) -> Iterator[str | InputError | Notice]:
    """The files one command-line argument names: a file, a folder (recursively) or a glob."""
    if path_arg == STDIN:
        yield STDIN
        return
    path = Path(path_arg)
    if path.is_dir():
        skipped: dict[str, int] = {}
        # A link that leads nowhere (broken, or a loop) is no file, but is listed: reading it says why it fails.
        for child in sorted(p for p in path.rglob("*") if p.is_file() or (p.is_symlink() and not p.exists())):
            if any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            suffix = child.suffix.lower()
            if suffix in READERS:
                yield str(child)
            else:
                skipped[suffix or "(none)"] = skipped.get(suffix or "(none)", 0) + 1
        if skipped:
            yield Notice(
                path_arg,
                Warnings.W001.format(path=path_arg, count=sum(skipped.values()), suffixes=", ".join(sorted(skipped))),
            )
        return
    if path.exists() or path.is_symlink():
        yield path_arg
        return
    matches = sorted(glob.glob(path_arg, recursive=True)) if glob.has_magic(path_arg) else []
    files = [m for m in matches if Path(m).is_file()]
    if not files:
        yield InputError(path_arg, Errors.E009.format(path=path_arg))
    yield from files


def _read_one(path: str, settings: IngestSettings) -> Iterator[Article | InputError | Notice]:
    if path == STDIN:
        # One byte over the limit tells an oversized stream without holding all of it.
        data = sys.stdin.buffer.read(settings.max_file_bytes + 1)
        if len(data) > settings.max_file_bytes:
            limit = settings.max_file_bytes
            yield InputError(STDIN_LABEL, Errors.E018.format(path=STDIN_LABEL, size=f"over {limit}", limit=limit))
            return
        label, suffix = STDIN_LABEL, _sniff_suffix(data)
    else:
        label, suffix = path, Path(path).suffix.lower()
        if suffix not in READERS:
            yield InputError(
                path, Errors.E002.format(path=path, suffix=suffix or "(none)", supported=", ".join(READERS))
            )
            return
        try:
            size = Path(path).stat().st_size
            if size > settings.max_file_bytes:
                yield InputError(path, Errors.E018.format(path=path, size=size, limit=settings.max_file_bytes))
                return
            data = Path(path).read_bytes()
        except OSError as exc:
            yield InputError(path, Errors.E001.format(path=path, reason=exc.strerror or exc))
            return
    if not data.strip():
        yield InputError(label, Errors.E010.format(path=label))
        return
    try:
        yield from READERS[suffix](data, label, settings)
    except InputError as exc:
        yield exc


def read_inputs(path_args: Iterable[str], settings: IngestSettings) -> Iterator[Article | InputError | Notice]:
    """Every article the arguments lead to, in a stable order, with errors in place.

    A file that fails is reported and skipped; reading goes on with the rest.
    """
    seen: set[str] = set()
    for path_arg in path_args:
        for item in _expand(path_arg):
            if isinstance(item, str):
                if item in seen:
                    continue
                seen.add(item)
                yield from _read_one(item, settings)
            else:
                yield item


def input_files(path_args: Iterable[str]) -> Iterator[str | InputError | Notice]:
    """The files the arguments name, each once, in the order ``read_inputs`` reads them, with the errors and
    notices of the arguments themselves: for a reader elsewhere (a backfill's Ray tasks) to read each."""
    seen: set[str] = set()
    for path_arg in path_args:
        for item in _expand(path_arg):
            if isinstance(item, str):
                if item not in seen:
                    seen.add(item)
                    yield item
            else:
                yield item


def read_file(path: str, settings: IngestSettings) -> Iterator[Article | InputError | Notice]:
    """The articles of one file that ``input_files`` named (``STDIN``: standard input), errors and warnings in
    place."""
    return _read_one(path, settings)
