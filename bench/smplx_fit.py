"""SMPL-X fit quality and speed on the synthetic model: per-joint keypoint error and frames/s on this machine.

    OMP_NUM_THREADS=1 python bench/smplx_fit.py --frames 50 --config default --json out.json

Builds the synthetic SMPLX_NEUTRAL.npz, generates known motion with it (signgen.smplx.synthetic), fits it with
the chosen preset and reports: mean / 95th-percentile keypoint error per part in canonical units (shoulder
widths), parameter recovery errors, and fit frames per second (wall clock, including both stages).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from signgen.config import load_config  # noqa: E402
from signgen.smplx.fit import SmplxFitConfig, fit_smplx  # noqa: E402
from signgen.smplx.model import correspondence  # noqa: E402
from signgen.smplx.synthetic import synthetic_motion, write_synthetic_model  # noqa: E402


def upper_body_vertex_error(model_dir, fit: dict, truth: dict) -> float:
    """Mean distance of the upper-body mesh vertices, each mesh over its own scale and centred on its shoulders."""
    import torch

    from signgen.smplx.fit import POSE_KEYS
    from signgen.smplx.model import KeypointModel, load_smplx
    from signgen.smplx.synthetic import LEG_JOINTS

    km = KeypointModel(load_smplx(model_dir))
    up = ~np.isin(km.model.lbs_weights.argmax(1).numpy(), LEG_JOINTS)

    def mesh(p):
        t = {k: torch.as_tensor(np.asarray(p[k], np.float32)) for k in POSE_KEYS}
        b = torch.as_tensor(np.asarray(p["betas"], np.float32))[None]
        with torch.no_grad():
            v, j = km.vertices(t, b).numpy(), km(t, b).numpy()
        return (v[:, up] - (j[:, 16] + j[:, 17]).mean(0) / 2) / p["canonical_scale"]

    return float(np.linalg.norm(mesh(fit) - mesh(truth), axis=-1).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--config", default="default", help="preset in configs/smplx/")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device-note", default=f"{platform.machine()}, {platform.python_version()}")
    ap.add_argument("--json", default=None)
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    import torch

    cfg = load_config(SmplxFitConfig, args.config, args.overrides, group="smplx")
    with tempfile.TemporaryDirectory() as d:
        write_synthetic_model(d)
        x, mask, truth = synthetic_motion(d, args.frames, seed=args.seed)
        start = time.perf_counter()
        res = fit_smplx(x, mask, d, cfg, progress=True)
        took = time.perf_counter() - start
        vertex_error = upper_body_vertex_error(d, res, truth)
    src, _, part = correspondence()
    err = res["keypoint_error"][:, src]
    report = {
        "frames": args.frames, "preset": args.config, "overrides": args.overrides, "seconds": round(took, 2),
        "frames_per_s": round(args.frames / took, 3), "torch_threads": torch.get_num_threads(), "machine": args.device_note,
        "keypoint_error_mean": round(float(np.nanmean(err)), 4),
        "keypoint_error_p95": round(float(np.nanpercentile(err, 95)), 4),
    }
    report["upper_body_vertex_error_mean"] = round(vertex_error, 4)
    for k, name in enumerate(("body", "hands", "face")):
        report[f"{name}_error_mean"] = round(float(np.nanmean(err[:, part == k])), 4)
    for key in ("left_hand_pose", "right_hand_pose", "jaw_pose", "body_pose", "expression"):
        report[f"{key}_abs_error"] = round(float(np.abs(res[key] - truth[key]).mean()), 4)
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
