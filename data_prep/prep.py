"""Clips -> corpus: extract or convert each clip in parallel, resumably, then write the signgen corpus layout.

    <out>/raw/<id>.pose      the source pose as extracted (full Holistic, source fps, pixels) — videos and frames only
    <out>/poses/<id>.pose    canonical (178 points, 25 fps, normalized)
    <out>/progress.jsonl     one line per finished or failed clip; a re-run skips finished clips, retries failed ones
    <out>/failures.csv       every row or clip that could not be imported, with the reason
    <out>/quality.csv        per-clip detection rates and whether the quality filters kept it
    <out>/quality.json       summary of the above
    manifest.csv, stats.safetensors, corpus.json   (signgen.corpus.finalize)

Engines: `process` (a process pool, all cores by default) or `ray` (local, or a cluster via `address`).
A failing clip never stops the run; every file is written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from signgen.corpus import Sample, finalize, hash_split
from signgen.errors import SigngenError
from signgen.pose.io import atomic_write_text

from .holistic import HolisticConfig
from .resumable import finished_records, progress_log, run_pool
from .sources import Clip, Problem

SETTINGS = "prep.json"
FAILURES = "failures.csv"
QUALITY_CSV = "quality.csv"
QUALITY_JSON = "quality.json"
RATES = ("body", "face", "left_hand", "right_hand", "any_hand")


@dataclass
class FilterConfig:
    """Clips below these detection rates (fraction of frames) are left out of the manifest, and listed in quality.csv."""

    min_body_rate: float = 0.0
    min_face_rate: float = 0.0
    min_hand_rate: float = 0.0  # frames with at least one hand
    min_frames: int = 2  # canonical (25 fps) frames


@dataclass
class PrepConfig:
    holistic: HolisticConfig = field(default_factory=HolisticConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    spoken_language: str = ""  # "" = the importer's default (How2Sign en/ase, PHOENIX de/gsg)
    signed_language: str = ""
    keep_raw: bool = True  # keep the extracted source-fps pose under raw/
    split_by: str = "text"  # rows without a split: hash of the text (same sentence, same split), "id" or "signer"
    val_fraction: float = 0.05
    test_fraction: float = 0.05
    seed: int = 0
    workers: int = 0  # processes (or Ray tasks in flight per CPU); 0 = all cores
    engine: str = "process"  # process | ray
    address: str = ""  # Ray cluster address ("auto", "ray://host:10001"); "" starts Ray locally
    verbose: bool = False  # show MediaPipe's and TFLite's own log lines (hidden by default)

    def check(self) -> None:
        self.holistic.check()
        if self.engine not in ("process", "ray"):
            raise SigngenError(f"engine={self.engine!r}: choose process or ray")
        if self.split_by not in ("text", "id", "signer"):
            raise SigngenError(f"split_by={self.split_by!r}: choose text, id or signer")
        if not (0 <= self.val_fraction and 0 <= self.test_fraction and self.val_fraction + self.test_fraction < 1):
            raise SigngenError("val_fraction and test_fraction must be >= 0 and sum to less than 1")
        if self.workers < 0:
            raise SigngenError(f"workers={self.workers}: use 0 (all cores) or a positive number")
        if not self.spoken_language or not self.signed_language:
            raise SigngenError("spoken_language and signed_language are not set; pass e.g. spoken_language=en signed_language=ase")


def clip_split(clip: Clip, cfg: PrepConfig) -> str:
    """The clip's own split if it names one, else a split by hash of its text, id or signer (`cfg.split_by`)."""
    if clip.split:
        return clip.split
    key = {"text": clip.text.lower(), "id": clip.id, "signer": clip.signer or clip.id}[cfg.split_by]
    return hash_split(key, cfg.seed, cfg.val_fraction, cfg.test_fraction)


def load_source_pose(clip: Clip, cfg: PrepConfig):
    """The clip's source pose: Holistic extracted from video/frames, or read from OpenPose JSON / an existing .pose."""
    from .frames import ClipError, open_image_folder, open_video
    from .holistic import extract

    if clip.kind == "video":
        return extract(open_video(clip.path, clip.start, clip.end), cfg.holistic, show_logs=cfg.verbose)
    if clip.kind == "frames":
        return extract(open_image_folder(clip.path, clip.fps), cfg.holistic, show_logs=cfg.verbose)
    if clip.kind == "openpose":
        from pose_format.utils.openpose import load_openpose_directory

        try:
            return load_openpose_directory(clip.path, fps=clip.fps, width=1280, height=720)
        except (ValueError, KeyError, IndexError, TypeError, OSError) as e:  # json.JSONDecodeError is a ValueError
            raise ClipError(f"unreadable OpenPose JSON ({type(e).__name__}: {str(e)[:100]})") from None
    if clip.kind == "pose":
        from signgen.pose.io import read_pose

        try:
            return read_pose(clip.path)
        except SigngenError as e:
            raise ClipError(str(e).split(": ", 1)[-1]) from None
    raise ClipError(f"unknown source kind {clip.kind!r}")


