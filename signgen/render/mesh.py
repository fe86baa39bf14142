"""The `mesh` backend: fit SMPL-X to the pose (signgen.smplx), then rasterize the mesh on the CPU.

`model_dir` is the user's SMPL-X model folder (SMPLX_NEUTRAL.npz); the licensed files never ship with signgen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from pose_format import Pose

from ..errors import SigngenError


@dataclass
class MeshConfig:
    model_dir: Optional[str] = None  # the user's SMPL-X model folder (SMPLX_NEUTRAL.npz)
    size: int = 256  # frame size in pixels
    preset: str = "fast"  # SMPL-X fitting preset (configs/smplx/)


class MeshRenderer:
    @classmethod
    def from_config(cls, cfg: MeshConfig) -> "MeshRenderer":
        return cls(cfg.model_dir, size=cfg.size, preset=cfg.preset)

    def __init__(self, model_dir: str | Path | None, size: int = 256, preset: str = "fast"):
        from ..config import load_config
        from ..smplx.fit import SmplxFitConfig
        from ..smplx.model import find_model_file

        if model_dir is None:
            raise SigngenError("renderer mesh: pass --model DIR, the folder holding your SMPLX_NEUTRAL.npz "
                               "(or try `signgen smplx demo-model -o DIR` for a synthetic stand-in)")
        find_model_file(model_dir)  # one-line error for a missing or wrong model folder
        self.model_dir, self.size, self.fps = Path(model_dir), size, 25.0
        self.cfg = load_config(SmplxFitConfig, preset, group="smplx")

    def render(self, pose: Pose, progress: bool = False) -> np.ndarray:
        from ..pose.tensors import pose_to_array
        from ..smplx.fit import fit_smplx
        from ..smplx.render import render_mesh

        x, mask = pose_to_array(pose)
        if np.abs(x[..., 2][mask]).max(initial=0.0) < 1e-6:
            raise SigngenError("renderer mesh: the pose has no depth (z = 0 everywhere); SMPL-X fitting needs 3D keypoints")
        self.fps = float(pose.body.fps)
        params = fit_smplx(x, mask, self.model_dir, self.cfg, fps=self.fps, progress=progress)
        return render_mesh(params, self.model_dir, size=self.size, progress=progress)
