"""The records of an annotated JSON Lines file, for every `storyline eval` reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each non-blank line; a line that is not a JSON object, or a file that
    cannot be read, raises :class:`InputError` naming the file and the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), Errors.E001.format(path=path, reason=error)) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            expected = f"valid JSON ({error.msg})"
            raise InputError(
                str(path), Errors.E014.format(path=path, line=number, field="*", expected=expected)
            ) from None
        if not isinstance(record, dict):
            raise InputError(str(path), Errors.E014.format(path=path, line=number, field="*", expected="an object"))
        yield number, record
