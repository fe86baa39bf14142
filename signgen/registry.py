"""Registries of pluggable parts: renderers, text encoders, corpus importers, motion models, readers.

An entry is a name, a config dataclass and a factory `factory(cfg) -> object`. Built-in entries name their
classes as "module:attribute" strings, so nothing heavy is imported until a part is used. A part added from
outside signgen registers itself from its own file:

    from signgen.render import RENDERERS
    RENDERERS.register("sketch", SketchRenderer, SketchConfig, help="pencil lines")

or from an installed package, through the entry-point group named after the registry
(`[project.entry-points."signgen.renderers"] sketch = "mypkg.sketch:register"`; the function is called once,
the first time the registry is asked for a name it does not know yet).
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import SigngenError


def resolve(ref: Any) -> Any:
    """A "module:attribute[.attribute]" string -> that object; anything else is returned as it is."""
    if not isinstance(ref, str):
        return ref
    module, _, path = ref.partition(":")
    obj = importlib.import_module(module)
    for attr in path.split("."):
        obj = getattr(obj, attr)
    return obj


@dataclass
class Entry:
    name: str
    factory: Any  # callable(cfg) -> part, or its "module:attribute"
    config: Any  # the config dataclass, or its "module:attribute"
    help: str = ""
    extra: dict = dataclasses.field(default_factory=dict)  # registry-specific facts (e.g. a renderer's model directory)

    @property
    def config_class(self) -> type:
        return resolve(self.config)

    def build(self, cfg: Any) -> Any:
        return resolve(self.factory)(cfg)


class Registry:
    """Named parts of one kind (`what`, e.g. "renderer"); `group` is its entry-point group and `presets` the
    configs/ folder its YAML presets live in."""

    def __init__(self, what: str, group: str, presets: str):
        self.what, self.group, self.presets = what, group, presets
        self._entries: dict[str, Entry] = {}
        self._plugins_loaded = False

    def register(self, name: str, factory: Callable | str, config: type | str, help: str = "", **extra) -> Entry:
        """Add (or replace) the part `name`; returns its entry."""
        entry = Entry(name, factory, config, help, extra)
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            if ep.name not in self._entries:
                ep.load()()

    def names(self) -> list[str]:
        self._load_plugins()
        return list(self._entries)

    def __iter__(self):
        return iter(self.names())

    def __contains__(self, name: str) -> bool:
        return name in self._entries or name in self.names()

    def get(self, name: str) -> Entry:
        if name not in self:
            raise SigngenError(f"unknown {self.what} {name!r}; choose one of {', '.join(self.names())}")
        return self._entries[name]

    def configure(self, name: str, preset: str | Path | None = None, overrides: Sequence[str] = (), **options) -> Any:
        """The config of part `name`: its dataclass defaults, then a YAML preset (configs/<presets>/NAME.yaml or
        a path), then `key=value` overrides, then `options` that are not None. Options its config does not have
        are left out: common ones (`size`, `device`, ...) only reach the parts that take them."""
        from .config import load_config

        cls = self.get(name).config_class
        cfg = load_config(cls, preset, overrides, group=self.presets)
        known = {f.name for f in dataclasses.fields(cls)}
        return dataclasses.replace(cfg, **{k: v for k, v in options.items() if k in known and v is not None})

    def build(self, name: str, cfg: Any = None) -> Any:
        """Build part `name` from `cfg` (default: its config dataclass's defaults)."""
        entry = self.get(name)
        return entry.build(cfg if cfg is not None else entry.config_class())
