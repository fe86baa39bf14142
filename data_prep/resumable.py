"""Resumable, parallel builds: each task's records are appended to `<root>/progress.jsonl` as the task finishes,
so a rerun keeps the finished ones (`finished_records`) and skips their tasks.

- `run_tasks`: the starter and held-out corpora; a task writes its samples' files and returns their manifest rows.
- `progress_log` and `run_pool`: the same log and process pool for clip import (data_prep.prep), whose records
  are one per clip, finished or failed, and whose pool survives a clip that kills its worker.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Callable, Iterator, Optional

from signgen.pose.io import read_progress_log

PROGRESS = "progress.jsonl"


def _row_pose_path(row: dict) -> str:
    return row["pose_path"]


def finished_records(root: Path, pose_path: Callable[[dict], Optional[str]] = _row_pose_path) -> dict[str, dict]:
    """Records of earlier runs, by id, whose pose file is still there: `pose_path(record)` is its path relative to
    `root` (None: the record is not a finished one). By default the records are manifest rows."""
    out = {}
    for rec in read_progress_log(root / PROGRESS):
        rel = pose_path(rec)
        if rel is not None and (root / rel).exists():
            out[rec["id"]] = rec
    return out


@contextlib.contextmanager
def progress_log(root: Path) -> Iterator[Callable[[list[dict]], None]]:
    """`append(records)` writes one JSON line per record at the end of `<root>/progress.jsonl` and flushes."""
    with open(root / PROGRESS, "a", encoding="utf-8") as log:

        def append(records: list[dict]) -> None:
            for rec in records:
                log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            log.flush()

        yield append


def run_pool(todo: list, fn: Callable, args: tuple, workers: int, record: Callable, *, mp_context=None,
             on_crash: Optional[Callable[[object], object]] = None) -> None:
    """`record(fn(item, *args))` for every item of `todo`: in this process and in order when `workers` is 1, else
    in a pool of `workers` processes (`mp_context`: its multiprocessing context; None = the platform's default) as
    they finish, with at most 2 * workers in flight, so memory stays flat on 100k items.

    A worker process that dies (crash, out of memory) breaks the pool. Without `on_crash` that is raised
    (BrokenProcessPool). With it, every item that was in flight is re-run alone, so an item that kills its
    worker is the only one reported, as `record(on_crash(item))`, and the rest go on in a new pool."""
    if workers == 1:
        for item in todo:
            record(fn(item, *args))
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    def new_pool(n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, mp_context=mp_context)

    pool = new_pool(workers)
    suspects: list = []  # items in flight when a worker process died
    try:
        queue = list(reversed(todo))
        pending: dict = {}
        while queue or pending or suspects:
            if suspects and not pending:
                item = suspects.pop()
                try:
                    with new_pool(1) as single:
                        record(single.submit(fn, item, *args).result())
                except BrokenProcessPool:
                    record(on_crash(item))
                continue
            while queue and len(pending) < 2 * workers:
                item = queue.pop()
                pending[pool.submit(fn, item, *args)] = item
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                item = pending.pop(fut)
                try:
                    record(fut.result())
                except BrokenProcessPool:
                    if on_crash is None:
                        raise
                    suspects.append(item)
            if suspects and pending:  # the pool is broken: every other item in flight is a suspect too
                suspects.extend(pending.values())
                pending.clear()
            if suspects:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool(workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_tasks(root: Path, todo: list, build: Callable[..., list[dict]], args: tuple, done: dict[str, dict], bar,
              workers: int = 0) -> None:
    """`build(task, *args)` for every task of `todo` (in `workers` processes; 0 = all cores; in this process when
    fewer than 8 tasks are left), recording each task's manifest rows in `done` and the progress log, and
    advancing `bar` by one task."""
    workers = workers or os.cpu_count() or 1
    with progress_log(root) as append:

        def record(rows: list[dict]) -> None:
            for row in rows:
                done[row["id"]] = row
            append(rows)
            bar.update(1)

        run_pool(todo, build, args, 1 if len(todo) < 8 else workers, record)
    bar.close()
