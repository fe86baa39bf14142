"""The latent diffusion backend: `DiffusionRenderer` wraps a trained `RendererModel` directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from pose_format import Pose

from ...errors import SigngenError
from ..frames import pose_arrays
from ..posemap import posemaps


@dataclass
class DiffusionRendererConfig:
    model_dir: Optional[str] = None  # a trained renderer directory (default: the shipped one)
    size: int = 256  # output frame size in pixels (the model renders at its own size, then resizes)
    steps: Optional[int] = None  # denoising steps (default: the model's)
    seed: int = 0
    device: Optional[str] = None


class DiffusionRenderer:
    @classmethod
    def from_config(cls, cfg: DiffusionRendererConfig) -> "DiffusionRenderer":
        from ... import shipped

        return cls.from_pretrained(cfg.model_dir or shipped.RENDERER, size=cfg.size, steps=cfg.steps, seed=cfg.seed,
                                   device=cfg.device)

    def __init__(self, model, size: int = 256, steps: int | None = None, seed: int = 0, signer: int = 0):
        self.model, self.size, self.steps, self.seed, self.signer = model, size, steps, seed, signer
        self.fps = 25.0

    @classmethod
    def from_pretrained(cls, directory: str | Path, size: int = 256, steps: int | None = None, seed: int = 0,
                        device: str | None = None) -> "DiffusionRenderer":
        from .model import RendererModel

        if steps is not None and not 1 <= steps <= 1000:
            raise SigngenError(f"--steps {steps}: choose between 1 and 1000")
        directory = Path(directory)
        if not directory.is_dir():
            raise SigngenError(f"{directory}: diffusion renderer directory not found; train one (signgen train renderer) or pass --model DIR")
        return cls(RendererModel.from_pretrained(directory, device), size, steps, seed)

    def render(self, pose: Pose, progress: bool = False) -> np.ndarray:
        """Pose maps at the model's resolution -> diffusion frames, resized to `size`."""
        x, mask = pose_arrays(pose)
        self.fps = float(pose.body.fps)
        frames = self.model.sample_clip(posemaps(x, mask, self.model.cfg.size), signer=self.signer, steps=self.steps,
                                        seed=self.seed, progress=progress)
        return resize_frames(frames, self.size)


def resize_frames(frames: np.ndarray, size: int) -> np.ndarray:
    import cv2

    if frames.shape[1] == size:
        return frames
    interp = cv2.INTER_CUBIC if size > frames.shape[1] else cv2.INTER_AREA
    return np.stack([cv2.resize(f, (size, size), interpolation=interp) for f in frames])
