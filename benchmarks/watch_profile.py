"""Where one file's time goes in watch mode: the watcher's own step, in-process, on a warm pipeline.

Builds the watcher as ``storyline watch`` does (a fresh SQLite store, ``embed.threads = 1``, without the NLP
stages unless ``--nlp``), feeds it the dev clustering file's articles one file at a time through
``Watcher.step`` (what watch mode calls per change), and times each file: the whole step, each stage's part
(the runner's own figures), and what remains (reading, the store's queries and commits, watch's bookkeeping).
The first files are a warm-up. With ``--cprofile`` the measured files run under cProfile and the functions
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from watch_latency import WITHOUT_NLP, articles, quantile  # noqa: E402

from storyline.config import load_settings  # noqa: E402
from storyline.pipeline.watch import Watcher  # noqa: E402
from storyline.store import open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "clustering")
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--nlp", action="store_true", help="Every stage (default: without the NLP stages).")
    parser.add_argument("--cprofile", action="store_true", help="Profile the measured files with cProfile.")
    parser.add_argument("--top", type=int, default=30, help="Functions printed per cProfile listing.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, help="Write the figures as JSON here.")
    args = parser.parse_args()
    texts = articles(args.data, args.warmup + args.files, args.seed)
    settings = load_settings(overrides={"embed": {"threads": 1}})
    if not args.nlp:
        skip = tuple(a for a in WITHOUT_NLP if a != "--skip")
        settings = replace(settings, pipeline=replace(settings.pipeline, skip=settings.pipeline.skip + skip))
    profiler = cProfile.Profile()
    steps: list[float] = []
    stages: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        settings = replace(settings, store=replace(settings.store, path=str(Path(tmp) / "watch.db")))
        with open_store(settings.store.path) as store:
            watcher = Watcher(store, inbox, settings)
            for number, text in enumerate(texts):
                path = inbox / f"{number:05d}.txt"
                path.write_text(text, encoding="utf-8")
                measured = number >= args.warmup
                if measured and args.cprofile:
                    profiler.enable()
                started = time.perf_counter()
                outcome = watcher.step([str(path)])
                elapsed = 1000 * (time.perf_counter() - started)
                if measured and args.cprofile:
                    profiler.disable()
                if not outcome or outcome[0].status != "ingested":
                    raise SystemExit(f"watch did not ingest {path}: {outcome}")
                if not measured:
                    continue
                steps.append(elapsed)
                run = watcher.last_run
                for name, seconds in run.seconds.items():
                    stages.setdefault(name, []).append(1000 * seconds)
                stages.setdefault("rest (reading, store, watch)", []).append(elapsed - 1000 * sum(run.seconds.values()))
    figures = {
        "files": len(steps),
        "warmup_files": args.warmup,
        "nlp": args.nlp,
        "load_average": os.getloadavg(),
        "step_ms": {"p50": statistics.median(steps), "p95": quantile(steps, 0.95), "mean": statistics.fmean(steps)},
        "stages_median_ms": {name: statistics.median(values) for name, values in stages.items()},
    }
    print(f"{len(steps)} files after {args.warmup}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"whole step: p50 {figures['step_ms']['p50']:.1f} ms, p95 {figures['step_ms']['p95']:.1f} ms, "
        f"mean {figures['step_ms']['mean']:.1f} ms"
    )
    for name, median in figures["stages_median_ms"].items():
        print(f"  {name:32s} {median:7.2f} ms (median)")
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
