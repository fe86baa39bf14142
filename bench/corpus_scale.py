"""Training data at How2Sign scale: peak memory per training process, start-up time, and data-pipeline speed.

Builds a corpus of --samples rows (How2Sign: about 31 k samples, 7.2 M frames) by repeating a few real
`.pose` files under new ids: --poses files, each the concatenated frames of random samples of a small real
corpus (--source, e.g. `signgen data starter -o /tmp/starter-small --config starter-small`), with lengths
spread evenly around --mean-frames. Then, each in its own process:

- start-up: manifest read, store open (the first time: store build), train/val split views, statistics;
  once cold (store built here) and once warm;
- training: `signgen train motion --config S` for --steps steps (2 DataLoader workers); the parent samples the
  resident memory of the training process and of its DataLoader workers every 0.2 s (with --compare-repo,
  the same command also runs from another checkout, e.g. one from before the store);
- data pipeline: batches of the S preset (batch 32, length groups, augmentation) from the DataLoader, with 0
  and 2 workers, against the S model's own speed (forward + backward + AdamW on a fixed batch).

    python bench/corpus_scale.py --source /tmp/starter-small --out /tmp/h2s-scale --samples 31000 \
        --json /tmp/corpus_scale.json [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def make_corpus(source: Path, out: Path, samples: int, poses: int, mean_frames: int, seed: int = 0) -> dict:
    from signgen.corpus import Corpus, Sample, write_manifest
    from signgen.pose.io import atomic_write_text, write_pose
    from signgen.pose.tensors import array_to_pose

    src = Corpus(source)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "poses").mkdir(exist_ok=True)
    train = src.split("train")
    high = min(int(mean_frames * 1.4), 320)  # the S preset's max_frames
    lengths = np.linspace(2 * mean_frames - high, high, poses).round().astype(int)
    for k, length in enumerate(lengths):
        xs, ms = [], []
        while sum(map(len, xs)) < length:
            x, m = src.load(train[int(rng.integers(len(train)))])
            xs.append(x)
            ms.append(m)
        write_pose(array_to_pose(np.concatenate(xs)[:length], np.concatenate(ms)[:length]), out / "poses" / f"base-{k:03d}.pose")
    rows = []
    for i in range(samples):
        s = src.samples[int(rng.integers(len(src.samples)))]
        k = i % poses
        split = "train" if i < 0.97 * samples else "val" if i < 0.98 * samples else "test"  # a small val split: every validation reads all of it
        rows.append(Sample(f"h2s-{i:06d}", split, s.text, s.spoken_language, s.signed_language, f"poses/base-{k:03d}.pose",
                           int(lengths[k]), 25.0, "bench"))
    write_manifest(out, rows)
    shutil.copy(source / "stats.safetensors", out / "stats.safetensors")
    atomic_write_text(out / "corpus.json", json.dumps({"builder": "bench/corpus_scale.py", "name": out.name}))
    return {"samples": samples, "frames": int(sum(lengths[i % poses] for i in range(samples))), "pose_files": poses}


def _status(pid: int) -> dict:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in text.splitlines())
            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM")}  # MiB


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run_watched(cmd: list[str], cwd: Path = REPO, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `cmd`; return it and the peak resident memory (MiB) of it and of its child processes."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"main": {}, "workers": {}}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for role, pids in (("main", [proc.pid]), ("workers", _children(proc.pid))):
                for pid in pids:
                    for k, v in _status(pid).items():
                        peak[role][k] = max(peak[role].get(k, 0), v)
            time.sleep(0.2)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    out, err = proc.communicate()
    done.set()
    t.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), peak


def child_startup(corpus_dir: str) -> dict:
    """Manifest read, store open or build, split views and statistics, as `signgen train motion` does them."""
    import torch  # imported before timing: start-up here is the data's, not the libraries'

    from signgen.config import load_config
    from signgen.corpus import Corpus
    from signgen.motion.model import MotionModel
    from signgen.motion.train import MotionData, MotionTrainConfig, fit_to_corpus, model_stats

    t = {"start": time.perf_counter()}
    corpus = Corpus(corpus_dir)
    t["manifest"] = time.perf_counter()
    corpus.store()
    t["store"] = time.perf_counter()
    cfg = load_config(MotionTrainConfig, "S", group="motion")
    fit_to_corpus(cfg.model, corpus, corpus_dir)
    torch.manual_seed(0)
    model = MotionModel(cfg.model)
    train, val = MotionData(corpus, "train", model), MotionData(corpus, "val", model)
    t["splits"] = time.perf_counter()
    model_stats(corpus, model, train)
    t["stats"] = time.perf_counter()
    return {"manifest_s": t["manifest"] - t["start"], "store_s": t["store"] - t["manifest"], "splits_s": t["splits"] - t["store"],
            "stats_s": t["stats"] - t["splits"], "total_s": t["stats"] - t["start"], "train_samples": len(train.items),
            "val_samples": len(val.items),
            "rss_mib": _status(os.getpid())}


def child_pipeline(corpus_dir: str, batches: int) -> dict:
    """Samples/s of the S preset's data pipeline (0 and 2 workers) and of the S model (fwd + bwd + AdamW)."""
    import torch

    from signgen.config import load_config
    from signgen.corpus import Corpus
    from signgen.motion.model import MotionModel
    from signgen.motion.train import MotionData, MotionLoss, MotionTrainConfig, fit_to_corpus, global_batch_share, model_stats
    from signgen.train.loop import Task, batch_loader
    from timing import steps_per_second

    corpus = Corpus(corpus_dir)
    cfg = load_config(MotionTrainConfig, "S", group="motion")
    fit_to_corpus(cfg.model, corpus, corpus_dir)  # the repeated rows carry no letter timing (like How2Sign): letter_durations off
    torch.manual_seed(0)
    model = MotionModel(cfg.model)
    train = MotionData(corpus, "train", model)
    train.stats = model_stats(corpus, model, train)

    def batch(step: int, rank: int) -> dict:
        return train.batch(*global_batch_share(train, cfg, step, rank, 1), cfg.augment, cfg.augment_prob)

    result = {"batch_size": cfg.train.batch_size}
    for workers in (0, 2):
        cfg.train.workers, cfg.train.steps = workers, batches + 4
        loader = iter(batch_loader(Task(None, batch, None, None, {}), cfg.train, 0, 0))
        for _ in range(4):  # workers started and their first batches in flight
            next(loader)
        t0 = time.perf_counter()
        frames = sum(int(next(loader)["frame_mask"].sum()) for _ in range(batches))
        dt = time.perf_counter() - t0
        result[f"pipeline_{workers}_workers"] = {"samples_per_s": batches * cfg.train.batch_size / dt, "frames_per_s": frames / dt}
        del loader
    loss_module = MotionLoss(model)
    opt = torch.optim.AdamW(loss_module.parameters(), lr=1e-4)
    b = batch(0, 0)
    steps_per_s = steps_per_second(loss_module, opt, [b] * 7, warmup=2)
    result["model"] = {"steps_per_s": steps_per_s, "samples_per_s": steps_per_s * cfg.train.batch_size,
                       "frames_in_batch": int(b["frame_mask"].sum()), "padded_length": int(b["frame_mask"].shape[1]),
                       "torch_threads": torch.get_num_threads()}
    return result


