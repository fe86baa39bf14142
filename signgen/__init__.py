"""signgen: an open toolkit for sign-language production (text -> pose -> signer video)."""

__version__ = "0.1.0"

__all__ = ["SignPipeline", "load_model", "__version__"]


def __getattr__(name: str):
    # lazy, so `import signgen` (and the CLI's start-up) does not import torch
    if name == "SignPipeline":
        from .pipeline import SignPipeline

        return SignPipeline
    if name == "load_model":
        from .artifact import load_model

        return load_model
    raise AttributeError(f"module 'signgen' has no attribute {name!r}")
