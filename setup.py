"""Package discovery for setuptools; everything else is in pyproject.toml.

The YAML presets are edited in the top-level `configs/` and ship inside the package as `signgen/configs/`
(package `signgen.configs` mapped onto that folder), so a wheel install finds every `--config` preset.
"""

from setuptools import find_namespace_packages, setup

CONFIGS = ["signgen.configs", *(f"signgen.configs.{name}" for name in find_namespace_packages(where="configs"))]

setup(
    packages=find_namespace_packages(include=["signgen*", "data_prep*"]) + CONFIGS,
    package_dir={"signgen.configs": "configs"},  # package data (models, *.yaml) is declared in pyproject.toml
)
