"""Ray backfill against one machine: do they find the same events and storylines? On every clustering file of the
evaluation data.

    python benchmarks/ray_agreement.py [--data ../shared/data/clustering] [--partition-days 30] [--overlap-days 14]
        [--partition-articles 50] [--overlap-articles 50] [--full] [--out benchmarks/results/ray_agreement.json]

For each file: `ingest` into one store, `backfill --engine ray` into another (one local Ray with 2 CPUs for all the
files), and the BCubed F1 of the backfill's events taking the single machine's as the gold (and each against the
file's gold events), and of its storylines (each article's event's storyline) likewise. Partitions are kept small,
so that each file is cut into several: with one partition the two runs are the same run. Without --full the NLP
analysis and the event analysis are left out of both runs (`pipeline.skip`): they read events, they do not make them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from storyline.config import Settings, load_settings
from storyline.evaluate.clustering import gold_labels
from storyline.evaluate.metrics import bcubed
from storyline.pipeline import ingest
from storyline.pipeline.backfill import backfill, import_ray
from storyline.store import Store, open_store

FILES = ("basil", "allsides", "mmds-dev")


def _events(store: Store) -> dict[str, tuple[str | None, str, str]]:
    """Each article's (external id, event, storyline)."""
    storylines = {e.id: e.storyline or "" for e in store.events()}
    return {
        a.id: (a.external_id, a.event or "", storylines.get(a.event or "", ""))
        for a in store.articles(with_sentences=False)
    }


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, dict[str, Any]] = {
        "backfill": {
            "partition_days": args.partition_days,
            "overlap_days": args.overlap_days,
            "partition_articles": args.partition_articles,
            "overlap_articles": args.overlap_articles,
        }
    }
    if not args.full:
        overrides["pipeline"] = {"skip": ["analysis", "event-analysis"]}
    return load_settings(overrides=overrides)


def compare(path: Path, settings: Settings, folder: Path) -> dict[str, Any]:
    """Both runs on ``path``, their agreement and each one's scores against the file's gold events."""
    with open_store(str(folder / f"{path.stem}-single.db")) as store:
        started = time.perf_counter()
        single_run = ingest(store, [str(path)], settings).run
        single_seconds = time.perf_counter() - started
        single = _events(store)
    with open_store(str(folder / f"{path.stem}-ray.db")) as store:
        started = time.perf_counter()
        result = backfill(store, [str(path)], settings)
        ray_seconds = time.perf_counter() - started
        on_ray = _events(store)
    ids = sorted(single)
    assert ids == sorted(on_ray), "the two runs stored other articles"
    labels = gold_labels(str(path))
    scored = [i for i in ids if single[i][0] in labels]
    gold = [labels[single[i][0] or ""] for i in scored]
    agreement = bcubed([single[i][1] for i in ids], [on_ray[i][1] for i in ids])
    storylines = bcubed([single[i][2] for i in ids], [on_ray[i][2] for i in ids])
    return {
        "file": path.name,
        "articles": len(ids),
        "partitions": result.partitions,
        "agreement_bcubed": {"precision": round(agreement.precision, 4), "recall": round(agreement.recall, 4),
                             "f1": round(agreement.f1, 4)},
        "storyline_agreement_bcubed_f1": round(storylines.f1, 4),
        "events": {"single": len({single[i][1] for i in ids}), "ray": len({on_ray[i][1] for i in ids})},
        "gold_bcubed_f1": {"single": round(bcubed(gold, [single[i][1] for i in scored]).f1, 4),
                           "ray": round(bcubed(gold, [on_ray[i][1] for i in scored]).f1, 4)},
        # One machine's cluster stage, beside the backfill's phases "cluster" (partitions) and "storylines" (the
        # driver's pass over the merged events).
        "seconds": {"single": round(single_seconds, 1), "ray": round(ray_seconds, 1),
                    "single_cluster": round(single_run.seconds.get("cluster", 0.0), 1),
                    "ray_phases": {k: round(v, 1) for k, v in result.seconds.items()}},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/clustering", type=Path)
    parser.add_argument("--files", default=",".join(FILES), help="File stems, comma-separated.")
    parser.add_argument("--partition-days", type=float, default=30.0)
    parser.add_argument("--overlap-days", type=float, default=14.0)
    parser.add_argument("--partition-articles", type=int, default=50)
    parser.add_argument("--overlap-articles", type=int, default=50)
    parser.add_argument("--full", action="store_true", help="Run the NLP and event analysis too.")
    parser.add_argument("--out", default="benchmarks/results/ray_agreement.json", type=Path)
    args = parser.parse_args()
    settings = _settings(args)
    ray = import_ray()
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(f"Ray started in {time.perf_counter() - started:.1f} s (not counted below)")
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="storyline-ray-") as folder:
            for stem in args.files.split(","):
                row = compare(args.data / f"{stem}.jsonl", settings, Path(folder))
                rows.append(row)
                print(json.dumps(row))
    finally:
        ray.shutdown()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    options = {k: v for k, v in vars(args).items() if k not in ("data", "out")}
    args.out.write_text(json.dumps({"options": options, "files": rows}, indent=2) + "\n", encoding="utf-8")
    print(
        "| file | articles | partitions | agreement BCubed F1 (P / R) | events single / ray | "
        "gold BCubed F1 single / ray | storylines agreement F1 | seconds single / ray |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        a, s = r["agreement_bcubed"], r["seconds"]
        print(
            f"| {r['file']} | {r['articles']} | {r['partitions']} | {a['f1']:.4f} ({a['precision']:.4f} / "
            f"{a['recall']:.4f}) | {r['events']['single']} / {r['events']['ray']} | "
            f"{r['gold_bcubed_f1']['single']:.4f} / {r['gold_bcubed_f1']['ray']:.4f} | "
            f"{r['storyline_agreement_bcubed_f1']:.4f} | {s['single']} / {s['ray']} |"
        )


if __name__ == "__main__":
    main()
