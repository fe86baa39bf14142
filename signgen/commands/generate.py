"""signgen text (the main job: text -> pose -> video), signgen pose (text -> .pose) and signgen serve (HTTP)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .. import shipped
from ..errors import SigngenError
from .common import MODEL_HELP, say


def cmd_text(args: argparse.Namespace) -> None:
    from ..pipeline import check_text

    text = check_text(args.text)  # fail fast, before loading anything
    output = Path(args.output or default_video_name(text))
    if output.suffix.lower() != ".mp4":
        raise SigngenError(f"-o {output}: the video is written as H.264 mp4; give a path ending in .mp4")
    start = time.perf_counter()
    from ..pipeline import SignPipeline

    guide, edit = guide_and_edit(args)
    pipe = SignPipeline.from_pretrained(args.model, size=args.size, hand_zoom=not args.no_hand_zoom, guided=False)
    pipe.guide = guide
    say(f"load: {time.perf_counter() - start:.2f} s (motion model, languages {', '.join(pipe.languages)})")
    lang = args.lang or pipe.default_lang
    kind = args.renderer or pipe.default_renderer
    pipe.check(lang, kind)
    signable = pipe.signable(text)
    if signable.note:
        say(f"note: {signable.note}")
    text = signable.text
    how = "pure generation" if guide is None or not guide.covers(lang) else f"guided by lexicon {(guide.user or guide.builtin).name}"
    say(f"text: {text!r} -> {lang}, renderer {kind}, {how}")
    out = pipe(text, lang=lang, renderer=kind, seed=args.seed, steps=args.steps, guidance=args.guidance,
               frames=args.frames, render_steps=args.render_steps, progress=not args.quiet, edit=edit)
    t = out.timings
    say(f"motion: {len(out.frames)} frames ({len(out.frames) / out.fps:.1f} s of signing) in {t['motion']:.2f} s")
    say(f"render: {kind} {out.frames.shape[2]}x{out.frames.shape[1]} in {t['load_renderer'] + t['render']:.2f} s")
    write_start = time.perf_counter()
    out.save_video(output)
    say(f"video: {output} (encoded in {time.perf_counter() - write_start:.2f} s)")
    if args.save_pose:
        say(f"pose: {out.save_pose(args.save_pose)}")
    if args.sheet:
        from ..video import contact_sheet

        say(f"sheet: {contact_sheet(out.frames, args.sheet, title=text)}")
    say(f"total: {time.perf_counter() - start:.2f} s")


def cmd_pose(args: argparse.Namespace) -> None:
    from ..motion.generate import generate_pose
    from ..motion.model import MotionModel
    from ..pose import write_pose

    model_dir = shipped.motion_dir(args.model)
    start = time.perf_counter()
    guide, edit = guide_and_edit(args)
    model = MotionModel.from_pretrained(model_dir)
    loaded = time.perf_counter()
    signable = model.text_encoder.normalize(args.text)
    if signable.note:
        say(f"note: {signable.note}")
    pose = generate_pose(model, signable.text, args.lang, steps=args.steps, guidance=args.guidance,
                         sampler=args.sampler, frames=args.frames, seed=args.seed, guide=guide, edit=edit)
    write_pose(pose, args.output)
    how = "pure generation" if guide is None or not guide.covers(args.lang) else "lexicon-guided"
    say(f"pose: {args.output} ({len(pose.body.data)} frames, {how}, load {loaded - start:.2f} s, "
        f"sample {time.perf_counter() - loaded:.2f} s)")


def cmd_serve(args: argparse.Namespace) -> None:
    from ..serve import ServeConfig, serve

    serve(ServeConfig(host=args.host, port=args.port, model=args.model, max_chars=args.max_chars, queue=args.queue,
                      lexicon=args.lexicon, guided=not args.no_lexicon))


def guide_and_edit(args: argparse.Namespace):
    """(LexiconGuide or None, (pose, Keep) or None) from --lexicon/--no-lexicon and --edit/--keep."""
    from ..motion.edit import Keep
    from ..motion.guided import LexiconGuide
    from ..pose import read_canonical

    if args.lexicon and args.no_lexicon:
        raise SigngenError(f"--lexicon {args.lexicon} with --no-lexicon: choose one")
    if bool(args.edit) != bool(args.keep):
        raise SigngenError("--edit POSE and --keep WHAT go together, e.g. --edit old.pose --keep frames=0:10,40:50 or --keep body")
    guide = None if args.no_lexicon else LexiconGuide.load(args.lexicon)
    edit = None
    if args.edit:
        keep = Keep.parse(args.keep)  # check the spec before reading the pose
        try:
            pose = read_canonical(args.edit)
        except SigngenError as e:
            raise SigngenError(f"--edit {args.edit}: {e}") from None
        edit = (pose, keep)
    return guide, edit


def default_video_name(text: str) -> str:
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return f"{slug or 'signgen'}.mp4"


def _add_guide_arguments(p) -> None:
    p.add_argument("--lexicon", default=None, metavar="DIR",
                   help="user lexicon (index.csv + .pose files, spoken-to-signed's layout): its words are signed as whole signs")
    p.add_argument("--no-lexicon", action="store_true",
                   help="pure generation: do not hold the lexicon's handshapes (guided is the default where a lexicon covers --lang)")
    p.add_argument("--edit", default=None, metavar="POSE", help="a .pose to edit: keep what --keep names, generate the rest")
    p.add_argument("--keep", action="append", default=None, metavar="WHAT",
                   help="with --edit: frames=A:B[,C:D] (in-betweening) and/or parts body, face, hands, left_hand, right_hand")


def add_parsers(sub) -> None:
    text = sub.add_parser("text", help="text -> pose -> signer video (the main job)")
    text.add_argument("text", help="what to sign, e.g. \"hello\"")
    text.add_argument("-o", "--output", default=None, help="output .mp4 (default: named after the text, e.g. hello.mp4)")
    text.add_argument("--lang", default=None, help="sign language code, e.g. ase, gsg (default: the pipeline's)")
    text.add_argument("--renderer", default=None, help="avatar (default, fast on CPU), skeleton, or diffusion")
    text.add_argument("--model", default=None, help=MODEL_HELP)
    text.add_argument("--seed", type=int, default=0)
    text.add_argument("--steps", type=int, default=None, help="motion diffusion sampling steps")
    text.add_argument("--guidance", type=float, default=None, help="motion classifier-free guidance scale (1 = none)")
    text.add_argument("--frames", type=int, default=None, help="override the predicted duration (frames at 25 fps)")
    text.add_argument("--render-steps", type=int, default=None, help="diffusion renderer denoising steps")
    text.add_argument("--size", type=int, default=256, help="video frame size in pixels")
    text.add_argument("--no-hand-zoom", action="store_true", help="avatar/skeleton: leave out the close-up of the signing hand (top right)")
    text.add_argument("--save-pose", default=None, help="also write the generated .pose")
    text.add_argument("--sheet", default=None, help="also write a PNG contact sheet of the video")
    text.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_guide_arguments(text)
    text.set_defaults(func=cmd_text)

    pose = sub.add_parser("pose", help="generate a .pose from text")
    pose.add_argument("text")
    pose.add_argument("--lang", default="ase", help="sign language code (e.g. ase, gsg)")
    pose.add_argument("-o", "--output", required=True, help="output .pose")
    pose.add_argument("--model", default=None, help=MODEL_HELP)
    pose.add_argument("--steps", type=int, default=None)
    pose.add_argument("--guidance", type=float, default=None)
    pose.add_argument("--sampler", default=None)
    pose.add_argument("--seed", type=int, default=0)
    pose.add_argument("--frames", type=int, default=None, help="override the predicted duration")
    _add_guide_arguments(pose)
    pose.set_defaults(func=cmd_pose)

    serve = sub.add_parser("serve", help="HTTP API on localhost: /pose and /video for a text")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--model", default=None, help=MODEL_HELP)
    serve.add_argument("--max-chars", type=int, default=100, help="longest text accepted")
    serve.add_argument("--queue", type=int, default=8, help="jobs waiting beyond the one running; more get HTTP 503")
    serve.add_argument("--lexicon", default=None, metavar="DIR", help="user lexicon (index.csv + .pose): its words as whole signs")
    serve.add_argument("--no-lexicon", action="store_true", help="pure generation (guided=0 per request does the same)")
    serve.set_defaults(func=cmd_serve)
