"""How fast the command line answers: `--help`, a listing and one event's report, against Python itself.

    python benchmarks/cli_startup.py [--db DEMO.db] [--runs 7] [--output benchmarks/results/cli_startup.json]

Each command runs ``--runs`` times in a fresh interpreter, interleaved with `python -c pass`; the figure is
the median wall time and its ratio to the median of `python -c pass` in the same run (the machine is
shared: ratios travel between runs better than seconds). Without ``--db``, a demo store is built from
examples/ first (that loads the models, once, and is not measured).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seconds(command: list[str]) -> float:
    """Wall time of one run of ``command``, which must succeed."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def storyline(*args: str) -> list[str]:
    return [sys.executable, "-m", "storyline", *args]


def build_demo(db: Path) -> None:
    subprocess.run(storyline("--db", str(db), "ingest", str(ROOT / "examples")), check=True, cwd=ROOT)


def first_event(db: Path) -> str:
    done = subprocess.run(storyline("--db", str(db), "events", "--json"), check=True, capture_output=True, cwd=ROOT)
    event: str = json.loads(done.stdout)[0]["id"]
    return event


def measure(db: Path, runs: int) -> dict[str, object]:
    event = first_event(db)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "storyline --help": storyline("--help"),
        "storyline --db DEMO events": storyline("--db", str(db), "events"),
        "storyline --db DEMO report --event ID --format json": storyline(
            "--db", str(db), "report", "--event", event, "--format", "json"
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        seconds(command)  # warm the file cache: the first run of all reads the files from disk
    # Interleaved: a busy moment of the machine falls on every command alike.
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(seconds(command))
    baseline = statistics.median(times["python -c pass"])
    return {
        "runs": runs,
        "python": sys.version.split()[0],
        "commands": {
            name: {
                "median_s": round(statistics.median(values), 4),
                "ratio_to_python": round(statistics.median(values) / baseline, 2),
                "min_s": round(min(values), 4),
            }
            for name, values in times.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="A store to read (default: a demo built from examples/).")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "cli_startup.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storyline-cli-startup-") as folder:
        db = args.db
        if db is None:
            db = Path(folder) / "demo.db"
            build_demo(db)
        result = measure(db, args.runs)
    text = json.dumps(result, indent=2) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