def train_watched(corpus: Path, repo: Path, steps: int) -> dict:
    """`signgen train motion --config S` from the checkout `repo`, with its peak memory and seconds per step."""
    run = corpus.parent / f"{corpus.name}-run"
    shutil.rmtree(run, ignore_errors=True)
    cmd = [sys.executable, "-c", "import sys; from signgen.cli import main; sys.exit(main(sys.argv[1:]))", "train", "motion",
           "--corpus", str(corpus), "--config", "S", "-o", str(run), "--quiet", f"train.steps={steps}", "train.log_every=5",
           "train.val_every=1000000", "train.ckpt_every=1000000", "val_samples=1"]  # train.workers: the default, 2
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the checkout's own signgen (cwd first)
    t0 = time.perf_counter()
    proc, peak = run_watched(cmd, cwd=repo, env=env)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    logged = [h["sec_per_step"] for h in history if "sec_per_step" in h][1:]  # the first block includes start-up
    shutil.rmtree(run, ignore_errors=True)
    return {"repo": str(repo), "steps": steps, "wall_s": time.perf_counter() - t0, "peak_mib": peak,
            "sec_per_step_after_first_block": float(np.mean(logged)) if logged else None}


def _child(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's signgen
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, help="a small real corpus whose poses are repeated")
    ap.add_argument("--out", type=Path, default=Path("/tmp/h2s-scale"))
    ap.add_argument("--samples", type=int, default=31000)
    ap.add_argument("--mean-frames", type=int, default=232)  # How2Sign: 7.2 M frames / 31 k samples
    ap.add_argument("--poses", type=int, default=32)
    ap.add_argument("--steps", type=int, default=30, help="training steps of the memory run")
    ap.add_argument("--batches", type=int, default=60, help="batches timed per data-pipeline setting")
    ap.add_argument("--compare-repo", type=Path, help="also run the training from this checkout (its own signgen)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the corpus and its store (several GB)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_startup(rest[0]) if kind == "startup" else child_pipeline(rest[0], int(rest[1]))
        print(json.dumps(result))
        return

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.machine()) if Path("/proc/cpuinfo").exists() else platform.machine()
    report = {"machine": {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}}
    if args.out.exists():
        shutil.rmtree(args.out)
    t0 = time.perf_counter()
    report["corpus"] = make_corpus(args.source, args.out, args.samples, args.poses, args.mean_frames)
    report["corpus"]["make_s"] = time.perf_counter() - t0
    print(json.dumps(report["corpus"]), flush=True)
    report["startup_cold"] = _child(["--child", "startup", str(args.out)])
    print("cold", json.dumps(report["startup_cold"]), flush=True)
    report["startup_warm"] = _child(["--child", "startup", str(args.out)])
    print("warm", json.dumps(report["startup_warm"]), flush=True)
    store = args.out / "store"
    report["store_bytes"] = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())

    for name, repo in [("train", REPO)] + ([("train_compare", args.compare_repo.resolve())] if args.compare_repo else []):
        report[name] = train_watched(args.out, repo, args.steps)
        print(name, json.dumps(report[name]), flush=True)
    report["pipeline"] = _child(["--child", "pipeline", str(args.out), str(args.batches)])
    print("pipeline", json.dumps(report["pipeline"]), flush=True)
    report["load_average"] = os.getloadavg()
    if not args.keep:
        shutil.rmtree(args.out)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
