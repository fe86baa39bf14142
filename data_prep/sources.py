"""Readers that turn a data set's annotation files into a list of `Clip`s to import.

A reader checks what can be checked without decoding media: the CSV is readable and has its columns, each
row's file exists and its timestamps are numbers. A bad file (missing, not UTF-8, no rows, wrong columns)
raises `SigngenError`; a bad row becomes a `Problem`, reported in the failures report while the other rows
are imported.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from signgen.errors import SigngenError

HOW2SIGN_COLUMNS = ["VIDEO_ID", "VIDEO_NAME", "SENTENCE_ID", "SENTENCE_NAME", "START_REALIGNED", "END_REALIGNED", "SENTENCE"]
PHOENIX_COLUMNS = ["name", "video", "start", "end", "speaker", "orth", "translation"]
PHOENIX_FRAMES = Path("features") / "fullFrame-210x260px"
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")
SPLITS = ("train", "val", "test")
# How2Sign as released: one folder per split below the dataset root, named by the split of the CSV
# (how2sign_realigned_val.csv -> val_rgb_front_clips/raw_videos/); first existing pattern wins.
HOW2SIGN_CLIP_FOLDERS = ("{split}_rgb_front_clips/raw_videos",)
HOW2SIGN_OPENPOSE_FOLDERS = ("{split}_2D_keypoints/openpose_output/json",
                             "sentence_level/{split}/rgb_front/features/openpose_output/json")


@dataclass
class Clip:
    """One sample to import: a media source (`kind`) and its transcript."""

    id: str
    text: str
    split: str  # train / val / test, or "" to assign a deterministic hash split
    kind: str  # video | frames | openpose | pose
    path: str
    start: Optional[float] = None  # seconds into the video (full videos plus timestamps)
    end: Optional[float] = None
    signer: str = ""
    fps: float = 0.0  # frame rate of frame folders and OpenPose JSON folders (videos carry their own)
    origin: str = ""  # where the row came from, e.g. "how2sign_realigned_val.csv:3"


@dataclass
class Problem:
    """A row that cannot be imported; it goes to the failures report."""

    id: str
    input: str
    reason: str
    malformed: bool = False  # the row itself must be fixed (e.g. a timestamp that is not a number)


def clean_text(text: str) -> str:
    """NFC-normalize, drop control and format characters (NUL, zero-width, BOM), collapse whitespace."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return " ".join(text.split())


def safe_id(name: str) -> str:
    """A file-system safe sample id; names that had to change get a short hash so they stay unique."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", unicodedata.normalize("NFC", name)).strip("._")[:120]
    if cleaned == name and cleaned:
        return cleaned
    return f"{cleaned or 'clip'}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"


def split_from_name(path: Path) -> str:
    """`how2sign_realigned_val.csv` -> val, `PHOENIX-2014-T.dev.corpus.csv` -> val; "" if the name has none."""
    tokens = re.split(r"[^a-z]+", path.name.lower())
    for token, split in (("train", "train"), ("val", "val"), ("dev", "val"), ("test", "test")):
        if token in tokens:
            return split
    return ""


def read_table(path: str | Path, delimiter: str, required: list[str], quoting: int = csv.QUOTE_MINIMAL) -> list[dict]:
    """Rows of a delimited UTF-8 file as dicts (plus `_line`); one-line errors for unusable files."""
    path = Path(path)
    if not path.is_file():
        raise SigngenError(f"{path}: annotation file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SigngenError(f"{path}: not UTF-8 text; re-save it as UTF-8") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise SigngenError(f"{path}: empty file; it needs a header row ({delimiter.join(required)}) and one row per clip")
    reader = csv.DictReader(lines, delimiter=delimiter, quoting=quoting)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        sep = "TAB" if delimiter == "\t" else repr(delimiter)
        raise SigngenError(f"{path}: missing columns {missing} (found {header[:8]}); the file must be {sep}-separated with a header row")
    rows = []
    for line, row in enumerate(reader, start=2):
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        row["_line"] = line
        rows.append(row)
    if not rows:
        raise SigngenError(f"{path}: has a header but no rows; add one row per clip")
    return rows


class MalformedRow(ValueError):
    """A row whose values cannot be right (bad timestamps): reported like other rows, then the import exits 2."""


def _seconds(value: str | None, column: str) -> float:
    try:
        t = float((value or "").strip())
    except ValueError:
        raise MalformedRow(f"{column} {value!r} is not a number of seconds") from None
    if not t >= 0 or t == float("inf"):
        raise MalformedRow(f"{column} {value!r} must be a finite time >= 0 seconds")
    return t


def _times(row: dict, start_col: str, end_col: str) -> tuple[float, float]:
    start, end = _seconds(row.get(start_col), start_col), _seconds(row.get(end_col), end_col)
    if end <= start:
        raise MalformedRow(f"{end_col} {end} is not after {start_col} {start}")
    return start, end


def split_folders(csv_paths: list[str | Path], root: str | Path, patterns: tuple[str, ...], what: str) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Pair each annotation CSV with the folder holding its media. `root` is that folder itself, or a dataset
    root with one folder per split (`patterns`, e.g. `{split}_rgb_front_clips/raw_videos`, the split taken from
    the CSV's name). Under a dataset root a CSV whose split folder is missing is left out and described, in one
    line, in the second list."""
    root = Path(root)
    if not root.is_dir():
        raise SigngenError(f"{root}: {what} folder not found; pass the folder holding the {what} files, or the dataset root")
    csv_paths = [Path(c) for c in csv_paths]

    def candidates(split: str) -> list[Path]:
        return [root / pattern.format(split=split) for pattern in patterns]

    if not any(p.is_dir() for split in SPLITS for p in candidates(split)):
        return [(c, root) for c in csv_paths], []
    pairs, missing = [], []
    for c in csv_paths:
        split = split_from_name(c)
        if not split:
            raise SigngenError(f"{c}: cannot tell the split from the name, so its folder below {root} is unknown; "
                               "name it how2sign_realigned_{train,val,test}.csv")
        found = next((p for p in candidates(split) if p.is_dir()), None)
        if found is None:
            missing.append(f"{candidates(split)[0]}: not found, so {c.name} ({split} split) was not imported; "
                           f"put the {split} split's {what} files there and re-run the same command")
        else:
            pairs.append((c, found))
    return pairs, missing


