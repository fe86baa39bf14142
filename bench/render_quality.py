"""Renderer quality and speed: SSIM / PSNR / drift (mean SSIM minus the last quarter's) / flicker of the diffusion renderer on held-out (frame, pose) clips,
and frames per second of every backend. FID only with a local Inception TorchScript file (--fid-weights).

    OMP_NUM_THREADS=1 python bench/render_quality.py --frames FRAMES_DIR [--model DIR] [--clips 3] [--max-frames 50] \
        [--at 128] [--view body|closeup]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", required=True, help="frames directory; its split=val clips are held out from training")
    ap.add_argument("--model", default=None, help="diffusion renderer directory (default: the shipped one)")
    ap.add_argument("--clips", type=int, default=3)
    ap.add_argument("--max-frames", type=int, default=50)
    ap.add_argument("--size", type=int, default=256, help="size for the fps measurement")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--at", type=int, default=None, help="measure quality at this resolution (default: the model's own); "
                    "the output is resized to it, the target frames are loaded at it")
    ap.add_argument("--view", choices=["body", "closeup"], default="body",
                    help="which held-out clips: the body frames, or the hand close-up frames (`data frames --close-ups`)")
    ap.add_argument("--fid-weights", default=None, help="local TorchScript Inception (never downloaded)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--fps-renderers", default="skeleton,avatar,diffusion", help="renderers whose fps is measured")
    ap.add_argument("--sheet", default=None, help="PNG contact sheet of the first held-out clip: generated above, target below")
    args = ap.parse_args()

    import torch

    from signgen.pose.tensors import array_to_pose
    from signgen import shipped
    from signgen.render import make_renderer
    from signgen.render.diffusion import DiffusionRenderer
    from signgen.render.framesdir import load_clip, read_clips
    from signgen.render.metrics import drift, excess_flicker, fid, flicker, psnr, ssim

    model_dir = Path(args.model) if args.model else shipped.RENDERER
    diff = DiffusionRenderer.from_pretrained(model_dir, steps=args.steps)
    if args.view == "closeup" and diff.closeup is not None:  # the close-up view is drawn by the close-up renderer
        diff.model = diff.closeup
    res = args.at or diff.model.cfg.size
    diff.size = res  # quality is measured at the model's own resolution unless --at says otherwise
    clips = [c for c in read_clips(args.frames) if c.split == "val" and c.view == args.view][: args.clips]
    if not clips:
        raise SystemExit(f"{args.frames}: no held-out (split=val) clip of view {args.view}")
    signers = diff.model.cfg.signers
    gen_all, tgt_all, rows = [], [], []
    for c in clips:
        target, x, mask = load_clip(args.frames, c, res)
        target, x, mask = target[: args.max_frames], x[: args.max_frames], mask[: args.max_frames]
        diff.signer = signers.index(c.signer) if c.signer in signers else 0
        gen = diff.render(array_to_pose(x, mask))
        rows.append({"clip": c.clip, "frames": len(gen), "ssim": ssim(gen, target), "psnr": psnr(gen, target),
                     "drift": drift(gen, target), "flicker": flicker(gen), "target_flicker": flicker(target), "excess_flicker": excess_flicker(gen, target)})
        gen_all.append(gen), tgt_all.append(target)
    if args.sheet:
        from signgen.video import contact_sheet

        both = np.concatenate([gen_all[0], tgt_all[0]], axis=1)  # each tile: generated over target
        contact_sheet(both, args.sheet, count=12, columns=6, title=f"{model_dir.name}: generated (top) / target (bottom)")
    quality = {k: float(np.mean([r[k] for r in rows])) for k in ("ssim", "psnr", "drift", "flicker", "target_flicker", "excess_flicker")}
    # Baseline for the same metrics: a blank frame of the target's mean colour (what "learned nothing" scores).
    tgt = np.concatenate(tgt_all)
    blank = np.broadcast_to(tgt.reshape(-1, 3).mean(0).round().astype(np.uint8), tgt.shape)
    quality["baseline_mean_colour"] = {"ssim": ssim(blank, tgt), "psnr": psnr(blank, tgt)}
    if args.fid_weights:
        quality["fid"] = fid(np.concatenate(gen_all), tgt, args.fid_weights)

    # fps of each backend at --size on the first held-out clip
    _, x, mask = load_clip(args.frames, clips[0], res)
    pose = array_to_pose(x[:25], mask[:25])
    speed = {}
    for kind in args.fps_renderers.split(","):
        r = make_renderer(kind, model_dir=model_dir, size=args.size, steps=args.steps)
        r.render(array_to_pose(x[:2], mask[:2]))  # warm-up
        t = time.perf_counter()
        n = len(r.render(pose))
        speed[kind] = n / (time.perf_counter() - t)
    out = {"machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, {'cuda' if torch.cuda.is_available() else 'cpu'}",
           "model": str(model_dir), "model_resolution": diff.model.cfg.size, "resolution": res, "view": args.view, "steps": args.steps or diff.model.cfg.steps, "clips": rows,
           "quality": quality, "fps_at_size": args.size, "fps": speed}
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
