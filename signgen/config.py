"""Typed dataclass configs, YAML presets in `configs/` (shipped in the package), and `key=value` overrides (via OmegaConf)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence, TypeVar

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import SigngenError

T = TypeVar("T")


def preset_dir(package: Path = Path(__file__).resolve().parent) -> Path:
    """The YAML presets: `signgen/configs/` in an installed wheel, else the source tree's top-level `configs/`."""
    installed = package / "configs"
    return installed if installed.is_dir() else package.parent / "configs"


CONFIG_DIR = preset_dir()


def resolve_preset(preset: str | Path, group: str) -> Path:
    """A preset is a YAML path, or a name under `configs/<group>/` (e.g. `starter-small`)."""
    path = Path(preset)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    candidate = CONFIG_DIR / group / f"{preset}.yaml"
    if candidate.exists():
        return candidate
    names = sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml")) if (CONFIG_DIR / group).exists() else []
    raise SigngenError(f"config preset '{preset}' not found: give a YAML path or one of {names}")


def load_config(cls: type[T], preset: str | Path | None = None, overrides: Sequence[str] = (), group: str = "") -> T:
    """Build `cls` from its defaults, then a YAML preset, then `a.b=value` overrides (later wins)."""
    try:
        cfg = OmegaConf.structured(cls)
        if preset is not None:
            cfg = OmegaConf.merge(cfg, OmegaConf.load(resolve_preset(preset, group)))
        if overrides:
            bad = [o for o in overrides if "=" not in o]
            if bad:
                raise SigngenError(f"override {bad[0]!r} is not of the form key=value")
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(overrides)))
        return OmegaConf.to_object(cfg)
    except OmegaConfBaseException as e:
        raise SigngenError(f"invalid {cls.__name__} config: {_describe(e)}") from None


def _describe(e: OmegaConfBaseException) -> str:
    key = getattr(e, "full_key", None)
    msg = str(e).splitlines()[0]
    return f"{key}: {msg}" if key else msg


def config_to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def config_from_dict(cls: type[T], data: dict, source: str = "config") -> T:
    """Rebuild a config saved in a checkpoint; unknown or mistyped keys mean the code and checkpoint differ."""
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(cls), OmegaConf.create(data)))
    except OmegaConfBaseException as e:
        raise SigngenError(
            f"{source}: does not match this version of signgen's {cls.__name__} ({_describe(e)}); "
            "retrain it or use the signgen version it was made with"
        ) from None


def save_yaml(cfg: Any, path: str | Path) -> None:
    Path(path).write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)), encoding="utf-8")
