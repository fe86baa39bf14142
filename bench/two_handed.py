"""Two-handed letters: does the reader cope with spoken-to-signed's hand interpolation?

In alphabets with two-handed letters (Croatian, Czech, Turkish, ...) spoken-to-signed's concatenation fills the
second hand's undetected frames by interpolation, so between two two-handed letters a second hand floats in view
through the one-handed letters. This probe draws fresh pseudo-words (never in any training vocabulary, nor in the
held-out sets) of the pattern two-handed, 1-3 one-handed, two-handed, one-handed letter, in every pair that has
both kinds, and reads each composed three ways: by spoken-to-signed's lookup, by signgen's composer at the
lookup's pace, and by that composition with each hand interpolated through its gaps
(`spelling.fill_hand_gaps`). It is part of the reader's selection set: choose on it, never on corpora/heldout.

    python bench/two_handed.py --reader signgen/models/backtranslator
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

import numpy as np


def probe_words(per_pair: int, seed: int, exclude: set[str] = frozenset()) -> list[tuple[str, str]]:
    from signgen.backtranslate.spelling import SpellingConfig, two_handed_letters, two_handed_pattern, vocabulary
    from signgen.lexicon import Lexicon

    lexicon = Lexicon.builtin()
    vocab = vocabulary(lexicon, SpellingConfig())
    seen = {w for v in vocab.values() for k in ("train", "val", "frequent", "rare", "names") for w in v[k]} | set(exclude)
    rng = np.random.default_rng(seed)
    items = []
    for pair in vocab:
        spoken, signed = pair.split("-")
        two, one = two_handed_letters(lexicon, spoken, signed)
        if not two or not one:
            continue
        words: list[str] = []
        for _ in range(100 * per_pair):
            if len(words) == per_pair:
                break
            letters = two_handed_pattern(lexicon, spoken, signed, rng)
            w = "".join(letters) if letters else None
            if w and w not in seen and w not in words:
                words.append(w)
        items += [(pair, w) for w in words]
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reader", default="signgen/models/backtranslator")
    ap.add_argument("--per-pair", type=int, default=8)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--beams", type=int, default=4)
    ap.add_argument("--exclude-vocabulary", default=None,
                    help="a reader run's vocabulary.json: also leave out every word it trained on (a run with other SpellingConfig draws)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import jiwer

    from signgen.backtranslate.model import Backtranslator
    from signgen.backtranslate.spelling import compose_sample, fill_hand_gaps
    from signgen.eval.baselines import lookup_pose
    from signgen.lexicon import Lexicon

    lexicon = Lexicon.builtin()
    reader = Backtranslator.from_pretrained(args.reader)
    exclude: set[str] = set()
    if args.exclude_vocabulary:
        vocab = json.loads(Path(args.exclude_vocabulary).read_text())
        exclude = {w for v in vocab.values() for words in v.values() if isinstance(words, list) for w in words}
    items = probe_words(args.per_pair, args.seed, exclude)
    lookup, composer = [], []
    for pair, w in items:
        spoken, signed = pair.split("-")
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            lookup.append(lookup_pose(w, spoken, signed))
        c = compose_sample(lexicon, w, spoken, signed, None, None)
        composer.append((c.x, c.mask))
    filled = [fill_hand_gaps(x, m) for x, m in composer]
    langs = [p.split("-")[1] for p, _ in items]
    refs = [w for _, w in items]
    pairs = sorted({p for p, _ in items})
    rows = []
    for name, arrays in (("spoken-to-signed's lookup", lookup), ("signgen's composer", composer),
                         ("composer, hands interpolated through gaps", filled)):
        hyps = reader.translate(arrays, langs, beams=args.beams)
        cer = lambda sel: round(100 * jiwer.cer([refs[k] for k in sel], [hyps[k] or " " for k in sel]), 1)  # noqa: E731
        rows.append({"composition": name, "cer": cer(range(len(refs))), "exact": sum(r == h for r, h in zip(refs, hyps)),
                     "n": len(refs), "per_pair": {p: cer([k for k, (q, _) in enumerate(items) if q == p]) for p in pairs},
                     "misses": [(p, w, h) for (p, w), h in zip(items, hyps) if w != h][:8]})
    print(f"{len(items)} pseudo-words in {len(pairs)} pairs with two-handed letters; reader {args.reader}, beams {args.beams}")
    print("| composition | CER | exact | " + " | ".join(pairs) + " |")
    print("|---|---|---|" + "---|" * len(pairs))
    for r in rows:
        print(f"| {r['composition']} | {r['cer']} | {r['exact']}/{r['n']} | " + " | ".join(str(r["per_pair"][p]) for p in pairs) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"reader": args.reader, "rows": rows}, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
