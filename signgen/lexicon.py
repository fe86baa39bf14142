"""Lexicons of recorded signs, and the composer that joins their clips into one canonical pose.

A lexicon is a directory in spoken-to-signed's CSV layout (the one sign.mt's lexicons use):

    <lexicon>/index.csv   path,spoken_language,signed_language,start,end,words,glosses,priority
    <lexicon>/<path>      the .pose files (any skeleton `signgen.pose.to_canonical` reads); start/end in ms
                          cut a sign out of a longer recording (end 0 = to the end)

`Lexicon.builtin()` is spoken-to-signed's bundled fingerspelling lexicon: real signers, one clip per letter
(and some digits and multi-character letters such as "sch" or "ll") in every language pair it has.

Every clip is converted once to canonical arrays and trimmed to its active span (a wrist above its elbow,
plus a few frames either side). `compose` joins clips in numpy: each clip is resampled to the frames asked
for, neighbours are joined where their hands are closest and bridged by interpolated frames. It costs about a
millisecond per word, so training data can be composed on the fly.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import SigngenError
from .pose.skeleton import component_slices, joint_index, num_joints

INDEX = "index.csv"
INDEX_COLUMNS = ["path", "spoken_language", "signed_language", "start", "end", "words", "glosses", "priority"]
TRIM_MARGIN = 5  # frames kept either side of the active span


@dataclass(frozen=True)
class Entry:
    path: str
    spoken_language: str
    signed_language: str
    start_ms: int
    end_ms: int
    words: str
    priority: int


@dataclass
class Clip:
    """One lexicon entry as canonical arrays, trimmed to its active span."""

    key: str
    x: np.ndarray  # (T, J, 3) float32
    mask: np.ndarray  # (T, J) bool
    lead: tuple[np.ndarray, np.ndarray] | None = None  # the recording's frames before the active span (hand rising)
    tail: tuple[np.ndarray, np.ndarray] | None = None  # and after it (hand lowering)

    def __len__(self) -> int:
        return len(self.x)


class Lexicon:
    """Entries of one lexicon directory, by language pair and (lower-case) text."""

    def __init__(self, root: str | Path, entries: list[Entry], name: str = ""):
        self.root = Path(root)
        self.name = name or self.root.name
        self.index: dict[tuple[str, str], dict[str, Entry]] = {}
        for e in sorted(entries, key=lambda e: e.priority):  # lower priority value wins, as in spoken-to-signed
            self.index.setdefault((e.spoken_language, e.signed_language), {}).setdefault(e.words.lower(), e)
        self._keys = {pair: sorted(words, key=len, reverse=True) for pair, words in self.index.items()}
        self._clips: dict[tuple[str, str, str], Clip] = {}

    # ---- loading ------------------------------------------------------------------------------
    @classmethod
    def from_dir(cls, directory: str | Path) -> "Lexicon":
        root = Path(directory)
        index = root / INDEX
        if not index.is_file():
            raise SigngenError(f"lexicon {root}: no {INDEX}; a lexicon is a folder with index.csv "
                               f"({','.join(INDEX_COLUMNS)}) and its .pose files")
        with open(index, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("path", "spoken_language", "signed_language", "words") if c not in (reader.fieldnames or [])]
            if missing:
                raise SigngenError(f"{index}: missing columns {missing}; the header must be {','.join(INDEX_COLUMNS)}")
            entries = []
            for line, row in enumerate(reader, start=2):
                try:
                    entries.append(Entry(row["path"], row["spoken_language"], row["signed_language"],
                                         int(row.get("start") or 0), int(row.get("end") or 0), row["words"].strip(),
                                         int(row.get("priority") or 0)))
                except (TypeError, ValueError):
                    raise SigngenError(f"{index}:{line}: start, end and priority must be whole numbers; fix the row") from None
                if not entries[-1].words or not entries[-1].path:
                    raise SigngenError(f"{index}:{line}: empty path or words; fix or remove the row")
        if not entries:
            raise SigngenError(f"{index}: no entries; add rows or leave out --lexicon")
        return cls(root, entries)

    @classmethod
    def builtin(cls) -> "Lexicon":
        """spoken-to-signed's fingerspelling lexicon (real signers, every language pair it has)."""
        return _builtin()

    # ---- what it covers -------------------------------------------------------------------------
    @property
    def pairs(self) -> list[str]:
        return sorted(f"{s}-{g}" for s, g in self.index)

    def has_pair(self, spoken: str, signed: str) -> bool:
        return (spoken, signed) in self.index

    def keys(self, spoken: str, signed: str) -> list[str]:
        """Every entry text of a pair, longest first (the order a lookup tries them)."""
        return self._keys.get((spoken, signed), [])

    def letters(self, spoken: str, signed: str) -> set[str]:
        """The single characters this lexicon spells with in a pair."""
        return {k for k in self.keys(spoken, signed) if len(k) == 1}

    def spell(self, word: str, spoken: str, signed: str) -> list[str]:
        """The entries that spell `word`, in order: the longest entry found first, then the rest on each side
        (spoken-to-signed's rule, so "schule" is SCH-U-L-E in DGS-CH and "ll" one letter in LSE)."""
        keys = self.keys(spoken, signed)
        if not keys:
            raise SigngenError(f"lexicon {self.name} has no {spoken}-{signed} entries; pairs: {', '.join(self.pairs)}")
        word = word.lower()
        out: list[str] = []

        def split(w: str) -> None:
            if not w:
                return
            for key in keys:
                i = w.find(key)
                if i >= 0:
                    split(w[:i])
                    out.append(key)
                    split(w[i + len(key):])
                    return
            bad = sorted({c for c in w if c not in self.letters(spoken, signed)}) or [w]
            raise SigngenError(f"'{word}': {''.join(bad)!r} has no {spoken}-{signed} entry in lexicon {self.name}; "
                               "remove or respell it")

        split(word)
        return out

    def double_letters(self, text: str, spoken: str, signed: str) -> list[int]:
        """Character positions i of `text` where a letter is followed by the same letter ("hello": [2]). A
        multi-character entry (Spanish "ll") is one letter, not a double."""
        out, pos = [], 0
        for word in text.split(" "):
            keys = self.spell(word, spoken, signed) if word else []
            starts = np.cumsum([0] + [len(k) for k in keys])
            out += [pos + int(starts[k]) for k in range(len(keys) - 1) if keys[k] == keys[k + 1] and len(keys[k]) == 1]
            pos += len(word) + 1
        return out

    # ---- clips ----------------------------------------------------------------------------------
    def clip(self, key: str, spoken: str, signed: str) -> Clip:
        cache_key = (spoken, signed, key)
        if cache_key not in self._clips:
            entry = self.index.get((spoken, signed), {}).get(key)
            if entry is None:
                raise SigngenError(f"lexicon {self.name}: no {spoken}-{signed} entry for {key!r}")
            self._clips[cache_key] = _load_clip(self.root, entry, key)
        return self._clips[cache_key]


