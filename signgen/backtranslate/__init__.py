"""Back-translation: a pose-to-text model that reads signing back, for evaluation."""

from .config import BacktranslatorConfig

__all__ = ["BacktranslatorConfig"]
