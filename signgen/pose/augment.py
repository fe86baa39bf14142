"""Pose augmentations on canonical arrays: speed, scale, translation, and signer mirroring."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .skeleton import canonical_header, component_slices, point_names


@dataclass
class AugmentConfig:
    """Ranges for random augmentation. Defaults are mild enough to keep handshapes readable."""

    speed: tuple[float, float] = (0.85, 1.15)  # playback-speed factor (>1 = faster, fewer frames)
    scale: tuple[float, float] = (0.9, 1.1)  # uniform scale around the shoulder centre
    translate: float = 0.05  # max shift per axis, in shoulder widths (x, y only)
    mirror_prob: float = 0.0  # probability of mirroring the signer (left-handed signing)


def change_speed(x: np.ndarray, mask: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Resample the time axis by `factor`; interpolate where both neighbours are detected."""
    frames = x.shape[0]
    new_frames = max(2, int(round(frames / factor)))
    if frames < 2 or new_frames == frames:
        return x.copy(), mask.copy()
    t = np.linspace(0, frames - 1, new_frames)
    i0 = np.floor(t).astype(int)
    i1 = np.minimum(i0 + 1, frames - 1)
    w = (t - i0)[:, None, None]
    near = np.where(w[:, 0, 0] < 0.5, i0, i1)
    both = mask[i0] & mask[i1]
    lerp = (1 - w) * x[i0] + w * x[i1]
    out = np.where(both[..., None], lerp, x[near]).astype(np.float32)
    out_mask = np.where(both, True, mask[near])
    return out * out_mask[..., None], out_mask


def scale_translate(x: np.ndarray, mask: np.ndarray, scale: float, shift: np.ndarray) -> np.ndarray:
    return ((x * scale + shift) * mask[..., None]).astype(np.float32)


@lru_cache(maxsize=1)
def mirror_permutation() -> np.ndarray:
    """Joint permutation that swaps left and right: body and hands by name, face by symmetry.

    The face contour points have no left/right names, so their mirror partners are found by optimal
    matching of the x-flipped mean face (pose-anonymization's holistic mean pose).
    """
    from pose_anonymization.data import load_mean_and_std_pose
    from pose_format.utils.generic import reduce_holistic
    from scipy.optimize import linear_sum_assignment

    names = point_names(canonical_header())
    index = {n: i for i, n in enumerate(names)}
    perm = np.arange(len(names))
    swap = {"LEFT": "RIGHT", "RIGHT": "LEFT"}
    for i, (component, point) in enumerate(names):
        if component == "POSE_LANDMARKS":
            side, rest = point.split("_", 1)
            perm[i] = index[(component, f"{swap[side]}_{rest}")]
        elif component.endswith("_HAND_LANDMARKS"):
            side, rest = component.split("_", 1)
            perm[i] = index[(f"{swap[side]}_{rest}", point)]
    face = component_slices()["FACE_LANDMARKS"]
    mean_pose, _ = load_mean_and_std_pose()
    mean_face = np.ma.getdata(reduce_holistic(mean_pose).body.data)[0, 0, face, :2].astype(np.float64)
    centre = mean_face[:, 0].mean()
    flipped = mean_face.copy()
    flipped[:, 0] = 2 * centre - flipped[:, 0]
    cost = ((mean_face[:, None] - flipped[None]) ** 2).sum(-1)  # cost[i, j]: point i sits where j's mirror sits
    rows, cols = linear_sum_assignment(cost)
    perm[face.start + cols] = face.start + rows
    return perm


def mirror(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    perm = mirror_permutation()
    out = x[:, perm].copy()
    out[..., 0] = -out[..., 0]
    return out * mask[:, perm][..., None], mask[:, perm].copy()


def random_augment(x: np.ndarray, mask: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, mask = change_speed(x, mask, rng.uniform(*cfg.speed))
    shift = np.zeros(3, np.float32)
    shift[:2] = rng.uniform(-cfg.translate, cfg.translate, 2)
    x = scale_translate(x, mask, rng.uniform(*cfg.scale), shift)
    if cfg.mirror_prob > 0 and rng.random() < cfg.mirror_prob:
        x, mask = mirror(x, mask)
    return x, mask
