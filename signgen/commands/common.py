"""What the command modules share: status lines on stderr, the meaning of --model, trailing overrides."""

from __future__ import annotations

import argparse
import sys

MODEL_HELP = "pipeline directory (motion/ [renderer/] [backtranslator/]) or a motion model directory; default: the shipped one"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class TrailingOverridesParser(argparse.ArgumentParser):
    """Lets `key=value` overrides follow options when the command also has a leading positional input."""

    def parse_known_args(self, args=None, namespace=None):
        ns, extra = super().parse_known_args(args, namespace)
        kv = [a for a in extra if "=" in a and not a.startswith("-")]
        if hasattr(ns, "overrides"):
            ns.overrides = list(ns.overrides or []) + kv
            extra = [a for a in extra if a not in kv]
        return ns, extra
