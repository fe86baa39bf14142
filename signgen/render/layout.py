"""Where the canonical skeleton lands in a square frame, and named joint groups that the drawers share."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..pose.skeleton import canonical_header, component_slices, joint_index

# Where the shoulders land: shoulder width = 0.32 of the frame, shoulders at 40% height (every drawer uses this).
SHOULDER_FRAC, SHOULDER_Y = 0.32, 0.40

# MediaPipe face-mesh indices (kept by reduce_holistic's FACEMESH_CONTOURS). "Right" is the signer's right.
FACE_GROUPS = {
    "right_eye": [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7],
    "left_eye": [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249],
    "right_brow": [70, 63, 105, 66, 107, 55, 65, 52, 53, 46],
    "left_brow": [300, 293, 334, 296, 336, 285, 295, 282, 283, 276],
    "lips_outer": [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146],
    "lips_inner": [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95],
    "oval": [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
             176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109],
}


def to_pixels(x: np.ndarray, size: int) -> np.ndarray:
    """Canonical (..., 3) coordinates -> (..., 2) pixel coordinates in a size x size frame."""
    s = SHOULDER_FRAC * size
    return np.stack([x[..., 0] * s + size / 2, x[..., 1] * s + size * SHOULDER_Y], -1)


@lru_cache(maxsize=None)
def face_group(name: str) -> np.ndarray:
    """Canonical joint indices of a face group (in drawing order)."""
    return np.array([joint_index("FACE_LANDMARKS", str(i)) for i in FACE_GROUPS[name]])


@lru_cache(maxsize=None)
def body_index() -> dict[str, int]:
    header = canonical_header()
    pose_points = [c for c in header.components if c.name == "POSE_LANDMARKS"][0].points
    return {p: joint_index("POSE_LANDMARKS", p) for p in pose_points}


def hand_slice(side: str) -> slice:
    """side: 'LEFT' or 'RIGHT' (the signer's)."""
    return component_slices()[f"{side}_HAND_LANDMARKS"]


def group_center(xy: np.ndarray, mask: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, bool]:
    """Mean of the detected points of a group; (point, found)."""
    m = mask[idx]
    if not m.any():
        return np.zeros(xy.shape[-1], np.float32), False
    return xy[idx][m].mean(0), True
