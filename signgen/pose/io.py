"""Reading and atomically writing `.pose` files (pose-format), with one-line errors for bad files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pose_format import Pose

from ..errors import SigngenError


def read_pose(path: str | Path) -> Pose:
    path = Path(path)
    if not path.exists():
        raise SigngenError(f"{path}: no such .pose file")
    if path.is_dir():
        raise SigngenError(f"{path}: is a directory, expected a .pose file")
    data = path.read_bytes()
    if not data:
        raise SigngenError(f"{path}: empty file, not a .pose file; re-export it")
    try:
        pose = Pose.read(data)
    except Exception as e:  # pose-format raises struct/numpy/value errors on bad bytes
        why = (str(e).splitlines() or [type(e).__name__])[0]
        why = why if len(why) <= 120 else why[:119] + "…"
        raise SigngenError(f"{path}: not a readable .pose file ({why}); it is corrupt or truncated, re-export it") from None
    n_points = sum(len(c.points) for c in pose.header.components)
    if pose.body.data.ndim != 4 or pose.body.data.shape[2] != n_points:
        raise SigngenError(f"{path}: .pose body does not match its header ({n_points} points); the file is corrupt or truncated")
    return pose


def read_canonical(path: str | Path) -> Pose:
    """Read any `.pose` signgen understands (Holistic, reduced Holistic, OpenPose-137, canonical) in canonical form."""
    from .skeleton import canonical

    return canonical(read_pose(path), str(path))


def usual_file_mode(fd: int) -> None:
    """Give a file from tempfile.mkstemp (created 0600) the mode a plain open() would: 0666 less the umask,
    so an output renamed into place is as readable as any other file the user writes."""
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: an interruption never leaves a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    usual_file_mode(fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_progress_log(path: str | Path) -> list[dict]:
    """Records of a resumable job's JSON-lines log; a last line cut by an interruption is skipped."""
    import json

    path = Path(path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def pose_bytes(pose: Pose) -> bytes:
    import io

    buf = io.BytesIO()
    pose.write(buf)
    return buf.getvalue()


def write_pose(pose: Pose, path: str | Path) -> None:
    atomic_write_bytes(path, pose_bytes(pose))
