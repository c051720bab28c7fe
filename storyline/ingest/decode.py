"""Bytes to text: UTF-8 when it is, otherwise detected (charset-normalizer), never guessed."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from charset_normalizer.models import CharsetMatch, CharsetMatches

from ..errors import Errors, InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Text in UTF-16 or UTF-32 always holds NUL bytes (a space is 00 20): without any, detection must not read
# a short latin-1 "café" as two CJK characters of UTF-16.
_WIDE_ENCODINGS = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"]
# When detection finds several single-byte encodings equally plausible (French in latin-1 reads as well in
# cp1250 to it: "près" or "prčs"), the one most Western text is written in wins: windows-1252, which the WHATWG
# encoding standard reads for "latin-1" too.
_PREFERRED_ON_TIES = ("cp1252", "latin_1", "iso8859_15")
_REPLACEMENT = "\ufffd"


def _mostly_utf8(data: bytes) -> str | None:
    """The text, with U+FFFD for the stray bytes, when ``data`` is UTF-8 with more valid non-ASCII characters
    than invalid bytes (a UTF-8 file with a few corrupted bytes, which detection would turn into mojibake)."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count(_REPLACEMENT) - data.count(_REPLACEMENT.encode())
    valid = sum(1 for char in text if char > "\x7f") - text.count(_REPLACEMENT)
    return text if valid > invalid else None


def _best_match(matches: CharsetMatches) -> CharsetMatch | None:
    best = matches.best()
    if best is None:
        return None
    tied = {m.encoding: m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    return next((tied[e] for e in _PREFERRED_ON_TIES if e in tied), best)


def _detected(data: bytes, path: str) -> str:
    excluded = None if b"\x00" in data else _WIDE_ENCODINGS
    best = _best_match(from_bytes(data, cp_exclusion=excluded))
    if best is None:
        raise InputError(path, Errors.E003.format(path=path, reason="no text encoding fits"))
    return str(best)


def decode_bytes(data: bytes, path: str) -> str:
    """Decode ``data`` read from ``path``; raise InputError when it is not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _mostly_utf8(data) or _detected(data, path)
    if "\x00" in text:
        # UTF-16 without a byte order mark is valid UTF-8 with a NUL every other byte.
        text = _detected(data, path)
    if "\x00" in text:
        raise InputError(path, Errors.E003.format(path=path, reason="it contains NUL bytes"))
    return text
