"""Extraction speed: `signgen data generic` against pose-format's `video_to_pose` CLI on the same videos and cores.

Both run MediaPipe Holistic 0.10.21 with model_complexity=1 in tracking mode. The test videos are
scikit-image's astronaut photograph (a real person) with a moving crop, composed onto a How2Sign-sized
(default 1280x720) frame. Every number is wall-clock time of the whole command, start-up included,
as a user would run it; frames/s = decoded source frames / wall time.

    OMP_NUM_THREADS=1 python bench/extract_speed.py --clips 8 --frames 50 --workers 1 2

Also checks that both produce the same landmarks on one clip (max absolute difference, pixels).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def make_videos(folder: Path, clips: int, frames: int, width: int, height: int) -> list[Path]:
    from signgen.video import write_mp4
    from tests.prep_fixtures import astronaut_frames

    paths = []
    for k in range(clips):
        person = astronaut_frames(frames, size=height, phase=0.05 * k)
        canvas = np.full((frames, height, width, 3), 90, np.uint8)
        x0 = (width - height) // 2
        canvas[:, :, x0:x0 + height] = person
        paths.append(write_mp4(list(canvas), folder / f"clip{k:02d}.mp4", fps=25))
    return paths


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def video_to_pose_serial(videos: list[Path], out: Path, env: dict, workers: int) -> float:
    start = time.perf_counter()
    for v in videos:
        subprocess.run(["video_to_pose", "-i", str(v), "-o", str(out / f"{v.stem}.pose"), "--format", "mediapipe",
                        "--additional-config", "model_complexity=1", "--workers", str(workers)],
                       check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def video_to_pose_parallel(videos: list[Path], out: Path, env: dict, processes: int) -> float:
    """`ls *.mp4 | xargs -P N video_to_pose ...`: the usual way to use all cores with a per-video CLI."""
    start = time.perf_counter()
    running: list[subprocess.Popen] = []
    for v in videos:
        while len(running) >= processes:
            running.pop(0).wait()
        running.append(subprocess.Popen(["video_to_pose", "-i", str(v), "-o", str(out / f"{v.stem}.pose"), "--format", "mediapipe",
                                         "--additional-config", "model_complexity=1"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for p in running:
        p.wait()
    return time.perf_counter() - start


def signgen_import(videos: list[Path], out: Path, env: dict, workers: int, engine: str = "process") -> float:
    listing = out.parent / f"{out.name}.csv"
    listing.write_text("path,text,split\n" + "".join(f"{v.name},clip {v.stem},train\n" for v in videos), encoding="utf-8")
    return timed([sys.executable, "-m", "signgen.cli", "data", "generic", "--csv", str(listing), "--root", str(videos[0].parent), "-o", str(out),
                  "--quiet", "--workers", str(workers), "--engine", engine, "spoken_language=en", "signed_language=ase"], env)


def landmark_difference(a: Path, b: Path) -> float:
    from signgen.pose import read_pose

    pa, pb = read_pose(a), read_pose(b)
    ca, cb = np.asarray(pa.body.confidence)[:, 0], np.asarray(pb.body.confidence)[:, 0]
    # image-space components only: pose-format scales the metric world landmarks by the frame size, signgen keeps metres
    keep = [i for i, (c, _) in enumerate((c.name, p) for c in pa.header.components for p in c.points) if "WORLD" not in c]
    ca, cb = ca[:, keep], cb[:, keep]
    both = (ca > 0) & (cb > 0)
    da, db = np.ma.getdata(pa.body.data)[:, 0, keep, :2], np.ma.getdata(pb.body.data)[:, 0, keep, :2]
    return float(np.abs(da - db)[both].max()) if both.any() else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--ray", action="store_true", help="also time --engine ray with the largest worker count")
    ap.add_argument("--single", type=int, default=0, help="also time ONE video of this many frames, one worker each")
    ap.add_argument("--json", default=None, help="write the results here too")
    args = ap.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cores = os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        videos = make_videos(tmp / "videos", args.clips, args.frames, args.width, args.height)
        total = args.clips * args.frames
        rows = []

        def add(name: str, seconds: float) -> None:
            rows.append({"method": name, "seconds": round(seconds, 1), "frames_per_s": round(total / seconds, 2)})
            print(f"{name:55s} {seconds:7.1f} s {total / seconds:7.2f} frames/s", flush=True)

        (tmp / "v1").mkdir()
        add("video_to_pose, one video after another (--workers 1)", video_to_pose_serial(videos, tmp / "v1", env, 1))
        (tmp / "v0").mkdir()
        add(f"video_to_pose, one after another (--workers 0 = {cores} threads)", video_to_pose_serial(videos, tmp / "v0", env, 0))
        (tmp / "vp").mkdir()
        add(f"video_to_pose, {cores} processes in parallel (xargs -P {cores})", video_to_pose_parallel(videos, tmp / "vp", env, cores))
        for w in args.workers:
            add(f"signgen data generic --workers {w}", signgen_import(videos, tmp / f"s{w}", env, w))
        if args.ray:
            w = max(args.workers)
            add(f"signgen data generic --engine ray --workers {w}", signgen_import(videos, tmp / "ray", env, w, "ray"))
        if args.single:
            (long,) = make_videos(tmp / "long", 1, args.single, args.width, args.height)
            (tmp / "l1").mkdir()
            for name, fn in (("video_to_pose, one long video (--workers 1)", lambda: video_to_pose_serial([long], tmp / "l1", env, 1)),
                             ("signgen data generic, one long video (--workers 1)", lambda: signgen_import([long], tmp / "ls", env, 1))):
                seconds = fn()
                rows.append({"method": name, "seconds": round(seconds, 1), "frames_per_s": round(args.single / seconds, 2)})
                print(f"{name:55s} {seconds:7.1f} s {args.single / seconds:7.2f} frames/s", flush=True)
        diff = landmark_difference(tmp / "v1" / "clip00.pose", tmp / f"s{args.workers[0]}" / "raw" / "clip00.pose")
        print(f"max landmark difference on clip00, video_to_pose vs signgen: {diff:.3f} px")
    result = {"machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}",
              "videos": f"{args.clips} x {args.frames} frames, {args.width}x{args.height}, 25 fps", "rows": rows,
              "max_landmark_difference_px": round(diff, 4)}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
