"""Text encoders behind one interface: texts -> (token embeddings, mask)."""

from .encoders import TextEncoder, TextEncoderConfig, build_text_encoder
from .normalize import SignableText, normalize_text

__all__ = ["SignableText", "TextEncoder", "TextEncoderConfig", "build_text_encoder", "normalize_text"]
