"""Text encoders behind one interface: texts -> (token embeddings, mask)."""

from .encoders import TextEncoder, TextEncoderConfig, build_text_encoder

__all__ = ["TextEncoder", "TextEncoderConfig", "build_text_encoder"]
