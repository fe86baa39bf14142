"""(frame, pose) pair directories for renderer training, and making them from a corpus with the avatar.

Layout (real frames from video data prep use the same):

    DIR/frames.json          {"layout_version": 1}   (a hand-made directory may leave it out)
    DIR/clips.csv            clip,signer,split,frames[,view]   (split: train | val; view: body (default) | closeup)
    DIR/<clip>/pose.pose     canonical pose; frame t of the pose belongs to image t
    DIR/<clip>/000000.png    RGB frames, square (other sizes are centre-cropped and resized when loaded)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SigngenError

CLIPS = "clips.csv"
INFO = "frames.json"
LAYOUT_VERSION = 1  # of this layout; frames.json records the version that wrote a frames directory
FIELDS = ["clip", "signer", "split", "frames"]  # required columns; `view` is optional
VIEWS = ("body", "closeup")  # closeup: the hand close-up's magnified drawing (`render.closeup`), pose magnified alike
CLOSE_UP_SUFFIX = ".closeup"  # a sample's close-up clip is `<sample id>.closeup`

# Avatar "signers": different clothes/skin/hair, so the signer embedding has something to learn.
SIGNER_STYLES = [
    dict(),
    dict(shirt=(130, 40, 50), sleeve=(150, 52, 62), skin=(180, 130, 100), skin_shade=(150, 105, 80), hair=(20, 20, 20), background=(236, 230, 215)),
    dict(shirt=(40, 110, 70), sleeve=(52, 130, 84), skin=(245, 215, 190), skin_shade=(220, 185, 160), hair=(170, 120, 60), background=(215, 228, 232)),
]


@dataclass
class Clip:
    clip: str
    signer: str
    split: str
    frames: int
    view: str = "body"


def read_clips(root: str | Path) -> list[Clip]:
    import json

    info = Path(root) / INFO
    if info.exists():
        try:
            version = json.loads(info.read_text(encoding="utf-8")).get("layout_version")
        except (ValueError, AttributeError):
            raise SigngenError(f"{info}: unreadable; remake the frames directory with `signgen data frames`") from None
        if version != LAYOUT_VERSION:
            raise SigngenError(f"{root}: frames layout version {version}, this signgen reads {LAYOUT_VERSION}; "
                               "remake it with `signgen data frames`")
    path = Path(root) / CLIPS
    if not path.exists():
        raise SigngenError(f"{root}: no {CLIPS} there; make a frames directory with `signgen data frames` (layout in docs/renderer.md)")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not set(FIELDS) <= set(reader.fieldnames):
            raise SigngenError(f"{path}: header must contain {','.join(FIELDS)}")
        clips = []
        for i, row in enumerate(reader, start=2):
            try:
                clips.append(Clip(row["clip"], row["signer"], row["split"], int(row["frames"]), row.get("view") or "body"))
            except (ValueError, TypeError):
                raise SigngenError(f"{path}:{i}: bad row {row}; frames must be an integer") from None
            if clips[-1].view not in VIEWS:
                raise SigngenError(f"{path}:{i}: view {clips[-1].view!r}; choose one of {', '.join(VIEWS)} (or leave it empty)")
    if not clips:
        raise SigngenError(f"{path}: lists no clips")
    return clips


def write_clips(root: str | Path, clips: list[Clip]) -> None:
    """Write clips.csv and frames.json (the layout version)."""
    import io
    import json

    from ..pose.io import atomic_write_bytes

    buf = io.StringIO()
    w = csv.DictWriter(buf, FIELDS + ["view"], lineterminator="\n")
    w.writeheader()
    for c in clips:
        w.writerow(vars(c))
    atomic_write_bytes(Path(root) / CLIPS, buf.getvalue().encode())
    atomic_write_bytes(Path(root) / INFO, json.dumps({"layout_version": LAYOUT_VERSION}).encode())


def load_clip(root: str | Path, clip: Clip, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frames (T, size, size, 3) uint8, x (T, J, 3), mask (T, J)) of one clip."""
    from PIL import Image

    from ..pose.io import read_pose
    from .frames import pose_arrays

    d = Path(root) / clip.clip
    x, mask = pose_arrays(read_pose(d / "pose.pose"), str(d / "pose.pose"))
    files = sorted(d.glob("*.png"))
    if len(files) != len(x):
        raise SigngenError(f"{d}: {len(files)} PNG frames but the pose has {len(x)} frames; they must match one to one")
    frames = []
    for f in files:
        im = Image.open(f).convert("RGB")
        w, h = im.size
        s = min(w, h)
        im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((size, size), Image.BICUBIC)
        frames.append(np.asarray(im))
    return np.stack(frames), x, mask


