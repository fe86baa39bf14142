"""signgen render (a .pose -> signer video with any registered renderer) and signgen show (a .pose or a corpus
sample -> skeleton video)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import SigngenError
from .common import say


def cmd_render(args: argparse.Namespace) -> None:
    import numpy as np

    from ..pose import read_canonical
    from ..render import make_renderer
    from ..video import contact_sheet, write_mp4

    renderer = make_renderer(args.renderer, args.renderer_config, model_dir=args.renderer_model, size=args.size,
                             steps=args.steps, seed=args.seed, hand_zoom=not args.no_hand_zoom)
    pose = read_canonical(args.input)
    start = time.perf_counter()
    frames = renderer.render(pose, progress=not args.quiet)
    took = time.perf_counter() - start
    if args.side_by_side:
        skeleton = make_renderer("skeleton", size=frames.shape[1], hand_zoom=not args.no_hand_zoom).render(pose)
        frames = np.concatenate([skeleton, frames], axis=2)
    out = write_mp4(frames, args.output, fps=renderer.fps)
    say(f"video: {out} ({len(frames)} frames, {args.renderer} at {len(frames) / took:.1f} fps)")
    if args.sheet:
        say(f"sheet: {contact_sheet(frames, args.sheet, title=f'{Path(args.input).name} ({args.renderer})')}")


def cmd_show(args: argparse.Namespace) -> None:
    from ..render import check_size
    from ..video import contact_sheet, write_mp4
    from ..render.skeleton import skeleton_frames

    check_size(args.size)
    pose, title = _show_pose(args)
    frames = skeleton_frames(pose, size=args.size, hand_zoom=not args.no_hand_zoom)
    out = write_mp4(frames, args.output, fps=pose.body.fps)
    say(f"video: {out} ({len(frames)} frames at {pose.body.fps:g} fps)")
    if args.sheet:
        say(f"sheet: {contact_sheet(frames, args.sheet, title=title)}")


def _show_pose(args: argparse.Namespace):
    """(canonical pose, title) of `signgen show`'s input: a .pose file, or a sample of a corpus directory."""
    from ..corpus import Corpus
    from ..pose import read_canonical

    src = Path(args.input)
    if not src.is_dir():
        return read_canonical(src), src.stem
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
    say(f"sample {sample.id} ({sample.split}, {sample.spoken_language}-{sample.signed_language}): {sample.text!r}")
    return read_canonical(corpus.pose_file(sample)), sample.text


def add_parsers(sub) -> None:
    render = sub.add_parser("render", help="render a .pose as signer video")
    render.add_argument("input", help="a .pose file")
    render.add_argument("-o", "--output", required=True, help="output .mp4 (H.264)")
    render.add_argument("--renderer", default="avatar", help="avatar | skeleton | diffusion | mesh (SMPL-X fit), or a registered plug-in")
    render.add_argument("--renderer-model", default=None, help="diffusion: a renderer directory (default: the shipped one); mesh: your SMPL-X model folder")
    render.add_argument("--renderer-config", default=None, help="the backend's config: a preset in configs/render/ or a YAML path")
    render.add_argument("--size", type=int, default=None, help="frame size in pixels (default 256)")
    render.add_argument("--steps", type=int, default=None, help="diffusion sampling steps")
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--side-by-side", action="store_true", help="skeleton on the left, rendering on the right")
    render.add_argument("--no-hand-zoom", action="store_true", help="avatar/skeleton: leave out the close-up of the signing hand (top right)")
    render.add_argument("--sheet", default=None, help="also write a PNG contact sheet")
    render.add_argument("--quiet", action="store_true")
    render.set_defaults(func=cmd_render)

    show = sub.add_parser("show", help="draw a .pose (or a corpus sample) as a skeleton video")
    show.add_argument("input", help="a .pose file, or a corpus directory")
    show.add_argument("-o", "--output", required=True, help="output .mp4")
    show.add_argument("--sheet", default=None, help="also write a PNG contact sheet")
    show.add_argument("--size", type=int, default=512)
    show.add_argument("--split", default="test", help="with a corpus: which split")
    show.add_argument("--index", type=int, default=0, help="with a corpus: sample number within the split")
    show.add_argument("--id", default=None, help="with a corpus: sample id (overrides --split/--index)")
    show.add_argument("--no-hand-zoom", action="store_true", help="leave out the close-up of the signing hand (top right)")
    show.set_defaults(func=cmd_show)
