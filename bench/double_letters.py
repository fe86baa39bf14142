"""Does a motion model sign doubled letters (the "ll" of "hello") with the sideways slide of the starter corpus?

For every text of the split with a doubled letter, the signing wrist's sideways position (outward, away from
the body, in shoulder widths) is averaged over the middle half of the first and of the second letter; the
slide is the difference. Letter frames come from the corpus timing for the ground truth and from the model's
own per-letter duration prediction for generated poses. As a control, the same number is taken for every pair
of adjacent different letters (the arm's ordinary drift from letter to letter).

    python bench/double_letters.py --corpus corpora/starter --model signgen/models/motion --split test,val
    python bench/double_letters.py --corpus corpora/starter --model runs/motion/checkpoints/step-0001500
    python bench/double_letters.py --corpus corpora/starter --model signgen/models/motion --text hello --lang ase --seeds 4

With --text, one text is generated at each seed and every letter-to-letter move is printed (the doubled ones
marked), the check for "does `signgen pose hello` show two Ls".
"""

from __future__ import annotations

import argparse

import numpy as np

from signgen.lexicon import Lexicon
from signgen.corpus import Corpus
from signgen.eval.letters import letter_moves, outward_wrist, predicted_letter_frames
from signgen.motion.generate import generate_arrays
from signgen.motion.train import model_or_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", required=True, help="a model directory or a training checkpoint directory")
    ap.add_argument("--split", default="test,val")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--text", help="measure this one text (with --lang) at --seeds seeds instead of a split")
    ap.add_argument("--lang", default="ase")
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()

    corpus = Corpus(args.corpus)
    model = model_or_checkpoint(args.model)
    if args.text:
        return one_text(model, args.text, args.lang, args.seeds)
    samples = [s for split in args.split.split(",") for s in corpus.split(split)]
    samples = [s for s in samples if s.char_durations() is not None and Lexicon.builtin().double_letters(s.text, s.spoken_language, s.signed_language)]
    texts, langs = [s.text for s in samples], [s.signed_language for s in samples]
    generated = generate_arrays(model, texts, langs, seed=args.seed)
    predicted = predicted_letter_frames(model, texts, langs, [len(g[0]) for g in generated])
    rows = {"ground truth": ([], []), "model": ([], [])}
    for k, s in enumerate(samples):
        doubles = Lexicon.builtin().double_letters(s.text, s.spoken_language, s.signed_language)
        others = [i for i in range(len(s.text) - 1) if i not in doubles and " " not in s.text[i : i + 2]]
        x, mask = corpus.load(s)
        gen_x, gen_mask = generated[k]
        for name, (px, pm, dur) in {
            "ground truth": (x, mask, s.char_durations()),
            "model": (gen_x, gen_mask, predicted[k]),
        }.items():
            track = outward_wrist(px, pm)
            if track is not None:
                rows[name][0].extend(letter_moves(track, dur, doubles))
                rows[name][1].extend(letter_moves(track, dur, others))
    print(f"{len(samples)} texts with a doubled letter ({args.split}); slide in shoulder widths, outward positive\n")
    print("| poses | doubled letters | mean slide | slides > 0.1 | adjacent different letters: mean, mean abs |")
    print("|---|---|---|---|---|")
    for name, (double, other) in rows.items():
        d, o = np.array(double), np.array(other)
        d, o = d[~np.isnan(d)], o[~np.isnan(o)]
        print(f"| {name} | {len(d)} | {d.mean():+.3f} | {100 * (d > 0.1).mean():.0f}% | {o.mean():+.3f}, {np.abs(o).mean():.3f} |")


def one_text(model, text: str, lang: str, seeds: int) -> None:
    pairs = list(range(len(text) - 1))
    print(f"{text!r} ({lang}): outward wrist move from each letter to the next, shoulder widths; * = doubled letter\n")
    print("| seed | frames | " + " | ".join(f"{text[i]}{text[i + 1]}{'*' if text[i] == text[i + 1] else ''}" for i in pairs) + " |")
    print("|---|---|" + "---|" * len(pairs))
    for seed in range(seeds):
        ((x, mask),) = generate_arrays(model, [text], [lang], seed=seed)
        (durations,) = predicted_letter_frames(model, [text], [lang], [len(x)])
        track = outward_wrist(x, mask)
        moves = letter_moves(track, durations, pairs) if track is not None else [float("nan")] * len(pairs)
        print(f"| {seed} | {len(x)} | " + " | ".join(f"{v:+.3f}" for v in moves) + " |")


if __name__ == "__main__":
    main()
