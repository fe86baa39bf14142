"""Resumable training state in safetensors + JSON (no pickles): model, EMA, optimizer, scheduler, step."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, load_model, save_file, save_model

STATE = "trainer_state.json"


def _flatten_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, state in sd["state"].items():
        for name, value in state.items():
            if torch.is_tensor(value):
                tensors[f"{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{idx}.{name}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict] = {}
    for key, value in list(tensors.items()) + list(meta["scalars"].items()):
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(directory: Path, step: int, model: torch.nn.Module, ema, opt, lr_sched, extra: dict, keep: int = 2) -> Path:
    """Write checkpoints/step-N atomically (temp dir + rename) and keep only the newest `keep`."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"step-{step:07d}"
    tmp = directory / f".tmp-step-{step:07d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_model(model, str(tmp / "model.safetensors"))  # handles tied weights (e.g. BART embeddings)
    save_file({f"{i}": p.detach().cpu().contiguous() for i, p in enumerate(ema.shadow_params)}, str(tmp / "ema.safetensors"))
    opt_tensors, opt_meta = _flatten_optimizer(opt)
    save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
    state = {"step": step, "optimizer": opt_meta, "lr_scheduler": lr_sched.state_dict(), "ema_step": ema.optimization_step, **extra}
    (tmp / STATE).write_text(json.dumps(state, indent=1, default=str))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in sorted(directory.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(directory: Path) -> Path | None:
    done = sorted(p for p in directory.glob("step-*") if is_checkpoint(p))
    return done[-1] if done else None


def is_checkpoint(path: Path) -> bool:
    return (Path(path) / STATE).exists()


def ema_state_dict(path: Path, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A checkpoint's state dict for `module` (the network the checkpoint was trained as): every saved tensor
    (buffers such as normalization statistics included), with the EMA's shadow in place of each trainable
    parameter. The EMA keeps its shadow parameters in the order of the module's trainable parameters."""
    state = load_file(str(Path(path) / "model.safetensors"))
    shadow = load_file(str(Path(path) / "ema.safetensors"))
    names = [name for name, p in module.named_parameters() if p.requires_grad]
    if len(names) != len(shadow):
        raise ValueError(f"{path}: {len(shadow)} EMA tensors for {len(names)} trainable parameters")
    state.update({name: shadow[str(i)] for i, name in enumerate(names)})
    return state


def load_checkpoint(path: Path, model: torch.nn.Module, ema, opt, lr_sched) -> dict:
    load_model(model, str(path / "model.safetensors"))
    shadow = load_file(str(path / "ema.safetensors"))
    for i, p in enumerate(ema.shadow_params):
        p.data.copy_(shadow[f"{i}"])
    state = json.loads((path / STATE).read_text())
    opt.load_state_dict(_unflatten_optimizer(load_file(str(path / "optimizer.safetensors")), state["optimizer"]))
    lr_sched.load_state_dict(state["lr_scheduler"])
    ema.optimization_step = state["ema_step"]
    return state
