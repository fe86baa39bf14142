"""Summarise a `signgen eval` report of the held-out corpus as the tables docs/evaluation.md shows.

    signgen data heldout -o corpora/heldout
    signgen eval --corpus corpora/heldout --no-model --split all baseline=false -o runs/eval-reader
    python bench/reader_table.py runs/eval-reader/metrics.json

Prints, for one system (default: ground truth): CER and exact reads per held-out set and speed, CER per sign
language at 1x, and the negative controls.
"""

from __future__ import annotations

import argparse
import json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrics", help="metrics.json of signgen eval")
    ap.add_argument("--system", default="ground truth")
    args = ap.parse_args()
    report = json.load(open(args.metrics, encoding="utf-8"))
    splits = report["splits"]
    order = {name: i for i, name in enumerate(("frequent", "rare", "names", "phrases", "1x", "0.5x", "2x"))}
    sets = sorted(dict.fromkeys(s.split("@")[0] for s in splits), key=lambda v: order.get(v, 99))
    speeds = sorted(dict.fromkeys(s.split("@")[1] for s in splits if "@" in s), key=lambda v: order.get(v, 99)) or [""]
    name = lambda st, sp: f"{st}@{sp}" if sp else st  # noqa: E731

    print(f"### {args.system}: CER (exact reads)\n")
    print("| set | " + " | ".join(speeds) + " |\n|---|" + "---|" * len(speeds))
    for st in sets:
        cells = []
        for sp in speeds:
            r = splits.get(name(st, sp), {}).get("results", {}).get(args.system)
            cells.append(f"{r['cer']:.1f} ({r['exact']}/{r['samples']})" if r else "")
        print(f"| {st} | " + " | ".join(cells) + " |")

    first = speeds[0]
    langs = sorted({lang for st in sets for lang in splits.get(name(st, first), {}).get("cer_by_language", {}).get(args.system, {})})
    print(f"\n### {args.system}: CER per sign language ({first or 'all'})\n")
    print("| set | " + " | ".join(langs) + " |\n|---|" + "---|" * len(langs))
    for st in sets:
        by = splits.get(name(st, first), {}).get("cer_by_language", {}).get(args.system, {})
        print(f"| {st} | " + " | ".join(f"{by[lang]:.1f}" if lang in by else "" for lang in langs) + " |")

    controls = [c for c in next(iter(splits.values()))["results"] if c.startswith("control")]
    if controls:
        print("\n### negative controls: CER (must be >= 90)\n")
        print("| set | " + " | ".join(controls) + " |\n|---|" + "---|" * len(controls))
        for split, r in splits.items():
            print(f"| {split} | " + " | ".join(f"{r['results'][c]['cer']:.1f}" for c in controls if c in r["results"]) + " |")


if __name__ == "__main__":
    main()
