"""`signgen eval`: back-translation evaluation of generated signing against a corpus split.

Rows, each scored identically against the split's texts and ground-truth poses:
- `ground truth`: the corpus poses themselves (the ceiling of what the back-translator can read);
- the motion model: poses generated for every text;
- `spoken-to-signed`: the lexicon/fingerspelling concatenation baseline on the same texts;
- `--poses DIR`: any outside system's `.pose` files, named `<sample id>.pose`.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..corpus import Corpus, Sample
from ..errors import SigngenError
from .metrics import duration_error, dtw_mje, empty_predictions, text_metrics

METRIC_COLUMNS = ["bleu1", "bleu2", "bleu3", "bleu4", "chrf", "rougeL", "wer", "cer", "dtw_mje", "duration_error"]


@dataclass
class EvalConfig:
    split: str = "test"
    steps: int | None = None  # motion sampling steps (None: the model's default)
    guidance: float | None = None
    seed: int = 0
    batch_size: int = 16  # texts sampled together (results depend on it only through batch composition)
    beams: int | None = None  # back-translation beam width (None: the back-translator's default)
    baseline: bool = True  # add the spoken-to-signed row
    limit: int = 0  # evaluate only the first N samples of the split (0 = all)


Arrays = list[tuple[np.ndarray, np.ndarray]]


def generate_model_poses(model_dir: str | Path, samples: list[Sample], cfg: EvalConfig, progress: bool = True) -> Arrays:
    from ..motion.generate import generate_arrays
    from ..motion.model import MotionModel

    model, stats = MotionModel.from_pretrained(model_dir)
    return generate_arrays(model, stats, [s.text for s in samples], [s.signed_language for s in samples],
                           batch_size=cfg.batch_size, seed=cfg.seed, steps=cfg.steps, guidance=cfg.guidance,
                           progress=progress)


def baseline_poses(samples: list[Sample], progress: bool = True) -> Arrays:
    """spoken-to-signed's text -> gloss -> pose with its bundled fingerspelling lexicon (no sign lexicon)."""
    import contextlib
    import tempfile

    from spoken_to_signed.gloss_to_pose import CSVPoseLookup, gloss_to_pose
    from spoken_to_signed.gloss_to_pose.lookup.fingerspelling_lookup import FingerspellingPoseLookup
    from spoken_to_signed.text_to_gloss.simple import text_to_gloss
    from tqdm import tqdm

    from ..pose import to_canonical
    from ..pose.tensors import pose_to_array

    out: Arrays = []
    with tempfile.TemporaryDirectory() as lexicon:
        Path(lexicon, "index.csv").write_text("path,spoken_language,signed_language,start,end,words,glosses,priority\n")
        lookup = CSVPoseLookup(lexicon, backup=FingerspellingPoseLookup())
        for s in tqdm(samples, desc="spoken-to-signed", unit="text", disable=not progress):
            with contextlib.redirect_stdout(io.StringIO()):
                glosses = text_to_gloss(s.text, s.spoken_language)
                pose = gloss_to_pose(glosses[0], lookup, s.spoken_language, s.signed_language).pose
            out.append(pose_to_array(to_canonical(pose)))
    return out


def directory_poses(poses_dir: str | Path, samples: list[Sample]) -> tuple[Arrays, str]:
    """Read `<id>.pose` for every sample; other skeletons/fps are converted to canonical, and the note says so."""
    from ..pose import read_pose, to_canonical
    from ..pose.skeleton import is_canonical_normalized
    from ..pose.tensors import pose_to_array

    d = Path(poses_dir)
    if not d.is_dir():
        raise SigngenError(f"--poses {d}: not a directory; give a folder of <sample id>.pose files")
    missing = [s.id for s in samples if not (d / f"{s.id}.pose").exists()]
    if missing:
        raise SigngenError(f"--poses {d}: {len(missing)} of {len(samples)} samples have no file (e.g. {missing[0]}.pose); "
                           "name each file after its corpus sample id")
    out: Arrays = []
    converted = set()
    for s in samples:
        pose = read_pose(d / f"{s.id}.pose")
        if pose.body.data.shape[0] == 0:
            raise SigngenError(f"{d / (s.id + '.pose')}: empty prediction (0 frames); the system produced no pose for {s.text!r}")
        if not is_canonical_normalized(pose):  # other skeleton, frame rate, or not shoulder-normalized (pixels)
            converted.add(f"{pose.body.data.shape[2]} points at {pose.body.fps:g} fps"
                          + ("" if pose.header.dimensions.width == 1 else f", {pose.header.dimensions.width}x{pose.header.dimensions.height} px"))
            pose = to_canonical(pose)
        out.append(pose_to_array(pose, source=str(d / f"{s.id}.pose")))
    note = f"converted to the canonical 178-point 25 fps skeleton from: {', '.join(sorted(converted))}" if converted else ""
    return out, note


