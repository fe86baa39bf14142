"""Text to one canonical pose with a trained motion model: option checks, sampling, denormalization.

`signgen pose`, `signgen text`, the pipeline API and the HTTP server all go through `generate_pose`.
"""

from __future__ import annotations

import numpy as np
from pose_format import Pose

from ..errors import SigngenError
from ..pose import array_to_pose
from ..pose.tensors import NormStats
from .diffusion import SAMPLERS, sample
from .model import MotionModel


def check_options(
    model: MotionModel, steps: int | None = None, guidance: float | None = None, sampler: str | None = None, frames: int | None = None
) -> None:
    """Raise a one-line SigngenError for sampling options out of range."""
    if steps is not None and not 1 <= steps <= 1000:
        raise SigngenError(f"--steps {steps}: choose between 1 and 1000")
    if guidance is not None and not 0 <= guidance <= 20:
        raise SigngenError(f"--guidance {guidance}: choose between 0 and 20 (1 = no guidance)")
    if sampler is not None and sampler not in SAMPLERS:
        raise SigngenError(f"--sampler {sampler}: choose one of {SAMPLERS}")
    if frames is not None and not 8 <= frames <= model.cfg.denoiser.max_frames:
        raise SigngenError(f"--frames {frames}: choose between 8 and {model.cfg.denoiser.max_frames}")


def generate_pose(
    model: MotionModel,
    stats: NormStats,
    text: str,
    lang: str,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    frames: int | None = None,
    seed: int = 0,
) -> Pose:
    """Sample one canonical pose (178 points, 25 fps) for `text` in sign language `lang`."""
    check_options(model, steps, guidance, sampler, frames)
    text = " ".join(text.split())
    x, vis, fm = sample(model, [text], [lang], frames=[frames] if frames else None, steps=steps, guidance=guidance, sampler=sampler, seed=seed)
    n = int(fm[0].sum())
    return array_to_pose(model.pose_from_model(x[0, :n].numpy(), stats), vis[0, :n].numpy() > 0.5)


def generate_arrays(
    model: MotionModel,
    stats: NormStats,
    texts: list[str],
    langs: list[str],
    batch_size: int = 16,
    seed: int = 0,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    progress: bool = False,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Many texts in batches: canonical (x (T,J,3), mask (T,J)) arrays; batch starting at i uses seed + i."""
    from tqdm import tqdm

    out = []
    for start in tqdm(range(0, len(texts), batch_size), desc="generate", unit="batch", disable=not progress):
        x, vis, fm = sample(model, texts[start : start + batch_size], langs[start : start + batch_size],
                            steps=steps, guidance=guidance, sampler=sampler, seed=seed + start)
        for k in range(len(x)):
            n = int(fm[k].sum())
            out.append((model.pose_from_model(x[k, :n].cpu().numpy(), stats), vis[k, :n].cpu().numpy() > 0.5))
    return out
