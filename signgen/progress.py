"""Progress of long jobs: a tqdm bar on a terminal; elsewhere (a log file, CI) one plain line every few seconds."""

from __future__ import annotations

import sys
from typing import Iterable, Optional, TextIO

LOG_INTERVAL = 10.0  # seconds between progress lines when stderr is not a terminal
LOG_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"


class _Lines:
    """A stream for tqdm that turns its carriage-return redraws into whole lines."""

    def __init__(self, stream: TextIO):
        self.stream, self.last = stream, ""

    def write(self, text: str) -> int:
        line = text.replace("\r", "").strip()
        if line and line != self.last:  # tqdm redraws the final state on close
            self.stream.write(line + "\n")
            self.last = line
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(iterable: Optional[Iterable] = None, *, total: Optional[int] = None, desc: str = "", unit: str = "it",
                 disable: bool = False, initial: int = 0, stream: Optional[TextIO] = None, interval: float = LOG_INTERVAL):
    """`tqdm(...)` for every long job: a live bar when `stream` (default stderr) is a terminal, else a plain
    progress line at most every `interval` seconds and one at the end."""
    from tqdm import tqdm

    stream = stream or sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, initial=initial, file=stream, dynamic_ncols=True)
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, initial=initial, file=_Lines(stream),
                mininterval=interval, maxinterval=interval * 6, bar_format=LOG_FORMAT, ascii=True)