@lru_cache(maxsize=1)
def _builtin() -> Lexicon:
    import spoken_to_signed

    root = Path(spoken_to_signed.__file__).parent / "assets" / "fingerspelling_lexicon"
    lex = Lexicon.from_dir(root)
    lex.name = "spoken-to-signed fingerspelling"
    return lex


def _load_clip(root: Path, entry: Entry, key: str) -> Clip:
    from pose_format import Pose

    from .pose import canonical, read_pose
    from .pose.tensors import pose_to_array

    path = root / entry.path
    if not path.is_file():
        raise SigngenError(f"lexicon {root}: {entry.path} (for {entry.words!r}) is missing; restore it or remove its row")
    try:
        pose = read_pose(path)
    except SigngenError:
        raise
    except Exception:
        raise SigngenError(f"lexicon {root}: {entry.path} (for {entry.words!r}) is not a readable .pose; re-export it") from None
    fps = pose.body.fps
    if entry.start_ms or entry.end_ms:
        first = math.floor(entry.start_ms * fps / 1000)
        last = math.ceil(entry.end_ms * fps / 1000) if entry.end_ms > 0 else len(pose.body.data)
        pose = Pose(pose.header, pose.body[first:last])
    if len(pose.body.data) == 0:
        raise SigngenError(f"lexicon {root}: {entry.path} (for {entry.words!r}) has no frames in {entry.start_ms}-{entry.end_ms} ms")
    x, mask = pose_to_array(canonical(pose, str(path)), source=str(path))
    a, b = active_span(x, mask)
    return Clip(key, x[a:b], mask[a:b], (x[:a], mask[:a]), (x[b:], mask[b:]))


def active_span(x: np.ndarray, mask: np.ndarray, margin: int = TRIM_MARGIN) -> tuple[int, int]:
    """[first, last) frames where either wrist is above its elbow, widened by `margin`; the whole clip if never."""
    up = np.zeros(len(x), bool)
    for side in ("LEFT", "RIGHT"):
        w, e = joint_index("POSE_LANDMARKS", f"{side}_WRIST"), joint_index("POSE_LANDMARKS", f"{side}_ELBOW")
        up |= mask[:, w] & mask[:, e] & (x[:, w, 1] < x[:, e, 1])  # y points down
    if not up.any():
        return 0, len(x)
    idx = np.flatnonzero(up)
    return max(0, int(idx[0]) - margin), min(len(x), int(idx[-1]) + 1 + margin)


