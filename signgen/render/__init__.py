"""Pose -> signer video. One interface (`Renderer.render(pose) -> (T, size, size, 3) uint8 RGB`), a registry of
backends (`RENDERERS`: a name, a config dataclass and a factory each; add one with `RENDERERS.register`).

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
from .. import shipped
from ..registry import Registry

MIN_SIZE, MAX_SIZE = 32, 1024

# name -> config dataclass + factory(cfg). `model` names the pipeline directory's subfolder a backend reads its
# weights from (SignPipeline passes it as `model_dir`); `default_model` is used when a pipeline has none.
RENDERERS = Registry("renderer", "signgen.renderers", presets="render")
RENDERERS.register("skeleton", "signgen.render.skeleton:SkeletonRenderer.from_config", "signgen.render.skeleton:SkeletonConfig",
                   help="pose-format's limb drawing, for debugging")
RENDERERS.register("avatar", "signgen.render.avatar:AvatarRenderer.from_config", "signgen.render.avatar:AvatarConfig",
                   help="a procedural cartoon signer (fast on CPU)")
RENDERERS.register("diffusion", "signgen.render.diffusion:DiffusionRenderer.from_config",
                   "signgen.render.diffusion:DiffusionRendererConfig", help="pose-conditioned latent diffusion",
                   model="renderer", default_model=shipped.RENDERER)
RENDERERS.register("mesh", "signgen.render.mesh:MeshRenderer.from_config", "signgen.render.mesh:MeshConfig",
                   help="an SMPL-X fit rasterized on the CPU (model_dir: your SMPL-X folder)")


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


def renderer_config(kind: str, preset: str | Path | None = None, overrides: tuple[str, ...] = (), **options):
    """The config of renderer `kind` (`Registry.configure`: defaults, a configs/render/ preset or YAML path,
    `key=value` overrides, then the `options` its config has), with its frame size checked."""
    cfg = RENDERERS.configure(kind, preset, overrides, **options)
    if hasattr(cfg, "size"):
        check_size(cfg.size)
    return cfg


def make_renderer(kind: str, preset: str | Path | None = None, overrides: tuple[str, ...] = (), **options) -> Renderer:
    """Build renderer backend `kind` (see `RENDERERS`) from `renderer_config(kind, preset, overrides, **options)`.
    Common options: size, hand_zoom (avatar, skeleton: a close-up of the signing hand), model_dir (diffusion:
    a renderer directory, default the shipped one; mesh: the SMPL-X folder), steps, seed, device (diffusion)."""
    return RENDERERS.build(kind, renderer_config(kind, preset, overrides, **options))


__all__ = ["RENDERERS", "Renderer", "make_renderer", "renderer_config", "check_size"]
