"""User-facing errors: the CLI prints them as one line and exits with code 2."""


class SigngenError(Exception):
    """A problem with the user's input that they can fix (bad file, unknown language, ...)."""
