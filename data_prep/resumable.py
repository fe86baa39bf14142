"""Resumable, parallel corpus builds: every task writes its samples' files and returns their manifest rows; the
rows are appended to `<root>/progress.jsonl` as each task finishes, so a rerun keeps them and skips the task."""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from signgen.pose.io import read_progress_log

PROGRESS = "progress.jsonl"


def finished_rows(root: Path) -> dict[str, dict]:
    """Manifest rows of earlier runs whose pose file is still there, by sample id."""
    return {row["id"]: row for row in read_progress_log(root / PROGRESS) if (root / row["pose_path"]).exists()}


def run_tasks(root: Path, todo: list, build: Callable[..., list[dict]], args: tuple, done: dict[str, dict], bar,
              workers: int = 0) -> None:
    """`build(task, *args)` for every task of `todo` (in `workers` processes; 0 = all cores), recording each
    task's rows in `done` and the progress log, and advancing `bar` by one task."""
    workers = workers or os.cpu_count() or 1
    with open(root / PROGRESS, "a", encoding="utf-8") as log:

        def record(rows: list[dict]) -> None:
            for row in rows:
                done[row["id"]] = row
                log.write(json.dumps(row, ensure_ascii=False) + "\n")
            log.flush()
            bar.update(1)

        if workers == 1 or len(todo) < 8:
            for t in todo:
                record(build(t, *args))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for fut in as_completed([pool.submit(build, t, *args) for t in todo]):
                    record(fut.result())
    bar.close()
