"""Who covers an event: its outlets, who reported first, and the coverage split by any column of a
user-supplied outlet table (``outlets.table``: a CSV with a ``domain`` column and any others — name, country,
lean, owner). Nothing shipped rates outlets: the columns and their values are the user's.

An event all of whose outlets with a known value share one value of ``outlets.one_sided_column`` is flagged
one-sided (a blindspot, in Ground News's word) once it has ``outlets.one_sided_min`` such outlets.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from ..config import OutletSettings
from ..errors import ConfigError
from ..model import Article, Coverage, CoverageSplit, OutletCoverage


@lru_cache(maxsize=4)
def outlet_table(path: str) -> dict[str, dict[str, str]]:
    """Domain -> its row (column -> value) of the CSV at ``path``; empty when no table is set."""
    if not path:
        return {}
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ConfigError(f"[E013] outlets.table {path}: cannot be read ({error}).") from None
    if rows and "domain" not in rows[0]:
        raise ConfigError(f"[E013] outlets.table {path}: needs a 'domain' column.")
    return {row["domain"].strip().lower(): {k: (v or "").strip() for k, v in row.items() if k != "domain"}
            for row in rows if row.get("domain")}  # fmt: skip


def event_coverage(articles: Sequence[Article], settings: OutletSettings) -> Coverage:
    """The event's outlets, first first, and its split by every column of the outlet table."""
    first_seen: dict[str, tuple[str, list[str]]] = {}
    for article in sorted(articles, key=lambda a: (a.published is None, a.published or "")):
        outlet = article.outlet or ""
        if not outlet:
            continue
        first_seen.setdefault(outlet, (article.published or "", []))[1].append(article.id)
    outlets = tuple(
        OutletCoverage(outlet, tuple(ids), published or None) for outlet, (published, ids) in first_seen.items()
    )
    table = outlet_table(settings.table)
    columns = sorted({column for row in table.values() for column in row})
    split = []
    for column in columns:
        counts = Counter(table.get(o.outlet, {}).get(column) or "unknown" for o in outlets)
        split.append(CoverageSplit(column, tuple(sorted(counts.items()))))
    one_sided = None
    known = [table.get(o.outlet, {}).get(settings.one_sided_column) for o in outlets]
    values = {v for v in known if v}
    if len(values) == 1 and sum(1 for v in known if v) >= settings.one_sided_min:
        one_sided = f"{settings.one_sided_column}={values.pop()}"
    dated = [o for o in outlets if o.first_published]
    first = dated[0].outlet if dated else None
    return Coverage(outlets, first, tuple(split), one_sided)
