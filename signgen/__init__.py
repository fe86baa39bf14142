"""signgen: an open toolkit for sign-language production (text -> pose -> signer video)."""

__version__ = "0.1.0"