def _find_video(folder: Path, stem: str) -> Optional[Path]:
    for suffix in VIDEO_SUFFIXES:
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    return None


def _how2sign_rows(csv_paths: list[str | Path]):
    """Every row of How2Sign realigned CSVs as (split, origin, SENTENCE_NAME, sample id, cleaned text, row)."""
    for csv_path in csv_paths:
        csv_path = Path(csv_path)
        split = split_from_name(csv_path)
        for row in read_table(csv_path, "\t", HOW2SIGN_COLUMNS, quoting=csv.QUOTE_NONE):
            name = (row["SENTENCE_NAME"] or "").strip()
            sid = safe_id(name) if name else f"row-{row['_line']}"
            yield split, f"{csv_path.name}:{row['_line']}", name, sid, clean_text(row["SENTENCE"] or ""), row


def _present(pairs: list[tuple[Path, Path]], missing: list[str]) -> list[tuple[Path, Path]]:
    if missing:
        raise SigngenError(missing[0])
    return pairs


def read_how2sign(csv_paths: list[str | Path], videos: str | Path, full_videos: bool = False) -> tuple[list[Clip], list[Problem]]:
    """How2Sign realigned CSVs (TAB). Clips: `{videos}/{SENTENCE_NAME}.mp4`, where `videos` is the clip folder or
    the dataset root (`{split}_rgb_front_clips/raw_videos/` per CSV); full videos: `{videos}/{VIDEO_NAME}.mp4`
    cut at the timestamps."""
    patterns = () if full_videos else HOW2SIGN_CLIP_FOLDERS
    rows = [(folder, *row) for csv_path, folder in _present(*split_folders(csv_paths, videos, patterns, "video"))
            for row in _how2sign_rows([csv_path])]
    clips, problems = [], []
    for folder, split, origin, name, sid, text, row in rows:
        try:
            if not name:
                raise ValueError("SENTENCE_NAME is empty")
            if not text:
                raise ValueError("SENTENCE is empty")
            start = end = None
            if full_videos:
                start, end = _times(row, "START_REALIGNED", "END_REALIGNED")
                stem = (row["VIDEO_NAME"] or "").strip()
            else:
                stem = name
            video = _find_video(folder, stem)
            if video is None:
                raise ValueError(f"no video {folder / (stem + '.mp4')}")
        except ValueError as e:
            problems.append(Problem(sid, origin, str(e), isinstance(e, MalformedRow)))
            continue
        clips.append(Clip(sid, text, split, "video", str(video), start, end, "", 0.0, origin))
    return clips, problems


def read_how2sign_openpose(csv_paths: list[str | Path], json_root: str | Path, fps: float) -> tuple[list[Clip], list[Problem]]:
    """How2Sign's released OpenPose keypoints: `{json_root}/{SENTENCE_NAME}/{SENTENCE_NAME}_000000000000_keypoints.json`,
    where `json_root` is openpose_output/json or the dataset root (`{split}_2D_keypoints/openpose_output/json/` per CSV)."""
    clips, problems = [], []
    for csv_path, json_dir in _present(*split_folders(csv_paths, json_root, HOW2SIGN_OPENPOSE_FOLDERS, "OpenPose JSON")):
        for split, origin, name, sid, text, _ in _how2sign_rows([csv_path]):
            folder = json_dir / name
            if not name or not text:
                problems.append(Problem(sid, origin, "SENTENCE_NAME or SENTENCE is empty"))
            elif not folder.is_dir():
                problems.append(Problem(sid, origin, f"no OpenPose folder {folder}"))
            else:
                clips.append(Clip(sid, text, split, "openpose", str(folder), None, None, "", fps, origin))
    return clips, problems


