"""Pose -> signer video. One interface (`Renderer.render(pose) -> (T, size, size, 3) uint8 RGB`), three backends.

- `skeleton`: pose-format's skeleton drawing, for debugging.
- `avatar`: a procedural cartoon signer (filled limbs, palms with fingers, a face that follows the face points).
- `diffusion`: a pose-conditioned latent diffusion renderer built from diffusers parts.
- `mesh`: an SMPL-X fit of the pose (signgen.smplx) rasterized on the CPU; needs the user's SMPL-X model folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from pose_format import Pose

from ..errors import SigngenError

RENDERERS = ("skeleton", "avatar", "diffusion", "mesh")
DEFAULT_RENDERER = Path(__file__).resolve().parent.parent / "models" / "renderer"
MIN_SIZE, MAX_SIZE = 32, 1024


@runtime_checkable
class Renderer(Protocol):
    fps: float

    def render(self, pose: Pose, progress: bool = False) -> np.ndarray:
        """Frames (T, size, size, 3) uint8 RGB of a canonical pose."""
        ...


def check_size(size: int) -> int:
    if not isinstance(size, (int, np.integer)) or not MIN_SIZE <= int(size) <= MAX_SIZE:
        raise SigngenError(f"--size {size}: frame size must be an integer from {MIN_SIZE} to {MAX_SIZE} pixels; pick e.g. 256")
    return int(size)


def make_renderer(
    kind: str,
    model_dir: str | Path | None = None,
    size: int = 256,
    steps: int | None = None,
    seed: int = 0,
    device: str | None = None,
    hand_zoom: bool = False,
) -> Renderer:
    """Build a renderer backend by name; `model_dir` is the diffusion model (default: shipped) or, for `mesh`,
    the SMPL-X model folder; `steps`/`seed`/`device` only matter for `diffusion`; `hand_zoom` (avatar and
    skeleton) adds a close-up of the signing hand in the top-right corner (`render.closeup`)."""
    size = check_size(size)
    if kind == "skeleton":
        from .skeleton import SkeletonRenderer

        return SkeletonRenderer(size=size, hand_zoom=hand_zoom)
    if kind == "avatar":
        from .avatar import AvatarRenderer

        return AvatarRenderer(size=size, hand_zoom=hand_zoom)
    if kind == "diffusion":
        from .diffusion import DiffusionRenderer

        return DiffusionRenderer.from_pretrained(model_dir or DEFAULT_RENDERER, size=size, steps=steps, seed=seed, device=device)
    if kind == "mesh":
        from .mesh import MeshRenderer

        return MeshRenderer(model_dir, size=size)
    raise SigngenError(f"unknown renderer {kind!r}; choose one of {', '.join(RENDERERS)}")


__all__ = ["RENDERERS", "DEFAULT_RENDERER", "Renderer", "make_renderer", "check_size"]
