"""Real-footage test fixtures built without downloads: videos of scikit-image's astronaut photograph
(a real person) with a moving crop and a slight zoom, and a tiny How2Sign-format corpus around them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from signgen.video import write_mp4

H2S_HEADER = "VIDEO_ID\tVIDEO_NAME\tSENTENCE_ID\tSENTENCE_NAME\tSTART_REALIGNED\tEND_REALIGNED\tSENTENCE"


def astronaut_frames(frames: int = 8, size: int = 160, phase: float = 0.0) -> np.ndarray:
    """(T, size, size, 3): a crop of the astronaut that pans and zooms in slightly, frame by frame."""
    import cv2
    from skimage import data

    img = data.astronaut()  # 512x512 RGB, the person's head and shoulders
    out = []
    for t in range(frames):
        a = (phase % 0.5) + 0.5 * t / max(frames - 1, 1)  # in [0, 1)
        side = int(440 - 50 * a)  # slight zoom in
        x0 = int(20 + 40 * a)  # pan
        y0 = int(10 + 20 * np.sin(np.pi * a))
        crop = img[y0:y0 + side, x0:x0 + side]
        out.append(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA))
    return np.stack(out)


def write_astronaut_video(path: Path, frames: int = 8, size: int = 160, fps: float = 25.0, phase: float = 0.0) -> Path:
    return write_mp4(astronaut_frames(frames, size, phase), path, fps=fps)


def how2sign_fixture(root: Path, per_split: dict[str, int], frames: int = 6, corrupt: tuple[str, ...] = (),
                     released: bool = False) -> dict:
    """`root/how2sign_realigned_{split}.csv` (TAB) + `root/clips/{SENTENCE_NAME}.mp4`, or with `released` the
    release's layout `root/{split}_rgb_front_clips/raw_videos/{SENTENCE_NAME}.mp4`; names in `corrupt` get garbage bytes."""
    csvs, names, k = [], [], 0
    for split, count in per_split.items():
        clips = root / f"{split}_rgb_front_clips" / "raw_videos" if released else root / "clips"
        clips.mkdir(parents=True, exist_ok=True)
        lines = [H2S_HEADER]
        for i in range(count):
            name = f"vid{k:02d}_{i}-1-rgb_front"
            lines.append(f"vid{k:02d}\tvid{k:02d}-rgb_front\t{i}\t{name}\t{1.0 + i:.2f}\t{2.5 + i:.2f}\tsentence {k} in {split}, ça va?")
            if name in corrupt:
                (clips / f"{name}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 10)
            else:
                write_astronaut_video(clips / f"{name}.mp4", frames=frames, phase=0.1 * k)
            names.append(name)
            k += 1
        path = root / f"how2sign_realigned_{split}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        csvs.append(path)
    return {"csvs": csvs, "videos": root if released else clips, "names": names}


def openpose_fixture(folder: Path, name: str, frames: int = 5, people: int = 1) -> Path:
    """How2Sign-style OpenPose output: `folder/{name}/{name}_{000000000000}_keypoints.json` per frame."""
    rng = np.random.default_rng(0)
    out = folder / name
    out.mkdir(parents=True, exist_ok=True)
    body = np.zeros((25, 3))
    # BODY_25: 2 RShoulder, 5 LShoulder, 3 RElbow, 6 LElbow, 4 RWrist, 7 LWrist, 9 RHip, 12 LHip
    for idx, (x, y) in {2: (540, 300), 5: (740, 300), 3: (500, 420), 6: (780, 420), 4: (520, 520), 7: (760, 520),
                        9: (580, 600), 12: (700, 600), 1: (640, 300), 0: (640, 200)}.items():
        body[idx] = (x, y, 0.9)
    for t in range(frames):
        person = {
            "pose_keypoints_2d": (body + [[3 * t, 0, 0]] * (body[:, 2:] > 0)).ravel().tolist(),
            "face_keypoints_2d": np.c_[rng.uniform(600, 680, (70, 2)), np.full(70, 0.8)].ravel().tolist(),
            "hand_left_keypoints_2d": np.c_[rng.uniform(740, 780, (21, 2)), np.full(21, 0.7)].ravel().tolist(),
            "hand_right_keypoints_2d": (np.zeros((21, 3)) if t % 2 else np.c_[rng.uniform(500, 540, (21, 2)), np.full(21, 0.7)]).ravel().tolist(),
        }
        doc = {"version": 1.3, "people": [person] * people}
        (out / f"{name}_{t:012d}_keypoints.json").write_text(json.dumps(doc), encoding="utf-8")
    return out


def crashing_process_clip(clip: dict, root: str, cfg):
    """Fault injection for the process engine: a clip whose id starts with 'crash' kills its worker process."""
    import os

    from data_prep.prep import process_clip

    if clip["id"].startswith("crash"):
        os._exit(3)
    return process_clip(clip, root, cfg)
