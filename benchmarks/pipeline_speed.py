"""Full-pipeline speed: articles per wall second of a whole `ingest` (reading, language, sentences, dedupe,
embedding, clustering, NLP, event analysis) on a synthetic stream of full-length articles, and where the time goes.

    python benchmarks/pipeline_speed.py [--articles 300] [--profile] [--out benchmarks/results/pipeline_speed.json]

The stream: articles of at least --min-chars characters resampled from the dev data (BASIL full texts and the
Timeline17 article pools, read in place, never copied into the project), each given a new id and a publication
date spread over 30 days, written to a temporary JSONL file and ingested into a fresh store in one process.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def full_texts(min_chars: int) -> list[dict[str, str]]:
    """Every dev article of at least ``min_chars`` characters: title and text."""
    found = []
    with (DATA / "clustering" / "basil.jsonl").open(encoding="utf-8") as lines:
        found += [{"title": r.get("title") or "", "text": r["text"]} for r in map(json.loads, lines)]
    with (DATA / "timelines" / "t17-dev.jsonl").open(encoding="utf-8") as lines:
        for topic in map(json.loads, lines):
            found += [{"title": a.get("title") or "", "text": a["text"]} for a in topic["articles"]]
    return [a for a in found if len(a["text"]) >= min_chars]


def stream(count: int, min_chars: int, seed: int) -> list[dict[str, str]]:
    """``count`` articles drawn from the full texts, each with a new id, outlet and date."""
    pool = full_texts(min_chars)
    rng = random.Random(seed)
    start = datetime(2026, 1, 1)
    drawn = [rng.choice(pool) for _ in range(count)]
    dates = sorted(start + timedelta(minutes=rng.randrange(30 * 24 * 60)) for _ in range(count))
    return [{"id": f"bench-{n}", "title": a["title"], "text": a["text"], "source": f"outlet{n % 12}.example",
             "published": when.isoformat()} for n, (a, when) in enumerate(zip(drawn, dates, strict=True))]  # fmt: skip


def tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and of every process under it (the NLP and event-analysis workers), read
    from Linux's /proc."""
    parents, resident = {}, {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            # Fields after the command name (which may hold spaces): state, ppid, ..., rss is the 22nd.
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)], resident[int(entry.name)] = int(fields[1]), int(fields[21]) * page
    tree, grown = {root}, True
    while grown:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grown = bool(found)
    return sum(resident.get(pid, 0) for pid in tree)


class PeakMemory:
    """The largest resident memory of this process tree, sampled in a thread while the block runs."""

    def __init__(self, every_seconds: float = 0.25) -> None:
        self.every_seconds = every_seconds
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, tree_rss_bytes(os.getpid()))
            self._done.wait(self.every_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--min-chars", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="Also print the 25 functions taking most time.")
    parser.add_argument("--without-cross-encoder", action="store_true", help="facts.cross_encoder = false.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pipeline_speed.json")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from storyline.config import load_settings
    from storyline.pipeline import ingest
    from storyline.store import open_store

    articles = stream(args.articles, args.min_chars, args.seed)
    with tempfile.TemporaryDirectory(prefix="storyline-speed-") as folder:
        source = Path(folder) / "stream.jsonl"
        source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
        overrides: dict[str, dict[str, object]] = {"store": {"path": str(Path(folder) / "speed.db")}}
        if args.without_cross_encoder:
            overrides["facts"] = {"cross_encoder": False}
        settings = load_settings(overrides=overrides)
        profiler = cProfile.Profile() if args.profile else None
        load = os.getloadavg()[0]
        started = time.perf_counter()
        with open_store(settings.store.path) as store, PeakMemory() as memory:
            if profiler:
                profiler.enable()
            result = ingest(store, [str(source)], settings)
            if profiler:
                profiler.disable()
        seconds = time.perf_counter() - started
    stages = {name: round(value, 2) for name, value in result.run.seconds.items()}
    figures = {
        "articles": result.added,
        "median_chars": sorted(len(a["text"]) for a in articles)[len(articles) // 2],
        "seconds": round(seconds, 2),
        "articles_per_second": round(result.added / seconds, 2),
        "stage_seconds": stages,
        # Workers included; sampled four times a second.
        "peak_rss_mib": round(memory.peak / 2**20, 1),
        "load_average_before": round(load, 2),
    }
    print(json.dumps(figures, indent=2))
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
