"""Inpainting for the motion sampler: hold any (frame, joint) values and generate the rest (MDM-style).

A `Known` holds target values in the model's own representation (hand joints as offsets from their wrist
when the model uses that, then normalized with its statistics) and a per-(frame, joint) weight in [0, 1]:
1 = held, 0 = generated, in between = blended. At every sampling step `diffusion.sample`

1. replaces the known part of x_t by the known values noised to that step's level (`noise_known`), so the
   network sees them as it saw training data at that noise level, and
2. replaces the known part of the x0 prediction by the known values (`replace`) before the scheduler step,
   so the scheduler's update (and a multistep solver's history) moves towards them.

Soft weights let a held stretch fade into the generated motion instead of cutting over in one frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch



@dataclass
class Known:
    """Values to hold while sampling, for a batch of one or more sequences."""

    x: torch.Tensor  # (B, T, J, 3) in the model's normalized representation
    weight: torch.Tensor  # (B, T, J) in [0, 1]: how strongly each joint of each frame is held
    visible: torch.Tensor  # (B, T, J) bool: visibility reported where it is held
    vis_weight: torch.Tensor | None = None  # (B, T, J) in [0, 1]: where visibility is held (>= 0.5); default `weight`

    def __post_init__(self):
        if self.vis_weight is None:
            self.vis_weight = self.weight

    @classmethod
    def from_canonical(cls, model, x: np.ndarray, mask: np.ndarray, weight: np.ndarray,
                       hide: np.ndarray | None = None) -> "Known":
        """One sequence of canonical poses x (T, J, 3) / mask (T, J) and weights (T, J) -> a Known of batch 1.
        Joints not seen in `mask` (after the model's representation change) are never held. `hide` (T, J) in
        [0, 1]: how strongly to hold joints hidden (where they are not held): a letter's resting other hand."""
        z, m = model.pose_to_model(x, mask)
        z = model.stats.normalize(z, m)
        w = np.where(m, weight, 0.0)
        vw = w if hide is None else np.maximum(w, np.where(m, 0.0, hide))
        return cls(*(torch.from_numpy(a.astype(np.float32))[None] for a in (z, w)), torch.from_numpy(m)[None],
                   torch.from_numpy(vw.astype(np.float32))[None])

    def to(self, device) -> "Known":
        return Known(self.x.to(device), self.weight.to(device), self.visible.to(device), self.vis_weight.to(device))

    def fit(self, frames: int) -> "Known":
        """Padded or cut to `frames` (sampling pads a batch to its longest sequence); padding is not held."""
        n = self.x.shape[1]
        if n >= frames:
            return Known(self.x[:, :frames], self.weight[:, :frames], self.visible[:, :frames], self.vis_weight[:, :frames])
        pad = frames - n
        return Known(torch.nn.functional.pad(self.x, (0, 0, 0, 0, 0, pad)), torch.nn.functional.pad(self.weight, (0, 0, 0, pad)),
                     torch.nn.functional.pad(self.visible, (0, 0, 0, pad)), torch.nn.functional.pad(self.vis_weight, (0, 0, 0, pad)))

    @classmethod
    def stack(cls, items: list["Known"]) -> "Known":
        """Batch-1 Knowns of any lengths -> one batch, padded to the longest (padding is not held)."""
        frames = max(k.x.shape[1] for k in items)
        items = [k.fit(frames) for k in items]
        return cls(*(torch.cat([getattr(k, f) for k in items]) for f in ("x", "weight", "visible", "vis_weight")))

    def combine(self, other: "Known | None") -> "Known":
        """Both sets of held values; where both hold a joint, `self` wins by its weight."""
        if other is None:
            return self
        w = self.weight[..., None]
        x = w * self.x + (1 - w) * other.x
        weight = torch.maximum(self.weight, other.weight)
        visible = torch.where(self.vis_weight > 0, self.visible, other.visible)
        return Known(x, weight, visible, torch.maximum(self.vis_weight, other.vis_weight))


def replace(x: torch.Tensor, known: Known) -> torch.Tensor:
    """x (B, T, J, 3) with the known part blended in by its weight."""
    w = known.weight[..., None].to(x.dtype)
    return x * (1 - w) + known.x.to(x.dtype) * w


def noise_known(scheduler, x_t: torch.Tensor, known: Known, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t with its known part replaced by the known values noised to timestep t (the scheduler's own forward process)."""
    noisy = scheduler.add_noise(known.x.to(x_t.dtype), noise, t.reshape(1).expand(len(x_t)))
    w = known.weight[..., None].to(x_t.dtype)
    return x_t * (1 - w) + noisy * w


def visibility(vis: torch.Tensor, known: Known) -> torch.Tensor:
    """Visibility probabilities (B, T, J) with held joints (and joints held hidden; vis_weight >= 0.5) taking the
    known visibility."""
    return torch.where(known.vis_weight >= 0.5, known.visible.to(vis.dtype), vis)
