"""The canonical pose representation: 178-point reduced MediaPipe Holistic, 3D, 25 fps, normalized."""

from .io import read_canonical, read_pose, write_pose
from .skeleton import CANONICAL_FPS, canonical, canonical_header, to_canonical
from .tensors import NormStats, array_to_pose, pose_to_array

__all__ = [
    "CANONICAL_FPS",
    "NormStats",
    "array_to_pose",
    "canonical",
    "canonical_header",
    "pose_to_array",
    "read_canonical",
    "read_pose",
    "to_canonical",
    "write_pose",
]
