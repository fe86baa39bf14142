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


# --- data import: video corpora, OpenPose keypoints, existing .pose files (data_prep.prep) ---

_IMPORT_LANGUAGES = {"how2sign": ("en", "ase"), "openpose": ("en", "ase"), "phoenix": ("de", "gsg"), "generic": ("", "")}


def cmd_data_import(args: argparse.Namespace) -> None:
    from data_prep import sources
    from data_prep.prep import PrepConfig, prepare

    from .config import load_config

    cfg = load_config(PrepConfig, args.config, args.overrides, group="prep")
    if args.workers is not None:
        cfg.workers = args.workers
    if args.engine is not None:
        cfg.engine = args.engine
    if args.address is not None:
        cfg.address, cfg.engine = args.address, "ray"
    spoken, signed = _IMPORT_LANGUAGES[args.data_command]
    cfg.spoken_language, cfg.signed_language = cfg.spoken_language or spoken, cfg.signed_language or signed
    cfg.check()
    if args.data_command == "how2sign":
        clips, problems = sources.read_how2sign(args.csv, args.videos, full_videos=args.full_videos)
    elif args.data_command == "openpose":
        clips, problems = sources.read_how2sign_openpose(args.csv, args.json, fps=args.fps)
    elif args.data_command == "phoenix":
        root = Path(args.root)
        csvs = args.csv or sources.phoenix_csvs(root)
        clips, problems = sources.read_phoenix(csvs, args.frames or root / sources.PHOENIX_FRAMES, fps=args.fps)
    else:
        clips, problems = sources.read_generic(args.csv, args.root, fps=args.fps)
    _say(f"{len(clips)} clips to import, {len(problems)} rows unusable (listed in {Path(args.output) / 'failures.csv'})")
    start = time.perf_counter()
    result = prepare(clips, problems, args.output, cfg, builder=f"data_prep.{args.data_command}", progress=not args.quiet)
    q = result.summary
    rates = ", ".join(f"{k} {v:.0%}" for k, v in q["mean_rates"].items())
    _say(f"corpus: {args.output} ({q['clips_kept']} kept, {q['clips_filtered']} filtered, {q['clips_failed']} failed, "
         f"{result.skipped} already done) in {time.perf_counter() - start:.0f} s; detection: {rates}")
    if q["clips_failed"]:
        _say(f"failures: {Path(args.output) / 'failures.csv'}  quality: {Path(args.output) / 'quality.csv'}")


def _add_import_parsers(data) -> None:
    def common(p) -> None:
        p.add_argument("-o", "--output", required=True, help="corpus directory to write (resumes if it exists)")
        p.add_argument("--config", default=None, help="preset in configs/prep/ or a YAML path")
        p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
        p.add_argument("--engine", choices=["process", "ray"], default=None, help="process pool (default) or Ray")
        p.add_argument("--address", default=None, help="Ray cluster address (implies --engine ray)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
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
