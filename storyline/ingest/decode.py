"""Bytes to text: UTF-8 when it is, otherwise detected (charset-normalizer), never guessed."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from ..errors import Errors, InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, path: str) -> str:
    """Decode ``data`` read from ``path``; raise InputError when it is not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise InputError(path, Errors.E003.format(path=path, reason="no text encoding fits")) from None
        text = str(best)
    if "\x00" in text:
        raise InputError(path, Errors.E003.format(path=path, reason="it contains NUL bytes"))
    return text
