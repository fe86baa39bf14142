"""The diffusion renderer over a long clip: does the last second look as good as the first?

Renders a `.pose` (e.g. a generated 10+ s one) with the diffusion renderer and with the avatar it was trained to
reproduce (the target, signer style 0), at --size, and reports SSIM against the target per second, the first
and last second, the clip's drift (mean SSIM minus its last quarter's) and flicker against the target's.

    signgen pose "massachusetts washington" --lang ase --seed 0 -o runs/long.pose
    OMP_NUM_THREADS=1 python bench/render_long.py runs/long.pose --size 128 --sheet runs/long.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pose")
    ap.add_argument("--model", default=None, help="diffusion renderer directory (default: the shipped one)")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--sheet", default=None, help="PNG contact sheet: generated above, target below")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from signgen import shipped
    from signgen.pose import read_canonical
    from signgen.render.avatar import AvatarRenderer
    from signgen.render.diffusion import DiffusionRenderer
    from signgen.render.frames import pose_arrays
    from signgen.render.metrics import drift, flicker, ssim

    pose = read_canonical(args.pose)
    x, mask = pose_arrays(pose, args.pose)
    fps = int(round(float(pose.body.fps)))
    model_dir = Path(args.model) if args.model else shipped.RENDERER
    gen = DiffusionRenderer.from_pretrained(model_dir, size=args.size).render(pose)
    target = AvatarRenderer(args.size).render_arrays(x, mask)
    per_second = [ssim(gen[a : a + fps], target[a : a + fps]) for a in range(0, len(gen) - fps + 1, fps)]
    out = {"pose": args.pose, "model": str(model_dir), "frames": len(gen), "seconds": round(len(gen) / fps, 2),
           "size": args.size, "ssim": ssim(gen, target), "ssim_per_second": [round(v, 4) for v in per_second],
           "first_second": per_second[0], "last_second": per_second[-1], "drift": drift(gen, target),
           "flicker_ratio": flicker(gen) / max(flicker(target), 1e-9)}
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    if args.sheet:
        from signgen.video import contact_sheet

        contact_sheet(np.concatenate([gen, target], axis=1), args.sheet, count=12, columns=6,
                      title=f"{model_dir.name}: generated (top) / avatar target (bottom), {out['seconds']} s")


if __name__ == "__main__":
    main()
