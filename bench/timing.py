"""Timing shared by the bench scripts."""

from __future__ import annotations

import time
from typing import Iterable


def steps_per_second(loss_module, opt, batches: Iterable[dict], warmup: int) -> float:
    """Training steps per second (forward, backward, optimizer step) over `batches`, timed after the first
    `warmup` of them: a bare step, without EMA, validation or data-loader workers."""
    count, start = 0, None
    for i, batch in enumerate(batches):
        if i == warmup:
            start = time.perf_counter()
        loss, _ = loss_module(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        count += i >= warmup
    if start is None:  # set at the first timed step, so count >= 1 below
        raise ValueError(f"steps_per_second: {warmup} warm-up steps leave nothing to time")
    return count / (time.perf_counter() - start)
