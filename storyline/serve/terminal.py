"""What the command line prints with rich: its two consoles, tables that fit the terminal, and progress.

Imported by the commands that print, not by the command line's module: `storyline --help` and the
``--json`` outputs do without rich.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.progress import TaskID

__all__ = ["Column", "ProgressReport", "err", "escape", "fitted_table", "out"]

out = Console(highlight=False)
# Piped or redirected, a line stays one line (for grep); on a terminal, rich wraps it between words.
out.soft_wrap = not out.is_terminal
err = Console(stderr=True, highlight=False, soft_wrap=True)

# A title narrower than this says too little: the table leaves out optional columns first.
_MIN_TITLE_WIDTH = 24
# What separates two columns: the cell padding on either side of a blank rule.
_COLUMN_GAP = 3


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a listing: ``max_width`` caps it (ids and dates need none: they are as wide as they
    are); ``drop`` > 0 marks it optional, the highest left out first where the terminal is narrow."""

    header: str
    max_width: int | None = None
    drop: int = 0
    justify: Literal["left", "right"] = "left"


def _width(cell: str) -> int:
    return Text.from_markup(cell).cell_len


def fitted_table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    flexible: Column,
    wrap: bool = False,
    width: int | None = None,
) -> Table:
    """A table as wide as the terminal (or ``width``) at most, one line a row: every column as wide as its
    widest value (up to its cap), ``flexible`` (the last: a title, a snippet) the rest, ellipsized or, with
    ``wrap``, wrapped between words; optional columns are left out where the flexible one would get too narrow.

    Cells are rich markup (escape what came from articles).
    """
    natural = [max([_width(c.header), *(_width(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    widths = [min(n, c.max_width) if c.max_width else n for n, c in zip(natural, columns, strict=True)]
    shown = list(range(len(columns)))
    available = width or out.width

    def spare() -> int:
        return available - sum(widths[i] for i in shown) - _COLUMN_GAP * len(shown)

    for candidate in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop):
        if spare() >= _MIN_TITLE_WIDTH:
            break
        shown.remove(candidate)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for i in shown:
        column = columns[i]
        table.add_column(column.header, width=widths[i], no_wrap=True, overflow="ellipsis", justify=column.justify)
    flexible_width = max(spare(), _width(flexible.header))
    natural_flexible = max([_width(flexible.header), *(_width(row[-1]) for row in rows)])
    table.add_column(
        flexible.header,
        width=min(flexible_width, natural_flexible),
        no_wrap=not wrap,
        overflow="ellipsis",
        justify=flexible.justify,
    )
    for row in rows:
        table.add_row(*(row[i] for i in shown), row[-1])
    return table


class ProgressReport:
    """How far a long run is, on stderr: bars on a terminal for stages with enough work to wait for;
    elsewhere (a log file, a pipe, CI, where rich hides its bars) a plain line every ``every_seconds``,
    such as ``ingest: nlp 120/300, 40 s``.

    Implements the pipeline's ``Progress``; :meth:`note` says what is being done between stages (the file
    an evaluation reads).
    """

    def __init__(self, task: str, min_items: int, every_seconds: float) -> None:
        # Here: the listings, which import this module too, show no progress.
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.task = task
        self.min_items = min_items
        self.every_seconds = every_seconds
        self.plain = not err.is_terminal
        self.bars = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=self.plain,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}
        self.counts: dict[str, tuple[int, int]] = {}
        self.doing = ""
        self.stage = ""
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)

    def __enter__(self) -> ProgressReport:
        self.started = time.monotonic()
        self.bars.__enter__()
        if self.plain:
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker.is_alive():
            self._ticker.join()
        self.bars.__exit__(None, None, None)

    def start(self, stage: str, total: int) -> None:
        """``stage`` has ``total`` items to do (again, when a run repeats it)."""
        self.counts[stage] = (0, total)
        self.stage = stage
        if total < self.min_items:
            return
        if stage in self.tasks:
            self.bars.reset(self.tasks[stage], total=total)
        else:
            self.tasks[stage] = self.bars.add_task(stage, total=total)

    def advance(self, stage: str, done: int) -> None:
        """``stage`` did ``done`` more items."""
        before, total = self.counts.get(stage, (0, 0))
        self.counts[stage] = (before + done, total)
        self.stage = stage
        if stage in self.tasks:
            self.bars.advance(self.tasks[stage], done)

    def note(self, doing: str) -> None:
        """Says what is being done now (a file of several), before the stages that do it report."""
        self.doing = doing
        self.stage = ""

    def line(self) -> str:
        """The plain progress line, as it reads now."""
        parts = [self.doing] if self.doing else []
        if self.stage:
            done, total = self.counts[self.stage]
            parts.append(f"{self.stage} {done}/{total}")
        parts.append(f"{time.monotonic() - self.started:.0f} s")
        return f"{self.task}: {', '.join(parts)}"

    def _tick(self) -> None:
        # A thread, not the pipeline's calls: loading models or one slow batch can take longer than a tick.
        while not self._stop.wait(self.every_seconds):
            sys.stderr.write(self.line() + "\n")
            sys.stderr.flush()
