"""Where the shipped default models live: `signgen/models/`, a pipeline directory inside the package."""

from pathlib import Path

MODELS = Path(__file__).resolve().parent / "models"  # the pipeline directory: pipeline.json + the three below
MOTION = MODELS / "motion"
BACKTRANSLATOR = MODELS / "backtranslator"
RENDERER = MODELS / "renderer"
