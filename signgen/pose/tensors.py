"""Canonical `.pose` <-> model arrays, and per-joint normalization statistics.

Arrays: `x` is (T, J, 3) float32 in canonical (shoulder-normalized) units; `mask` is (T, J) bool, True where
the joint was detected. Masked joints hold 0 in `x` only as a placeholder: every consumer reads `mask`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody

from ..errors import SigngenError
from .skeleton import CANONICAL_FPS, canonical_header, component_slices, is_canonical, num_joints

STATS_FILE = "stats.safetensors"


def pose_to_array(pose: Pose, source: str = "pose") -> tuple[np.ndarray, np.ndarray]:
    if not is_canonical(pose.header):
        raise SigngenError(f"{source}: not in the canonical 178-point skeleton; convert it with signgen.pose.to_canonical")
    x = np.ma.getdata(pose.body.data)[:, 0].astype(np.float32)  # (T, J, 3)
    mask = np.asarray(pose.body.confidence)[:, 0] > 0  # (T, J)
    mask &= np.isfinite(x).all(-1)
    x = np.where(mask[..., None], x, 0.0).astype(np.float32)
    return x, mask


def array_to_pose(x: np.ndarray, mask: np.ndarray | None = None, fps: float = CANONICAL_FPS) -> Pose:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (num_joints(), 3):
        raise SigngenError(f"pose array has shape {x.shape}, expected (frames, {num_joints()}, 3)")
    if mask is None:
        mask = np.ones(x.shape[:2], dtype=bool)
    mask = np.asarray(mask, dtype=bool)
    conf = mask.astype(np.float32)[:, None]  # (T, 1, J)
    data = np.ma.masked_array(x[:, None], mask=np.repeat(~mask[:, None, :, None], 3, -1))
    return Pose(canonical_header(), NumPyPoseBody(fps=fps, data=data, confidence=conf))


def _hand_slices() -> list[slice]:
    return [sl for name, sl in component_slices().items() if name.endswith("HAND_LANDMARKS")]


def hands_to_wrist(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hand joints as offsets from their own wrist (hand landmark 0); body, face and both wrists unchanged.

    In shoulder-normalized coordinates a handshape is a few hundredths of a unit around a wrist that moves by
    tenths, so per-joint z-scores of absolute finger positions are dominated by arm motion. As offsets from the
    wrist, the finger articulation (what a letter is) becomes the signal. Inverse: `hands_from_wrist`."""
    x, mask = x.copy(), mask.copy()
    for sl in _hand_slices():
        wrist = sl.start
        x[..., wrist + 1 : sl.stop, :] -= x[..., wrist : wrist + 1, :]
        mask[..., wrist + 1 : sl.stop] &= mask[..., wrist : wrist + 1]
    x = np.where(mask[..., None], x, 0.0).astype(np.float32)
    return x, mask


def hands_from_wrist(x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=np.float32, copy=True)
    for sl in _hand_slices():
        x[..., sl.start + 1 : sl.stop, :] += x[..., sl.start : sl.start + 1, :]
    return x


@dataclass
class NormStats:
    """Per-joint, per-axis mean and std over the detected joints of a corpus's train split."""

    mean: np.ndarray  # (J, 3)
    std: np.ndarray  # (J, 3)

    MIN_STD = 1e-3

    @classmethod
    def from_arrays(cls, arrays: Iterable[tuple[np.ndarray, np.ndarray]]) -> "NormStats":
        total = sq = count = None
        for x, mask in arrays:
            x = x.astype(np.float64) * mask[..., None]
            m = mask.astype(np.float64)[..., None]
            total = x.sum(0) if total is None else total + x.sum(0)
            sq = (x**2).sum(0) if sq is None else sq + (x**2).sum(0)
            count = m.sum(0) if count is None else count + m.sum(0)
        if total is None:
            raise SigngenError("cannot compute normalization statistics from zero samples")
        n = np.maximum(count, 1)
        mean = total / n
        std = np.sqrt(np.maximum(sq / n - mean**2, 0))
        # Joints never detected (count 0) get mean 0 / std 1; near-constant axes (2D depth) get a floor.
        mean = np.where(count > 0, mean, 0.0)
        std = np.where(count > 0, np.maximum(std, cls.MIN_STD), 1.0)
        return cls(mean.astype(np.float32), std.astype(np.float32))

    def normalize(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        z = (x - self.mean) / self.std
        return z if mask is None else z * mask[..., None]

    def denormalize(self, z: np.ndarray) -> np.ndarray:
        return z * self.std + self.mean

    def save(self, directory: str | Path) -> None:
        from safetensors.numpy import save_file

        from .io import atomic_write_bytes

        tmp = Path(directory) / f".{STATS_FILE}.tmp"
        save_file({"mean": self.mean, "std": self.std}, str(tmp))
        atomic_write_bytes(Path(directory) / STATS_FILE, tmp.read_bytes())
        tmp.unlink()

    @classmethod
    def load(cls, directory: str | Path) -> "NormStats":
        from safetensors.numpy import load_file

        path = Path(directory) / STATS_FILE
        if not path.exists():
            raise SigngenError(f"{path}: normalization statistics missing; rebuild the corpus or checkpoint")
        try:
            t = load_file(str(path))
            stats = cls(t["mean"], t["std"])
        except Exception:
            raise SigngenError(f"{path}: unreadable normalization statistics; rebuild them") from None
        if stats.mean.shape != (num_joints(), 3):
            raise SigngenError(f"{path}: statistics are for {stats.mean.shape[0]} joints, expected {num_joints()}")
        return stats
