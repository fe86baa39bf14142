"""Where the shipped default models live (`signgen/models/`, a pipeline directory inside the package), and how
a `--model` directory is found: every command's `--model` is a pipeline directory or a bare motion model."""

from __future__ import annotations

from pathlib import Path

from .errors import SigngenError

MODELS = Path(__file__).resolve().parent / "models"  # the pipeline directory: pipeline.json + the three below
MOTION = MODELS / "motion"
BACKTRANSLATOR = MODELS / "backtranslator"
RENDERER = MODELS / "renderer"


def motion_dir(model: str | Path | None) -> Path:
    """The motion model a `--model` names: a pipeline directory's motion/, a bare motion model directory
    (e.g. runs/motion/model), or the shipped one when `model` is None."""
    from .artifact import CONFIG_FILE

    root = Path(model).expanduser() if model is not None else MODELS
    if (root / "motion" / CONFIG_FILE).exists():
        return root / "motion"
    if (root / CONFIG_FILE).exists():
        return root
    if model is None:
        raise SigngenError(f"{root}: the shipped motion model is not installed; reinstall signgen or pass --model DIR")
    if not root.is_dir():
        raise SigngenError(f"--model {root}: no such pipeline directory or motion model; pass a directory with "
                           "motion/ inside, or a motion model (train one with signgen train motion)")
    raise SigngenError(f"--model {root}: no motion model in motion/ and no config.json; pass a pipeline directory "
                       "or a motion model (train one with signgen train motion)")
