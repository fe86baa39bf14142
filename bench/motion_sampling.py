"""Motion sampling: latency and quality against the number of denoising steps.

Latency: one phrase (default "hello", 5 letters), batch 1, classifier-free guidance on, median of --repeats runs,
model load timed separately. Quality, on the first --samples texts of a corpus split, sampled in batches:
DTW-MJE to the ground-truth pose and, with --backtranslator, back-translation CER/WER.

    python bench/motion_sampling.py --corpus corpora/starter --model signgen/models/motion \
        --backtranslator signgen/models/backtranslator --json runs/bench_motion.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np
import torch

from signgen.corpus import Corpus
from signgen.eval.metrics import dtw_mje, text_metrics
from signgen.motion.diffusion import sample
from signgen.motion.generate import generate_arrays
from signgen.motion.model import MotionModel

SETTINGS = [("ddpm", 1000), ("dpmsolver++", 50), ("dpmsolver++", 20), ("dpmsolver++", 10), ("ddim", 20), ("unipc", 20)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="signgen/models/motion")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--backtranslator", default=None)
    ap.add_argument("--text", default="hello")
    ap.add_argument("--lang", default="ase")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--samples", type=int, default=48)
    ap.add_argument("--settings", default=",".join(f"{s}:{n}" for s, n in SETTINGS))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    t = time.perf_counter()
    model = MotionModel.from_pretrained(args.model)
    model.to(args.device)
    load_s = time.perf_counter() - t
    corpus = Corpus(args.corpus)
    samples = corpus.split(args.split)[: args.samples]
    refs = [corpus.load(s) for s in samples]
    bt = None
    if args.backtranslator:
        from signgen.backtranslate.model import Backtranslator

        bt = Backtranslator.from_pretrained(args.backtranslator)
    machine = f"{platform.machine()}, {torch.get_num_threads()} torch threads, " + (
        torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU")
    rows = []
    for item in args.settings.split(","):
        sampler, steps = item.split(":")
        steps = int(steps)
        times = []
        for r in range(args.repeats + 1):  # first run warms up
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            t = time.perf_counter()
            sample(model, [args.text], [args.lang], steps=steps, sampler=sampler, seed=r)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            if r:
                times.append(time.perf_counter() - t)
            if steps >= 500 and len(times) >= 2:
                break  # 1000-step runs are slow on CPU; two timed runs are enough
        gen = generate_arrays(model, [s.text for s in samples], [s.signed_language for s in samples], steps=steps, sampler=sampler)
        row = {"sampler": sampler, "steps": steps, "latency_s": statistics.median(times),
               "dtw_mje": float(np.mean([dtw_mje(g[0], g[1], r[0], r[1]) for g, r in zip(gen, refs)]))}
        if bt is not None:
            hyps = bt.translate(gen, [s.signed_language for s in samples])
            m = text_metrics(hyps, [s.text for s in samples])
            row.update(cer=m["cer"], wer=m["wer"])
        rows.append(row)
        print(json.dumps(row), flush=True)
    report = {"machine": machine, "model": args.model, "load_s": load_s, "text": args.text,
              "samples": len(samples), "split": args.split, "rows": rows}
    print(f"\nmachine: {machine}; model load {load_s:.2f} s; latency for {args.text!r}, quality on {len(samples)} {args.split} samples")
    print("| sampler | steps | latency (s) | DTW-MJE | CER | WER |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['sampler']} | {r['steps']} | {r['latency_s']:.3f} | {r['dtw_mje']:.4f} | "
              f"{r.get('cer', float('nan')):.1f} | {r.get('wer', float('nan')):.1f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
