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

CONFIG_FILE = "config.json"
CLASS_KEY = "_class_name"
VERSION_KEY = "_signgen_version"

T = TypeVar("T")

# class name -> dotted path "module:Class"; imported lazily so `load_model` does not import every stage.
_MODEL_CLASSES: dict[str, str] = {
    "MotionModel": "signgen.motion.model:MotionModel",
    "Backtranslator": "signgen.backtranslate.model:Backtranslator",
    "RendererModel": "signgen.render.diffusion.model:RendererModel",
}


def register_model(name: str, target: str) -> None:
    """Make `load_model` know a model class saved under `name` (`target` is "module:Class")."""
    _MODEL_CLASSES[name] = target


def write_config(directory: str | Path, class_name: str, cfg: Any) -> Path:
    """Write `directory/config.json`: the config dataclass `cfg`, stamped with its class and signgen's version."""
    from . import __version__
    from .pose.io import atomic_write_text

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data = {CLASS_KEY: class_name, VERSION_KEY: __version__, **config_to_dict(cfg)}
    path = directory / CONFIG_FILE
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False))
    return path


def read_class_name(directory: str | Path) -> str:
    """The `_class_name` of a model directory; one clear line when there is none."""
    return _read(Path(directory))[CLASS_KEY]


def read_config(directory: str | Path, class_name: str, cfg_cls: type[T], what: str) -> T:
    """The config dataclass stored in `directory/config.json`, which must have been saved by `class_name`.
    `what` names the model kind in error messages ("motion model", ...)."""
    directory = Path(directory)
    data = _read(directory, what)
    found = data.pop(CLASS_KEY)
    data.pop(VERSION_KEY, None)
    if found != class_name:
        raise SigngenError(f"{directory}: holds a {found}, not a {what}; point the option at a {what} directory")
    return config_from_dict(cfg_cls, data, source=str(directory / CONFIG_FILE))


def _read(directory: Path, what: str = "signgen model") -> dict:
    path = directory / CONFIG_FILE
    if not path.exists():
        raise SigngenError(f"{directory}: not a {what} directory ({CONFIG_FILE} missing); "
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
    import importlib

    if name not in _MODEL_CLASSES:
        raise SigngenError(f"unknown signgen model class {name!r}; known: {sorted(_MODEL_CLASSES)}")
    module, attr = _MODEL_CLASSES[name].split(":")
    return getattr(importlib.import_module(module), attr)


def load_model(directory: str | Path, **kwargs):
    """Load any saved signgen model directory by the class name in its config.json."""
    return model_class(read_class_name(directory)).from_pretrained(directory, **kwargs)
