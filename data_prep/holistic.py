"""MediaPipe Holistic extraction (the bundled 0.10.21 models, `model_complexity=1`) into a full Holistic `.pose`.

The output has pose-format's Holistic header (`holistic_components`: body 33, face 468 or 478, hands 2x21,
body world 33), coordinates in pixels of the ORIGINAL frame even when the frame is cropped or resized for
the detector, z as MediaPipe gives it, at the source frame rate: the same layout as pose-format's
`video_to_pose`, so `signgen.pose.to_canonical` reads it.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from signgen.errors import SigngenError

from .frames import ClipError, FrameSource


@dataclass
class HolisticConfig:
    refine_face_landmarks: bool = False  # 478 face points (irises) instead of 468
    static_image_mode: bool = False  # detect on every frame instead of tracking (slower)
    smooth_landmarks: bool = True
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    crop: list[float] = field(default_factory=lambda: [0.0, 0.0, 1.0, 1.0])  # left, top, right, bottom as fractions
    max_side: int = 0  # downscale so the longer side is at most this many pixels before detection; 0 = keep

    def check(self) -> None:
        left, top, right, bottom = (list(self.crop) + [None] * 4)[:4] if len(self.crop) == 4 else (None,) * 4
        if left is None or not (0 <= left < right <= 1 and 0 <= top < bottom <= 1):
            raise SigngenError(f"holistic.crop={list(self.crop)}: give [left, top, right, bottom] fractions with 0 <= left < right <= 1 and 0 <= top < bottom <= 1")
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            if not 0 <= getattr(self, name) <= 1:
                raise SigngenError(f"holistic.{name}={getattr(self, name)}: choose a value between 0 and 1")
        if self.max_side < 0 or 0 < self.max_side < 32:
            raise SigngenError(f"holistic.max_side={self.max_side}: use 0 (keep resolution) or at least 32 pixels")

    def mediapipe_kwargs(self) -> dict:
        # model_complexity 0 and 2 download other pose models at run time; 1 is bundled.
        return dict(static_image_mode=self.static_image_mode, model_complexity=1, smooth_landmarks=self.smooth_landmarks,
                    refine_face_landmarks=self.refine_face_landmarks, min_detection_confidence=self.min_detection_confidence,
                    min_tracking_confidence=self.min_tracking_confidence)


@contextmanager
def mediapipe_logs(show: bool = False) -> Iterator[None]:
    """MediaPipe's C++ code (absl logging) and TFLite write their log lines ("Created TensorFlow Lite XNNPACK
    delegate", "Feedback manager requires ...") straight to file descriptor 2, bypassing Python. Unless `show`,
    point descriptor 2 at /dev/null while a tracker runs; Python exceptions still surface, after it is restored."""
    if show:
        yield
        return
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _landmarks(component, count: int, scale: np.ndarray, offset: np.ndarray, visibility: bool) -> tuple[np.ndarray, np.ndarray]:
    if component is None:
        return np.zeros((count, 3), np.float32), np.zeros(count, np.float32)
    lm = component.landmark
    xyz = np.array([(p.x, p.y, p.z) for p in lm], np.float32) * scale + offset
    conf = np.array([p.visibility for p in lm], np.float32) if visibility else np.ones(count, np.float32)
    return xyz, conf


def extract(source: FrameSource, cfg: HolisticConfig, show_logs: bool = False) -> "Pose":  # noqa: F821
    """Run Holistic on every frame of `source`; one fresh tracker per clip (creating one costs ~0.05 s).
    MediaPipe's own log lines are hidden unless `show_logs`."""
    with mediapipe_logs(show_logs):
        return _extract(source, cfg)


def _extract(source: FrameSource, cfg: HolisticConfig) -> "Pose":  # noqa: F821
    import cv2
    import mediapipe as mp
    from pose_format import Pose, PoseHeader
    from pose_format.numpy import NumPyPoseBody
    from pose_format.pose_header import PoseHeaderDimensions
    from pose_format.utils.holistic import holistic_components

    cfg.check()
    w, h = source.width, source.height
    x0, y0 = int(round(cfg.crop[0] * w)), int(round(cfg.crop[1] * h))
    x1, y1 = max(int(round(cfg.crop[2] * w)), x0 + 1), max(int(round(cfg.crop[3] * h)), y0 + 1)
    cw, ch = x1 - x0, y1 - y0
    factor = min(1.0, cfg.max_side / max(cw, ch)) if cfg.max_side else 1.0
    size = (max(1, round(cw * factor)), max(1, round(ch * factor)))
    # normalized landmark coordinates -> pixels of the original frame (z stays as MediaPipe returns it)
    scale, offset = np.array([cw, ch, 1], np.float32), np.array([x0, y0, 0], np.float32)
    face_points = 478 if cfg.refine_face_landmarks else 468

    datas, confs = [], []
    with mp.solutions.holistic.Holistic(**cfg.mediapipe_kwargs()) as holistic:
        for frame in source.frames:
            img = frame[y0:y1, x0:x1]
            if factor < 1.0:
                img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            r = holistic.process(np.ascontiguousarray(img))
            parts = [
                _landmarks(r.pose_landmarks, 33, scale, offset, True),
                _landmarks(r.face_landmarks, face_points, scale, offset, False),
                _landmarks(r.left_hand_landmarks, 21, scale, offset, False),
                _landmarks(r.right_hand_landmarks, 21, scale, offset, False),
                # world landmarks are metric, centred on the hips: not scaled to pixels
                _landmarks(r.pose_world_landmarks, 33, np.ones(3, np.float32), np.zeros(3, np.float32), True),
            ]
            datas.append(np.concatenate([p[0] for p in parts]))
            confs.append(np.concatenate([p[1] for p in parts]))
    if not datas:
        raise ClipError("zero frames decoded")
    header = PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(width=w, height=h, depth=0),
                        components=holistic_components("XYZC", face_points - 468))
    data = np.stack(datas)[:, None]  # (T, 1, J, 3)
    conf = np.stack(confs)[:, None]  # (T, 1, J)
    body = NumPyPoseBody(fps=source.fps, data=np.ma.masked_array(data, mask=np.repeat(conf[..., None] == 0, 3, -1)), confidence=conf)
    return Pose(header, body)


def detection_rates(pose) -> dict[str, float]:
    """Fraction of frames in which each component (body, face, left hand, right hand, either hand) was detected."""
    conf = np.asarray(pose.body.confidence)[:, 0]  # (T, J)
    names = {"POSE_LANDMARKS": "body", "FACE_LANDMARKS": "face", "LEFT_HAND_LANDMARKS": "left_hand", "RIGHT_HAND_LANDMARKS": "right_hand"}
    out, start, seen = {}, 0, {}
    for c in pose.header.components:
        n = len(c.points)
        if c.name in names:
            seen[names[c.name]] = (conf[:, start:start + n] > 0).any(1)
        start += n
    frames = max(len(conf), 1)
    for key in names.values():
        out[key] = float(seen[key].sum() / frames) if key in seen else 0.0
    hands = [seen[k] for k in ("left_hand", "right_hand") if k in seen]
    out["any_hand"] = float(np.logical_or.reduce(hands).sum() / frames) if hands else 0.0
    return out


def frames_of(pose) -> int:
    return int(pose.body.data.shape[0])
