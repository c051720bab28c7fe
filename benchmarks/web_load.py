"""Load on the web app: wrk (Debian package) on loopback against `storyline serve` over a store of >= 10k
articles, recording requests/s and latency percentiles per endpoint.

    python benchmarks/web_load.py --data ../shared/data/clustering/allsides.jsonl [--copies 7] [--work DIR]

The store: the AllSides file ingested through the real pipeline (1,479 articles, cached in --work), then
its rows (articles, sentences, events, storylines, stored analyses, digests) copied ``--copies`` times
under fresh ids, so that the pages read a store of the size asked for with real analyses in it. The
copies change how many rows each query scans, not what a page holds: the event page's figures are those of
an AllSides event (three outlets' opening snippets).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORYLINE = [sys.executable, "-m", "storyline"]
_ID = re.compile(r"\b([aesf]|ent)-([0-9a-f]{16})\b")
# Tables whose rows are copied, and the columns holding ids to rewrite.
_COPIED = {
    "storylines": ("id",),
    "events": ("id", "storyline_id"),
    "articles": ("id", "duplicate_of", "event_id"),
    "sentences": ("article_id",),
    "event_analyses": ("event_id", "analysis"),
    "event_outlets": ("event_id",),
    "event_entities": ("event_id",),
}


def build_store(data: Path, work: Path) -> Path:
    """The file ingested through the pipeline once (kept in ``work`` between runs)."""
    base = work / f"{data.stem}.db"
    if not base.exists():
        subprocess.run([*STORYLINE, "--db", str(base), "ingest", str(data)], check=True)
    return base


def replicate(base: Path, target: Path, copies: int) -> int:
    """``base`` with its rows copied ``copies`` times under fresh ids; returns the number of articles."""
    shutil.copy(base, target)
    db = sqlite3.connect(target)
    # Every column but an integer key (articles.seq): the copies get their own.
    columns = {table: [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "seq"] for table in _COPIED}
    originals = {table: db.execute(f"SELECT {', '.join(columns[table])} FROM {table}").fetchall() for table in _COPIED}
    for copy in range(1, copies + 1):

        def fresh(match: re.Match[str], copy: int = copy) -> str:
            # The entity ids stay: the same people and places recur across copies, as in a real store.
            if match.group(1) == "ent":
                return match.group(0)
            digest = hashlib.sha256(f"{match.group(0)}/{copy}".encode()).hexdigest()[:16]
            return f"{match.group(1)}-{digest}"

        for table, rows in originals.items():
            rewrite = [columns[table].index(c) for c in _COPIED[table]]
            marks = ", ".join("?" * len(columns[table]))
            db.executemany(
                f"INSERT INTO {table} ({', '.join(columns[table])}) VALUES ({marks})",
                [
                    tuple(_ID.sub(fresh, v) if i in rewrite and isinstance(v, str) else v for i, v in enumerate(row))
                    for row in rows
                ],
            )
        db.commit()
    count = int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    db.close()
    return count


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    """Requests/s and latency percentiles (ms) from one wrk run."""
    found = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", found).group(1))}  # type: ignore[union-attr]
    for percentile in ("50", "90", "99"):
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)\b", found).groups()  # type: ignore[union-attr]
        result[f"p{percentile}_ms"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", found)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "clustering" / "allsides.jsonl")
    parser.add_argument("--copies", type=int, default=7)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "cache")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="storyline serve --workers (one per core)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "web_load.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    args.work.mkdir(parents=True, exist_ok=True)
    base = build_store(args.data, args.work)
    store = args.work / f"{args.data.stem}-x{args.copies + 1}.db"
    articles = replicate(base, store, args.copies)
    with sqlite3.connect(store) as db:
        # The event most outlets cover, and a word many articles hold, for the page and search runs.
        event = db.execute("SELECT event_id FROM articles WHERE event_id IS NOT NULL GROUP BY event_id "
                           "ORDER BY COUNT(*) DESC, event_id LIMIT 1").fetchone()[0]  # fmt: skip
        events = int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    port = _free_port()
    server = subprocess.Popen(
        [*STORYLINE, "--db", str(store), "serve", "--port", str(port), "--workers", str(args.workers)]
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base_url + "/api/events?limit=1", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        targets = {
            "event page": f"/events/{event}",
            "event API": f"/api/events/{event}",
            "search API": "/api/search?q=president+biden",
            "front page": "/",
            "events API (filtered)": "/api/events?q=vaccine&limit=50",
        }
        results = {}
        for name, path in targets.items():
            for _ in range(4 * args.workers):  # warm every worker (templates compiled, caches filled)
                urllib.request.urlopen(base_url + path, timeout=30).read()
            results[name] = {"path": path, **wrk(base_url + path, args.seconds, args.connections)}
            print(f"{name:24} {results[name]['requests_per_s']:8.1f} req/s  p50 {results[name]['p50_ms']:7.1f} ms  "
                  f"p99 {results[name]['p99_ms']:7.1f} ms  non-2xx {results[name]['non_2xx']}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"articles": articles, "events": events, "workers": args.workers,
                                    "connections": args.connections,
                                    "seconds": args.seconds, "results": results}, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
