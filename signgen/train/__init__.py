"""One training loop shared by every stage (motion, back-translator, renderer)."""

from .loop import TrainConfig, Task, run

__all__ = ["Task", "TrainConfig", "run"]
