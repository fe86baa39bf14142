"""signgen smplx: fit SMPL-X to a 3D .pose (the npz Blender/Unity add-ons read), render the fit as a mesh
video, and write a synthetic stand-in body model for trying the pipeline."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import SigngenError
from .common import say


def cmd_smplx_fit(args: argparse.Namespace) -> None:
    from ..config import load_config
    from ..smplx.fit import SmplxFitConfig, fit_smplx, keypoints_from_pose, save_fit
    from ..smplx.model import find_model_file

    cfg = load_config(SmplxFitConfig, args.config, args.overrides, group="smplx")
    find_model_file(args.model_dir, cfg.gender)  # fail before reading the pose
    x, mask, fps = keypoints_from_pose(args.input)
    start = time.perf_counter()
    params = fit_smplx(x, mask, args.model_dir, cfg, fps=fps, progress=not args.quiet)
    took = time.perf_counter() - start
    save_fit(params, args.output)
    import numpy as np

    say(f"smplx: {args.output} ({len(x)} frames, {len(x) / took:.2f} frames/s, "
        f"mean keypoint error {np.nanmean(params['keypoint_error']):.4f} shoulder widths)")


def cmd_smplx_render(args: argparse.Namespace) -> None:
    from ..smplx.render import render_mesh
    from ..smplx.fit import load_fit
    from ..video import contact_sheet, write_mp4

    params = load_fit(args.input)
    frames = render_mesh(params, args.model_dir, size=args.size, progress=not args.quiet)
    out = write_mp4(frames, args.output, fps=params["fps"])
    say(f"video: {out} ({len(frames)} frames at {params['fps']:g} fps)")
    if args.sheet:
        say(f"sheet: {contact_sheet(frames, args.sheet, title=Path(args.input).name)}")


def cmd_smplx_demo_model(args: argparse.Namespace) -> None:
    from ..smplx.model import GENDERS
    from ..smplx.synthetic import write_synthetic_model

    if args.gender not in GENDERS:
        raise SigngenError(f"--gender {args.gender}: choose one of {list(GENDERS)}")
    path = write_synthetic_model(args.output, args.gender)
    say(f"synthetic SMPL-X stand-in (not a body model; for trying the pipeline): {path}")


def add_parsers(sub) -> None:
    smplx = sub.add_parser("smplx", help="SMPL-X fitting, export and mesh video").add_subparsers(dest="smplx_command", required=True)
    fit = smplx.add_parser("fit", help="fit SMPL-X to a 3D .pose; write the SMPL-X npz (Blender/Unity add-ons)")
    fit.add_argument("input", help="a 3D .pose (MediaPipe Holistic or `signgen pose` output)")
    fit.add_argument("--model-dir", required=True, help="folder with your SMPLX_<GENDER>.npz (or the file itself)")
    fit.add_argument("-o", "--output", required=True, help="output .npz")
    fit.add_argument("--config", default=None, help="preset in configs/smplx/ (default, fast) or a YAML path")
    fit.add_argument("--quiet", action="store_true")
    fit.add_argument("overrides", nargs="*", help="e.g. gender=female iters=200 weights.smooth=1.0")
    fit.set_defaults(func=cmd_smplx_fit)
    render = smplx.add_parser("render", help="render a fitted SMPL-X npz as a mesh video (CPU)")
    render.add_argument("input", help="npz written by `signgen smplx fit`")
    render.add_argument("--model-dir", required=True, help="folder with the SMPLX_<GENDER>.npz the fit used")
    render.add_argument("-o", "--output", required=True, help="output .mp4")
    render.add_argument("--size", type=int, default=256)
    render.add_argument("--sheet", default=None, help="also write a PNG contact sheet")
    render.add_argument("--quiet", action="store_true")
    render.set_defaults(func=cmd_smplx_render)
    demo = smplx.add_parser("demo-model", help="write a synthetic SMPLX_<GENDER>.npz stand-in (for trying the pipeline)")
    demo.add_argument("-o", "--output", required=True, help="folder to write SMPLX_<GENDER>.npz into")
    demo.add_argument("--gender", default="neutral")
    demo.set_defaults(func=cmd_smplx_demo_model)
