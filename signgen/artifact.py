"""One on-disk format for every signgen model directory.

`config.json` holds the model's config dataclass as a flat dict, stamped with `_class_name` (the class that
saved it) and `_signgen_version` (the signgen version that wrote it), as diffusers stamps `_class_name` and
`_diffusers_version`. Weights sit beside it as safetensors; diffusers parts keep diffusers' own layout in
subfolders. `load_model(directory)` builds any saved signgen model from its class name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, TypeVar

from .config import config_from_dict, config_to_dict
from .errors import SigngenError
from .registry import Registry, resolve

CONFIG_FILE = "config.json"
PIPELINE_FILE = "pipeline.json"
CLASS_KEY = "_class_name"
VERSION_KEY = "_signgen_version"

T = TypeVar("T")

# Saved model classes by `_class_name`: a name, its config dataclass and the class (`from_pretrained` loads a
# directory). Motion models, readers (back-translators) and renderers all register here; imported lazily so
# `load_model` does not import every stage. A new model class: `MODELS.register(name, "module:Class", "module:Config")`.
MODELS = Registry("signgen model class", "signgen.models", presets="")
MODELS.register("MotionModel", "signgen.motion.model:MotionModel", "signgen.motion.config:MotionConfig", help="motion diffusion")
MODELS.register("Backtranslator", "signgen.backtranslate.model:Backtranslator", "signgen.backtranslate.config:BacktranslatorConfig",
                help="pose -> text reader (seq2seq or CTC head)")
MODELS.register("RendererModel", "signgen.render.diffusion.model:RendererModel", "signgen.render.diffusion.config:RendererConfig",
                help="pose-conditioned latent diffusion renderer")
MODELS.register("SignPipeline", "signgen.pipeline:SignPipeline", "signgen.pipeline:PipelineConfig",
                help="a pipeline directory: motion/ [renderer/] [backtranslator/] + pipeline.json")


def write_config(directory: str | Path, class_name: str, cfg: Any, filename: str = CONFIG_FILE) -> Path:
    """Write `directory/config.json` (or `filename`): the config dataclass `cfg`, stamped with its class and
    signgen's version."""
    from . import __version__
    from .pose.io import atomic_write_text

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data = {CLASS_KEY: class_name, VERSION_KEY: __version__, **config_to_dict(cfg)}
    path = directory / filename
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False))
    return path


def read_class_name(directory: str | Path) -> str:
    """The `_class_name` of a model directory; one clear line when there is none."""
    return _read(Path(directory))[CLASS_KEY]


def read_config(directory: str | Path, class_name: str, cfg_cls: type[T], what: str, filename: str = CONFIG_FILE) -> T:
    """The config dataclass stored in `directory/config.json` (or `filename`), which must have been saved by
    `class_name`. `what` names the model kind in error messages ("motion model", ...)."""
    directory = Path(directory)
    data = _read(directory, what, filename)
    found = data.pop(CLASS_KEY)
    data.pop(VERSION_KEY, None)
    if found != class_name:
        raise SigngenError(f"{directory}: holds a {found}, not a {what}; point the option at a {what} directory")
    return config_from_dict(cfg_cls, data, source=str(directory / filename))


def _read(directory: Path, what: str = "signgen model", filename: str = CONFIG_FILE) -> dict:
    path = directory / filename
    if not path.exists():
        raise SigngenError(f"{directory}: not a {what} directory ({filename} missing); "
                           "pass a model directory that signgen saved (a training run's model/ folder)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SigngenError(f"{path}: unreadable ({e}); re-copy or retrain the model") from None
    if not isinstance(data, dict) or CLASS_KEY not in data:
        raise SigngenError(f"{path}: not a signgen model config (no {CLASS_KEY}); "
                           f"convert it with `python tools/convert_artifacts.py {directory}` or retrain it")
    return data


def model_class(name: str) -> Callable:
    return resolve(MODELS.get(name).factory)


def load_model(directory: str | Path, **kwargs):
    """Load any saved signgen model directory (or pipeline directory) by the class name it was saved with."""
    directory = Path(directory)
    if (directory / PIPELINE_FILE).exists() and not (directory / CONFIG_FILE).exists():
        return model_class("SignPipeline").from_pretrained(directory, **kwargs)
    return model_class(read_class_name(directory)).from_pretrained(directory, **kwargs)
