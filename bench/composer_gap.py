"""Where the letter reader's training compositions differ from spoken-to-signed's lookup.

    signgen data heldout -o corpora/heldout
    python bench/composer_gap.py --corpus corpora/heldout [--reader signgen/models/backtranslator]

The same held-out words (rare and names at 1x; every second one) are read by the reader four ways: as the
lookup itself composed them (the held-out corpus), as signgen's composer makes them at the lookup's pace
(`lexicon.fingerspell`), in the lookup's own order (`lexicon.capped_clips`: letters capped before the joins are
cut), and in that order with each hand interpolated through its undetected frames (`spelling.fill_hand_gaps`,
what the lookup's concatenation does). A composition that reads like the lookup reproduces its timing and gaps.
"""

from __future__ import annotations

import argparse

import jiwer
import torch

from signgen.backtranslate.model import Backtranslator
from signgen.backtranslate.spelling import fill_hand_gaps, smooth
from signgen.corpus import Corpus
from signgen.lexicon import LOOKUP_CUT_FRAMES, Lexicon, capped_clips, compose, fingerspell, spell_text
from signgen.shipped import BACKTRANSLATOR


def lookup_order(lexicon: Lexicon, text: str, spoken: str, signed: str):
    units = capped_clips(spell_text(lexicon, text, spoken, signed))
    comp = compose(units, None, [[1] * (len(w) - 1) for w in units], [1] * (len(units) - 1),
                   cut_max_frames=LOOKUP_CUT_FRAMES, onset=True, offset=True)
    return smooth(comp.x, comp.mask, 6.0), comp.mask  # the lookup low-passes at 6 Hz


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="corpora/heldout")
    ap.add_argument("--reader", default=str(BACKTRANSLATOR))
    ap.add_argument("--splits", default="rare@1x,names@1x")
    args = ap.parse_args()
    torch.set_num_threads(2)
    reader = Backtranslator.from_pretrained(args.reader)
    corpus = Corpus(args.corpus)
    lexicon = Lexicon.builtin()
    samples = [s for split in args.splits.split(",") for s in corpus.split(split)][::2]
    refs, langs = [s.text for s in samples], [s.signed_language for s in samples]
    ordered = [lookup_order(lexicon, s.text, s.spoken_language, s.signed_language) for s in samples]
    rows = {
        "spoken-to-signed lookup (the held-out corpus)": [corpus.load(s) for s in samples],
        "signgen composer, lookup pace": [(c.x, c.mask) for c in (fingerspell(s.text, s.spoken_language, s.signed_language, lexicon) for s in samples)],
        "lookup order (capped, then cut)": ordered,
        "lookup order + hand gaps interpolated": [fill_hand_gaps(x, m) for x, m in ordered],
    }
    print(f"{len(samples)} texts of {args.splits}, reader {args.reader}\n")
    print("| composition | CER | exact |\n|---|---|---|")
    for name, arrays in rows.items():
        hyps = reader.translate(arrays, langs, beams=1)
        cer = 100 * jiwer.cer(refs, [h or " " for h in hyps])
        print(f"| {name} | {cer:.1f} | {sum(a == b for a, b in zip(refs, hyps))}/{len(refs)} |", flush=True)


if __name__ == "__main__":
    main()