def read_phoenix(csv_paths: list[str | Path], frames_root: str | Path, fps: float = 25.0) -> tuple[list[Clip], list[Problem]]:
    """PHOENIX-2014-T (pipe-separated `name|video|start|end|speaker|orth|translation`), frames in `{frames_root}/{split}/{name}/`."""
    frames_root = Path(frames_root)
    if not frames_root.is_dir():
        raise SigngenError(f"{frames_root}: frame folder not found; pass {PHOENIX_FRAMES} of the PHOENIX-2014-T release")
    clips, problems = [], []
    for csv_path in csv_paths:
        csv_path = Path(csv_path)
        split = split_from_name(csv_path)
        if not split:
            raise SigngenError(f"{csv_path}: cannot tell the split from the name; expect PHOENIX-2014-T.{{train,dev,test}}.corpus.csv")
        folder_split = "dev" if split == "val" else split
        for row in read_table(csv_path, "|", PHOENIX_COLUMNS, quoting=csv.QUOTE_NONE):
            origin = f"{csv_path.name}:{row['_line']}"
            name = (row["name"] or "").strip()
            sid = safe_id(name) if name else f"row-{row['_line']}"
            text = clean_text(row["translation"] or "")
            folder = frames_root / folder_split / name
            if not name or not text:
                problems.append(Problem(sid, origin, "name or translation is empty"))
            elif not folder.is_dir():
                problems.append(Problem(sid, origin, f"no frame folder {folder}"))
            else:
                clips.append(Clip(sid, text, split, "frames", str(folder), None, None, (row["speaker"] or "").strip(), fps, origin))
    return clips, problems


def phoenix_csvs(root: str | Path) -> list[Path]:
    """The annotation CSVs of a PHOENIX-2014-T release folder."""
    found = sorted(Path(root).rglob("PHOENIX-2014-T.*.corpus.csv"))
    if not found:
        raise SigngenError(f"{root}: no PHOENIX-2014-T.{{train,dev,test}}.corpus.csv below it; pass --csv files explicitly")
    return found


def _kind_of(path: Path) -> str:
    if path.is_dir():
        return "openpose" if any(path.glob("*_keypoints.json")) else "frames"
    return "pose" if path.suffix.lower() == ".pose" else "video"


def read_generic(csv_path: str | Path, root: str | Path | None = None, fps: float = 25.0) -> tuple[list[Clip], list[Problem]]:
    """A CSV `path,text[,start,end][,split][,signer]`; `path` (relative to `root`, default the CSV's folder) is a video,
    a folder of frames, a folder of OpenPose JSON files or an existing `.pose` file."""
    csv_path = Path(csv_path)
    root = Path(root) if root else csv_path.parent
    if not root.is_dir():
        raise SigngenError(f"{root}: media folder not found")
    rows = read_table(csv_path, ",", ["path", "text"])
    clips, problems, seen = [], [], set()
    for row in rows:
        origin = f"{csv_path.name}:{row['_line']}"
        rel = (row.get("path") or "").strip()
        text = clean_text(row.get("text") or "")
        split = (row.get("split") or "").strip().lower()
        split = {"dev": "val", "valid": "val", "validation": "val"}.get(split, split)
        start_raw, end_raw = (row.get("start") or "").strip(), (row.get("end") or "").strip()
        stem = Path(rel).with_suffix("").as_posix() if rel else f"row-{row['_line']}"
        sid = safe_id(stem.replace("/", "_") + (f"_{start_raw}_{end_raw}" if start_raw or end_raw else ""))
        try:
            if not rel:
                raise ValueError("path is empty")
            if not text:
                raise ValueError("text is empty")
            if split not in ("", "train", "val", "test"):
                raise ValueError(f"split {split!r} is not train, val or test")
            start = end = None
            if start_raw or end_raw:
                start, end = _times(row, "start", "end")
            path = root / rel
            if not path.exists():
                raise ValueError(f"no such file {path}")
            if sid in seen:
                raise ValueError(f"duplicate row (same path and times as an earlier row, id {sid})")
        except ValueError as e:
            problems.append(Problem(sid, origin, str(e), isinstance(e, MalformedRow)))
            continue
        seen.add(sid)
        kind = _kind_of(path)
        if start is not None and kind != "video":
            problems.append(Problem(sid, origin, f"start/end apply only to videos, not to a {kind} source"))
            continue
        clips.append(Clip(sid, text, split, kind, str(path), start, end, (row.get("signer") or "").strip(), fps, origin))
    return clips, problems
