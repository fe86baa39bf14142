"""The training loop shared by all stages, on HF Accelerate (CPU, one GPU, or many via `accelerate launch`).

A stage supplies a `Task`: a module whose forward(batch) returns (loss, logs), a batch function indexed by
step and process (so a resumed run draws exactly the batches it would have), validation, and the final save.
Batches are assembled in `torch.utils.data.DataLoader` worker processes (`workers`), ahead of the step that
uses them, so the batch function must depend only on (step, process), never on the model's changing weights.
The loop adds AdamW with warmup + cosine decay, gradient clipping, EMA (diffusers' EMAModel), mixed precision
on GPU, periodic validation and checkpoints, resume with no lost steps, logged losses averaged over
processes, a progress bar and a loss curve PNG.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ..errors import SigngenError
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint


@dataclass
class TrainConfig:
    steps: int = 20000
    batch_size: int = 32
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup: int = 500
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    mixed_precision: str = "auto"  # auto (bf16 on GPU, none on CPU) | no | fp16 | bf16
    log_every: int = 50
    val_every: int = 1000
    ckpt_every: int = 500
    seed: int = 0
    workers: int = 2  # DataLoader worker processes assembling batches ahead of the model; 0 = in the training process


@dataclass
class Task:
    module: torch.nn.Module  # forward(batch) -> (loss, logs)
    batch: Callable[[int, int], dict]  # (step, process_index) -> batch on CPU
    validate: Callable[[torch.nn.Module, Path, int], dict]  # (EMA weights loaded) -> metrics
    save: Callable[[torch.nn.Module, Path], None]  # final from_pretrained-able directory
    run_config: dict  # stored with every checkpoint
    processes: int = 1  # set by `run`: how many processes train together, each calling batch(step, its index)


def _step_seed(cfg: TrainConfig, step: int, rank: int) -> int:
    return cfg.seed * 1_000_003 + step * 97 + rank


@dataclass
class BatchError:
    """A user error raised while assembling a batch, handed to the training process to raise as it was."""

    message: str


class StepBatches(torch.utils.data.Dataset):
    """Item `step` is `task.batch(step, rank)`, drawn with torch seeded for that step as the loop seeds it, so a
    batch is the same whether a DataLoader worker or the training process assembles it."""

    def __init__(self, batch: Callable[[int, int], dict], cfg: TrainConfig, rank: int):
        self.batch, self.cfg, self.rank = batch, cfg, rank

    def __len__(self) -> int:
        return self.cfg.steps

    def __getitem__(self, step: int) -> dict | BatchError:
        torch.manual_seed(_step_seed(self.cfg, step, self.rank))
        try:
            return self.batch(step, self.rank)
        except SigngenError as e:  # a worker's exception reaches the trainer with its traceback in the message
            return BatchError(str(e))



def batch_loader(task: "Task", cfg: TrainConfig, start: int, rank: int) -> torch.utils.data.DataLoader:
    """Batches of steps start..steps-1 in order, `cfg.workers` processes ahead (forked: they share the parent's
    data, e.g. a corpus split's texts and its store's open files, instead of copying it)."""
    import multiprocessing

    workers = cfg.workers if "fork" in multiprocessing.get_all_start_methods() else 0
    extra = dict(multiprocessing_context="fork", prefetch_factor=2) if workers > 0 else {}
    return torch.utils.data.DataLoader(StepBatches(task.batch, cfg, rank), batch_size=None, sampler=range(start, cfg.steps),
                                       num_workers=workers, **extra)


def _to(batch: dict, device) -> dict:
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}


def plot_curve(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    steps = [h["step"] for h in history if "loss" in h]
    ax.plot(steps, [h["loss"] for h in history if "loss" in h], label="train loss")
    val = [h for h in history if "val_loss" in h]
    if val:
        ax.plot([h["step"] for h in val], [h["val_loss"] for h in val], "o-", label="val loss")
    ax.set_xlabel("step")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(task: Task, cfg: TrainConfig, out_dir: str | Path, progress: bool = True) -> Path:
    from accelerate import Accelerator
    from diffusers.training_utils import EMAModel
    from tqdm import tqdm

    from ..progress import progress_bar

    out_dir = Path(out_dir)
    precision = cfg.mixed_precision
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
    accelerator = Accelerator(mixed_precision=precision)
    torch.manual_seed(cfg.seed)
    module = task.module
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    def lr_lambda(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        progress_ = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress_)))

    lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    ema = EMAModel(params, decay=cfg.ema_decay)
    ckpt_dir = out_dir / "checkpoints"
    history_path = out_dir / "history.jsonl"
    start = 0
    latest = latest_checkpoint(ckpt_dir)
    if latest is not None:
        state = load_checkpoint(latest, module, ema, opt, lr_sched)
        start = state["step"]
        if accelerator.is_main_process:
            print(f"resuming from {latest} (step {start})", flush=True)
    history = []
    if history_path.exists():
        history = [json.loads(line) for line in history_path.read_text().splitlines() if line.strip()]
        history = [h for h in history if h["step"] <= start]  # drop logs from steps after the checkpoint
    task.processes = accelerator.num_processes
    module, opt = accelerator.prepare(module, opt)
    ema.to(accelerator.device)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "run_config.json").write_text(json.dumps(task.run_config, indent=2))

    def write_history() -> None:
        if accelerator.is_main_process:
            history_path.write_text("".join(json.dumps(h) + "\n" for h in history))

    def validate(step: int) -> None:
        raw = accelerator.unwrap_model(module)
        ema.store(params)
        ema.copy_to(params)
        raw.eval()
        metrics = task.validate(raw, out_dir, step)
        raw.train()
        ema.restore(params)
        history.append({"step": step, **metrics})
        tqdm.write(f"step {step}: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))

    bar = progress_bar(total=cfg.steps, initial=start, desc="train", unit="step", disable=not progress or not accelerator.is_main_process)
    module.train()
    t0, running = time.perf_counter(), {}
    # the loader yields steps start..steps-1; running it to its end shuts its workers down cleanly
    for step, batch in enumerate(batch_loader(task, cfg, start, accelerator.process_index), start=start):
        if isinstance(batch, BatchError):
            raise SigngenError(batch.message)
        batch = _to(batch, accelerator.device)
        # per-step seeding: noise, dropout and batches are a function of the step, so resuming loses nothing
        torch.manual_seed(_step_seed(cfg, step, accelerator.process_index))
        with accelerator.autocast():
            loss, logs = module(batch)
        accelerator.backward(loss)
        if cfg.grad_clip > 0:
            accelerator.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        lr_sched.step()
        opt.zero_grad(set_to_none=True)
        ema.step(params)
        for k, v in logs.items():
            running[k] = running.get(k, 0.0) + v
        done = step + 1
        bar.update(1)
        if done % cfg.log_every == 0 or done == cfg.steps:
            n = cfg.log_every if done % cfg.log_every == 0 else done % cfg.log_every
            if accelerator.num_processes > 1:  # every process's share of the global batch
                means = accelerator.reduce(torch.tensor(list(running.values()), device=accelerator.device), "mean")
                running = dict(zip(running, means.tolist()))
            entry = {"step": done, **{k: v / n for k, v in running.items()}, "lr": lr_sched.get_last_lr()[0],
                     "sec_per_step": (time.perf_counter() - t0) / n}
            history.append(entry)
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
            running, t0 = {}, time.perf_counter()
        if accelerator.is_main_process and (done % cfg.val_every == 0 or done == cfg.steps):
            validate(done)
            plot_curve(history, out_dir / "curve.png")
        if accelerator.is_main_process and (done % cfg.ckpt_every == 0 or done == cfg.steps):
            write_history()
            save_checkpoint(ckpt_dir, done, accelerator.unwrap_model(module), ema, opt, lr_sched, {"run_config": task.run_config})
    bar.close()
    accelerator.wait_for_everyone()
    final = out_dir / "model"
    if accelerator.is_main_process:
        write_history()
        raw = accelerator.unwrap_model(module)
        ema.copy_to(params)
        task.save(raw, final)
        if history:
            plot_curve(history, out_dir / "curve.png")
    return final
