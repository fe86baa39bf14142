"""A corpus's canonical arrays in one flat binary store, read by every training stage.

    <corpus>/store/
      store.json   header: version, fingerprint, samples, frames, joints, dtypes (written last)
      x.bin        (frames, joints, 3) float32, every sample's frames one after another, manifest order
      mask.bin     (frames, joints) bool
      offsets.npy  (samples + 1,) int64: sample i is frames offsets[i]:offsets[i + 1]
      stats/<name>/stats.safetensors   statistics derived from the arrays, cached (e.g. a model representation's)

The `.pose` files and manifest.csv stay the corpus; the store is derived from them and rebuilt when stale
(the fingerprint: every manifest row's id and pose path, and each pose file's size and mtime). A sample's
arrays are read (pread) when a batch needs them: the processes of a node share the OS page cache of the
store instead of each holding the corpus, and a process's memory stays flat in the corpus size. A build
writes `.store.partial/`, records its progress there (so an interrupted build resumes) and renames it to
`store/` only when complete: a half-written store is never opened.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .errors import SigngenError
from .pose.io import atomic_write_text
from .pose.tensors import STATS_FILE

if TYPE_CHECKING:
    from .corpus import Corpus
    from .pose.tensors import NormStats

STORE_DIR = "store"
PARTIAL_DIR = ".store.partial"
LOCK_FILE = ".store.lock"
HEADER = "store.json"
VERSION = 1
X_DTYPE, MASK_DTYPE = np.dtype("<f4"), np.dtype("bool")
SYNC_EVERY = 256  # samples between progress records of a build


def fingerprint(corpus: "Corpus") -> str:
    """sha256 over every manifest row's (id, pose path) and its pose file's size and mtime."""
    h = hashlib.sha256()
    for s in corpus.samples:
        try:
            st = os.stat(corpus.pose_file(s))
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime = -1, -1  # the build names the missing file
        h.update(f"{s.id}\t{s.pose_path}\t{size}\t{mtime}\n".encode())
    return h.hexdigest()


class PoseStore:
    """The opened store: `arrays(i)` reads manifest row i's (x (T, J, 3) float32, mask (T, J) bool)."""

    def __init__(self, directory: Path, header: dict):
        self.directory, self.header = directory, header
        self.offsets = np.load(directory / "offsets.npy")
        self.joints = header["joints"]
        # read with pread (no shared file position), so forked DataLoader workers can use the same descriptors
        self._x = open(directory / "x.bin", "rb", buffering=0)
        self._mask = open(directory / "mask.bin", "rb", buffering=0)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def arrays(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        x = np.empty((b - a, self.joints, 3), X_DTYPE)
        mask = np.empty((b - a, self.joints), MASK_DTYPE)
        self._read(self._x, x, a * self.joints * 3 * X_DTYPE.itemsize)
        self._read(self._mask, mask, a * self.joints * MASK_DTYPE.itemsize)
        return x, mask

    def _read(self, f, out: np.ndarray, offset: int) -> None:
        view = memoryview(out).cast("B")
        if view.nbytes and os.preadv(f.fileno(), [view], offset) != view.nbytes:
            raise SigngenError(f"{f.name}: shorter than its header says (truncated while open); run again to rebuild the store")

    def cached_stats(self, name: str, compute: Callable[[], "NormStats"]) -> "NormStats":
        """Statistics derived from this store's arrays (e.g. a model representation's), computed once and kept
        in the store, so they go when the store is rebuilt."""
        from .pose.tensors import NormStats

        directory = self.directory / "stats" / name
        if (directory / STATS_FILE).exists():
            return NormStats.load(directory)
        if not os.access(self.directory, os.W_OK):  # a read-only corpus: computed, not kept
            return compute()
        with _locked(self.directory.parent):  # one process of a node computes them, the others wait and load
            if not (directory / STATS_FILE).exists():
                directory.mkdir(parents=True, exist_ok=True)
                compute().save(directory)
        return NormStats.load(directory)


class SplitArrays(Sequence):
    """A corpus split as a sequence of (text, signed_language, x, mask): texts in memory, arrays read from the
    store when an item is taken, so holding the split costs no memory per frame."""

    def __init__(self, store: PoseStore, rows: list[int], texts: list[str], langs: list[str]):
        self.store, self.rows, self.texts, self.langs = store, rows, texts, langs

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return (self.texts[i], self.langs[i], *self.store.arrays(self.rows[i]))

    def lengths(self) -> np.ndarray:
        return self.store.lengths()[self.rows]


def _check(directory: Path, fp: str, samples: int) -> str | None:
    """Why the store in `directory` cannot be used for a corpus with fingerprint `fp`; None if it can."""
    if not (directory / HEADER).exists():
        return "no store"
    try:
        header = json.loads((directory / HEADER).read_text(encoding="utf-8"))
        offsets = np.load(directory / "offsets.npy")
        frames, joints = int(header["frames"]), int(header["joints"])
        version, stored_fp = header["version"], header["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable header or offsets (corrupt)"
    if version != VERSION:
        return f"store version {version}, this signgen writes {VERSION}"
    from .pose.skeleton import num_joints

    if joints != num_joints():
        return f"store has {joints} joints, the canonical skeleton {num_joints()}"
    if stored_fp != fp or header.get("samples") != samples:
        return "stale (manifest rows or pose files changed)"
    sizes = {"x.bin": frames * joints * 3 * X_DTYPE.itemsize, "mask.bin": frames * joints * MASK_DTYPE.itemsize}
    for name, size in sizes.items():
        path = directory / name
        if (path.stat().st_size if path.exists() else -1) != size:
            return f"{name} is not {size} bytes (corrupt or truncated)"
    if offsets.shape != (samples + 1,) or offsets[0] != 0 or offsets[-1] != frames or (np.diff(offsets) < 0).any():
        return "offsets do not match the header (corrupt)"
    return None


@contextmanager
def _locked(root: Path):
    """One builder at a time per corpus (e.g. the processes of `accelerate launch` on one node)."""
    with open(root / LOCK_FILE, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def open_store(corpus: "Corpus", progress: bool = False) -> PoseStore:
    """The corpus's store, built first (or rebuilt) when missing, stale or corrupt."""
    root = corpus.root
    directory = root / STORE_DIR
    fp = fingerprint(corpus)
    reason = _check(directory, fp, len(corpus.samples))
    if reason is None:
        return PoseStore(directory, json.loads((directory / HEADER).read_text(encoding="utf-8")))
    if not os.access(root, os.W_OK):
        raise SigngenError(f"{directory}: {reason}, and {root} is not writable; train once as a user who can write it "
                           "(that builds the store) or copy the corpus somewhere writable")
    with _locked(root):
        if _check(directory, fp, len(corpus.samples)) is not None:  # another process may have built it meanwhile
            build_store(corpus, fp, progress=progress)
    return PoseStore(directory, json.loads((directory / HEADER).read_text(encoding="utf-8")))


def build_store(corpus: "Corpus", fp: str | None = None, progress: bool = False, limit: int | None = None) -> bool:
    """Write the store from the `.pose` files, resuming a partial build of the same fingerprint. With `limit`,
    stop after that many new samples and leave the partial build for the next call (e.g. a job time slot).
    Returns True when the store is complete. Callers other than `open_store` hold no lock: run one at a time."""
    from .progress import progress_bar

    from .pose.skeleton import num_joints

    root = corpus.root
    fp = fp or fingerprint(corpus)
    partial, directory = root / PARTIAL_DIR, root / STORE_DIR
    state = _partial_state(partial, fp)
    if state is None:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        state = {"version": VERSION, "fingerprint": fp, "done": 0, "lengths": []}
    done, lengths = state["done"], state["lengths"]
    joints = num_joints()
    frames = int(sum(lengths))
    with open(partial / "x.bin", "ab") as fx, open(partial / "mask.bin", "ab") as fm:
        # drop whatever an interrupted run wrote after its last progress record
        fx.truncate(frames * joints * 3 * X_DTYPE.itemsize)
        fm.truncate(frames * joints * MASK_DTYPE.itemsize)
        bar = progress_bar(total=len(corpus.samples), initial=done, desc="store", unit="sample", disable=not progress)
        for s in corpus.samples[done : len(corpus.samples) if limit is None else done + limit]:
            x, mask = corpus.load(s)  # (T, J, 3) float32, (T, J) bool
            fx.write(np.ascontiguousarray(x, X_DTYPE).tobytes())
            fm.write(np.ascontiguousarray(mask, MASK_DTYPE).tobytes())
            lengths.append(len(x))
            done += 1
            bar.update(1)
            if done % SYNC_EVERY == 0:
                _record(partial, state, fx, fm, done, lengths)
        bar.close()
        _record(partial, state, fx, fm, done, lengths)
    if done < len(corpus.samples):
        return False
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
    np.save(partial / "offsets.npy", offsets)
    header = {"version": VERSION, "fingerprint": fp, "samples": len(lengths), "frames": int(offsets[-1]),
              "joints": joints, "x": {"file": "x.bin", "dtype": X_DTYPE.str, "shape": "frames, joints, 3"},
              "mask": {"file": "mask.bin", "dtype": MASK_DTYPE.str, "shape": "frames, joints"}, "order": "manifest rows"}
    atomic_write_text(partial / HEADER, json.dumps(header, indent=1))
    (partial / "progress.json").unlink()
    old = root / ".store.old"
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        os.replace(directory, old)
    os.replace(partial, directory)
    shutil.rmtree(old, ignore_errors=True)
    return True


def _partial_state(partial: Path, fp: str) -> dict | None:
    try:
        state = json.loads((partial / "progress.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = state.get("version") == VERSION and state.get("fingerprint") == fp and state.get("done") == len(state.get("lengths", []))
    return state if ok else None


def _record(partial: Path, state: dict, fx, fm, done: int, lengths: list[int]) -> None:
    """Make the written arrays durable, then record how far they go."""
    for f in (fx, fm):
        f.flush()
        os.fsync(f.fileno())
    atomic_write_text(partial / "progress.json", json.dumps({**state, "done": done, "lengths": lengths}))
