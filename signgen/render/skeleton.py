"""`skeleton` backend: pose-format's limb drawing on white (for debugging)."""

from __future__ import annotations

import numpy as np
from pose_format import Pose

from ..visualize import skeleton_frames
from .frames import pose_arrays


class SkeletonRenderer:
    def __init__(self, size: int = 256, fps: float = 25.0, hand_zoom: bool = False):
        self.size, self.fps, self.hand_zoom = size, fps, hand_zoom

    def render(self, pose: Pose, progress: bool = False) -> np.ndarray:
        pose_arrays(pose)  # validates canonical skeleton and frame count
        self.fps = float(pose.body.fps)
        return skeleton_frames(pose, self.size, hand_zoom=self.hand_zoom)
