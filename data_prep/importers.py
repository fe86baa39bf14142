"""Corpus importers by name: each is a config dataclass and a reader `read(cfg) -> Found` (clips to import,
unusable rows, missing split folders); `import_corpus(name, output, ...)` reads and prepares in one call.

    from data_prep.importers import import_corpus
    report = import_corpus("how2sign", "corpora/h2s", csv=["how2sign_realigned_val.csv"], videos="h2s")
    report.check()  # one-line error for missing split folders or malformed rows (the rest is kept)

A new importer is one file that defines its config and reader and calls `IMPORTERS.register(name, read, Config,
languages=(spoken, signed))`; `signgen data import NAME -o DIR key=value ...` then runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from signgen.errors import SigngenError
from signgen.registry import Registry

from . import sources
from .sources import Clip, Problem

IMPORTERS = Registry("corpus importer", "signgen.importers", presets="import")


@dataclass
class Found:
    """What a reader found: clips to import, rows that cannot be, and split folders absent from a dataset root."""

    clips: list[Clip]
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class How2SignImport:
    csv: list[str] = field(default_factory=list)  # how2sign_realigned_{train,val,test}.csv (split from the name)
    videos: str = ""  # folder of clips {SENTENCE_NAME}.mp4 (or full videos {VIDEO_NAME}.mp4), or the dataset root
    full_videos: bool = False  # videos are full recordings: cut at START/END_REALIGNED


def read_how2sign(cfg: How2SignImport) -> Found:
    patterns = () if cfg.full_videos else sources.HOW2SIGN_CLIP_FOLDERS
    pairs, missing = sources.split_folders(cfg.csv, cfg.videos, patterns, "video")
    clips, problems = sources.read_how2sign([c for c, _ in pairs], cfg.videos, full_videos=cfg.full_videos) if pairs else ([], [])
    return Found(clips, problems, missing)


@dataclass
class OpenPoseImport:
    csv: list[str] = field(default_factory=list)  # how2sign_realigned_{train,val,test}.csv
    json: str = ""  # openpose_output/json (one folder per SENTENCE_NAME), or the dataset root
    fps: float = 24.0  # frame rate of the keypoints


def read_openpose(cfg: OpenPoseImport) -> Found:
    pairs, missing = sources.split_folders(cfg.csv, cfg.json, sources.HOW2SIGN_OPENPOSE_FOLDERS, "OpenPose JSON")
    clips, problems = sources.read_how2sign_openpose([c for c, _ in pairs], cfg.json, fps=cfg.fps) if pairs else ([], [])
    return Found(clips, problems, missing)


@dataclass
class PhoenixImport:
    root: str = ""  # the PHOENIX-2014-T release folder
    csv: Optional[list[str]] = None  # annotation CSVs (default: found below root)
    frames: Optional[str] = None  # frame folder (default: ROOT/features/fullFrame-210x260px)
    fps: float = 25.0


def read_phoenix(cfg: PhoenixImport) -> Found:
    root = Path(cfg.root)
    csvs = cfg.csv or sources.phoenix_csvs(root)
    return Found(*sources.read_phoenix(csvs, cfg.frames or root / sources.PHOENIX_FRAMES, fps=cfg.fps))


@dataclass
class GenericImport:
    csv: str = ""  # path,text[,start,end][,split][,signer] of videos, frame folders, OpenPose JSON folders or .pose files
    root: Optional[str] = None  # folder the paths are relative to (default: the CSV's folder)
    fps: float = 25.0  # frame rate of frame folders and OpenPose folders


def read_generic(cfg: GenericImport) -> Found:
    return Found(*sources.read_generic(cfg.csv, cfg.root, fps=cfg.fps))


IMPORTERS.register("how2sign", read_how2sign, How2SignImport, languages=("en", "ase"),
                   help="How2Sign realigned CSVs + sentence clips (or full videos + timestamps)")
IMPORTERS.register("openpose", read_openpose, OpenPoseImport, languages=("en", "ase"),
                   help="How2Sign's released OpenPose JSON keypoints (no extraction)")
IMPORTERS.register("phoenix", read_phoenix, PhoenixImport, languages=("de", "gsg"),
                   help="PHOENIX-2014-T: pipe-separated CSVs + PNG frame folders")
IMPORTERS.register("generic", read_generic, GenericImport, languages=("", ""),
                   help="a CSV of videos, frame folders, OpenPose JSON folders or .pose files")


@dataclass
class ImportReport:
    """The outcome of `import_corpus`: what was found and the prepared corpus (`prep.PrepResult`)."""

    output: Path
    found: Found
    result: object

    def check(self) -> None:
        """One-line SigngenError for split folders that were missing or rows that must be fixed; every clip that
        could be imported is already in the corpus."""
        kept = f"the other clips are imported and kept in {self.output}"
        if self.found.missing:
            raise SigngenError(f"{self.found.missing[0]}; {kept}")
        malformed = [p for p in self.found.problems if p.malformed]
        if malformed:
            more = f" ({len(malformed)} such rows, listed in {self.output / 'failures.csv'})" if len(malformed) > 1 else ""
            raise SigngenError(f"{malformed[0].input}: {malformed[0].reason}{more}; fix the row and re-run the same command; {kept}")


def import_corpus(name: str, output: str | Path, prep=None, progress: bool = True, say=print, **fields) -> ImportReport:
    """Read a data set with importer `name` (its config from `fields`) and prepare it into corpus `output`
    (`prep.prepare`, resumable). `prep` is a `PrepConfig` (default: its defaults); its languages default to the
    importer's."""
    from .prep import PrepConfig, prepare

    entry = IMPORTERS.get(name)
    cfg = IMPORTERS.configure(name, **fields)
    prep = prep or PrepConfig()
    spoken, signed = entry.extra.get("languages", ("", ""))
    prep.spoken_language, prep.signed_language = prep.spoken_language or spoken, prep.signed_language or signed
    prep.check()
    found = entry.build(cfg)
    if found.missing and not found.clips:
        raise SigngenError(found.missing[0])
    output = Path(output)
    say(f"{len(found.clips)} clips to import, {len(found.problems)} rows unusable (listed in {output / 'failures.csv'})")
    result = prepare(found.clips, found.problems, output, prep, builder=f"data_prep.{name}", progress=progress)
    return ImportReport(output, found, result)
