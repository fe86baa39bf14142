"""The `signgen` command line: thin commands over library functions.

Every command takes its settings from a typed config: `--config PRESET_OR_YAML` plus `key=value` overrides.
Errors the user can fix print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import shipped
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


def cmd_data_heldout(args: argparse.Namespace) -> None:
    from data_prep.heldout import build

    start = time.perf_counter()
    corpus = build(args.output, workers=args.workers or 0, progress=not args.quiet)
    _say(f"held-out corpus: {args.output} ({len(corpus.samples)} samples, splits {corpus.info['splits']}) "
         f"in {time.perf_counter() - start:.0f} s")


# --- data import: video corpora, OpenPose keypoints, existing .pose files (data_prep.prep) ---

_IMPORT_FIELDS = {"how2sign": ("csv", "videos", "full_videos"), "openpose": ("csv", "json", "fps"),
                  "phoenix": ("root", "csv", "frames", "fps"), "generic": ("csv", "root", "fps")}


def cmd_data_import(args: argparse.Namespace) -> None:
    from data_prep.importers import IMPORTERS, import_corpus
    from data_prep.prep import PrepConfig

    from .config import load_config

    if args.data_command == "import":  # any registered importer: its fields as key=value, prep.* for PrepConfig
        name = args.importer
        overrides = [o[len("prep."):] for o in args.overrides if o.startswith("prep.")]
        source = [o for o in args.overrides if not o.startswith("prep.")]
        fields = vars(IMPORTERS.configure(name, args.importer_config, source))
    else:
        name, overrides = args.data_command, args.overrides
        fields = {k: getattr(args, k) for k in _IMPORT_FIELDS[name]}
    cfg = load_config(PrepConfig, args.config, overrides, group="prep")
    if args.workers is not None:
        cfg.workers = args.workers
    if args.engine is not None:
        cfg.engine = args.engine
    if args.address is not None:
        cfg.address, cfg.engine = args.address, "ray"
    cfg.verbose = cfg.verbose or args.verbose
    start = time.perf_counter()
    report = import_corpus(name, args.output, cfg, progress=not args.quiet, say=_say, **fields)
    result = report.result
    q = result.summary
    rates = ", ".join(f"{k} {v:.0%}" for k, v in q["mean_rates"].items())
    _say(f"corpus: {args.output} ({q['clips_kept']} kept, {q['clips_filtered']} filtered, {q['clips_failed']} failed, "
         f"{result.skipped} already done) in {time.perf_counter() - start:.0f} s; detection: {rates}")
    if q["clips_failed"]:
        _say(f"failures: {Path(args.output) / 'failures.csv'}  quality: {Path(args.output) / 'quality.csv'}")
    if "train" not in result.corpus.info.get("counts", {}):
        _say("note: no train split was imported, so the corpus has no stats.safetensors (train-split statistics); "
             "import the train split into the same folder before training on it")
    report.check()


def _add_import_parsers(data) -> None:
    def common(p) -> None:
        p.add_argument("-o", "--output", required=True, help="corpus directory to write (resumes if it exists)")
        p.add_argument("--config", default=None, help="preset in configs/prep/ or a YAML path")
        p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
        p.add_argument("--engine", choices=["process", "ray"], default=None, help="process pool (default) or Ray")
        p.add_argument("--address", default=None, help="Ray cluster address (implies --engine ray)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--verbose", action="store_true", help="show MediaPipe's and TFLite's own log lines (hidden by default)")
        p.add_argument("overrides", nargs="*", help="e.g. holistic.refine_face_landmarks=true filters.min_hand_rate=0.5")
        p.set_defaults(func=cmd_data_import)

    h2s = data.add_parser("how2sign", help="How2Sign realigned CSVs + sentence clips (or full videos + timestamps)")
    h2s.add_argument("--csv", nargs="+", required=True, help="how2sign_realigned_{train,val,test}.csv (split from the name)")
    h2s.add_argument("--videos", required=True, help="folder of clips {SENTENCE_NAME}.mp4 (or full videos {VIDEO_NAME}.mp4)")
    h2s.add_argument("--full-videos", action="store_true", help="videos are full recordings: cut at START/END_REALIGNED")
    common(h2s)
    op = data.add_parser("openpose", help="How2Sign's released OpenPose JSON keypoints (no extraction)")
    op.add_argument("--csv", nargs="+", required=True, help="how2sign_realigned_{train,val,test}.csv")
    op.add_argument("--json", required=True, help="openpose_output/json (one folder per SENTENCE_NAME)")
    op.add_argument("--fps", type=float, default=24.0, help="frame rate of the keypoints (default 24)")
    common(op)
    ph = data.add_parser("phoenix", help="PHOENIX-2014-T: pipe-separated CSVs + PNG frame folders")
    ph.add_argument("--root", required=True, help="the PHOENIX-2014-T release folder")
    ph.add_argument("--csv", nargs="+", default=None, help="annotation CSVs (default: found below --root)")
    ph.add_argument("--frames", default=None, help="frame folder (default: ROOT/features/fullFrame-210x260px)")
    ph.add_argument("--fps", type=float, default=25.0)
    common(ph)
    gen = data.add_parser("generic", help="a CSV path,text[,start,end][,split][,signer] of videos, frame folders, "
                          "OpenPose JSON folders or .pose files")
    gen.add_argument("--csv", required=True)
    gen.add_argument("--root", default=None, help="folder the paths are relative to (default: the CSV's folder)")
    gen.add_argument("--fps", type=float, default=25.0, help="frame rate of frame folders and OpenPose folders")
    common(gen)
    any_ = data.add_parser("import", help="any registered importer (data_prep.importers.IMPORTERS, plug-ins included): "
                           "signgen data import NAME key=value ... prep.key=value ... -o DIR (its config fields, then PrepConfig's)")
    any_.add_argument("importer", help="importer name (how2sign, openpose, phoenix, generic, or a plug-in)")
    any_.add_argument("--importer-config", default=None, help="the importer's config: a preset in configs/import/ or a YAML path")
    common(any_)

# --- end data import ---


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

    from .render import check_size

    check_size(args.size)
    pose, title = _load_show_pose(args)
    frames = skeleton_frames(pose, size=args.size, hand_zoom=not args.no_hand_zoom)
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


def cmd_train_backtranslator(args: argparse.Namespace) -> None:
    from .backtranslate.train import BacktranslatorTrainConfig, train_backtranslator
    from .config import load_config

    cfg = load_config(BacktranslatorTrainConfig, args.config or "default", args.overrides, group="backtranslator")
    final = train_backtranslator(args.corpus, cfg, args.output, progress=not args.quiet)
    _say(f"back-translator: {final}  (curve: {Path(args.output) / 'curve.png'})")




def cmd_pose(args: argparse.Namespace) -> None:
    from .motion.generate import generate_pose
    from .motion.model import MotionModel
    from .pose import write_pose

    model_dir = Path(args.model) if args.model else shipped.MOTION
    if not model_dir.exists():
        raise SigngenError(f"{model_dir}: no motion model there; train one (signgen train motion) and pass --model DIR")
    start = time.perf_counter()
    guide, edit = _guide_and_edit(args)
    model = MotionModel.from_pretrained(model_dir)
    loaded = time.perf_counter()
    signable = model.text_encoder.normalize(args.text)
    if signable.note:
        _say(f"note: {signable.note}")
    pose = generate_pose(model, signable.text, args.lang, steps=args.steps, guidance=args.guidance,
                         sampler=args.sampler, frames=args.frames, seed=args.seed, guide=guide, edit=edit)
    write_pose(pose, args.output)
    how = "pure generation" if guide is None or not guide.covers(args.lang) else "lexicon-guided"
    _say(f"pose: {args.output} ({len(pose.body.data)} frames, {how}, load {loaded - start:.2f} s, "
         f"sample {time.perf_counter() - loaded:.2f} s)")


def _guide_and_edit(args: argparse.Namespace):
    """(LexiconGuide or None, (pose, Keep) or None) from --lexicon/--no-lexicon and --edit/--keep."""
    from .motion.edit import Keep
    from .motion.guided import LexiconGuide

    if args.lexicon and args.no_lexicon:
        raise SigngenError(f"--lexicon {args.lexicon} with --no-lexicon: choose one")
    if bool(args.edit) != bool(args.keep):
        raise SigngenError("--edit POSE and --keep WHAT go together, e.g. --edit old.pose --keep frames=0:10,40:50 or --keep body")
    guide = None if args.no_lexicon else LexiconGuide.load(args.lexicon)
    edit = None
    if args.edit:
        keep = Keep.parse(args.keep)  # check the spec before reading the pose
        try:
            pose = load_canonical(args.edit)
        except SigngenError as e:
            raise SigngenError(f"--edit {args.edit}: {e}") from None
        edit = (pose, keep)
    return guide, edit


def _add_guide_arguments(p) -> None:
    p.add_argument("--lexicon", default=None, metavar="DIR",
                   help="user lexicon (index.csv + .pose files, spoken-to-signed's layout): its words are signed as whole signs")
    p.add_argument("--no-lexicon", action="store_true",
                   help="pure generation: do not hold the lexicon's handshapes (guided is the default where a lexicon covers --lang)")
    p.add_argument("--edit", default=None, metavar="POSE", help="a .pose to edit: keep what --keep names, generate the rest")
    p.add_argument("--keep", action="append", default=None, metavar="WHAT",
                   help="with --edit: frames=A:B[,C:D] (in-betweening) and/or parts body, face, hands, left_hand, right_hand")


# -- signgen text / serve (the product end to end) -------------------------------------------------------
def _default_video_name(text: str) -> str:
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return f"{slug or 'signgen'}.mp4"


def cmd_text(args: argparse.Namespace) -> None:
    from .pipeline import check_text

    text = check_text(args.text)  # fail fast, before loading anything
    output = Path(args.output or _default_video_name(text))
    if output.suffix.lower() != ".mp4":
        raise SigngenError(f"-o {output}: the video is written as H.264 mp4; give a path ending in .mp4")
    start = time.perf_counter()
    from .pipeline import SignPipeline

    guide, edit = _guide_and_edit(args)
    pipe = SignPipeline.from_pretrained(args.model, size=args.size, hand_zoom=not args.no_hand_zoom, guided=False)
    pipe.guide = guide
    _say(f"load: {time.perf_counter() - start:.2f} s (motion model, languages {', '.join(pipe.languages)})")
    lang = args.lang or pipe.default_lang
    kind = args.renderer or pipe.default_renderer
    pipe.check(lang, kind)
    signable = pipe.signable(text)
    if signable.note:
        _say(f"note: {signable.note}")
    text = signable.text
    how = "pure generation" if guide is None or not guide.covers(lang) else f"guided by lexicon {(guide.user or guide.builtin).name}"
    _say(f"text: {text!r} -> {lang}, renderer {kind}, {how}")
    out = pipe(text, lang=lang, renderer=kind, seed=args.seed, steps=args.steps, guidance=args.guidance,
               frames=args.frames, render_steps=args.render_steps, progress=not args.quiet, edit=edit)
    t = out.timings
    _say(f"motion: {len(out.frames)} frames ({len(out.frames) / out.fps:.1f} s of signing) in {t['motion']:.2f} s")
    _say(f"render: {kind} {out.frames.shape[2]}x{out.frames.shape[1]} in {t['load_renderer'] + t['render']:.2f} s")
    write_start = time.perf_counter()
    out.save_video(output)
    _say(f"video: {output} (encoded in {time.perf_counter() - write_start:.2f} s)")
    if args.save_pose:
        _say(f"pose: {out.save_pose(args.save_pose)}")
    if args.sheet:
        from .video import contact_sheet

        _say(f"sheet: {contact_sheet(out.frames, args.sheet, title=text)}")
    _say(f"total: {time.perf_counter() - start:.2f} s")


def cmd_serve(args: argparse.Namespace) -> None:
    from .serve import ServeConfig, serve

    serve(ServeConfig(host=args.host, port=args.port, model=args.model, max_chars=args.max_chars, queue=args.queue,
                      lexicon=args.lexicon, guided=not args.no_lexicon))


def _add_text_and_serve(sub) -> None:
    text = sub.add_parser("text", help="text -> pose -> signer video (the main job)")
    text.add_argument("text", help="what to sign, e.g. \"hello\"")
    text.add_argument("-o", "--output", default=None, help="output .mp4 (default: named after the text, e.g. hello.mp4)")
    text.add_argument("--lang", default=None, help="sign language code, e.g. ase, gsg (default: the pipeline's)")
    text.add_argument("--renderer", default=None, help="avatar (default, fast on CPU), skeleton, or diffusion")
    text.add_argument("--model", default=None, help="pipeline directory (motion/ [renderer/]) or a motion model dir; default: shipped")
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

    serve = sub.add_parser("serve", help="HTTP API on localhost: /pose and /video for a text")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--model", default=None, help="pipeline directory (default: shipped)")
    serve.add_argument("--max-chars", type=int, default=100, help="longest text accepted")
    serve.add_argument("--queue", type=int, default=8, help="jobs waiting beyond the one running; more get HTTP 503")
    serve.add_argument("--lexicon", default=None, metavar="DIR", help="user lexicon (index.csv + .pose): its words as whole signs")
    serve.add_argument("--no-lexicon", action="store_true", help="pure generation (guided=0 per request does the same)")
    serve.set_defaults(func=cmd_serve)


# ---- renderer: pose -> video (issue 5) -------------------------------------------------------------------
def cmd_data_frames(args: argparse.Namespace) -> None:
    from .render.framesdir import make_avatar_frames

    if args.renderer != "avatar":
        raise SigngenError(f"--renderer {args.renderer}: training pairs are made with the avatar renderer only")
    clips = make_avatar_frames(args.corpus, args.output, size=args.size, clips=args.clips, signers=args.signers,
                               progress=not args.quiet)
    _say(f"frames: {args.output} ({len(clips)} clips, {sum(c.frames for c in clips)} frames)")


def cmd_train_renderer(args: argparse.Namespace) -> None:
    from .config import load_config
    from .render.diffusion.train import RendererTrainConfig, train_renderer

    cfg = load_config(RendererTrainConfig, args.config, args.overrides, group="renderer")
    final = train_renderer(args.frames, cfg, args.output, base_model=args.base_model, controlnet=args.controlnet,
                           progress=not args.quiet)
    _say(f"model: {final}  (samples: {Path(args.output) / 'samples'})")


def load_canonical(path: str | Path):
    """Read a .pose and bring it to the canonical skeleton if it is not already."""
    from .pose import read_pose
    from .pose.skeleton import is_canonical_normalized, to_canonical

    pose = read_pose(path)
    if len(pose.body.data) == 0:
        raise SigngenError(f"{path}: pose has zero frames; it holds no signing, re-export it")
    return pose if is_canonical_normalized(pose) else to_canonical(pose)


def cmd_render(args: argparse.Namespace) -> None:
    import numpy as np

    from .render import make_renderer
    from .video import contact_sheet, write_mp4

    renderer = make_renderer(args.renderer, args.renderer_config, model_dir=args.renderer_model, size=args.size,
                             steps=args.steps, seed=args.seed, hand_zoom=not args.no_hand_zoom)
    pose = load_canonical(args.input)
    start = time.perf_counter()
    frames = renderer.render(pose, progress=not args.quiet)
    took = time.perf_counter() - start
    if args.side_by_side:
        skeleton = make_renderer("skeleton", size=frames.shape[1], hand_zoom=not args.no_hand_zoom).render(pose)
        frames = np.concatenate([skeleton, frames], axis=2)
    out = write_mp4(frames, args.output, fps=renderer.fps)
    _say(f"video: {out} ({len(frames)} frames, {args.renderer} at {len(frames) / took:.1f} fps)")
    if args.sheet:
        _say(f"sheet: {contact_sheet(frames, args.sheet, title=f'{Path(args.input).name} ({args.renderer})')}")


def _add_renderer_parsers(sub, data, train) -> None:
    frames = data.add_parser("frames", help="(avatar frame, pose) pairs from a corpus, for signgen train renderer")
    frames.add_argument("--corpus", required=True, help="corpus directory (signgen layout)")
    frames.add_argument("-o", "--output", required=True, help="frames directory to write (resumes per clip)")
    frames.add_argument("--renderer", default="avatar", help="only avatar (real video frames come from video data prep)")
    frames.add_argument("--size", type=int, default=128)
    frames.add_argument("--clips", type=int, default=60, help="number of corpus samples, spread over the corpus")
    frames.add_argument("--signers", type=int, default=3, help="avatar looks (1-3), one per clip, as signer ids")
    frames.add_argument("--quiet", action="store_true")
    frames.set_defaults(func=cmd_data_frames)

    renderer = train.add_parser("renderer", help="pose-conditioned latent diffusion renderer")
    renderer.add_argument("--frames", required=True, help="frames directory (clips.csv + <clip>/pose.pose + PNGs)")
    renderer.add_argument("-o", "--output", default="runs/renderer", help="run directory (resumes if it has checkpoints)")
    renderer.add_argument("--config", default=None, help="preset in configs/renderer/ (cpu-64, tiny) or a YAML path")
    renderer.add_argument("--base-model", default=None, help="local Stable Diffusion 1.5 directory (diffusers layout: vae/, unet/)")
    renderer.add_argument("--controlnet", default=None, help="local OpenPose ControlNet directory (diffusers layout)")
    renderer.add_argument("--quiet", action="store_true")
    renderer.add_argument("overrides", nargs="*", help="e.g. train.steps=2000 model.size=128")
    renderer.set_defaults(func=cmd_train_renderer)

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
# ---- end renderer ------------------------------------------------------------------------------------------


def cmd_read(args: argparse.Namespace) -> None:
    from .backtranslate.model import Backtranslator
    from .pose.tensors import pose_to_array

    bt_dir = Path(args.backtranslator) if args.backtranslator else shipped.BACKTRANSLATOR
    if not bt_dir.is_dir():
        raise SigngenError(f"--backtranslator {bt_dir}: no such directory; train one (signgen train backtranslator)")
    reader = Backtranslator.from_pretrained(bt_dir)
    reader.language_ids([args.lang])  # an unknown sign language fails before any pose is read
    arrays = [pose_to_array(load_canonical(path), source=str(path)) for path in args.inputs]
    for path, text in zip(args.inputs, reader.translate(arrays, [args.lang] * len(arrays), beams=args.beams)):
        print(f"{path}\t{text}")


def cmd_eval(args: argparse.Namespace) -> None:
    from .config import load_config
    from .eval.evaluate import EvalConfig, evaluate

    cfg = load_config(EvalConfig, args.config, args.overrides, group="eval")
    model = None if args.no_model else (Path(args.model) if args.model else shipped.MOTION)
    if model is not None and not model.exists():
        raise SigngenError(f"{model}: no motion model there; pass --model DIR (or --no-model to score only --poses/baseline)")
    bt = Path(args.backtranslator) if args.backtranslator else shipped.BACKTRANSLATOR
    start = time.perf_counter()
    report = evaluate(args.corpus, bt, args.output, cfg, model_dir=model, poses_dir=args.poses,
                      progress=not args.quiet, say=_say)
    from .eval.evaluate import report_markdown

    print(report_markdown(report), end="")
    _say(f"eval: {report['samples']} samples of '{cfg.split}' in {time.perf_counter() - start:.0f} s; "
         f"{args.output}/metrics.json, metrics.md, per_sample.csv")


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


def _add_train_command(train, name: str, help: str, corpus_help: str, config_help: str, example: str, func,
                       corpus_required: bool = True) -> None:
    """`signgen train NAME --corpus DIR -o runs/NAME [--config PRESET] [key=value ...]`."""
    p = train.add_parser(name, help=help)
    p.add_argument("--corpus", required=corpus_required, default=None, help=corpus_help)
    p.add_argument("-o", "--output", default=f"runs/{name}", help="run directory (resumes if it has checkpoints)")
    p.add_argument("--config", default=None, help=config_help)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("overrides", nargs="*", help=example)
    p.set_defaults(func=func)


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
    _add_import_parsers(data)

    heldout = data.add_parser("heldout", help="held-out fingerspelling (words, rare words, names, phrases at 1x/0.5x/2x) "
                              "for evaluating readers and models")
    heldout.add_argument("-o", "--output", required=True, help="corpus directory to write (resumes if it exists)")
    heldout.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    heldout.add_argument("--quiet", action="store_true")
    heldout.set_defaults(func=cmd_data_heldout)

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

    train = sub.add_parser("train", help="train a model on a corpus").add_subparsers(dest="train_command", required=True)
    _add_train_command(train, "motion", "text-to-pose diffusion model", "corpus directory (signgen layout)",
                       "preset in configs/motion/ (S, B, L, tiny) or a YAML path",
                       "e.g. train.steps=2000 model.text.kind=minilm", cmd_train_motion)
    _add_train_command(train, "backtranslator", "pose-to-text back-translator (the evaluator)",
                       "corpus directory; only its train split is read (not needed with --config spelling)",
                       "preset in configs/backtranslator/ (spelling: the letter reader, trained on the lexicon; "
                       "default, ctc, tiny, spelling-tiny) or a YAML path",
                       "e.g. train.steps=5000 model.tokenizer=bpe", cmd_train_backtranslator, corpus_required=False)

    ev = sub.add_parser("eval", help="back-translation evaluation (BLEU, chrF, ROUGE-L, WER/CER, DTW-MJE, duration)")
    ev.add_argument("--corpus", required=True, help="corpus directory with the split to evaluate")
    ev.add_argument("--model", default=None, help="motion model directory (default: the shipped one)")
    ev.add_argument("--no-model", action="store_true", help="do not generate; score ground truth, --poses and the baseline")
    ev.add_argument("--backtranslator", default=None, help="back-translator directory (default: the shipped one)")
    ev.add_argument("--poses", default=None, help="also score a directory of <sample id>.pose files from any system")
    ev.add_argument("-o", "--output", default="runs/eval", help="where metrics.json, metrics.md and per_sample.csv go")
    ev.add_argument("--config", default=None, help="YAML with EvalConfig fields (or use overrides)")
    ev.add_argument("--quiet", action="store_true")
    ev.add_argument("overrides", nargs="*", help="e.g. split=test seed=0 steps=20 guidance=2 baseline=false limit=50")
    ev.set_defaults(func=cmd_eval)

    read = sub.add_parser("read", help="back-translate .pose files to text with the released evaluator")
    read.add_argument("inputs", nargs="+", help=".pose files (any Holistic/OpenPose skeleton; converted to canonical)")
    read.add_argument("--lang", default="ase", help="sign language of the poses (e.g. ase, gsg)")
    read.add_argument("--backtranslator", default=None, help="back-translator directory (default: the shipped one)")
    read.add_argument("--beams", type=int, default=4, help="beam width")
    read.set_defaults(func=cmd_read)

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
    _add_guide_arguments(pose)
    pose.set_defaults(func=cmd_pose)
    _add_renderer_parsers(sub, data, train)
    _add_text_and_serve(sub)

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
