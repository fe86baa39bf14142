"""The latent diffusion backend: `DiffusionRenderer` wraps a trained `RendererModel` directory.

The hand close-up (`hand_zoom`) is drawn by the model itself if it was trained on close-up frames too, or by a
second renderer trained on close-ups alone (`signgen train renderer ... views=[closeup]`) kept in the
directory's `closeup/` subdirectory."""

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
    hand_zoom: bool = False  # a close-up of the signing hand, if the model or its closeup/ renderer was trained on close-ups


CLOSE_UP_DIR = "closeup"  # a renderer directory's optional close-up renderer


class DiffusionRenderer:
    @classmethod
    def from_config(cls, cfg: DiffusionRendererConfig) -> "DiffusionRenderer":
        from ... import shipped

        return cls.from_pretrained(cfg.model_dir or shipped.RENDERER, size=cfg.size, steps=cfg.steps, seed=cfg.seed,
                                   device=cfg.device, hand_zoom=cfg.hand_zoom)

    def __init__(self, model, size: int = 256, steps: int | None = None, seed: int = 0, signer: int = 0,
                 hand_zoom: bool = False, closeup=None):
        self.model, self.size, self.steps, self.seed, self.signer = model, size, steps, seed, signer
        self.fps = 25.0
        # A model trained without close-up frames cannot draw one (it would draw a body from a hand's pose map).
        self.closeup = closeup if closeup is not None else (model if "closeup" in model.cfg.views else None)
        self.hand_zoom = hand_zoom and self.closeup is not None

    @classmethod
    def from_pretrained(cls, directory: str | Path, size: int = 256, steps: int | None = None, seed: int = 0,
                        device: str | None = None, hand_zoom: bool = False) -> "DiffusionRenderer":
        from .model import RendererModel

        if steps is not None and not 1 <= steps <= 1000:
            raise SigngenError(f"--steps {steps}: choose between 1 and 1000")
        directory = Path(directory)
        if not directory.is_dir():
            raise SigngenError(f"{directory}: diffusion renderer directory not found; train one (signgen train renderer) or pass --model DIR")
        closeup = None
        if (directory / CLOSE_UP_DIR).is_dir():
            closeup = RendererModel.from_pretrained(directory / CLOSE_UP_DIR, device)
            if "closeup" not in closeup.cfg.views:
                raise SigngenError(f"{directory / CLOSE_UP_DIR}: trained on {', '.join(closeup.cfg.views)} frames, not close-ups; "
                                   "retrain it with `signgen train renderer ... views=[closeup]` or remove it")
        return cls(RendererModel.from_pretrained(directory, device), size, steps, seed, hand_zoom=hand_zoom, closeup=closeup)

    def render(self, pose: Pose, progress: bool = False) -> np.ndarray:
        """Pose maps at the model's resolution -> diffusion frames, resized to `size`."""
        x, mask = pose_arrays(pose)
        self.fps = float(pose.body.fps)
        frames = resize_frames(self._sample(self.model, x, mask, progress), self.size)
        if self.hand_zoom:
            from ..closeup import add_close_up

            add_close_up(frames, x, mask,
                         lambda zoomed, m, side: resize_frames(self._sample(self.closeup, zoomed, m, progress), side))
        return frames

    def _sample(self, model, x: np.ndarray, mask: np.ndarray, progress: bool) -> np.ndarray:
        return model.sample_clip(posemaps(x, mask, model.cfg.size), signer=self.signer, steps=self.steps, seed=self.seed,
                                 progress=progress)


def resize_frames(frames: np.ndarray, size: int) -> np.ndarray:
    import cv2

    if frames.shape[1] == size:
        return frames
    interp = cv2.INTER_CUBIC if size > frames.shape[1] else cv2.INTER_AREA
    return np.stack([cv2.resize(f, (size, size), interpolation=interp) for f in frames])