def spread_samples(samples: list, clips: int) -> list:
    """`clips` of `samples`, evenly spread over them (all of them when there are fewer)."""
    if clips < 1:
        raise SigngenError(f"--clips {clips}: choose at least 1")
    return [samples[i] for i in np.unique(np.linspace(0, len(samples) - 1, min(clips, len(samples))).round().astype(int))]


def frames_split(clip_id: str, val_fraction: float) -> str:
    """`val` for about `val_fraction` of clips (by hash of the id), else `train`."""
    from ..corpus import hash_seed

    return "val" if (hash_seed(clip_id) >> 8) % 1000 < val_fraction * 1000 else "train"


def is_done(clip_dir: Path) -> bool:
    """Whether a clip directory was written completely (resumption skips it)."""
    return (clip_dir / ".done").exists()


def write_clip(clip_dir: Path, frames, x: np.ndarray, mask: np.ndarray) -> None:
    """One clip's PNG frames and canonical pose, then its `.done` mark."""
    from PIL import Image

    from ..pose.io import write_pose
    from ..pose.tensors import array_to_pose

    clip_dir.mkdir(parents=True, exist_ok=True)
    for t, f in enumerate(frames):
        Image.fromarray(f).save(clip_dir / f"{t:06d}.png", compress_level=1)
    write_pose(array_to_pose(x, mask), clip_dir / "pose.pose")
    (clip_dir / ".done").write_text("")


def finish_clips(root: str | Path, clips: list[Clip]) -> None:
    """Write clips.csv, holding out the last sample (its clip and its close-up) as `val` when the hash gave none."""
    sample = lambda c: c.clip.removesuffix(CLOSE_UP_SUFFIX)  # noqa: E731
    if not any(c.split == "val" for c in clips) and len({sample(c) for c in clips}) > 1:
        for c in clips:
            if sample(c) == sample(clips[-1]):
                c.split = "val"
    write_clips(root, clips)


def make_avatar_frames(corpus_dir: str | Path, out: str | Path, size: int = 128, clips: int = 60, signers: int = 3,
                       val_fraction: float = 0.1, close_ups: bool = False, progress: bool = True) -> list[Clip]:
    """Render `clips` corpus samples (spread over the corpus) with the avatar; resumable per clip. `close_ups`: each
    sample also as a `closeup` view clip `<id>.closeup` (same signer and split): the avatar's hand close-up drawn
    full-frame, with the magnified pose it shows, so a renderer learns to draw the close-up too."""
    from ..progress import progress_bar

    from ..corpus import Corpus, hash_seed
    from .avatar import AvatarRenderer, AvatarStyle
    from .closeup import close_up_pose

    if not 1 <= signers <= len(SIGNER_STYLES):
        raise SigngenError(f"--signers {signers}: the avatar has {len(SIGNER_STYLES)} styles; choose 1 to {len(SIGNER_STYLES)}")
    corpus = Corpus(corpus_dir)
    picks = spread_samples(corpus.samples, clips)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    renderers = [AvatarRenderer(size, style=AvatarStyle(**SIGNER_STYLES[k])) for k in range(signers)]
    done: list[Clip] = []
    for s in progress_bar(picks, desc="frames", unit="clip", disable=not progress):
        signer = hash_seed(s.id) % signers
        d = out / s.id
        x, mask = corpus.load(s)
        split = frames_split(s.id, val_fraction)
        if not is_done(d):
            write_clip(d, renderers[signer].render_arrays(x, mask), x, mask)
        done.append(Clip(s.id, str(signer), split, len(x)))
        zoomed = close_up_pose(x, mask) if close_ups else None
        if zoomed is not None:
            dz = out / f"{s.id}{CLOSE_UP_SUFFIX}"
            if not is_done(dz):
                write_clip(dz, renderers[signer].close_up_tiles(zoomed, mask, size), zoomed, mask)
            done.append(Clip(dz.name, str(signer), split, len(x), "closeup"))
    finish_clips(out, done)
    return done
