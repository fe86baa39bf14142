"""How much does the letter reader lean on the arm's movement? Ground truth read as recorded and with its arm
path low-passed: the body joints smoothed over time (Gaussian, sigma frames), each hand moved rigidly with its
smoothed root, the fingers relative to the root unchanged. A reader that reads handshapes alone loses nothing;
smoothing also damps real movement (J, Z), so the loss bounds what the arm carries.

    python bench/reader_arm.py --corpus corpora/starter --split val --limit 120 --sigmas 0 2 4 8
    python bench/reader_arm.py --corpus corpora/starter --guided signgen/models/motion   # the model's guided output instead
"""

from __future__ import annotations

import argparse


def main() -> None:
    from signgen.backtranslate.model import Backtranslator
    from signgen.backtranslate.spelling import smooth_arm
    from signgen.backtranslate.tokenizer import normalize_text
    from signgen.corpus import Corpus
    from signgen.eval.metrics import text_metrics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=120)
    ap.add_argument("--backtranslator", default="signgen/models/backtranslator")
    ap.add_argument("--sigmas", type=float, nargs="+", default=[0, 2, 4, 8])
    ap.add_argument("--guided", default=None, help="a motion model: read its lexicon-guided output of the texts, not the ground truth")
    args = ap.parse_args()

    reader = Backtranslator.from_pretrained(args.backtranslator)
    items = Corpus(args.corpus).split_arrays(args.split)
    n = min(args.limit, len(items))
    texts, langs = [items.texts[k] for k in range(n)], [items.langs[k] for k in range(n)]
    arrays = [(items[k][2], items[k][3]) for k in range(n)]
    if args.guided:
        from signgen.motion.generate import generate_arrays
        from signgen.motion.guided import LexiconGuide
        from signgen.motion.model import MotionModel

        arrays = generate_arrays(MotionModel.from_pretrained(args.guided), texts, langs, guide=LexiconGuide.load())
    for sigma in args.sigmas:
        poses = arrays if sigma == 0 else [(smooth_arm(x, m, sigma), m) for x, m in arrays]
        hyps = reader.translate(poses, langs)
        exact = sum(normalize_text(h) == normalize_text(t) for h, t in zip(hyps, texts))
        print(f"sigma {sigma:g}: CER {text_metrics(hyps, texts)['cer']:.1f}, exact {exact}/{n}", flush=True)


if __name__ == "__main__":
    main()
