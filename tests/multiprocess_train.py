"""Runs a short training in 1 or N CPU processes (`accelerate.debug_launcher`) for tests/test_store.py.

It runs as its own process because debug_launcher needs a process in which no Accelerator was created yet.

    python -m tests.multiprocess_train linear PROCESSES OUT     (from the repository root)
    python -m tests.multiprocess_train motion PROCESSES OUT CORPUS [key=value ...]
"""

from __future__ import annotations

import sys

import numpy as np
import torch


class Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 1)

    def forward(self, batch):
        loss = ((self.net(batch["x"])[:, 0] - batch["y"]) ** 2).mean()
        return loss, {"loss": loss.item()}


GLOBAL_BATCH = 8


def train_linear(out: str) -> None:
    """A noise-free regression: 2 processes with half the global batch each must follow 1 process exactly."""
    from safetensors.torch import save_file

    from signgen.train import Task, TrainConfig, run

    true_w = np.array([1.0, -2.0, 0.5, 3.0], np.float32)

    def batch(step: int, rank: int) -> dict:
        rng = np.random.default_rng(step)  # the global batch of the step, the same in every process
        x = rng.standard_normal((GLOBAL_BATCH, 4)).astype(np.float32)
        y = x @ true_w + 0.1 * rng.standard_normal(GLOBAL_BATCH).astype(np.float32)
        share = GLOBAL_BATCH // task.processes
        rows = slice(rank * share, (rank + 1) * share)
        return {"x": torch.from_numpy(x[rows]), "y": torch.from_numpy(y[rows])}

    torch.manual_seed(0)
    cfg = TrainConfig(steps=12, batch_size=GLOBAL_BATCH, lr=0.05, warmup=1, log_every=1, val_every=100, ckpt_every=100, workers=2)
    task = Task(Linear(), batch, lambda raw, o, step: {}, lambda raw, d: (d.mkdir(parents=True, exist_ok=True),
                save_file(raw.state_dict(), str(d / "model.safetensors"))), {"stage": "linear"})
    run(task, cfg, out, progress=False)


def train_motion_run(out: str, corpus: str, overrides: list[str]) -> None:
    from signgen.config import load_config
    from signgen.motion.train import MotionTrainConfig, train_motion

    cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=overrides)
    train_motion(corpus, cfg, out, progress=False)


def main(argv: list[str]) -> None:
    kind, processes, out = argv[0], int(argv[1]), argv[2]
    fn = (lambda: train_linear(out)) if kind == "linear" else (lambda: train_motion_run(out, argv[3], argv[4:]))
    if processes == 1:
        fn()
    else:
        from accelerate import debug_launcher

        debug_launcher(fn, num_processes=processes)


if __name__ == "__main__":
    main(sys.argv[1:])