def process_clip(clip: dict, root: str, cfg: PrepConfig) -> dict:
    """One clip -> canonical .pose (+ raw .pose). Returns a progress record; never raises for a bad clip."""
    import numpy as np

    from signgen.pose.io import write_pose
    from signgen.pose.skeleton import to_canonical

    from .frames import ClipError
    from .holistic import detection_rates, frames_of

    clip = Clip(**clip)
    t0 = time.perf_counter()
    record = {"id": clip.id, "input": clip.path, "origin": clip.origin, "clip": asdict(clip)}  # the source, for `signgen data frames`
    try:
        source = load_source_pose(clip, cfg)
        n = frames_of(source)
        if n == 0:
            raise ClipError("zero frames")
        if not (np.asarray(source.body.confidence) > 0).any():
            raise ClipError(f"no person detected in any of {n} frames")
        try:
            canonical = to_canonical(source)
        except SigngenError as e:
            raise ClipError(str(e)) from None
        rates = detection_rates(canonical)
        if clip.kind in ("video", "frames") and cfg.keep_raw:
            write_pose(source, Path(root) / "raw" / f"{clip.id}.pose")
        rel = f"poses/{clip.id}.pose"
        write_pose(canonical, Path(root) / rel)
        sample = Sample(clip.id, clip_split(clip, cfg), clip.text, cfg.spoken_language, cfg.signed_language, rel,
                        frames_of(canonical), float(canonical.body.fps), f"{clip.kind}:{clip.origin}")
        record.update(status="ok", sample=asdict(sample), rates=rates, source_frames=n, source_fps=float(source.body.fps))
    except ClipError as e:
        record.update(status="failed", reason=str(e))
    except Exception as e:  # a bad clip must never abort the run; keep the cause for the report
        record.update(status="failed", reason=f"unexpected {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}")
    record["seconds"] = round(time.perf_counter() - t0, 3)
    return record


def _settings(cfg: PrepConfig) -> str:
    """What decides the content of a finished clip; a re-run with different values is refused."""
    keep = {"holistic": asdict(cfg.holistic), "keep_raw": cfg.keep_raw, "spoken_language": cfg.spoken_language,
            "signed_language": cfg.signed_language, "split_by": cfg.split_by, "val_fraction": cfg.val_fraction,
            "test_fraction": cfg.test_fraction, "seed": cfg.seed}
    return json.dumps(keep, sort_keys=True)


def clip_pose_path(rec: dict) -> Optional[str]:
    """The canonical pose of a finished clip's progress record; None for a failed clip."""
    return rec["sample"]["pose_path"] if rec.get("status") == "ok" else None


def _worker_died(clip: dict) -> dict:
    """The progress record of a clip that killed its worker process, also when re-run alone."""
    return {"id": clip["id"], "input": clip["path"], "origin": clip["origin"], "status": "failed",
            "reason": "the worker process died on this clip (crash or out of memory)", "seconds": 0.0}


def _run_process(todo: list[Clip], root: Path, cfg: PrepConfig, workers: int, record: Callable[[dict], None]) -> None:
    import multiprocessing

    # spawn: the parent may hold MediaPipe/torch threads, which fork would copy in a broken state
    run_pool([asdict(clip) for clip in todo], process_clip, (str(root), cfg), workers, record,
             mp_context=multiprocessing.get_context("spawn"), on_crash=_worker_died)


