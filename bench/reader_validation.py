"""The letter reader's selection set: texts it never trained on that are not the held-out sets either.

Choices about the reader (its training preset, its decoding) are made here, never on `corpora/heldout`:
- `val`: the training vocabulary's validation words (`vocabulary()[pair]["val"]`, kept out of training);
- `pseudo`: fresh pseudo-words, drawn with another seed than training's and checked against the training
  vocabulary, half of them with a doubled letter (the reader's commonest miss).
Both are fingerspelled by spoken-to-signed's own lookup, as the held-out corpus is, at 1x, 0.5x and 2x.
Reported per set and speed: CER, exact reads, and exact reads of the texts with and without a doubled letter,
for each decoding given with --beams (1 = greedy).

    python bench/reader_validation.py --reader signgen/models/backtranslator --beams 1 4 16
    python bench/reader_validation.py --reader runs/reader/model --json runs/reader-validation.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time

import numpy as np


def doubled(text: str) -> bool:
    return any(a == b and a.isalpha() for a, b in zip(text, text[1:]))


def selection_set(per_pair: int, seed: int) -> list[tuple[str, str, str]]:
    """(set, pair, text) for every lexicon pair."""
    from signgen.backtranslate.spelling import SpellingConfig, pseudo_word, vocabulary
    from signgen.lexicon import Lexicon

    lexicon = Lexicon.builtin()
    cfg = SpellingConfig()
    vocab = vocabulary(lexicon, cfg)
    seen = {w for v in vocab.values() for k in ("train", "frequent", "rare", "names") for w in v[k]}
    rng = np.random.default_rng(seed)
    out = []
    for pair, sets in vocab.items():
        spoken, signed = pair.split("-")
        out += [("val", pair, w) for w in sets["val"]]
        for double in (True, False):
            draw = SpellingConfig(pseudo_double_prob=1.0 if double else 0.0, seed=seed)
            words: list[str] = []
            for _ in range(50 * per_pair):
                if len(words) == per_pair // 2:
                    break
                w = pseudo_word(lexicon, spoken, signed, rng, draw)
                if w not in seen and w not in words and doubled(w) == double:
                    words.append(w)
            out += [("pseudo", pair, w) for w in words]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reader", default="signgen/models/backtranslator")
    ap.add_argument("--beams", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--per-pair", type=int, default=10, help="pseudo-words per pair (half with a doubled letter)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--json", help="also write the table here")
    args = ap.parse_args()

    import jiwer

    from signgen.backtranslate.model import Backtranslator
    from signgen.eval.baselines import lookup_pose
    from signgen.pose.augment import change_speed

    reader = Backtranslator.from_pretrained(args.reader)
    items = selection_set(args.per_pair, args.seed)
    poses = {}
    t0 = time.time()
    for kind, pair, text in items:
        spoken, signed = pair.split("-")
        with contextlib.redirect_stderr(io.StringIO()):
            poses[(pair, text)] = lookup_pose(text, spoken, signed)
    print(f"{len(items)} texts composed by the lookup in {time.time() - t0:.0f} s "
          f"({sum(doubled(t) for _, _, t in items)} with a doubled letter)")
    rows = []
    for speed in (1.0, 0.5, 2.0):
        arrays = [poses[(p, t)] if speed == 1.0 else change_speed(*poses[(p, t)], speed) for _, p, t in items]
        langs = [p.split("-")[1] for _, p, _ in items]
        for beams in args.beams:
            t0 = time.time()
            hyps = reader.translate(arrays, langs, beams=beams)
            took = time.time() - t0
            for kind in ("val", "pseudo"):
                sel = [k for k, it in enumerate(items) if it[0] == kind]
                refs, hy = [items[k][2] for k in sel], [hyps[k] for k in sel]
                exact = np.array([r == h for r, h in zip(refs, hy)])
                dbl = np.array([doubled(r) for r in refs])
                rows.append({"set": kind, "speed": f"{speed:g}x", "beams": beams, "n": len(refs),
                             "cer": round(100 * jiwer.cer(refs, [h or " " for h in hy]), 2),
                             "exact": round(100 * exact.mean(), 1),
                             "exact_doubled": round(100 * exact[dbl].mean(), 1) if dbl.any() else None,
                             "exact_other": round(100 * exact[~dbl].mean(), 1) if (~dbl).any() else None,
                             "decode_s": round(took, 2)})
    print("| set | speed | beams | n | CER | exact % | exact, doubled % | exact, others % |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['speed']} | {r['beams']} | {r['n']} | {r['cer']} | {r['exact']} | {r['exact_doubled']} | {r['exact_other']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"reader": args.reader, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
