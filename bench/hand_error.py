"""Does the motion model read the text? Hand x0 error at fixed noise levels, conditional vs unconditional.

At t=999 the input is almost pure noise, so the only way to predict the handshapes is from the text: the gap
between the conditional and unconditional error is what the model has learnt from the letters. Two
reference numbers come with it: the hand variance (error of predicting the mean) and a per-sequence static
oracle (each sequence's own time-averaged hand, i.e. the best one could do without timing the letters).

    python bench/hand_error.py --corpus corpora/starter --model signgen/models/motion
    python bench/hand_error.py --corpus corpora/starter --model runs/motion/checkpoints/step-0001500

A training checkpoint (a `checkpoints/step-N` directory) is read with its EMA weights and the config it
was trained with. Numbers are in normalized units, over the hand joints (wrists excluded), on the first
`--samples` texts of the split, with a fixed noise seed.
"""

from __future__ import annotations

import argparse

import torch


def main() -> None:
    from signgen.corpus import Corpus
    from signgen.motion.diffusion import make_scheduler
    from signgen.motion.train import MotionData, model_or_checkpoint
    from signgen.pose.skeleton import component_slices

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", required=True, help="a model directory or a training checkpoint directory")
    ap.add_argument("--split", default="val")
    ap.add_argument("--samples", type=int, default=48)
    ap.add_argument("--timesteps", default="999,700,400")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    corpus = Corpus(args.corpus)
    model = model_or_checkpoint(args.model)
    data = MotionData(corpus, args.split, model)
    data.stats = model.stats
    batch = data.batch(range(min(args.samples, len(data.items))), None, None, 0)
    x0, fm = batch["x0"], batch["frame_mask"]
    slices = component_slices()
    hands = [j for name in ("LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS") for j in range(slices[name].start + 1, slices[name].stop)]
    weight = (batch["joint_mask"] & fm[..., None])[:, :, hands].float()

    def error(pred: torch.Tensor) -> float:
        return float((((pred[:, :, hands] - x0[:, :, hands]) ** 2).mean(-1) * weight).sum() / weight.sum())

    static = (x0 * fm[..., None, None]).sum(1, keepdim=True) / fm.sum(1)[:, None, None, None]
    print(f"{args.model}: {len(x0)} {args.split} texts")
    print(f"  hand variance (predict the mean): {error(torch.zeros_like(x0)):.3f}")
    print(f"  static per-sequence oracle:       {error(static.expand_as(x0)):.3f}")
    cond = model.encode_text(batch["texts"], batch["langs"])
    uncond = model.drop_condition(cond, torch.ones(len(x0), dtype=torch.bool))
    # letter_durations models see the corpus's letter timing, as in training (None: the even prior)
    positions = model.corpus_positions(batch["durations"], cond["mask"], fm)[0] if model.cfg.letter_durations else None
    scheduler = make_scheduler(model.cfg.diffusion)
    generator = torch.Generator().manual_seed(args.seed)
    for t in [int(v) for v in args.timesteps.split(",")]:
        steps = torch.full((len(x0),), t)
        x_t = scheduler.add_noise(x0, torch.randn(x0.shape, generator=generator), steps) * fm[..., None, None]
        with torch.no_grad():
            c = error(model(x_t, steps, cond, fm, positions)[0])
            u = error(model(x_t, steps, uncond, fm, positions)[0])
        print(f"  t={t}: hand error conditional {c:.3f}, unconditional {u:.3f}")


if __name__ == "__main__":
    main()
