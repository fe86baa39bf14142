"""Normalization statistics as part of a model: buffers saved with its weights and in every checkpoint."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .tensors import NormStats


class Normalizer(nn.Module):
    """Per-joint, per-axis mean and std (J, 3) as buffers. A fresh one is the identity (mean 0, std 1) until
    `set` gives it a corpus's statistics; `stats` reads them back as a `NormStats`."""

    def __init__(self, joints: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(joints, 3))
        self.register_buffer("std", torch.ones(joints, 3))

    def set(self, stats: NormStats) -> None:
        with torch.no_grad():
            self.mean.copy_(torch.from_numpy(np.asarray(stats.mean, np.float32)))
            self.std.copy_(torch.from_numpy(np.asarray(stats.std, np.float32)))

    @property
    def stats(self) -> NormStats:
        return NormStats(self.mean.detach().cpu().numpy(), self.std.detach().cpu().numpy())
