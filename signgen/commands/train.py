"""signgen train: the motion model, the back-translator (the evaluator) and the diffusion renderer. Each trains
from a corpus (or frames directory) into a run directory and resumes from its checkpoints."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import say


def cmd_train_motion(args: argparse.Namespace) -> None:
    from ..config import load_config
    from ..motion.train import MotionTrainConfig, train_motion

    cfg = load_config(MotionTrainConfig, args.config, args.overrides, group="motion")
    final = train_motion(args.corpus, cfg, args.output, progress=not args.quiet)
    say(f"model: {final}  (curve: {Path(args.output) / 'curve.png'})")


def cmd_train_backtranslator(args: argparse.Namespace) -> None:
    from ..backtranslate.train import BacktranslatorTrainConfig, train_backtranslator
    from ..config import load_config

    cfg = load_config(BacktranslatorTrainConfig, args.config or "default", args.overrides, group="backtranslator")
    final = train_backtranslator(args.corpus, cfg, args.output, progress=not args.quiet)
    say(f"back-translator: {final}  (curve: {Path(args.output) / 'curve.png'})")


def cmd_train_renderer(args: argparse.Namespace) -> None:
    from ..config import load_config
    from ..render.diffusion.train import RendererTrainConfig, train_renderer

    cfg = load_config(RendererTrainConfig, args.config, args.overrides, group="renderer")
    final = train_renderer(args.frames, cfg, args.output, base_model=args.base_model, controlnet=args.controlnet,
                           progress=not args.quiet)
    say(f"model: {final}  (samples: {Path(args.output) / 'samples'})")


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


def add_parsers(sub) -> None:
    train = sub.add_parser("train", help="train a model on a corpus").add_subparsers(dest="train_command", required=True)
    _add_train_command(train, "motion", "text-to-pose diffusion model", "corpus directory (signgen layout)",
                       "preset in configs/motion/ (S, B, L, tiny) or a YAML path",
                       "e.g. train.steps=2000 model.text.kind=minilm", cmd_train_motion)
    _add_train_command(train, "backtranslator", "pose-to-text back-translator (the evaluator)",
                       "corpus directory; only its train split is read (not needed with --config spelling)",
                       "preset in configs/backtranslator/ (spelling: the letter reader, trained on the lexicon; "
                       "default, ctc, tiny, spelling-tiny) or a YAML path",
                       "e.g. train.steps=5000 model.tokenizer=bpe", cmd_train_backtranslator, corpus_required=False)

    renderer = train.add_parser("renderer", help="pose-conditioned latent diffusion renderer")
    renderer.add_argument("--frames", required=True, help="frames directory (clips.csv + <clip>/pose.pose + PNGs)")
    renderer.add_argument("-o", "--output", default="runs/renderer", help="run directory (resumes if it has checkpoints)")
    renderer.add_argument("--config", default=None, help="preset in configs/renderer/ (cpu-64, tiny) or a YAML path")
    renderer.add_argument("--base-model", default=None, help="local Stable Diffusion 1.5 directory (diffusers layout: vae/, unet/)")
    renderer.add_argument("--controlnet", default=None, help="local OpenPose ControlNet directory (diffusers layout)")
    renderer.add_argument("--quiet", action="store_true")
    renderer.add_argument("overrides", nargs="*", help="e.g. train.steps=2000 model.size=128")
    renderer.set_defaults(func=cmd_train_renderer)
