"""`signgen eval`: back-translation evaluation of generated signing against corpus splits.

Rows, each scored identically against the split's texts and ground-truth poses:
- `ground truth`: the corpus poses themselves (the ceiling of what the back-translator can read);
- the motion model: poses generated for every text, lexicon-guided (`signgen (model)`, the product's default)
  and/or pure (`signgen pure (model)`), as `lexicon=guided|pure|both` asks;
- `--poses DIR`: any outside system's `.pose` files, named `<sample id>.pose`;
- `spoken-to-signed (capped)`: its default text -> gloss -> pose, every word squeezed into 0.8 s;
- `spoken-to-signed (lookup)`: its fingerspelling lookup at the lexicon's own timing (`eval.baselines`);
- negative controls, which a reader that reads must fail (CER >= 90): `control: frozen first frame` (the
  ground-truth pose held still at its first frame) and `control: shuffled texts` (the ground truth's reads
  scored against other samples' texts).
`split` is one split, several (comma-separated) or `all`; every split gets its rows and a CER per sign language.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..backtranslate.tokenizer import normalize_text
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
    baseline: bool = True  # add the two spoken-to-signed rows
    controls: bool = True  # add the negative-control rows
    limit: int = 0  # evaluate only the first N samples of the split (0 = all)
    languages: list[str] = field(default_factory=list)  # only these sign languages (empty: all)
    dtw: bool = True  # DTW-MJE against the ground truth (quadratic in frames; off for reader-only evaluations)
    lexicon: str = "guided"  # model rows: guided (the built-in lexicon's handshapes held, as signgen pose does), pure, or both
    guide_core: float | None = None  # guided rows: LexiconGuide.core (None: its default)
    max_finger_speed: float | None = None  # guided rows: LexiconGuide.max_finger_speed (None: its default, off)
    guide_smooth: float | None = None  # guided rows: LexiconGuide.smooth, frames (None: its default; 0: off)
    skip_misfits: bool = False  # with a model: leave out (for every row) the texts with letters outside its alphabet, instead of stopping


Arrays = list[tuple[np.ndarray, np.ndarray]]


def check_model_texts(model, samples: list[Sample], source: str) -> None:
    """One line, before anything is generated, when some texts don't fit the motion model's text encoder
    (letters outside its alphabet): which languages they are in, and the `languages=` that evaluates the rest."""
    bad = model.text_encoder.misfits([s.text for s in samples])
    if bad:
        langs = sorted({samples[i].signed_language for i, _ in bad})
        rest = sorted({s.signed_language for s in samples} - set(langs))
        hint = (f"evaluate the other languages with languages=[{','.join(rest)}], " if rest else "") + \
            "leave those texts out with skip_misfits=true, or "
        raise SigngenError(f"{source}: {len(bad)} of {len(samples)} texts don't fit the motion model (first: {bad[0][1]}), in "
                           f"{langs}; {hint}use a model trained on a corpus with those letters")


def fitting_texts(model, chosen: dict[str, list[Sample]]) -> tuple[dict[str, list[Sample]], list[tuple[str, Sample]]]:
    """Each split's samples without those whose text has letters outside the motion model's alphabet, and
    (split, sample) for those."""
    kept, skipped = {}, []
    for split, samples in chosen.items():
        bad = {i for i, _ in model.text_encoder.misfits([s.text for s in samples])}
        kept[split] = [s for i, s in enumerate(samples) if i not in bad]
        skipped += [(split, s) for i, s in enumerate(samples) if i in bad]
    return kept, skipped


def generate_model_poses(model, samples: list[Sample], cfg: EvalConfig, progress: bool = True,
                         guided: bool = False) -> Arrays:
    from ..motion.generate import generate_arrays
    from ..motion.guided import LexiconGuide

    guide = None
    if guided:
        guide = LexiconGuide.load()
        guide.core = guide.core if cfg.guide_core is None else cfg.guide_core
        guide.max_finger_speed = guide.max_finger_speed if cfg.max_finger_speed is None else cfg.max_finger_speed
        guide.smooth = guide.smooth if cfg.guide_smooth is None else cfg.guide_smooth
    return generate_arrays(model, [s.text for s in samples], [s.signed_language for s in samples],
                           batch_size=cfg.batch_size, seed=cfg.seed, steps=cfg.steps, guidance=cfg.guidance,
                           progress=progress, guide=guide)


def baseline_poses(samples: list[Sample], kind: str = "capped", progress: bool = True) -> Arrays:
    """spoken-to-signed's fingerspelling of every sample's text: `capped` (its default) or `lookup` (uncapped)."""
    from ..progress import progress_bar
    from .baselines import capped_pose, lookup_pose

    make = {"capped": capped_pose, "lookup": lookup_pose}[kind]
    return [make(s.text, s.spoken_language, s.signed_language)
            for s in progress_bar(samples, desc=f"spoken-to-signed ({kind})", unit="text", disable=not progress)]


def frozen_poses(refs: Arrays) -> Arrays:
    """Each pose held still at its first frame, for as many frames as it has: nothing is signed."""
    return [(np.repeat(x[:1], len(x), 0), np.repeat(m[:1], len(m), 0)) for x, m in refs]


def shuffled(texts: list[str]) -> list[str]:
    """Every text replaced by another sample's (rotated by half the list), so no sample keeps its own."""
    k = max(1, len(texts) // 2)
    return texts[k:] + texts[:k]


def directory_poses(poses_dir: str | Path, samples: list[Sample]) -> tuple[Arrays, str]:
    """Read `<id>.pose` for every sample; other skeletons/fps are converted to canonical, and the note says so."""
    from ..pose import canonical, read_pose
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
        path = d / f"{s.id}.pose"
        pose = read_pose(path)
        if pose.body.data.shape[0] == 0:
            raise SigngenError(f"{d / (s.id + '.pose')}: empty prediction (0 frames); the system produced no pose for {s.text!r}")
        if not is_canonical_normalized(pose):  # other skeleton, frame rate, or not shoulder-normalized (pixels)
            converted.add(f"{pose.body.data.shape[2]} points at {pose.body.fps:g} fps"
                          + ("" if pose.header.dimensions.width == 1 else f", {pose.header.dimensions.width}x{pose.header.dimensions.height} px"))
            pose = canonical(pose, str(path))
        out.append(pose_to_array(pose, source=str(path)))
    note = f"converted to the canonical 178-point 25 fps skeleton from: {', '.join(sorted(converted))}" if converted else ""
    return out, note


def score(name: str, samples: list[Sample], arrays: Arrays, refs: Arrays, hyps: list[str],
          texts: list[str] | None = None, dtw: bool = True) -> tuple[dict, list[dict]]:
    texts = texts or [s.text for s in samples]
    metrics = text_metrics(hyps, texts)
    rows = []
    for s, t, (x, m), (rx, rm), h in zip(samples, texts, arrays, refs, hyps):
        rows.append({"system": name, "split": s.split, "id": s.id, "signed_language": s.signed_language, "text": t,
                     "prediction": h, "frames": len(x), "ref_frames": len(rx), "dtw_mje": dtw_mje(x, m, rx, rm) if dtw else float("nan"),
                     "duration_error": duration_error(len(x), len(rx))})
    metrics["dtw_mje"] = float(np.mean([r["dtw_mje"] for r in rows]))
    metrics["duration_error"] = float(np.mean([r["duration_error"] for r in rows]))
    metrics["empty"] = empty_predictions(hyps)
    metrics["exact"] = int(sum(normalize_text(h) == normalize_text(t) for h, t in zip(hyps, texts)))
    metrics["samples"] = len(samples)
    return metrics, rows


def cer_by_language(rows: list[dict]) -> dict[str, dict[str, float]]:
    """{system: {signed language: CER (percent)}} from per-sample rows."""
    import jiwer

    out: dict[str, dict[str, float]] = {}
    for system in dict.fromkeys(r["system"] for r in rows):
        mine = [r for r in rows if r["system"] == system]
        for lang in sorted({r["signed_language"] for r in mine}):
            sub = [r for r in mine if r["signed_language"] == lang]
            out.setdefault(system, {})[lang] = 100.0 * float(jiwer.cer([normalize_text(r["text"]) for r in sub],
                                                                        [normalize_text(r["prediction"]) or " " for r in sub]))
    return out


def markdown_table(results: dict[str, dict]) -> str:
    head = "| system | " + " | ".join(METRIC_COLUMNS) + " | exact | empty |\n|---|" + "---|" * (len(METRIC_COLUMNS) + 2) + "\n"
    lines = [f"| {name} | " + " | ".join(f"{m[c]:.2f}" if c != "duration_error" else f"{m[c]:.3f}" for c in METRIC_COLUMNS)
             + f" | {m['exact']}/{m['samples']} | {m['empty']} |" for name, m in results.items()]
    return head + "\n".join(lines) + "\n"


def language_table(by_language: dict[str, dict[str, float]]) -> str:
    langs = sorted({lang for v in by_language.values() for lang in v})
    head = "| system (CER) | " + " | ".join(langs) + " |\n|---|" + "---|" * len(langs) + "\n"
    return head + "\n".join(f"| {name} | " + " | ".join(f"{v[lang]:.1f}" if lang in v else "" for lang in langs) + " |"
                             for name, v in by_language.items()) + "\n"


def report_markdown(report: dict) -> str:
    parts = []
    for split, r in report["splits"].items():
        parts.append(f"## {split} ({r['samples']} samples)\n\n{markdown_table(r['results'])}\n{language_table(r['cer_by_language'])}")
    return "\n".join(parts)


def resolve_splits(corpus: Corpus, split: str) -> list[str]:
    have = list(dict.fromkeys(s.split for s in corpus.samples))
    if split == "all":
        return have
    names = [x.strip() for x in split.split(",") if x.strip()]
    for name in names:
        corpus.split(name)  # one line naming the missing split and the ones there are
    return names


def evaluate(corpus_dir: str | Path, backtranslator_dir: str | Path, out_dir: str | Path, cfg: EvalConfig,
             model_dir: str | Path | None = None, poses_dir: str | Path | None = None, progress: bool = True,
             say=print) -> dict:
    from ..backtranslate.model import Backtranslator
    from ..pose.io import atomic_write_text

    corpus = Corpus(corpus_dir)
    splits = resolve_splits(corpus, cfg.split)
    bt = Backtranslator.from_pretrained(backtranslator_dir)
    report = {"corpus": str(Path(corpus_dir).resolve()), "backtranslator": str(Path(backtranslator_dir).resolve()),
              "model": str(Path(model_dir).resolve()) if model_dir else None,
              "poses": str(Path(poses_dir).resolve()) if poses_dir else None, "config": cfg.__dict__, "splits": {}}
    chosen = {split: split_samples(corpus, split, cfg) for split in splits}
    model = None
    if model_dir is not None:  # every split checked before anything is generated, so no finished split is lost
        from ..motion.model import MotionModel

        if cfg.lexicon not in ("guided", "pure", "both"):
            raise SigngenError(f"lexicon={cfg.lexicon}: choose guided, pure or both")
        if cfg.guide_core is not None and not 0 < cfg.guide_core <= 1:
            raise SigngenError(f"guide_core={cfg.guide_core}: the held fraction of each slot, choose in (0, 1]")
        if cfg.max_finger_speed is not None and cfg.max_finger_speed < 0:
            raise SigngenError(f"max_finger_speed={cfg.max_finger_speed}: shoulder widths per frame, >= 0 (0: off)")
        if cfg.guide_smooth is not None and not 0 <= cfg.guide_smooth <= 10:
            raise SigngenError(f"guide_smooth={cfg.guide_smooth}: frames of smoothing at the joins, choose in [0, 10] (0: off)")
        model = MotionModel.from_pretrained(model_dir)
        if cfg.skip_misfits:
            chosen, skipped = fitting_texts(model, chosen)
            report["skipped_misfits"] = [{"split": split, "id": s.id, "text": s.text} for split, s in skipped]
            if skipped:
                first = skipped[0][1]
                say(f"note: left out {len(skipped)} texts the motion model can't spell (e.g. {first.text!r}, "
                    f"{first.signed_language}), from every row")
            empty = [split for split, samples in chosen.items() if not samples]
            if empty:
                raise SigngenError(f"{corpus.root}: no text of split {empty[0]!r} fits the motion model; "
                                   "evaluate another split or a model trained on those letters")
        else:
            check_model_texts(model, [s for samples in chosen.values() for s in samples], f"{corpus.root} ({','.join(splits)})")
    per_sample = []
    for split in splits:
        results, rows = evaluate_split(corpus, split, chosen[split], bt, cfg, model, model_dir, poses_dir, progress, say)
        report["splits"][split] = {"samples": next(iter(results.values()))["samples"], "results": results,
                                   "cer_by_language": cer_by_language(rows)}
        per_sample += rows
    report["samples"] = sum(r["samples"] for r in report["splits"].values())

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "metrics.json", json.dumps(report, indent=2))
    atomic_write_text(out / "metrics.md", report_markdown(report))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(per_sample[0]))
    writer.writeheader()
    writer.writerows(per_sample)
    atomic_write_text(out / "per_sample.csv", buf.getvalue())
    return report


