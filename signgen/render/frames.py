"""Checks shared by all backends: a renderable pose is canonical and has at least one frame."""

from __future__ import annotations

import numpy as np
from pose_format import Pose

from ..errors import SigngenError
from ..pose.tensors import pose_to_array


def pose_arrays(pose: Pose, source: str = "pose") -> tuple[np.ndarray, np.ndarray]:
    """(x (T, J, 3), mask (T, J)) of a canonical pose; zero frames is an error."""
    if len(pose.body.data) == 0:
        raise SigngenError(f"{source}: pose has zero frames; nothing to render")
    return pose_to_array(pose, source)
