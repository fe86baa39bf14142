"""signgen.progress: a live tqdm bar on a terminal, plain progress lines anywhere else."""

from __future__ import annotations

import io

from signgen.progress import progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_progress_is_a_line_at_the_start_and_the_end():
    out = io.StringIO()
    bar = progress_bar(total=500, desc="import", unit="clip", stream=out, interval=3600)
    for _ in range(500):
        bar.update(1)
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 2, lines
    assert lines[0].startswith("import: 0/500 clip") and lines[1].startswith("import: 500/500 clip")


def test_off_a_terminal_every_refresh_is_its_own_line():
    out = io.StringIO()
    for _ in progress_bar(range(5), desc="train", unit="step", stream=out, interval=0):
        pass
    counts = [line.split(" ")[1] for line in out.getvalue().splitlines()]
    assert counts[:6] == ["0/5", "1/5", "2/5", "3/5", "4/5", "5/5"] and set(counts[6:]) <= {"5/5"}


def test_on_a_terminal_it_is_a_redrawn_bar_and_disable_prints_nothing():
    tty = _Terminal()
    for _ in progress_bar(range(50), desc="frames", unit="clip", stream=tty):
        pass
    assert "\r" in tty.getvalue() and "50/50" in tty.getvalue()
    quiet = io.StringIO()
    for _ in progress_bar(range(50), desc="x", stream=quiet, disable=True):
        pass
    assert quiet.getvalue() == ""
