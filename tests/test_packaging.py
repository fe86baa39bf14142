"""What a wheel install gets: every YAML preset of configs/ ships as signgen/configs/, and the config loader
finds presets there (the end-to-end wheel install in a fresh venv is run by .ci/run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signgen.config import load_config, preset_dir, resolve_preset
from signgen.errors import SigngenError

REPO = Path(__file__).resolve().parent.parent

# The files setuptools' build_py would put in the wheel (no copying, no network).
_WHEEL_FILES = """
import json, sys
import setuptools  # noqa: F401  (provides distutils on Python 3.12)
from distutils.core import run_setup
dist = run_setup("setup.py", stop_after="config")
build_py = dist.get_command_obj("build_py")
build_py.ensure_finalized()
files = [f"{build_dir}/{name}" for _, _, build_dir, names in build_py.data_files for name in names]
print(json.dumps({"build_lib": build_py.build_lib, "files": files}))
"""


def test_every_preset_in_configs_ships_in_the_package(tmp_path):
    # a clean copy of the sources (no stale *.egg-info/SOURCES.txt, which setuptools would reuse); models left out
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for name in ("signgen", "data_prep", "configs"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "models", "*.egg-info"))
    run = subprocess.run([sys.executable, "-c", _WHEEL_FILES], cwd=src, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    shipped = {Path(f).relative_to(Path(out["build_lib"]) / "signgen" / "configs").as_posix()
               for f in out["files"] if Path(f).is_relative_to(Path(out["build_lib"]) / "signgen" / "configs")}
    presets = {p.relative_to(REPO / "configs").as_posix() for p in (REPO / "configs").rglob("*.yaml")}
    assert {"motion/tiny.yaml", "corpus/starter-small.yaml", "prep/fast.yaml"} <= presets
    assert presets - shipped == set(), "presets in configs/ missing from the wheel; see setup.py and pyproject.toml"


def test_an_installed_package_reads_presets_from_signgen_configs(tmp_path, monkeypatch):
    import signgen.config

    package = tmp_path / "site-packages" / "signgen"
    (package / "configs" / "motion").mkdir(parents=True)
    (package / "configs" / "motion" / "mine.yaml").write_text("train:\n  steps: 7\n", encoding="utf-8")
    assert preset_dir(package) == package / "configs"
    assert preset_dir(REPO / "signgen") == REPO / "configs"  # a source checkout: the top-level configs/

    monkeypatch.setattr(signgen.config, "CONFIG_DIR", preset_dir(package))
    from signgen.motion.train import MotionTrainConfig

    assert resolve_preset("mine", "motion") == package / "configs" / "motion" / "mine.yaml"
    assert load_config(MotionTrainConfig, "mine", group="motion").train.steps == 7
    with pytest.raises(SigngenError, match=r"one of \['mine'\]"):
        resolve_preset("tiny", "motion")