def split_samples(corpus: Corpus, split: str, cfg: EvalConfig) -> list[Sample]:
    """The samples of `split` that cfg's `languages` and `limit` keep."""
    samples = corpus.split(split)
    if cfg.languages:
        samples = [s for s in samples if s.signed_language in cfg.languages]
        if not samples:
            raise SigngenError(f"{corpus.root}: split '{split}' has no samples in {cfg.languages}; "
                               f"its languages are {sorted({s.signed_language for s in corpus.split(split)})}")
    return samples[: cfg.limit] if cfg.limit else samples


def evaluate_split(corpus: Corpus, split: str, samples: list[Sample], bt, cfg: EvalConfig, model, model_dir,
                   poses_dir, progress: bool, say) -> tuple[dict, list[dict]]:
    unknown = bt.check_corpus([s.signed_language for s in samples], [s.text for s in samples], f"{corpus.root} ({split})")
    if unknown:
        say(f"note: {len(unknown)} {split} texts (e.g. {unknown[0]!r}) have characters the back-translator never saw "
            "in training; it cannot produce those characters, for any system")
    refs = [corpus.load(s) for s in samples]
    langs = [s.signed_language for s in samples]
    systems: dict[str, tuple[Arrays, float]] = {"ground truth": (refs, 0.0)}
    if model is not None:
        for guided, name in ((True, "signgen"), (False, "signgen pure")):
            if cfg.lexicon in ("both", "guided" if guided else "pure"):
                t = time.perf_counter()
                arrays = generate_model_poses(model, samples, cfg, progress, guided=guided)
                systems[f"{name} ({Path(model_dir).name})"] = (arrays, time.perf_counter() - t)
    if poses_dir is not None:
        arrays, note = directory_poses(poses_dir, samples)
        if note:
            say(f"--poses {poses_dir}: {note}")
        systems[f"poses ({Path(poses_dir).name})"] = (arrays, 0.0)
    if cfg.baseline:
        for kind in ("capped", "lookup"):
            t = time.perf_counter()
            systems[f"spoken-to-signed ({kind})"] = (baseline_poses(samples, kind, progress), time.perf_counter() - t)
    if cfg.controls:
        systems["control: frozen first frame"] = (frozen_poses(refs), 0.0)

    results, per_sample = {}, []
    reads = {}
    for name, (arrays, seconds) in systems.items():
        reads[name] = hyps = bt.translate(arrays, langs, beams=cfg.beams)
        metrics, rows = score(name, samples, arrays, refs, hyps, dtw=cfg.dtw)
        metrics["generation_seconds"] = seconds
        if metrics["empty"]:
            empty_ids = [r["id"] for r in rows if not r["prediction"]]
            say(f"{split}: {name}: {metrics['empty']} empty back-translations (e.g. {empty_ids[0]}); scored as deleting every word")
        results[name] = metrics
        per_sample += rows
    if cfg.controls and len(samples) > 1:
        metrics, rows = score("control: shuffled texts", samples, refs, refs, reads["ground truth"],
                              texts=shuffled([s.text for s in samples]), dtw=cfg.dtw)
        metrics["generation_seconds"] = 0.0
        results["control: shuffled texts"] = metrics
        per_sample += rows
    return results, per_sample
