"""How many lines the event timelines of a store have, and which lines one version of the code joins that another
keeps apart, printed for a person to judge.

    python benchmarks/timeline_lines.py dump STORE.db lines.json      # with the code on PYTHONPATH
    python benchmarks/timeline_lines.py compare before.json after.json

The store is any ingested one (e.g. ``storyline --db basil.db ingest ../shared/data/clustering/basil.jsonl``);
events of one article are left out. Dump it once with each version of the code (a worktree on PYTHONPATH for the
older one), then compare: a joined line is one whose sources were on two or more lines before.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def dump(store_path: str, out: str) -> None:
    from storyline.analyze.timeline import event_timeline
    from storyline.store import open_store

    store = open_store(store_path)
    events = store.events()
    analyses = store.event_analyses([event.id for event in events])
    lines: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        articles = store.articles(event=event.id, with_annotations=True)
        if len(articles) < 2:
            continue
        lines[event.id] = [
            {
                "key": [line["date"], line["end"], line["precision"]],
                "sources": [f"{s['article']} §{s['sentence']}" for s in line["sources"]],
                "texts": [s["text"] for s in line["sources"]],
            }
            for line in event_timeline(articles, facts=analyses[event.id].facts)
        ]
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(lines, handle)


def compare(before_path: str, after_path: str) -> None:
    with open(before_path, encoding="utf-8") as handle:
        before = json.load(handle)
    with open(after_path, encoding="utf-8") as handle:
        after = json.load(handle)
    joined = []
    for event, lines in after.items():
        for line in lines:
            owners = {
                tuple(
                    i
                    for i, old in enumerate(before.get(event, []))
                    if source in old["sources"] and old["key"] == line["key"]
                )
                or ("elsewhere", *(i for i, old in enumerate(before.get(event, [])) if source in old["sources"]))
                for source in line["sources"]
            }
            if len(owners) > 1:
                joined.append(line)
    print(f"events: {len(after)}")
    print(f"lines: {sum(map(len, before.values()))} before, {sum(map(len, after.values()))} after")
    print(f"lines joining sentences of two or more earlier lines: {len(joined)}")
    for number, line in enumerate(joined):
        print(f"\n#{number} {' – '.join(part for part in line['key'][:2] if part)} ({line['key'][2]})")
        for source, text in zip(line["sources"], line["texts"], strict=True):
            print(f"    {source}: {text[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("store")
    dumping.add_argument("out")
    comparing = commands.add_parser("compare")
    comparing.add_argument("before")
    comparing.add_argument("after")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.store, args.out)
    else:
        compare(args.before, args.after)


if __name__ == "__main__":
    main()
