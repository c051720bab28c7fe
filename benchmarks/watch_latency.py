"""Watch mode's latency: from a file's arrival in the watched folder to its article's event assignment.

Starts `storyline watch --json` on a temporary folder (a subprocess, its own store), writes articles into the
folder one file at a time at a steady rate, and reads the line watch prints per file. A file *arrives* when the
writer closes it (the time taken right after ``close``); its event is *assigned* when the cluster stage has
stored it (``assigned`` in the line; with the NLP stages, ``done`` is when the whole pipeline is). The first
files are a warm-up (models load on the first file) and are left out. Run twice: without the NLP analysis and
event analysis (``--skip analysis --skip event-analysis``), then with every stage.

The articles are the titles and texts of the dev clustering file (read in place, never copied into the repo),
shuffled with a fixed seed. With ``--prefill N``, the store first holds N other articles of those files (ingested
as they are, with their dates, without the NLP stages): a watcher that has run for a while, whose stages carry the
state of the stream so far (at steady state it is the deduplicator's and the clusterer's saved state that grows).

    python benchmarks/watch_latency.py --data ../shared/data/clustering
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_NLP = ["--skip", "analysis", "--skip", "event-analysis"]


def records(data: Path, seed: int) -> list[dict[str, Any]]:
    """The articles of the clustering files with a title and a text, shuffled."""
    rows = [json.loads(line) for path in sorted(data.glob("*.jsonl")) for line in path.open(encoding="utf-8")]
    rows = [r for r in rows if r.get("text") and r.get("title")]
    random.Random(seed).shuffle(rows)
    return rows


def articles(data: Path, count: int, seed: int) -> list[str]:
    """``count`` article texts (title line, blank line, body) from the clustering files, shuffled."""
    return [f"{r['title']}\n\n{r['text']}\n" for r in records(data, seed)[:count]]


def prefill(db: Path, data: Path, skip: int, count: int, seed: int, embed_threads: int) -> None:
    """Ingest ``count`` articles of the clustering files (those after the first ``skip`` timed ones) into the
    store at ``db``, without the NLP stages, as a watcher that ran before would have."""
    if count <= 0:
        return
    from storyline.config import load_settings
    from storyline.pipeline import ingest
    from storyline.store import open_store

    source = db.parent / "prefill.jsonl"
    rows = records(data, seed)[skip : skip + count]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    skipped = [a for a in WITHOUT_NLP if a != "--skip"]
    settings = load_settings(
        overrides={"store": {"path": str(db)}, "pipeline": {"skip": skipped}, "embed": {"threads": embed_threads}}
    )
    with open_store(str(db)) as store:
        ingest(store, [str(source)], settings)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(quantile(values, 0.95), 1),
        "max": round(max(values), 1),
        "mean": round(statistics.fmean(values), 1),
    }


def run_mode(
    texts: list[str],
    warmup: int,
    interval: float,
    extra: list[str],
    config: Path,
    fill: Callable[[Path], None] = lambda db: None,
) -> dict[str, Any]:
    """Watch a fresh folder, write ``texts`` into it every ``interval`` seconds, and time each file; ``fill``
    puts what the store holds before the watcher starts."""
    with tempfile.TemporaryDirectory() as tmp:
        inbox, db = Path(tmp) / "inbox", Path(tmp) / "watch.db"
        inbox.mkdir()
        fill(db)
        command = [sys.executable, "-m", "storyline", "--config", str(config), "--db", str(db),
                   "watch", str(inbox), "--json", *extra]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
        watcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        lines: queue.Queue[dict[str, Any]] = queue.Queue()

        def read() -> None:
            assert watcher.stdout is not None
            for line in watcher.stdout:
                lines.put(json.loads(line))

        threading.Thread(target=read, daemon=True).start()
        arrived: dict[str, float] = {}
        done: dict[str, dict[str, Any]] = {}

        def collect(until: set[str], timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while not until <= done.keys():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SystemExit(f"watch did not report {sorted(until - done.keys())[:3]} in {timeout} s")
                try:
                    row = lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                done[row["path"]] = row

        try:
            for number, text in enumerate(texts):
                path = inbox / f"{number:05d}.txt"
                if number < warmup:
                    # Warm-up: one at a time, each waited for (the first loads the models).
                    path.write_text(text, encoding="utf-8")
                    arrived[str(path)] = time.time()
                    collect({str(path)}, 600)
                    continue
                next_at = time.monotonic() + interval
                with path.open("w", encoding="utf-8") as handle:
                    handle.write(text)
                arrived[str(path)] = time.time()
                collect(set(), 0)
                time.sleep(max(0.0, next_at - time.monotonic()))
            collect(set(arrived), 600)
        finally:
            watcher.terminate()
            watcher.wait(30)
    measured = [p for p in arrived if int(Path(p).stem) >= warmup]
    failed = [p for p in measured if done[p]["status"] != "ingested"]
    if failed:
        raise SystemExit(f"watch failed to read {failed[:3]}")
    assigned = [1000 * (done[p]["assigned"] - arrived[p]) for p in measured]
    finished = [1000 * (done[p]["done"] - arrived[p]) for p in measured]
    return {
        "files": len(measured),
        "warmup_files": warmup,
        "interval_s": interval,
        "stages_skipped": [a for a in extra if a != "--skip"],
        "arrival_to_event_ms": summary(assigned),
        "arrival_to_pipeline_done_ms": summary(finished),
        "command": " ".join(["storyline", *command[3:]]).replace(tmp, "$TMP").replace(str(config), "storyline.toml"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "clustering")
    parser.add_argument("--files", type=int, default=60, help="Files timed per mode (after the warm-up).")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.5, help="Seconds between files, without NLP.")
    parser.add_argument("--nlp-interval", type=float, default=2.0, help="Seconds between files, with NLP.")
    parser.add_argument("--nlp-files", type=int, default=30, help="Files timed with NLP.")
    parser.add_argument(
        "--embed-threads",
        type=int,
        default=1,
        help="embed.threads for the watcher: one file at a time encodes fastest on one thread (0: one per core).",
    )
    parser.add_argument("--no-nlp-only", action="store_true", help="Time only the mode without the NLP stages.")
    parser.add_argument(
        "--prefill", type=int, default=0, help="Articles in the store before the watcher starts (other ones)."
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "watch_latency.json")
    args = parser.parse_args()
    load_before = os.getloadavg()
    timed = args.warmup + max(args.files, args.nlp_files)
    texts = articles(args.data, timed, args.seed)

    def fill(db: Path) -> None:
        prefill(db, args.data, timed, args.prefill, args.seed, args.embed_threads)

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "storyline.toml"
        config.write_text(f"[embed]\nthreads = {args.embed_threads}\n", encoding="utf-8")
        without_nlp = texts[: args.warmup + args.files]
        modes = {"without_nlp": run_mode(without_nlp, args.warmup, args.interval, WITHOUT_NLP, config, fill)}
        if not args.no_nlp_only:
            with_nlp = texts[: args.warmup + args.nlp_files]
            modes["with_nlp"] = run_mode(with_nlp, args.warmup, args.nlp_interval, [], config, fill)
    result = {
        "benchmark": "watch_latency",
        "data": str(args.data.name),
        "embed_threads": args.embed_threads,
        "prefill_articles": args.prefill,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": load_before,
            "load_average_after": os.getloadavg(),
        },
        "modes": modes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, mode in modes.items():
        event, end = mode["arrival_to_event_ms"], mode["arrival_to_pipeline_done_ms"]
        print(
            f"{name}: {mode['files']} files every {mode['interval_s']} s; arrival -> event p50 {event['p50']} ms, "
            f"p95 {event['p95']} ms, max {event['max']} ms; -> pipeline done p95 {end['p95']} ms"
        )


if __name__ == "__main__":
    main()
