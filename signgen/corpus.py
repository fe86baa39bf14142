"""The corpus layout every training stage reads.

    <corpus>/
      manifest.csv        one row per sample (MANIFEST_COLUMNS; `durations` may be absent or empty)
      poses/<id>.pose     canonical poses (178 points, 3D, 25 fps, normalized)
      stats.safetensors   per-joint mean/std over the train split
      corpus.json         layout_version, and how it was built (builder, config, counts)

Whatever built the corpus (the starter builder, video extraction, importers), training sees only this.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import SigngenError
from .pose.io import atomic_write_text, read_pose
from .pose.tensors import NormStats, pose_to_array

MANIFEST = "manifest.csv"
INFO = "corpus.json"
LAYOUT_VERSION = 1  # of this layout; corpus.json records the version that wrote a corpus
SPLITS = ("train", "val", "test")


@dataclass
class Sample:
    id: str
    split: str
    text: str
    spoken_language: str
    signed_language: str
    pose_path: str  # relative to the corpus root
    frames: int
    fps: float
    source: str
    # Frames spent on each character of the (whitespace-normalized) text, space-separated, when the builder
    # knows the letter timing (the starter corpus does; extracted video does not). Optional.
    durations: str = ""

    def char_durations(self) -> np.ndarray | None:
        """(len(text),) frames per character, or None when the corpus has no letter timing for this sample."""
        return np.array([float(v) for v in self.durations.split()], np.float32) if self.durations.strip() else None


MANIFEST_COLUMNS = [f.name for f in fields(Sample)]
OPTIONAL_COLUMNS = {"durations"}


def hash_unit(*parts) -> float:
    """A number in [0, 1) fixed by `parts` (sha256 of them joined by ':'): the same on every machine and run."""
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big") / 2**64


def hash_seed(*parts) -> int:
    """A 32-bit seed fixed by `parts` (sha1 of them joined by ':'), e.g. (seed, step, rank) for a training
    batch's random numbers: the same on every machine, run and worker."""
    return int(hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def text_digest(text: str) -> str:
    """10 hex digits of the sha1 of `text` (UTF-8): the part of a built sample's id that names its text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def hash_split(key: str, seed, val_fraction: float, test_fraction: float) -> str:
    """The split of `key` (a word, say) in a split by hash: test, val or train, the same in every corpus built
    with the same seed and fractions."""
    u = hash_unit(seed, key)
    return "test" if u < test_fraction else "val" if u < test_fraction + val_fraction else "train"


def format_durations(durations) -> str:
    return " ".join(f"{float(v):.2f}".rstrip("0").rstrip(".") for v in durations)


def write_manifest(root: str | Path, samples: list[Sample]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in samples:
        writer.writerow(asdict(s))
    atomic_write_text(Path(root) / MANIFEST, buf.getvalue())


def read_manifest(path: str | Path) -> list[Sample]:
    path = Path(path)
    if not path.exists():
        raise SigngenError(f"{path}: no manifest; build a corpus first (e.g. `signgen data starter -o DIR`)")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = set(MANIFEST_COLUMNS) - OPTIONAL_COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise SigngenError(f"{path}: manifest lacks columns {sorted(missing)}")
        samples = []
        for line, row in enumerate(reader, start=2):
            try:
                samples.append(Sample(**{k: row[k] or "" for k in MANIFEST_COLUMNS if k in row}))
                samples[-1].frames = int(row["frames"])
                samples[-1].fps = float(row["fps"])
                durations = samples[-1].char_durations()
            except (TypeError, ValueError):
                raise SigngenError(f"{path}:{line}: bad manifest row (frames/fps/durations must be numbers); fix or rebuild it") from None
            if durations is not None:
                text = " ".join(samples[-1].text.split())
                if len(durations) != len(text) or abs(durations.sum() - samples[-1].frames) > 1 or (durations < 0).any():
                    raise SigngenError(
                        f"{path}:{line}: durations need one non-negative value per character of {text!r} ({len(text)}), "
                        f"summing to frames ({samples[-1].frames}); fix the row or leave durations empty"
                    )
    return samples


class Corpus:
    """A corpus directory: samples by split, their canonical arrays, and train-split statistics."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise SigngenError(f"{self.root}: corpus directory not found")
        self.samples = read_manifest(self.root / MANIFEST)
        info_path = self.root / INFO
        self.info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
        version = self.info.get("layout_version", LAYOUT_VERSION)  # a hand-made corpus may have no corpus.json
        if version != LAYOUT_VERSION:
            raise SigngenError(f"{self.root}: corpus layout version {version}, this signgen reads {LAYOUT_VERSION}; "
                               "rebuild the corpus with this signgen")
        self._store = None

    def split(self, name: str) -> list[Sample]:
        rows = [s for s in self.samples if s.split == name]
        if not rows:
            have = sorted({s.split for s in self.samples})
            raise SigngenError(f"{self.root}: corpus has no '{name}' split (it has {have})")
        return rows

    @property
    def signed_languages(self) -> list[str]:
        return sorted({s.signed_language for s in self.samples})

    def pose_file(self, sample: Sample) -> Path:
        return self.root / sample.pose_path

    def load(self, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
        path = self.pose_file(sample)
        return pose_to_array(read_pose(path), source=str(path))

    def store(self, progress: bool = False):
        """Every sample's arrays in one store (`signgen.store`), built or refreshed first if missing or stale."""
        from .store import open_store

        if self._store is None:
            self._store = open_store(self, progress=progress)
        return self._store

    def split_arrays(self, split: str, progress: bool = False):
        """The split as a `signgen.store.SplitArrays`: a sequence of (text, signed_language, x, mask) whose arrays
        are read from the store when an item is taken."""
        from .store import SplitArrays

        self.split(split)  # names a missing split
        store = self.store(progress=progress)
        rows = [i for i, s in enumerate(self.samples) if s.split == split]
        return SplitArrays(store, rows, [self.samples[i].text for i in rows], [self.samples[i].signed_language for i in rows])

    def iter_arrays(self, split: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for s in self.split(split):
            yield self.load(s)

    @property
    def stats(self) -> NormStats:
        return NormStats.load(self.root)


def finalize(root: str | Path, samples: list[Sample], info: dict, stats_split: str | None = "train") -> Corpus:
    """Write manifest, statistics of `stats_split` (None: of every sample) and build info; return the corpus."""
    root = Path(root)
    order = {s: i for i, s in enumerate(SPLITS)}
    samples = sorted(samples, key=lambda s: (order.get(s.split, 99), s.id))
    write_manifest(root, samples)
    corpus = Corpus(root)
    if stats_split is None:  # statistics of every sample (an evaluation-only corpus)
        NormStats.from_arrays(corpus.load(s) for s in corpus.samples).save(root)
    elif any(s.split == stats_split for s in samples):  # a corpus of val/test only (e.g. one imported split) has none
        NormStats.from_arrays(corpus.iter_arrays(stats_split)).save(root)
    counts = {split: sum(s.split == split for s in samples) for split in sorted({s.split for s in samples})}
    atomic_write_text(root / INFO, json.dumps({"layout_version": LAYOUT_VERSION, **info, "counts": counts}, indent=2, ensure_ascii=False))
    return Corpus(root)
