"""The embedding models side by side in one run: seconds per text on what the engine embeds.

    python benchmarks/embeddings.py [--data ../shared/data/clustering] [--texts 100] [--rounds 2]

Each model embeds the same texts (title and lead of each file's first articles, as the engine builds them), in
alternating rounds so that machine noise falls on both; the best round of each is kept.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from storyline.config import load_settings
from storyline.embed import MODELS, load_embedder

FILES = ("basil", "allsides", "mmds-dev")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/clustering")
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/embeddings.json")
    args = parser.parse_args()
    settings = load_settings()
    results: dict[str, dict[str, float]] = {}
    for name in FILES:
        lines = Path(args.data, f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[: args.texts]
        records = [json.loads(line) for line in lines]
        texts = [f"{r.get('title') or ''}\n{r['text'][: settings.embed.lead_chars]}" for r in records]
        prefixes = [len(r.get("title") or "") for r in records]
        best: dict[str, float] = {}
        for _ in range(args.rounds):
            for model in MODELS:
                embedder = load_embedder(replace(settings.embed, model=model))
                embedder.embed(texts[:2])  # warm-up: first-call allocations are not throughput
                started = time.process_time()
                embedder.embed_with_prefix(texts, prefixes)
                spent = (time.process_time() - started) / len(texts) * 1000
                best[model] = min(best.get(model, spent), spent)
        results[name] = {f"{model}_cpu_ms_per_text": round(ms, 1) for model, ms in best.items()}
        print(name, results[name], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "files": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
