"""The `signgen` command line: thin commands over library functions.

Every command takes its settings from a typed config: `--config PRESET_OR_YAML` plus `key=value` overrides.
Errors the user can fix print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import SigngenError


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_data_starter(args: argparse.Namespace) -> None:
    from data_prep.starter import StarterConfig, build

    from .config import load_config

    cfg = load_config(StarterConfig, args.config, args.overrides, group="corpus")
    start = time.perf_counter()
    corpus = build(cfg, args.output, progress=not args.quiet)
    counts = corpus.info.get("counts", {})
    _say(f"corpus: {args.output} ({len(corpus.samples)} samples {counts}, "
         f"{len(corpus.signed_languages)} sign languages) in {time.perf_counter() - start:.0f} s")


def _load_show_pose(args: argparse.Namespace):
    from .corpus import Corpus
    from .pose import read_pose, to_canonical

    src = Path(args.input)
    if src.is_dir():
        corpus = Corpus(src)
        if args.id:
            matches = [s for s in corpus.samples if s.id == args.id]
            if not matches:
                raise SigngenError(f"{src}: no sample with id {args.id!r}")
            sample = matches[0]
        else:
            rows = corpus.split(args.split)
            if not 0 <= args.index < len(rows):
                raise SigngenError(f"{src}: split '{args.split}' has {len(rows)} samples; --index must be below that")
            sample = rows[args.index]
        _say(f"sample {sample.id} ({sample.split}, {sample.spoken_language}-{sample.signed_language}): {sample.text!r}")
        return read_pose(corpus.pose_file(sample)), sample.text
    return to_canonical(read_pose(src)), src.stem


def cmd_show(args: argparse.Namespace) -> None:
    from .video import contact_sheet, write_mp4
    from .visualize import skeleton_frames

    if not 64 <= args.size <= 2048:
        raise SigngenError(f"--size {args.size}: choose between 64 and 2048 pixels")
    pose, title = _load_show_pose(args)
    frames = skeleton_frames(pose, size=args.size)
    out = write_mp4(frames, args.output, fps=pose.body.fps)
    _say(f"video: {out} ({len(frames)} frames at {pose.body.fps:g} fps)")
    if args.sheet:
        _say(f"sheet: {contact_sheet(frames, args.sheet, title=title)}")


def cmd_train_motion(args: argparse.Namespace) -> None:
    from .config import load_config
    from .motion.train import MotionTrainConfig, train_motion

    cfg = load_config(MotionTrainConfig, args.config, args.overrides, group="motion")
    final = train_motion(args.corpus, cfg, args.output, progress=not args.quiet)
    _say(f"model: {final}  (curve: {Path(args.output) / 'curve.png'})")


DEFAULT_MOTION = Path(__file__).resolve().parent / "models" / "motion"


def cmd_pose(args: argparse.Namespace) -> None:
    from .motion.diffusion import SAMPLERS, sample
    from .motion.model import MotionModel
    from .pose import array_to_pose, write_pose

    model_dir = Path(args.model) if args.model else DEFAULT_MOTION
    if not model_dir.exists():
        raise SigngenError(f"{model_dir}: no motion model there; train one (signgen train motion) and pass --model DIR")
    if args.steps is not None and not 1 <= args.steps <= 1000:
        raise SigngenError(f"--steps {args.steps}: choose between 1 and 1000")
    if args.guidance is not None and not 0 <= args.guidance <= 20:
        raise SigngenError(f"--guidance {args.guidance}: choose between 0 and 20 (1 = no guidance)")
    if args.sampler is not None and args.sampler not in SAMPLERS:
        raise SigngenError(f"--sampler {args.sampler}: choose one of {SAMPLERS}")
    start = time.perf_counter()
    model, stats = MotionModel.from_pretrained(model_dir)
    if args.frames is not None and not 8 <= args.frames <= model.cfg.denoiser.max_frames:
        raise SigngenError(f"--frames {args.frames}: choose between 8 and {model.cfg.denoiser.max_frames}")
    loaded = time.perf_counter()
    text = " ".join(args.text.split())
    x, vis, fm = sample(model, [text], [args.lang], frames=[args.frames] if args.frames else None,
                        steps=args.steps, guidance=args.guidance, sampler=args.sampler, seed=args.seed)
    n = int(fm[0].sum())
    pose = array_to_pose(stats.denormalize(x[0, :n].numpy()), vis[0, :n].numpy() > 0.5)
    write_pose(pose, args.output)
    _say(f"pose: {args.output} ({n} frames, load {loaded - start:.2f} s, sample {time.perf_counter() - loaded:.2f} s)")


# -- SMPL-X: fit, render, demo model -----------------------------------------------------------------

def cmd_smplx_fit(args: argparse.Namespace) -> None:
    from .config import load_config
    from .smplx.fit import SmplxFitConfig, fit_smplx, keypoints_from_pose, save_fit
    from .smplx.model import find_model_file

    cfg = load_config(SmplxFitConfig, args.config, args.overrides, group="smplx")
    find_model_file(args.model_dir, cfg.gender)  # fail before reading the pose
    x, mask, fps = keypoints_from_pose(args.input)
    start = time.perf_counter()
    params = fit_smplx(x, mask, args.model_dir, cfg, fps=fps, progress=not args.quiet)
    took = time.perf_counter() - start
    save_fit(params, args.output)
    import numpy as np

    _say(f"smplx: {args.output} ({len(x)} frames, {len(x) / took:.2f} frames/s, "
         f"mean keypoint error {np.nanmean(params['keypoint_error']):.4f} shoulder widths)")


def cmd_smplx_render(args: argparse.Namespace) -> None:
    from .smplx.render import render_mesh
    from .smplx.fit import load_fit
    from .video import contact_sheet, write_mp4

    params = load_fit(args.input)
    frames = render_mesh(params, args.model_dir, size=args.size, progress=not args.quiet)
    out = write_mp4(frames, args.output, fps=params["fps"])
    _say(f"video: {out} ({len(frames)} frames at {params['fps']:g} fps)")
    if args.sheet:
        _say(f"sheet: {contact_sheet(frames, args.sheet, title=Path(args.input).name)}")


def cmd_smplx_demo_model(args: argparse.Namespace) -> None:
    from .smplx.model import GENDERS
    from .smplx.synthetic import write_synthetic_model

    if args.gender not in GENDERS:
        raise SigngenError(f"--gender {args.gender}: choose one of {list(GENDERS)}")
    path = write_synthetic_model(args.output, args.gender)
    _say(f"synthetic SMPL-X stand-in (not a body model; for trying the pipeline): {path}")


class _TrailingOverridesParser(argparse.ArgumentParser):
    """Lets `key=value` overrides follow options when the command also has a leading positional input."""

    def parse_known_args(self, args=None, namespace=None):
        ns, extra = super().parse_known_args(args, namespace)
        kv = [a for a in extra if "=" in a and not a.startswith("-")]
        if hasattr(ns, "overrides"):
            ns.overrides = list(ns.overrides or []) + kv
            extra = [a for a in extra if a not in kv]
        return ns, extra


def add_smplx_parser(sub) -> None:
    smplx = sub.add_parser("smplx", help="SMPL-X fitting, export and mesh video").add_subparsers(
        dest="smplx_command", required=True, parser_class=_TrailingOverridesParser)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signgen", description="Text to sign-language pose and video.")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="build or import a corpus").add_subparsers(dest="data_command", required=True)
    starter = data.add_parser("starter", help="fingerspelling corpus from real signers (offline)")
    starter.add_argument("-o", "--output", required=True, help="corpus directory to write (resumes if it exists)")
    starter.add_argument("--config", default=None, help="preset name in configs/corpus/ or a YAML path")
    starter.add_argument("--quiet", action="store_true", help="no progress bar")
    starter.add_argument("overrides", nargs="*", help="config overrides, e.g. pairs=[en-ase,de-gsg] words_per_language=50")
    starter.set_defaults(func=cmd_data_starter)

    show = sub.add_parser("show", help="draw a .pose (or a corpus sample) as a skeleton video")
    show.add_argument("input", help="a .pose file, or a corpus directory")
    show.add_argument("-o", "--output", required=True, help="output .mp4")
    show.add_argument("--sheet", default=None, help="also write a PNG contact sheet")
    show.add_argument("--size", type=int, default=512)
    show.add_argument("--split", default="test", help="with a corpus: which split")
    show.add_argument("--index", type=int, default=0, help="with a corpus: sample number within the split")
    show.add_argument("--id", default=None, help="with a corpus: sample id (overrides --split/--index)")
    show.set_defaults(func=cmd_show)

    train = sub.add_parser("train", help="train a model on a corpus").add_subparsers(dest="train_command", required=True)
    motion = train.add_parser("motion", help="text-to-pose diffusion model")
    motion.add_argument("--corpus", required=True, help="corpus directory (signgen layout)")
    motion.add_argument("-o", "--output", default="runs/motion", help="run directory (resumes if it has checkpoints)")
    motion.add_argument("--config", default=None, help="preset in configs/motion/ (S, B, L, cpu) or a YAML path")
    motion.add_argument("--quiet", action="store_true")
    motion.add_argument("overrides", nargs="*", help="e.g. train.steps=2000 model.text.kind=minilm")
    motion.set_defaults(func=cmd_train_motion)

    pose = sub.add_parser("pose", help="generate a .pose from text")
    pose.add_argument("text")
    pose.add_argument("--lang", default="ase", help="sign language code (e.g. ase, gsg)")
    pose.add_argument("-o", "--output", required=True, help="output .pose")
    pose.add_argument("--model", default=None, help="motion model directory (default: the shipped one)")
    pose.add_argument("--steps", type=int, default=None)
    pose.add_argument("--guidance", type=float, default=None)
    pose.add_argument("--sampler", default=None)
    pose.add_argument("--seed", type=int, default=0)
    pose.add_argument("--frames", type=int, default=None, help="override the predicted duration")
    pose.set_defaults(func=cmd_pose)

    add_smplx_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except SigngenError as e:
        _say(f"signgen: error: {e}")
        return 2
    except KeyboardInterrupt:
        _say("signgen: interrupted; finished work is saved, re-run the same command to resume")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