def score(name: str, samples: list[Sample], arrays: Arrays, refs: Arrays, hyps: list[str]) -> tuple[dict, list[dict]]:
    texts = [s.text for s in samples]
    metrics = text_metrics(hyps, texts)
    rows = []
    for s, (x, m), (rx, rm), h in zip(samples, arrays, refs, hyps):
        rows.append({"system": name, "id": s.id, "signed_language": s.signed_language, "text": s.text, "prediction": h,
                     "frames": len(x), "ref_frames": len(rx), "dtw_mje": dtw_mje(x, m, rx, rm),
                     "duration_error": duration_error(len(x), len(rx))})
    metrics["dtw_mje"] = float(np.mean([r["dtw_mje"] for r in rows]))
    metrics["duration_error"] = float(np.mean([r["duration_error"] for r in rows]))
    metrics["empty"] = empty_predictions(hyps)
    metrics["samples"] = len(samples)
    return metrics, rows


def markdown_table(results: dict[str, dict]) -> str:
    head = "| system | " + " | ".join(METRIC_COLUMNS) + " | empty |\n|---|" + "---|" * (len(METRIC_COLUMNS) + 1) + "\n"
    lines = [f"| {name} | " + " | ".join(f"{m[c]:.2f}" if c != "duration_error" else f"{m[c]:.3f}" for c in METRIC_COLUMNS)
             + f" | {m['empty']} |" for name, m in results.items()]
    return head + "\n".join(lines) + "\n"


def evaluate(corpus_dir: str | Path, backtranslator_dir: str | Path, out_dir: str | Path, cfg: EvalConfig,
             model_dir: str | Path | None = None, poses_dir: str | Path | None = None, progress: bool = True,
             say=print) -> dict:
    from ..backtranslate.model import Backtranslator
    from ..pose.io import atomic_write_text

    corpus = Corpus(corpus_dir)
    samples = corpus.split(cfg.split)
    if cfg.limit:
        samples = samples[: cfg.limit]
    if not samples:
        raise SigngenError(f"{corpus_dir}: split '{cfg.split}' is empty; nothing to evaluate")
    bt = Backtranslator.from_pretrained(backtranslator_dir)
    unknown = bt.check_corpus([s.signed_language for s in samples], [s.text for s in samples], f"{corpus_dir} ({cfg.split})")
    if unknown:
        say(f"note: {len(unknown)} {cfg.split} texts (e.g. {unknown[0]!r}) have characters the back-translator never saw "
            "in training; it cannot produce those characters, for any system")
    refs = [corpus.load(s) for s in samples]
    langs = [s.signed_language for s in samples]
    systems: dict[str, tuple[Arrays, float]] = {"ground truth": (refs, 0.0)}
    if model_dir is not None:
        t = time.perf_counter()
        systems[f"signgen ({Path(model_dir).name})"] = (generate_model_poses(model_dir, samples, cfg, progress), time.perf_counter() - t)
    if poses_dir is not None:
        arrays, note = directory_poses(poses_dir, samples)
        if note:
            say(f"--poses {poses_dir}: {note}")
        systems[f"poses ({Path(poses_dir).name})"] = (arrays, 0.0)
    if cfg.baseline:
        t = time.perf_counter()
        systems["spoken-to-signed"] = (baseline_poses(samples, progress), time.perf_counter() - t)

    results, per_sample = {}, []
    for name, (arrays, seconds) in systems.items():
        hyps = bt.translate(arrays, langs, beams=cfg.beams)
        metrics, rows = score(name, samples, arrays, refs, hyps)
        metrics["generation_seconds"] = seconds
        if metrics["empty"]:
            empty_ids = [r["id"] for r in rows if not r["prediction"]]
            say(f"{name}: {metrics['empty']} empty back-translations (e.g. {empty_ids[0]}); scored as deleting every word")
        results[name] = metrics
        per_sample += rows

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = {"corpus": str(Path(corpus_dir).resolve()), "split": cfg.split, "samples": len(samples),
              "backtranslator": str(Path(backtranslator_dir).resolve()),
              "model": str(Path(model_dir).resolve()) if model_dir else None,
              "poses": str(Path(poses_dir).resolve()) if poses_dir else None,
              "config": cfg.__dict__, "results": results}
    atomic_write_text(out / "metrics.json", json.dumps(report, indent=2))
    atomic_write_text(out / "metrics.md", markdown_table(results))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(per_sample[0]))
    writer.writeheader()
    writer.writerows(per_sample)
    atomic_write_text(out / "per_sample.csv", buf.getvalue())
    return report
