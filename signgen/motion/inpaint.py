"""Inpainting for the motion sampler: hold any (frame, joint) values and generate the rest (MDM-style).

A `Known` holds target values in the model's own representation (hand joints as offsets from their wrist
when the model uses that, then normalized with its statistics) and a per-(frame, joint) weight in [0, 1]:
1 = held, 0 = generated, in between = blended. At every sampling step `diffusion.sample`

1. replaces the known part of x_t by the known values noised to that step's level (`noise_known`), so the
   network sees them as it saw training data at that noise level, and
2. replaces the known part of the x0 prediction by the known values (`replace`) before the scheduler step,
   so the scheduler's update (and a multistep solver's history) moves towards them.

Soft weights let a held stretch fade into the generated motion instead of cutting over in one frame.

A `Known` can also hold values *relative* to where the sample puts them (`rel_weight`, `slot`): within each
slot, those joints follow the known values' movement (their offsets from the slot's mean) around the slot mean
of the current x0 prediction. A letter whose hand travels (the turns of Z, a diacritic's stroke) keeps its whole
movement while the model still decides where the hand is. The normalization is affine per joint and axis, so a
shift in canonical space is a shift in the model's space too.
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
    rel_weight: torch.Tensor | None = None  # (B, T, J) in [0, 1]: how strongly a joint follows the known movement
    slot: torch.Tensor | None = None  # (B, T) long: the slot each frame belongs to for `rel_weight` (0: none)

    FIELDS = ("x", "weight", "visible", "vis_weight", "rel_weight", "slot")

    def __post_init__(self):
        if self.vis_weight is None:
            self.vis_weight = self.weight
        if (self.rel_weight is None) != (self.slot is None):
            raise ValueError("Known: rel_weight and slot go together")

    def _relative(self) -> tuple[torch.Tensor, torch.Tensor]:
        """rel_weight and slot, as zeros when this Known holds nothing relative."""
        if self.rel_weight is not None:
            return self.rel_weight, self.slot
        return torch.zeros_like(self.weight), torch.zeros(self.weight.shape[:2], dtype=torch.long, device=self.weight.device)

    @classmethod
    def from_canonical(cls, model, x: np.ndarray, mask: np.ndarray, weight: np.ndarray,
                       hide: np.ndarray | None = None, rel_weight: np.ndarray | None = None,
                       slot: np.ndarray | None = None) -> "Known":
        """One sequence of canonical poses x (T, J, 3) / mask (T, J) and weights (T, J) -> a Known of batch 1.
        Joints not seen in `mask` (after the model's representation change) are never held. `hide` (T, J) in
        [0, 1]: how strongly to hold joints hidden (where they are not held): a letter's resting other hand.
        `rel_weight` (T, J) with `slot` (T,): joints held relative to the sample's slot mean (see the module)."""
        z, m = model.pose_to_model(x, mask)
        z = model.stats.normalize(z, m)
        w = np.where(m, weight, 0.0)
        vw = w if hide is None else np.maximum(w, np.where(m, 0.0, hide))
        rel = None if rel_weight is None else torch.from_numpy(np.where(m, rel_weight, 0.0).astype(np.float32))[None]
        slots = None if slot is None else torch.from_numpy(np.asarray(slot, np.int64))[None]
        return cls(*(torch.from_numpy(a.astype(np.float32))[None] for a in (z, w)), torch.from_numpy(m)[None],
                   torch.from_numpy(vw.astype(np.float32))[None], rel, slots)

    def to(self, device) -> "Known":
        return Known(*(None if v is None else v.to(device) for v in (getattr(self, f) for f in self.FIELDS)))

    def fit(self, frames: int) -> "Known":
        """Padded or cut to `frames` (sampling pads a batch to its longest sequence); padding is not held."""
        n = self.x.shape[1]
        values = [getattr(self, f) for f in self.FIELDS]
        if n >= frames:
            return Known(*(None if v is None else v[:, :frames] for v in values))
        pad = frames - n
        return Known(*(None if v is None else torch.nn.functional.pad(v, (0, 0) * (v.dim() - 2) + (0, pad)) for v in values))

    @classmethod
    def stack(cls, items: list["Known"]) -> "Known":
        """Batch-1 Knowns of any lengths -> one batch, padded to the longest (padding is not held)."""
        frames = max(k.x.shape[1] for k in items)
        items = [k.fit(frames) for k in items]
        fields = [torch.cat([getattr(k, f) for k in items]) for f in cls.FIELDS[:4]]
        if all(k.rel_weight is None for k in items):
            return cls(*fields)
        rel = [k._relative() for k in items]
        return cls(*fields, torch.cat([r for r, _ in rel]), torch.cat([s for _, s in rel]))

    def combine(self, other: "Known | None") -> "Known":
        """Both sets of held values; where both hold a joint, `self` wins by its weight (relative holds too)."""
        if other is None:
            return self
        w = self.weight[..., None]
        x = w * self.x + (1 - w) * other.x
        weight = torch.maximum(self.weight, other.weight)
        visible = torch.where(self.vis_weight > 0, self.visible, other.visible)
        out = Known(x, weight, visible, torch.maximum(self.vis_weight, other.vis_weight))
        if self.rel_weight is None and other.rel_weight is None:
            return out
        (rs, ss), (ro, so) = self._relative(), other._relative()
        out.rel_weight = torch.where(rs > 0, rs, ro * (1 - self.weight))
        out.slot = torch.where(ss > 0, ss, so)
        return out


def replace(x: torch.Tensor, known: Known) -> torch.Tensor:
    """x (B, T, J, 3) with the known part blended in by its weight (after the relative part, if any)."""
    if known.rel_weight is not None:
        x = follow(x, known)
    w = known.weight[..., None].to(x.dtype)
    return x * (1 - w) + known.x.to(x.dtype) * w


def follow(x: torch.Tensor, known: Known) -> torch.Tensor:
    """x (B, T, J, 3) with the relatively held joints blended (by `rel_weight`) towards the known movement placed
    at x's own slot mean: known.x - its slot mean + x's slot mean, each mean weighted by `rel_weight`."""
    slots = int(known.slot.max())
    if slots == 0:
        return x
    g = torch.nn.functional.one_hot(known.slot, slots + 1)[..., 1:].to(x.dtype)  # (B, T, S)
    rw = known.rel_weight.to(x.dtype)
    den = torch.einsum("bts,btj->bsj", g, rw).clamp(min=1e-6)[..., None]
    diff = torch.einsum("bts,btj,btjc->bsjc", g, rw, x - known.x.to(x.dtype)) / den  # slot mean of x - known
    target = known.x.to(x.dtype) + torch.einsum("bts,bsjc->btjc", g, diff)
    w = rw[..., None]
    return x * (1 - w) + target * w


def noise_known(scheduler, x_t: torch.Tensor, known: Known, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t with its known part replaced by the known values noised to timestep t (the scheduler's own forward process)."""
    noisy = scheduler.add_noise(known.x.to(x_t.dtype), noise, t.reshape(1).expand(len(x_t)))
    w = known.weight[..., None].to(x_t.dtype)
    return x_t * (1 - w) + noisy * w


def visibility(vis: torch.Tensor, known: Known) -> torch.Tensor:
    """Visibility probabilities (B, T, J) with held joints (and joints held hidden; vis_weight >= 0.5) taking the
    known visibility."""
    return torch.where(known.vis_weight >= 0.5, known.visible.to(vis.dtype), vis)
