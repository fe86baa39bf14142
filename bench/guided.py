"""Lexicon-guided generation: seams (frame-to-frame joint speed) and sampling latency, guided against pure.

Seams: on the first --limit samples of each held-out split (only --langs), the frame-to-frame speed of every
hand joint and both body wrists (canonical shoulder-width units per frame), pooled over frames and joints;
p50/p99/max for guided output, pure output and the ground truth (real signers' letters composed at the
lexicon's pace). A seam where a held handshape meets generated motion would show as a p99 above the truth's.
Also the same for the finger joints as offsets from their wrist (the handshape alone).

Latency: `generate_pose` batch 1 for each --texts, median of --repeats after one warm-up run, pure and guided
interleaved.

    OMP_NUM_THREADS=1 python bench/guided.py --corpus corpora/heldout --limit 20 --json runs/bench_guided.json
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
from signgen.motion.generate import generate_arrays, generate_pose
from signgen.errors import SigngenError
from signgen.motion.guided import LexiconGuide, finger_joints, moves
from signgen.motion.model import MotionModel
from signgen.pose.skeleton import component_slices, joint_index
from signgen.pose.tensors import hands_to_wrist


def measured_joints() -> tuple[np.ndarray, np.ndarray]:
    """(hand joints + both body wrists, finger joints without the hand roots) as index arrays."""
    s = component_slices()
    hands = [np.arange(s[f"{side}_HAND_LANDMARKS"].start, s[f"{side}_HAND_LANDMARKS"].stop) for side in ("LEFT", "RIGHT")]
    wrists = [joint_index("POSE_LANDMARKS", f"{side}_WRIST") for side in ("LEFT", "RIGHT")]
    return np.concatenate([*hands, wrists]), finger_joints()


def speeds(arrays: list[tuple[np.ndarray, np.ndarray]], joints: np.ndarray, relative: bool = False) -> np.ndarray:
    """Frame-to-frame speeds of `joints` where seen in both frames, pooled over all sequences."""
    out = []
    for x, mask in arrays:
        if relative:
            x, mask = hands_to_wrist(x, mask)
        v = np.linalg.norm(np.diff(x[:, joints], axis=0), axis=-1)  # (T-1, J)
        both = mask[1:, joints] & mask[:-1, joints]
        out.append(v[both])
    return np.concatenate(out) if out else np.zeros(0)


def has_moving_letter(model, guide: LexiconGuide, text: str, lang: str) -> bool:
    """True if the model can spell `text` and the lexicon spells it with a letter whose hand travels."""
    if model.text_encoder.misfits([text]):
        return False
    try:
        return any(moves(u.clip) for word in guide.units(text, lang) for u in word)
    except SigngenError:
        return False


def summary(v: np.ndarray) -> dict:
    return {"p50": float(np.percentile(v, 50)), "p99": float(np.percentile(v, 99)), "max": float(v.max()), "n": int(len(v))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="signgen/models/motion")
    ap.add_argument("--corpus", default="corpora/heldout")
    ap.add_argument("--splits", default="frequent@1x,rare@1x,names@1x,phrases@1x")
    ap.add_argument("--langs", default="ase,gsg", help="sign languages to keep (empty: all)")
    ap.add_argument("--limit", type=int, default=20, help="samples per split")
    ap.add_argument("--texts", default="hello,washington")
    ap.add_argument("--lang", default="ase")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--core", type=float, default=None, help="fraction of each slot held at full weight (default: guided.CORE)")
    ap.add_argument("--max-speed", type=float, default=None, help="letter clip pace limit (default: guided.MAX_SPEED)")
    ap.add_argument("--wrist", type=float, default=None, help="weight of a letter's hand position (LexiconGuide.hold_wrist; default guided.WRIST)")
    ap.add_argument("--hold-wrist", action="store_true", help="letters hold the hand's position fully (--wrist 1)")
    ap.add_argument("--follow-moves", action="store_true", help="a letter whose hand travels holds its path relative to the model's place (LexiconGuide.follow_moves)")
    ap.add_argument("--move-speed", type=float, default=None, help="clip pace limit for a letter whose hand travels (LexiconGuide.move_speed)")
    ap.add_argument("--smooth", type=float, default=None, help="LexiconGuide.smooth: frames of smoothing of the handshape changes at joins (0: off; default guided.SMOOTH)")
    ap.add_argument("--max-finger-speed", type=float, default=None, help="LexiconGuide.max_finger_speed: widen fades at fast joins")
    ap.add_argument("--only-moving", action="store_true", help="keep only texts with a letter whose hand travels (guided.moves)")
    ap.add_argument("--letters-one-handed", action="store_true", help="hold only the signing hand of two-handed letters (LexiconGuide.two_handed off)")
    ap.add_argument("--show-other-hand", action="store_true", help="leave the other hand's visibility to the model (LexiconGuide.hide_other off)")
    ap.add_argument("--backtranslator", default=None, help="also read every row with this reader: CER and exact reads per split")
    ap.add_argument("--no-latency", action="store_true", help="skip the latency runs")
    ap.add_argument("--no-pure", action="store_true", help="skip the pure rows (a sweep of guide settings)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    model = MotionModel.from_pretrained(args.model)
    guide = LexiconGuide.load()
    guide.core = guide.core if args.core is None else args.core
    guide.max_speed = guide.max_speed if args.max_speed is None else args.max_speed
    if args.hold_wrist or args.wrist is not None:
        guide.hold_wrist = 1.0 if args.hold_wrist else args.wrist
    guide.two_handed, guide.hide_other = not args.letters_one_handed, not args.show_other_hand
    guide.follow_moves = guide.follow_moves or args.follow_moves
    guide.max_finger_speed = guide.max_finger_speed if args.max_finger_speed is None else args.max_finger_speed
    guide.move_speed = guide.move_speed if args.move_speed is None else args.move_speed
    guide.smooth = guide.smooth if args.smooth is None else args.smooth
    corpus = Corpus(args.corpus)
    langs = set(filter(None, args.langs.split(",")))
    samples = []
    for split in args.splits.split(","):
        kept = [s for s in corpus.split(split) if not langs or s.signed_language in langs]
        if args.only_moving:
            kept = [s for s in kept if has_moving_letter(model, guide, s.text, s.signed_language)]
        samples += kept[: args.limit]
    splits = [s.split for s in samples]
    texts, sl = [s.text for s in samples], [s.signed_language for s in samples]
    truth = [corpus.load(s) for s in samples]
    guided = generate_arrays(model, texts, sl, guide=guide)
    rows = [("ground truth", truth), ("guided", guided)]
    if not args.no_pure:
        rows.append(("pure", generate_arrays(model, texts, sl)))
    joints, fingers = measured_joints()
    seams = {}
    for name, arrays in rows:
        seams[name] = {"hands+wrists": summary(speeds(arrays, joints)), "fingers rel. wrist": summary(speeds(arrays, fingers, True))}

    reads = {}
    if args.backtranslator:
        from signgen.backtranslate.model import Backtranslator
        from signgen.backtranslate.tokenizer import normalize_text
        from signgen.eval.metrics import text_metrics

        bt = Backtranslator.from_pretrained(args.backtranslator)
        for name, arrays in rows:
            hyps = bt.translate(arrays, sl)
            for split in dict.fromkeys(splits):
                idx = [k for k, sp in enumerate(splits) if sp == split]
                h, r = [hyps[k] for k in idx], [texts[k] for k in idx]
                reads[f"{split} {name}"] = {"cer": text_metrics(h, r)["cer"], "exact": sum(normalize_text(a) == normalize_text(b) for a, b in zip(h, r)), "n": len(idx)}
        print("| split | system | CER | exact |\n|---|---|---|---|")
        for key, v in reads.items():
            split, name = key.split(" ", 1)
            print(f"| {split} | {name} | {v['cer']:.1f} | {v['exact']}/{v['n']} |")

    latency = {}
    for text in ([] if args.no_latency else args.texts.split(",")):
        times = {"pure": [], "guided": []}  # latency always compares both, interleaved so that load hits both alike
        for r in range(args.repeats + 1):
            for name, g in (("pure", None), ("guided", guide)):
                t = time.perf_counter()
                generate_pose(model, text, args.lang, seed=r, guide=g)
                if r:
                    times[name].append(time.perf_counter() - t)
        for name, v in times.items():
            latency[f"{text} {name}"] = statistics.median(v)

    machine = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads"
    print(f"machine: {machine}; {len(samples)} samples of {args.splits} ({args.langs or 'all languages'})")
    print("| system | hands+wrists p50 | p99 | max | fingers rel. wrist p50 | p99 | max |\n|---|---|---|---|---|---|---|")
    for name, s in seams.items():
        a, b = s["hands+wrists"], s["fingers rel. wrist"]
        print(f"| {name} | {a['p50']:.4f} | {a['p99']:.4f} | {a['max']:.3f} | {b['p50']:.4f} | {b['p99']:.4f} | {b['max']:.3f} |")
    print("| text | pure (s) | guided (s) | guided / pure |\n|---|---|---|---|")
    for text in ([] if args.no_latency else args.texts.split(",")):
        p, g = latency[f"{text} pure"], latency[f"{text} guided"]
        print(f"| {text} | {p:.3f} | {g:.3f} | {g / p:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "core": guide.core, "max_speed": guide.max_speed, "hold_wrist": guide.hold_wrist, "two_handed": guide.two_handed, "hide_other": guide.hide_other, "smooth": guide.smooth, "samples": len(samples), "splits": args.splits, "seams": seams, "latency": latency, "reads": reads}, f, indent=2)


if __name__ == "__main__":
    main()
