"""Where one file's time goes in watch mode: the watcher's own step, in-process, on a warm pipeline.

Builds the watcher as ``storyline watch`` does (a fresh SQLite store, ``embed.threads = 1``, without the NLP
stages unless ``--nlp``), feeds it the dev clustering file's articles one file at a time through
``Watcher.step`` (what watch mode calls per change), and times each file: the whole step, each stage's part
(the runner's own figures), and what remains (reading, the store's queries and commits, watch's bookkeeping).
The first files are a warm-up. With ``--prefill N`` the store first holds N other articles (``watch_latency.py``:
a watcher that has run for a while). With ``--cprofile`` the measured files run under cProfile and the functions
with the most cumulative and own time are printed.

    python benchmarks/watch_profile.py --data ../shared/data/clustering
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from watch_latency import WITHOUT_NLP, articles, prefill, quantile  # noqa: E402

from storyline.config import load_settings  # noqa: E402
from storyline.pipeline.watch import Watcher  # noqa: E402
from storyline.store import open_store  # noqa: E402


def _saved_bytes(saved: Any) -> int:
    """The bytes the last batch saved of a stage's state: whole, or what it changed."""
    if saved is None:
        return 0
    if isinstance(saved, bytes):  # a version that saved the whole state after every batch
        return len(saved)
    return len(saved.changes[-1]) if saved.changes else len(saved.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "clustering")
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--nlp", action="store_true", help="Every stage (default: without the NLP stages).")
    parser.add_argument("--cprofile", action="store_true", help="Profile the measured files with cProfile.")
    parser.add_argument("--top", type=int, default=30, help="Functions printed per cProfile listing.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--prefill", type=int, default=0, help="Articles in the store before the first file (other ones)."
    )
    parser.add_argument("--out", type=Path, help="Write the figures as JSON here.")
    args = parser.parse_args()
    texts = articles(args.data, args.warmup + args.files, args.seed)
    settings = load_settings(overrides={"embed": {"threads": 1}})
    if not args.nlp:
        skip = tuple(a for a in WITHOUT_NLP if a != "--skip")
        settings = replace(settings, pipeline=replace(settings.pipeline, skip=settings.pipeline.skip + skip))
    profiler = cProfile.Profile()
    steps: list[float] = []
    # The step's own processor time (one thread: the encoder's BLAS runs in it): what other load on the machine
    # hides from the wall clock.
    cpu: list[float] = []
    stages: dict[str, list[float]] = {}
    saved_bytes: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        settings = replace(settings, store=replace(settings.store, path=str(Path(tmp) / "watch.db")))
        prefill(Path(settings.store.path), args.data, args.warmup + args.files, args.prefill, args.seed, 1)
        with open_store(settings.store.path) as store:
            watcher = Watcher(store, inbox, settings)
            for number, text in enumerate(texts):
                path = inbox / f"{number:05d}.txt"
                path.write_text(text, encoding="utf-8")
                measured = number >= args.warmup
                if measured and args.cprofile:
                    profiler.enable()
                started, started_cpu = time.perf_counter(), time.thread_time()
                outcome = watcher.step([str(path)])
                elapsed = 1000 * (time.perf_counter() - started)
                elapsed_cpu = 1000 * (time.thread_time() - started_cpu)
                if measured and args.cprofile:
                    profiler.disable()
                if not outcome or outcome[0].status != "ingested":
                    raise SystemExit(f"watch did not ingest {path}: {outcome}")
                if not measured:
                    continue
                steps.append(elapsed)
                cpu.append(elapsed_cpu)
                run = watcher.last_run
                for name, seconds in run.seconds.items():
                    stages.setdefault(name, []).append(1000 * seconds)
                stages.setdefault("rest (reading, store, watch)", []).append(elapsed - 1000 * sum(run.seconds.values()))
                for name in ("dedupe", "cluster"):
                    saved_bytes.setdefault(name, []).append(_saved_bytes(store.load_state(name)))
    figures = {
        "files": len(steps),
        "warmup_files": args.warmup,
        "nlp": args.nlp,
        "prefill_articles": args.prefill,
        "load_average": os.getloadavg(),
        "step_ms": {"p50": statistics.median(steps), "p95": quantile(steps, 0.95), "mean": statistics.fmean(steps)},
        "step_cpu_ms": {"p50": statistics.median(cpu), "p95": quantile(cpu, 0.95)},
        "stages_median_ms": {name: statistics.median(values) for name, values in stages.items()},
        "state_saved_bytes": {name: {"median": statistics.median(v), "max": max(v)} for name, v in saved_bytes.items()},
    }
    print(f"{len(steps)} files after {args.warmup}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"whole step: p50 {figures['step_ms']['p50']:.1f} ms, p95 {figures['step_ms']['p95']:.1f} ms, "
        f"mean {figures['step_ms']['mean']:.1f} ms; processor time p50 {figures['step_cpu_ms']['p50']:.1f} ms, "
        f"p95 {figures['step_cpu_ms']['p95']:.1f} ms"
    )
    for name, median in figures["stages_median_ms"].items():
        print(f"  {name:32s} {median:7.2f} ms (median)")
    for name, sizes in figures["state_saved_bytes"].items():
        median, largest = sizes["median"] / 1000, sizes["max"] / 1000
        print(f"  {name} state saved per file: median {median:.1f} kB, max {largest:.1f} kB")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.cprofile:
        for order in ("cumulative", "tottime"):
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text).sort_stats(order)
            stats.print_stats(args.top)
            print(text.getvalue())


if __name__ == "__main__":
    main()
