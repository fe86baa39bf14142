"""`skeleton` backend: pose-format's limb drawing on white (for debugging)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pose_format import Pose

from ..visualize import skeleton_frames
from .frames import pose_arrays


@dataclass
class SkeletonConfig:
    size: int = 256  # frame size in pixels
    hand_zoom: bool = False  # add a close-up of the signing hand in the top-right corner


class SkeletonRenderer:
    @classmethod
    def from_config(cls, cfg: SkeletonConfig) -> "SkeletonRenderer":
        return cls(size=cfg.size, hand_zoom=cfg.hand_zoom)

    def __init__(self, size: int = 256, fps: float = 25.0, hand_zoom: bool = False):
        self.size, self.fps, self.hand_zoom = size, fps, hand_zoom

    def render(self, pose: Pose, progress: bool = False) -> np.ndarray:
        pose_arrays(pose)  # validates canonical skeleton and frame count
        self.fps = float(pose.body.fps)
        return skeleton_frames(pose, self.size, hand_zoom=self.hand_zoom)
