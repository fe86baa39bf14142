"""The `signgen` commands, one module per command group. Each module's `add_parsers(sub)` adds its commands
(or its group, e.g. `signgen data ...`) to the parser, and each command calls one library entry point.
`signgen.cli` builds the parser from them and runs the command."""

from . import data, evaluate, generate, render, smplx, train

GROUPS = (generate, render, data, train, evaluate, smplx)  # in the order `signgen --help` lists them
