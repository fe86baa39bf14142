"""The `signgen` command line. The commands live in `signgen.commands`, one module per group, each a thin
layer over one library entry point; this module builds the parser from them and runs the chosen command.

Every command takes its settings from a typed config: `--config PRESET_OR_YAML` plus `key=value` overrides.
Errors the user can fix print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import sys

from .errors import SigngenError


def build_parser() -> argparse.ArgumentParser:
    from .commands import GROUPS
    from .commands.common import TrailingOverridesParser

    parser = argparse.ArgumentParser(prog="signgen", description="Text to sign-language pose and video.")
    # every command (and its subcommands) takes `key=value` overrides before or after its options
    sub = parser.add_subparsers(dest="command", required=True, parser_class=TrailingOverridesParser)
    for commands in GROUPS:
        commands.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .commands.common import say

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except SigngenError as e:
        say(f"signgen: error: {e}")
        return 2
    except KeyboardInterrupt:
        say("signgen: interrupted; finished work is saved, re-run the same command to resume")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
