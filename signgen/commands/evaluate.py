"""signgen eval (back-translation evaluation of the motion model, any system's poses and the baselines) and
signgen read (back-translate .pose files with the released reader)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .. import shipped
from ..errors import SigngenError
from .common import MODEL_HELP, say


def cmd_eval(args: argparse.Namespace) -> None:
    from ..config import load_config
    from ..eval.evaluate import EvalConfig, evaluate, report_markdown

    cfg = load_config(EvalConfig, args.config, args.overrides, group="eval")
    model = None if args.no_model else shipped.motion_dir(args.model)
    start = time.perf_counter()
    report = evaluate(args.corpus, reader_dir(args.backtranslator), args.output, cfg, model_dir=model,
                      poses_dir=args.poses, progress=not args.quiet, say=say)
    print(report_markdown(report), end="")
    say(f"eval: {report['samples']} samples of '{cfg.split}' in {time.perf_counter() - start:.0f} s; "
        f"{args.output}/metrics.json, metrics.md, per_sample.csv")


def cmd_read(args: argparse.Namespace) -> None:
    from ..backtranslate.model import Backtranslator
    from ..pose import read_canonical
    from ..pose.tensors import pose_to_array

    reader = Backtranslator.from_pretrained(reader_dir(args.backtranslator))
    reader.language_ids([args.lang])  # an unknown sign language fails before any pose is read
    arrays = [pose_to_array(read_canonical(path), source=str(path)) for path in args.inputs]
    for path, text in zip(args.inputs, reader.translate(arrays, [args.lang] * len(arrays), beams=args.beams)):
        print(f"{path}\t{text}")


def reader_dir(backtranslator: str | None) -> Path:
    """The back-translator a --backtranslator names (default: the shipped one)."""
    path = Path(backtranslator) if backtranslator else shipped.BACKTRANSLATOR
    if not path.is_dir():
        raise SigngenError(f"--backtranslator {path}: no such directory; train one (signgen train backtranslator)")
    return path


def add_parsers(sub) -> None:
    ev = sub.add_parser("eval", help="back-translation evaluation (BLEU, chrF, ROUGE-L, WER/CER, DTW-MJE, duration)")
    ev.add_argument("--corpus", required=True, help="corpus directory with the split to evaluate")
    ev.add_argument("--model", default=None, help=MODEL_HELP)
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
