"""`skeleton` backend: pose-format's limb drawing on white (for debugging; `signgen show` draws with it too)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeaderDimensions

from ..errors import SigngenError
from .frames import pose_arrays
from .layout import SHOULDER_FRAC, to_pixels


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


def skeleton_frames(pose: Pose, size: int = 512, hand_zoom: bool = False) -> np.ndarray:
    """Render a canonical pose as RGB skeleton frames (T, size, size, 3); missing joints are not drawn.
    `hand_zoom`: a close-up of the signing hand in the top-right corner (`signgen.render.closeup`)."""
    if len(pose.body.data) == 0:
        raise SigngenError("pose has zero frames; nothing to draw")
    frames = _draw(pose, size, max(1, size // 256))
    if hand_zoom:
        from ..pose.tensors import array_to_pose, pose_to_array
        from .closeup import add_close_up

        def draw(zoomed, mask, side):
            return _draw(array_to_pose(zoomed, mask, fps=float(pose.body.fps)), side, max(2, side // 64))

        add_close_up(frames, *pose_to_array(pose), draw, border=(128, 128, 128))
    return frames


def pose_in_pixels(pose: Pose, size: int) -> Pose:
    """The canonical pose in a size x size image's pixels (`layout.to_pixels`; depth on the same scale)."""
    data = np.ma.getdata(pose.body.data).astype(np.float32).copy()
    data[..., :2] = to_pixels(data, size)
    if data.shape[-1] > 2:
        data[..., 2] = data[..., 2] * (size * SHOULDER_FRAC)
    conf = np.asarray(pose.body.confidence)
    body = NumPyPoseBody(fps=pose.body.fps, data=np.ma.masked_array(data, mask=np.ma.getmaskarray(pose.body.data)), confidence=conf)
    header = copy.deepcopy(pose.header)
    header.dimensions = PoseHeaderDimensions(width=size, height=size, depth=size)
    return Pose(header, body)


def _draw(pose: Pose, size: int, thickness: int) -> np.ndarray:
    from pose_format.pose_visualizer import PoseVisualizer

    viz = PoseVisualizer(pose_in_pixels(pose, size), thickness=thickness)
    frames = np.stack(list(viz.draw(background_color=(255, 255, 255))))
    return frames[..., ::-1].copy()  # the visualizer draws BGR (OpenCV); we use RGB