# ---- composition -----------------------------------------------------------------------------------
def resample(x: np.ndarray, mask: np.ndarray, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Resample the time axis to `frames` (>= 1): linear where both neighbours are seen, nearest otherwise."""
    n = len(x)
    frames = max(1, int(frames))
    if frames == n:
        return x, mask
    t = np.linspace(0, n - 1, frames) if frames > 1 else np.array([(n - 1) / 2])
    i0 = np.floor(t).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    w = (t - i0)[:, None, None].astype(np.float32)
    both = mask[i0] & mask[i1]
    near = np.where(w[:, 0, 0] < 0.5, i0, i1)
    out = np.where(both[..., None], (1 - w) * x[i0] + w * x[i1], x[near]).astype(np.float32)
    out_mask = both | mask[near]
    return out * out_mask[..., None], out_mask


def _bridge(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], frames: int):
    """`frames` interpolated frames from a's last frame to b's first (joints seen in both; others hidden)."""
    if frames <= 0:
        return np.zeros((0, *a[0].shape[1:]), np.float32), np.zeros((0, a[1].shape[1]), bool)
    w = (np.arange(1, frames + 1) / (frames + 1))[:, None, None].astype(np.float32)
    xa, xb = a[0][-1], b[0][0]
    seen = a[1][-1] & b[1][0]
    x = ((1 - w) * xa + w * xb) * seen[None, :, None]
    return x.astype(np.float32), np.repeat(seen[None], frames, 0)


@lru_cache(maxsize=1)
def _seam_joints() -> np.ndarray:
    """Joints that decide where two clips join best: body and hands, not the (near-still) face."""
    face = component_slices()["FACE_LANDMARKS"]
    keep = np.ones(num_joints(), bool)
    keep[face] = False
    return keep


def best_cut(a: Clip | tuple, b: Clip | tuple, window: float = 0.3, max_window: int | None = None) -> tuple[int, int]:
    """(end of a, start of b): the frame pair within the last/first `window` of each clip (at most `max_window`
    frames) whose body and hands are closest, so the join skips a's lowering and b's raising where they overlap."""
    xa, ma = (a.x, a.mask) if isinstance(a, Clip) else a
    xb, mb = (b.x, b.mask) if isinstance(b, Clip) else b
    pa, pb = max(1, math.ceil(len(xa) * window)), max(1, math.ceil(len(xb) * window))
    if max_window is not None:
        pa, pb = min(pa, max_window), min(pb, max_window)
    keep = _seam_joints()
    la, lb = xa[-pa:][:, keep], xb[:pb][:, keep]
    both = ma[-pa:][:, keep][:, None] & mb[:pb][:, keep][None]  # (pa, pb, J)
    d = (((la[:, None] - lb[None]) ** 2).sum(-1) * both).sum(-1) / np.maximum(both.sum(-1), 1)
    d = np.where(both.sum(-1) > 0, d, np.inf)
    if not np.isfinite(d).any():
        return len(xa), 0
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    return len(xa) - pa + int(i) + 1, int(j)


@dataclass
class Composition:
    x: np.ndarray  # (T, J, 3)
    mask: np.ndarray  # (T, J)
    spans: list[tuple[int, int]]  # [start, end) frames of each unit's own clip
    durations: list[float]  # frames per character of the text (units share theirs; gaps split between neighbours)


def compose(units: list[list[Clip]], unit_frames: list[list[int]] | None = None, gap_frames: list[list[int]] | None = None,
            word_gap: list[int] | None = None, cut: bool = True, onset: bool = False, offset: bool = False,
            cut_max_frames: int | None = None) -> Composition:
    """Join clips into one pose. `units` is a list of words, each a list of clips (letters or whole signs).

    unit_frames[w][k]: frames clip k of word w is resampled to (default: its own length, after the cut).
    gap_frames[w][k]: interpolated frames between clip k and k+1 of word w (default 2).
    word_gap[w]: interpolated frames between word w and w+1 (default 4).
    cut: join each pair of neighbouring clips at their closest frames (`best_cut`, searching at most
    `cut_max_frames` frames of each) before resampling.
    onset / offset: keep the first clip's recorded rise into signing and the last clip's lowering (as
    spoken-to-signed does); they count towards the first and last character's frames.
    """
    flat = [c for word in units for c in word]
    if not flat:
        raise SigngenError("nothing to compose: the text has no letters or signs")
    # cut points between every neighbouring pair of clips, across word boundaries too
    starts, ends = [0] * len(flat), [len(c) for c in flat]
    if cut:
        for k in range(len(flat) - 1):
            e, s = best_cut(flat[k], flat[k + 1], max_window=cut_max_frames)
            if e - starts[k] >= 2 and ends[k + 1] - s >= 2:
                ends[k], starts[k + 1] = e, s
    pieces, spans, durations = [], [], []
    t, k = 0, 0
    prev = None
    for w, word in enumerate(units):
        for i, clip in enumerate(word):
            x, m = clip.x[starts[k]:ends[k]], clip.mask[starts[k]:ends[k]]
            if unit_frames is not None:
                x, m = resample(x, m, unit_frames[w][i])
            if prev is not None:
                last_in_word = i == 0
                g = (word_gap[w - 1] if word_gap else 4) if last_in_word else (gap_frames[w][i - 1] if gap_frames else 2)
                bx, bm = _bridge(prev, (x, m), g)
                pieces.append((bx, bm))
                t += len(bx)
                durations.append(("gap", len(bx), last_in_word))
            pieces.append((x, m))
            spans.append((t, t + len(x)))
            durations.append(("clip", len(x), len(clip.key)))
            t += len(x)
            prev = (x, m)
            k += 1
    durations = _char_durations(durations)
    if onset and flat[0].lead is not None and len(flat[0].lead[0]):
        pieces.insert(0, flat[0].lead)
        spans = [(a + len(flat[0].lead[0]), b + len(flat[0].lead[0])) for a, b in spans]
        durations[0] += len(flat[0].lead[0])
    if offset and flat[-1].tail is not None and len(flat[-1].tail[0]):
        pieces.append(flat[-1].tail)
        durations[-1] += len(flat[-1].tail[0])
    x = np.concatenate([p[0] for p in pieces]).astype(np.float32)
    mask = np.concatenate([p[1] for p in pieces])
    return Composition(x, mask, spans, durations)


def _char_durations(parts: list[tuple]) -> list[float]:
    """Frames per character: a clip's frames plus half of each letter gap beside it, shared by its characters;
    a space gets the whole gap between words."""
    out: list[float] = []
    for n, (kind, frames, extra) in enumerate(parts):
        if kind == "gap":
            continue
        before = parts[n - 1] if n > 0 else None
        after = parts[n + 1] if n + 1 < len(parts) else None
        total = frames + sum(p[1] / 2 for p in (before, after) if p is not None and not p[2])
        if before is not None and before[2]:
            out.append(float(before[1]))  # the space before this word
        out += [total / extra] * extra
    return out


def spell_text(lexicon: Lexicon, text: str, spoken: str, signed: str) -> list[list[Clip]]:
    """Fingerspell every word of `text` with the lexicon's letters: a list of words, each a list of clips."""
    words = text.lower().split()
    if not words:
        raise SigngenError("empty text: give at least one word")
    return [[lexicon.clip(k, spoken, signed) for k in lexicon.spell(w, spoken, signed)] for w in words]


def natural_frames(units: list[list[Clip]], max_letter_frames: int = 20, hold_last: float = 2.0,
                   pace: float = 0.7) -> list[list[int]]:
    """Frames per clip at the pace of spoken-to-signed's lookup: each letter capped at `max_letter_frames`
    (0.8 s), the word's last letter held `hold_last` times as long, and all of it times `pace`, because the
    lookup then cuts every letter where it joins its neighbour best (measured: its words are 0.69 as long as
    the capped letters, on 7 words in 4 languages). Whole signs keep their recorded length."""
    out = []
    for word in units:
        frames = [min(len(c), max_letter_frames) if len(c.key) <= 3 else len(c) for c in word]
        frames[-1] = frames[-1] * hold_last
        out.append([max(2, int(round(f * pace))) for f in frames])
    return out


def capped_clips(units: list[list[Clip]], max_letter_frames: int = 20, hold_last: float = 2.0) -> list[list[Clip]]:
    """spoken-to-signed's lookup timing, in its order: each word's last letter stretched `hold_last` times,
    then every letter longer than `max_letter_frames` (0.8 s) resampled to it. Whole signs keep their length.
    `compose(capped, cut_max_frames=LOOKUP_CUT_FRAMES, ...)` then cuts the joins of the capped letters as
    the lookup does (within 0.3 s or 30% of a clip)."""
    out = []
    for word in units:
        clips = []
        for i, c in enumerate(word):
            x, m = c.x, c.mask
            if len(c.key) <= 3:
                if i == len(word) - 1:
                    x, m = resample(x, m, int(round(len(x) * hold_last)))
                if len(x) > max_letter_frames:
                    x, m = resample(x, m, max_letter_frames)
            clips.append(Clip(c.key, x, m, c.lead, c.tail))
        out.append(clips)
    return out


LOOKUP_CUT_FRAMES = 8  # ceil(0.3 s * 25 fps): the lookup's join search window


def fingerspell(text: str, spoken: str, signed: str, lexicon: Lexicon | None = None) -> Composition:
    """`text` fingerspelled at the lexicon's own pace: the composer's counterpart of spoken-to-signed's lookup."""
    lexicon = lexicon or Lexicon.builtin()
    units = spell_text(lexicon, text, spoken, signed)
    return compose(units, natural_frames(units))
