"""signgen data: build a corpus (starter, heldout), import one (how2sign, openpose, phoenix, generic, or any
registered importer by name), and make renderer training frames."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from ..errors import SigngenError
from .common import say


def cmd_data_starter(args: argparse.Namespace) -> None:
    from data_prep.starter import StarterConfig, build

    from ..config import load_config

    cfg = load_config(StarterConfig, args.config, args.overrides, group="corpus")
    start = time.perf_counter()
    corpus = build(cfg, args.output, progress=not args.quiet)
    counts = corpus.info.get("counts", {})
    say(f"corpus: {args.output} ({len(corpus.samples)} samples {counts}, "
        f"{len(corpus.signed_languages)} sign languages) in {time.perf_counter() - start:.0f} s")


def cmd_data_heldout(args: argparse.Namespace) -> None:
    from data_prep.heldout import build

    start = time.perf_counter()
    corpus = build(args.output, workers=args.workers or 0, progress=not args.quiet)
    say(f"held-out corpus: {args.output} ({len(corpus.samples)} samples, splits {corpus.info['splits']}) "
        f"in {time.perf_counter() - start:.0f} s")


def cmd_data_import(args: argparse.Namespace) -> None:
    from data_prep.importers import IMPORTERS, import_corpus
    from data_prep.prep import PrepConfig

    from ..config import load_config

    if args.data_command == "import":  # any registered importer: its fields as key=value, prep.* for PrepConfig
        name = args.importer
        overrides = [o[len("prep."):] for o in args.overrides if o.startswith("prep.")]
        source = [o for o in args.overrides if not o.startswith("prep.")]
        fields = vars(IMPORTERS.configure(name, args.importer_config, source))
    else:
        name, overrides = args.data_command, args.overrides
        fields = {f.name: getattr(args, f.name) for f in dataclasses.fields(IMPORTERS.get(name).config_class)}
    cfg = load_config(PrepConfig, args.config, overrides, group="prep")
    if args.workers is not None:
        cfg.workers = args.workers
    if args.engine is not None:
        cfg.engine = args.engine
    if args.address is not None:
        cfg.address, cfg.engine = args.address, "ray"
    cfg.verbose = cfg.verbose or args.verbose
    start = time.perf_counter()
    report = import_corpus(name, args.output, cfg, progress=not args.quiet, say=say, **fields)
    result = report.result
    q = result.summary
    rates = ", ".join(f"{k} {v:.0%}" for k, v in q["mean_rates"].items())
    say(f"corpus: {args.output} ({q['clips_kept']} kept, {q['clips_filtered']} filtered, {q['clips_failed']} failed, "
        f"{result.skipped} already done) in {time.perf_counter() - start:.0f} s; detection: {rates}")
    if q["clips_failed"]:
        say(f"failures: {Path(args.output) / 'failures.csv'}  quality: {Path(args.output) / 'quality.csv'}")
    if "train" not in result.corpus.info.get("counts", {}):
        say("note: no train split was imported, so the corpus has no stats.safetensors (train-split statistics); "
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

def cmd_data_frames(args: argparse.Namespace) -> None:
    from ..render import check_size

    check_size(args.size)
    source = args.source
    if source == "auto":
        from data_prep.video_frames import is_video_corpus

        source = "video" if is_video_corpus(args.corpus) else "avatar"
    if source == "video":
        from data_prep.video_frames import make_video_frames

        if args.close_ups:
            raise SigngenError(f"--close-ups: {args.corpus} is a video corpus; close-up frames are drawn by the avatar "
                               "only (use --source avatar, or leave --close-ups out)")

        clips, skipped = make_video_frames(args.corpus, args.output, size=args.size, clips=args.clips,
                                           progress=not args.quiet)
        for cid, why in skipped:
            say(f"frames: skipped {cid}: {why}")
    else:
        from ..render.framesdir import make_avatar_frames

        clips = make_avatar_frames(args.corpus, args.output, size=args.size, clips=args.clips, signers=args.signers,
                                   close_ups=args.close_ups, progress=not args.quiet)
    say(f"frames: {args.output} ({len(clips)} clips, {sum(c.frames for c in clips)} frames, {source} frames)")


def add_parsers(sub) -> None:
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

    frames = data.add_parser("frames", help="(frame, pose) pairs from a corpus, for signgen train renderer: the video's own "
                             "frames, cropped around the signer, for a corpus imported from video; avatar frames otherwise")
    frames.add_argument("--corpus", required=True, help="corpus directory (signgen layout)")
    frames.add_argument("-o", "--output", required=True, help="frames directory to write (resumes per clip)")
    frames.add_argument("--source", choices=["auto", "video", "avatar"], default="auto",
                        help="auto: video frames when the corpus was imported from video (default), else avatar frames")
    frames.add_argument("--size", type=int, default=128)
    frames.add_argument("--clips", type=int, default=60, help="number of corpus samples, spread over the corpus")
    frames.add_argument("--signers", type=int, default=3, help="avatar frames: avatar looks (1-3), one per clip, as signer ids")
    frames.add_argument("--close-ups", action="store_true",
                        help="avatar frames: each clip also as the hand close-up (view 'closeup'), so the diffusion "
                             "renderer learns to draw the hand close-up too (the shipped renderer was not: on a CPU budget it did not learn it)")
    frames.add_argument("--quiet", action="store_true")
    frames.set_defaults(func=cmd_data_frames)
