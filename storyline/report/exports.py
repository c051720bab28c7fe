"""Facts as files to share or load elsewhere: CSV (one row per fact), JSON, or Markdown, from the stored
analysis (the report's ``events`` part)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

FACT_FORMATS = ("csv", "json", "md")
FACT_COLUMNS = ("event", "event_title", "fact", "text", "independent_outlets", "outlets", "origin", "sources")


def fact_rows(events: list[dict[str, Any]], min_outlets: int = 1) -> list[dict[str, Any]]:
    """One row per fact of ``events``, most independent outlets first within each event; ``sources`` lists
    ``article#sentence`` citations."""
    return [
        {"event": e["id"], "event_title": e["title"], "fact": f["id"], "text": f["text"],
         "independent_outlets": f["independent_outlets"], "outlets": f["outlets"], "origin": f["origin"] or "",
         "sources": " ".join(f"{s['article']}#{s['sentence']}" for s in f["sources"])}
        for e in events for f in e["facts"] if f["independent_outlets"] >= min_outlets
    ]  # fmt: skip


def render_facts(events: list[dict[str, Any]], fmt: str, min_outlets: int = 1) -> str:
    """The facts of ``events`` as CSV, JSON (facts with their full citations) or Markdown."""
    if fmt == "json":
        data = [{"event": e["id"], "title": e["title"],
                 "facts": [f for f in e["facts"] if f["independent_outlets"] >= min_outlets],
                 "conflicts": e["conflicts"]} for e in events]  # fmt: skip
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    rows = fact_rows(events, min_outlets)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FACT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    lines: list[str] = []
    for event in events:
        facts = [r for r in rows if r["event"] == event["id"]]
        if not facts:
            continue
        lines += [f"## {_md(event['title'])}", "", "| outlets | fact | sources |", "|---:|---|---|"]
        lines += [f"| {r['independent_outlets']} | {_md(r['text'])} | {r['sources']} |" for r in facts]
        lines.append("")
    return "\n".join(lines) or "No facts.\n"


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")
