"""Skeleton drawing of canonical poses with pose-format's PoseVisualizer."""

from __future__ import annotations

import copy

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeaderDimensions

from .errors import SigngenError


def to_pixels(pose: Pose, size: int = 512, shoulder_px: float | None = None) -> Pose:
    """Map canonical (shoulder-normalized) coordinates into a size x size image, upper body centred."""
    shoulder_px = shoulder_px or size * 0.32
    data = np.ma.getdata(pose.body.data).astype(np.float32).copy()
    data[..., 0] = data[..., 0] * shoulder_px + size / 2
    data[..., 1] = data[..., 1] * shoulder_px + size * 0.40
    if data.shape[-1] > 2:
        data[..., 2] = data[..., 2] * shoulder_px
    conf = np.asarray(pose.body.confidence)
    body = NumPyPoseBody(fps=pose.body.fps, data=np.ma.masked_array(data, mask=np.ma.getmaskarray(pose.body.data)), confidence=conf)
    header = copy.deepcopy(pose.header)
    header.dimensions = PoseHeaderDimensions(width=size, height=size, depth=size)
    return Pose(header, body)


def skeleton_frames(pose: Pose, size: int = 512, hand_zoom: bool = False) -> np.ndarray:
    """Render a canonical pose as RGB skeleton frames (T, size, size, 3); missing joints are not drawn.
    `hand_zoom`: a close-up of the signing hand in the top-right corner (`signgen.render.closeup`)."""
    if len(pose.body.data) == 0:
        raise SigngenError("pose has zero frames; nothing to draw")
    frames = _draw(pose, size, max(1, size // 256))
    if hand_zoom:
        from .pose.tensors import array_to_pose, pose_to_array
        from .render.closeup import add_close_up

        def draw(zoomed, mask, side):
            return _draw(array_to_pose(zoomed, mask, fps=float(pose.body.fps)), side, max(2, side // 64))

        add_close_up(frames, *pose_to_array(pose), draw, border=(128, 128, 128))
    return frames


def _draw(pose: Pose, size: int, thickness: int) -> np.ndarray:
    from pose_format.pose_visualizer import PoseVisualizer

    viz = PoseVisualizer(to_pixels(pose, size), thickness=thickness)
    frames = np.stack(list(viz.draw(background_color=(255, 255, 255))))
    return frames[..., ::-1].copy()  # the visualizer draws BGR (OpenCV); we use RGB
