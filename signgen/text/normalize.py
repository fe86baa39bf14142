"""What of a text gets signed: the one place `signgen pose`, `signgen text`, the pipeline and `signgen serve`
turn user text into the text a motion model signs.

- Unicode NFC; control and invisible format characters and runs of whitespace become one space.
- Punctuation and symbols (Unicode categories P and S) that the model's alphabet lacks are dropped: no manual
  alphabet signs them. Apostrophes inside a word vanish ("don't" -> "dont"); other marks separate words
  ("Hello, world!" -> "hello world").
- Letters and digits must be in the model's alphabet (its training corpus's characters); anything else is a
  one-line `SigngenError`. The shipped fingerspelling lexicon has no digits, so numbers are written as words.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Optional

from ..errors import SigngenError

APOSTROPHES = "'\u2019\u02bc"


@dataclass
class SignableText:
    """`text` is what gets signed; `dropped` the punctuation and symbols left out, in order of appearance."""

    text: str
    dropped: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """One line for the user when something was left out, else ''."""
        if not self.dropped:
            return ""
        marks = " ".join(self.dropped)
        return f"not signed: {marks} (no manual alphabet signs punctuation); signing {self.text!r}"


def normalize_text(text: str, alphabet: Optional[Iterable[str]] = None, lowercase: bool = True) -> SignableText:
    """The text a model with this character `alphabet` signs (None: any letter, e.g. a subword encoder)."""
    if not isinstance(text, str) or not text.strip():
        raise SigngenError("empty text: give at least one letter or word")
    chars = set(alphabet) if alphabet is not None else None
    original = " ".join(text.split())
    text = unicodedata.normalize("NFC", text)
    if lowercase:
        text = text.lower()
    kept, dropped = [], []
    for i, c in enumerate(text):
        category = unicodedata.category(c)
        if chars is not None and c in chars:
            kept.append(c)
        elif category[0] == "C" or c.isspace():
            kept.append(" ")
        elif category[0] in "PS":
            if c not in dropped:
                dropped.append(c)
            inside_word = c in APOSTROPHES and 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()
            kept.append("" if inside_word else " ")
        else:
            kept.append(c)
    signed = " ".join("".join(kept).split())
    if not signed:
        raise SigngenError(f"text {original[:40]!r} has nothing to sign once punctuation is dropped; give at least one letter or word")
    if chars is not None:
        unknown = sorted({c for c in signed if c != " " and c not in chars})
        digits = [c for c in unknown if unicodedata.category(c)[0] == "N"]
        if digits:
            raise SigngenError(f"text {original[:40]!r}: this model has no sign for the digits {' '.join(digits)} "
                               "(its fingerspelling alphabet has none); write the number as a word, e.g. 'three'")
        if unknown:
            raise SigngenError(f"text {original[:40]!r}: characters {unknown} are not in this model's alphabet; "
                               "remove or respell them")
    return SignableText(signed, dropped)
