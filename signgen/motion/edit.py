"""Editing a pose by inpainting: keep frames or body parts of a given pose and generate the rest.

    --keep frames=0:10,40:50    keep every joint of frames [0, 10) and [40, 50): in-betweening
    --keep body                 keep the body (shoulders, elbows, wrists, hips) in every frame
    --keep body,face            several parts; parts: body, face, hands, left_hand, right_hand

`--keep` may be given several times; what is kept is the union. The generated pose has the edited pose's
length. Joints the edited pose does not have (undetected) are generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import SigngenError
from ..pose.skeleton import component_slices, is_canonical, num_joints
from ..pose.tensors import pose_to_array
from .inpaint import Known

PARTS = {
    "body": ("POSE_LANDMARKS",),
    "face": ("FACE_LANDMARKS",),
    "hands": ("LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS"),
    "left_hand": ("LEFT_HAND_LANDMARKS",),
    "right_hand": ("RIGHT_HAND_LANDMARKS",),
}


@dataclass
class Keep:
    """What an edit keeps of the given pose: frame ranges [start, end) (all joints) and body parts (all frames)."""

    frames: list[tuple[int, int]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, specs: list[str] | str) -> "Keep":
        """`frames=A:B[,C:D...]` and/or part names (comma-separated), from one or several --keep values."""
        keep = cls()
        for spec in [specs] if isinstance(specs, str) else specs:
            spec = spec.strip()
            if spec.startswith("frames="):
                for item in spec[len("frames="):].split(","):
                    try:
                        a, b = (int(v) for v in item.split(":"))
                    except ValueError:
                        raise SigngenError(f"--keep {spec}: {item!r} is not a frame range START:END, e.g. frames=0:10,40:50") from None
                    if not 0 <= a < b:
                        raise SigngenError(f"--keep {spec}: range {item} is empty or negative; give START:END with START < END")
                    keep.frames.append((a, b))
            else:
                for part in filter(None, (p.strip() for p in spec.split(","))):
                    if part not in PARTS:
                        raise SigngenError(f"--keep {spec}: unknown part {part!r}; choose frames=A:B or parts {', '.join(PARTS)}")
                    keep.parts.append(part)
        if not keep.frames and not keep.parts:
            raise SigngenError("--keep: nothing to keep; give frames=A:B or a part such as body")
        return keep

    def weights(self, frames: int) -> np.ndarray:
        """(frames, J) 1 where a joint is kept."""
        w = np.zeros((frames, num_joints()), np.float32)
        for a, b in self.frames:
            if b > frames:
                raise SigngenError(f"--keep frames={a}:{b}: the edited pose has only {frames} frames; keep ranges within 0:{frames}")
            w[a:b] = 1
        slices = component_slices()
        for part in self.parts:
            for component in PARTS[part]:
                w[:, slices[component]] = 1
        return w


def edit_known(model, pose, keep: Keep, source: str = "--edit") -> tuple[Known, int]:
    """(held values, frames) for regenerating a canonical pose with `keep` of it held."""
    if not is_canonical(pose.header):
        raise SigngenError(f"{source}: not in the canonical skeleton; read it with signgen.pose.read_canonical")
    x, mask = pose_to_array(pose, source=source)
    frames = len(x)
    longest = model.cfg.denoiser.max_frames
    if not 8 <= frames <= longest:
        raise SigngenError(f"{source}: {frames} frames at 25 fps; this model edits poses of 8 to {longest} frames, cut it to fit")
    return Known.from_canonical(model, x, mask, keep.weights(frames)), frames