def _run_ray(todo: list[Clip], root: Path, cfg: PrepConfig, workers: int, record: Callable[[dict], None]) -> None:
    try:
        import ray
    except ImportError:
        raise SigngenError("engine=ray needs Ray: pip install 'signgen[ray]' (or pip install ray)") from None
    started = False
    if not ray.is_initialized():
        package_root = str(Path(__file__).resolve().parent.parent)
        kwargs = dict(include_dashboard=False, log_to_driver=False,
                      runtime_env={"env_vars": {"PYTHONPATH": package_root, "GLOG_minloglevel": "2"}})
        if cfg.address:
            ray.init(address=cfg.address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(process_clip)
        cluster_cpus = int(ray.cluster_resources().get("CPU", workers))
        queue = list(reversed(todo))
        pending: dict = {}
        while queue or pending:
            while queue and len(pending) < 2 * cluster_cpus:
                clip = queue.pop()
                pending[task.remote(asdict(clip), str(root), cfg)] = clip
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                clip = pending.pop(ref)
                try:
                    record(ray.get(ref))
                except ray.exceptions.RayError as e:  # a worker died (e.g. out of memory): report, keep going
                    record({"id": clip.id, "input": clip.path, "origin": clip.origin, "status": "failed",
                            "reason": f"Ray task failed ({type(e).__name__})", "seconds": 0.0})
    finally:
        if started:
            ray.shutdown()


def _dedupe(clips: list[Clip], problems: list[Problem]) -> list[Clip]:
    seen: dict[str, Clip] = {}
    for clip in clips:
        if clip.id in seen:
            problems.append(Problem(clip.id, clip.origin, f"duplicate clip id (first at {seen[clip.id].origin}); the later row is skipped"))
        else:
            seen[clip.id] = clip
    return list(seen.values())


def _passes(rates: dict, frames: int, f: FilterConfig) -> str:
    """'' if the clip passes the quality filters, else why not."""
    for key, limit in (("body", f.min_body_rate), ("face", f.min_face_rate), ("any_hand", f.min_hand_rate)):
        if rates[key] < limit:
            return f"{key} detected in {rates[key]:.0%} of frames < {limit:.0%}"
    if frames < f.min_frames:
        return f"{frames} frames < {f.min_frames}"
    return ""


def _write_reports(root: Path, records: list[dict], failures: list[dict]) -> dict:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "input", "origin", "reason"])
    for f in failures:
        w.writerow([f["id"], f.get("input", ""), f.get("origin", ""), f["reason"]])
    atomic_write_text(root / FAILURES, buf.getvalue())

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "split", "frames", *RATES, "kept", "filtered_because"])
    for r in records:
        w.writerow([r["id"], r["sample"]["split"], r["sample"]["frames"], *(f"{r['rates'][k]:.3f}" for k in RATES),
                    int(not r["filtered"]), r["filtered"]])
    atomic_write_text(root / QUALITY_CSV, buf.getvalue())

    n = max(len(records), 1)
    summary = {
        "clips_ok": len(records),
        "clips_kept": sum(not r["filtered"] for r in records),
        "clips_filtered": sum(bool(r["filtered"]) for r in records),
        "clips_failed": len(failures),
        "source_frames": sum(r.get("source_frames", 0) for r in records),
        "mean_rates": {k: round(sum(r["rates"][k] for r in records) / n, 4) for k in RATES},
        "clips_with_rate_below_0.5": {k: sum(r["rates"][k] < 0.5 for r in records) for k in RATES},
        "failure_reasons": _reason_counts(failures),
    }
    atomic_write_text(root / QUALITY_JSON, json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def _reason_counts(failures: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in failures:
        key = f["reason"].split(" (")[0].split(":")[0][:60]
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


@dataclass
class PrepResult:
    root: Path
    summary: dict
    corpus: Optional[object]  # signgen.corpus.Corpus, or None when nothing was kept
    skipped: int  # clips already finished by an earlier run


def prepare(clips: Iterable[Clip], problems: list[Problem], root: str | Path, cfg: PrepConfig, builder: str,
            progress: bool = True) -> PrepResult:
    """Import `clips` into a corpus at `root` (resumable), write the failures and quality reports, finalize."""
    from signgen.progress import progress_bar

    cfg.check()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    settings = _settings(cfg)
    settings_file = root / SETTINGS
    if settings_file.exists() and settings_file.read_text(encoding="utf-8") != settings:
        raise SigngenError(f"{root}: holds an import made with different extraction settings; use a new output directory or delete it")
    atomic_write_text(settings_file, settings)

    problems = list(problems)
    clips = _dedupe(list(clips), problems)
    if not clips:
        _write_reports(root, [], [asdict(p) for p in problems])
        raise SigngenError(f"{root}: no row points to an importable clip; see {root / FAILURES}")
    done = finished_records(root, clip_pose_path)
    wanted = {c.id for c in clips}
    todo = [c for c in clips if c.id not in done]
    workers = min(cfg.workers or os.cpu_count() or 1, max(len(todo), 1))
    failed: dict[str, dict] = {}
    stats = {"frames": 0, "t0": time.perf_counter()}
    bar = progress_bar(total=len(clips), initial=len(clips) - len(todo), desc=builder, unit="clip", disable=not progress)
    with progress_log(root) as append:

        def record(rec: dict) -> None:
            append([rec])
            if rec["status"] == "ok":
                done[rec["id"]] = rec
                stats["frames"] += rec["source_frames"]
            else:
                failed[rec["id"]] = rec
            elapsed = max(time.perf_counter() - stats["t0"], 1e-6)
            bar.set_postfix_str(f"{stats['frames'] / elapsed:.1f} frames/s, {len(failed)} failed", refresh=False)
            bar.update(1)

        if todo:
            runner = _run_ray if cfg.engine == "ray" else _run_process
            runner(todo, root, cfg, workers, record)
    bar.close()

    records = [done[c.id] for c in clips if c.id in done and c.id in wanted]
    for r in records:
        r["filtered"] = _passes(r["rates"], r["sample"]["frames"], cfg.filters)
    failures = [asdict(p) | {"origin": p.input, "input": ""} for p in problems]
    failures += [{"id": f["id"], "input": f["input"], "origin": f["origin"], "reason": f["reason"]} for f in failed.values()]
    summary = _write_reports(root, records, failures)
    kept = [Sample(**r["sample"]) for r in records if not r["filtered"]]
    if not kept:
        raise SigngenError(f"{root}: no clip was imported and kept ({len(failures)} failed, {summary['clips_filtered']} "
                           f"filtered); see {root / FAILURES} and {root / QUALITY_CSV}")
    info = {"builder": builder, "config": asdict(cfg), "quality": summary}
    corpus = finalize(root, kept, info)
    return PrepResult(root, summary, corpus, len(clips) - len(todo))
