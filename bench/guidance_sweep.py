"""Pick the classifier-free guidance default by validation: back-translation CER and DTW-MJE per scale.

    python bench/guidance_sweep.py --corpus corpora/starter --model runs/motion/model \
        --backtranslator signgen/models/backtranslator --scales 1,1.5,2,3,4 --samples 96 [--lexicon]

--lexicon samples lexicon-guided (signgen pose's default) instead of pure (--no-lexicon) generation.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from signgen.backtranslate.model import Backtranslator
from signgen.corpus import Corpus
from signgen.eval.metrics import dtw_mje, text_metrics
from signgen.motion.generate import generate_arrays
from signgen.motion.model import MotionModel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--backtranslator", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--scales", default="1,1.5,2,3,4")
    ap.add_argument("--samples", type=int, default=96)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0, help="sampling seed (batch i uses seed + i)")
    ap.add_argument("--lexicon", action="store_true", help="guided generation (the default of signgen pose) instead of pure")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    model = MotionModel.from_pretrained(args.model)
    bt = Backtranslator.from_pretrained(args.backtranslator)
    corpus = Corpus(args.corpus)
    samples = corpus.split(args.split)[: args.samples]
    guide = None
    if args.lexicon:
        from signgen.motion.guided import LexiconGuide

        guide = LexiconGuide.load()
    refs = [corpus.load(s) for s in samples]
    rows = []
    for scale in map(float, args.scales.split(",")):
        gen = generate_arrays(model, [s.text for s in samples], [s.signed_language for s in samples], steps=args.steps,
                              guidance=scale, guide=guide, seed=args.seed)
        hyps = bt.translate(gen, [s.signed_language for s in samples])
        m = text_metrics(hyps, [s.text for s in samples])
        row = {"guidance": scale, "cer": m["cer"], "wer": m["wer"], "chrf": m["chrf"],
               "dtw_mje": float(np.mean([dtw_mje(g[0], g[1], r[0], r[1]) for g, r in zip(gen, refs)]))}
        rows.append(row)
        print(json.dumps(row), flush=True)
    best = min(rows, key=lambda r: r["cer"])
    print(f"\nbest guidance by {args.split} CER over {len(samples)} samples ({'guided' if args.lexicon else 'pure'}): {best['guidance']}")
    print("| guidance | CER | WER | chrF | DTW-MJE |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['guidance']:g} | {r['cer']:.1f} | {r['wer']:.1f} | {r['chrf']:.1f} | {r['dtw_mje']:.4f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"split": args.split, "samples": len(samples), "guided": args.lexicon, "rows": rows, "best": best["guidance"]}, f, indent=2)


if __name__ == "__main__":
    main()
