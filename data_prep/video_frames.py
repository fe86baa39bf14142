"""Real (frame, pose) pairs for renderer training from a corpus that `signgen data how2sign|phoenix|generic`
imported from video: each clip's frames, cropped to a square around the signer, beside its canonical pose.

The crop is the one the renderers draw into: `signgen.render.layout.to_pixels` puts the canonical shoulders at
SHOULDER_Y of the frame height, SHOULDER_FRAC of its width apart. The canonical pose is one similarity transform
of the source pixels (pose-format's normalize), so the crop is found by fitting that transform between the
clip's raw pose (`raw/<id>.pose`, source pixels) and its canonical pose, once per clip: the signer stays where
the pose puts them and the crop does not shake. Frame t of the canonical pose (25 fps) is the source frame
nearest to time t / 25. Where the crop leaves the video, the edge pixels are repeated.

Writes the frames-directory layout of `signgen.render.framesdir`, resumable per clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signgen.errors import SigngenError
from signgen.render.framesdir import Clip as FramesClip
from signgen.render.framesdir import frames_split, finish_clips, is_done, spread_samples, write_clip

from .frames import ClipError, open_image_folder, open_video
from .prep import clip_pose_path
from .resumable import finished_records
from .sources import Clip

VIDEO_KINDS = ("video", "frames")


@dataclass
class Crop:
    """A square of side `side` source pixels with its top-left corner at (x0, y0)."""

    x0: float
    y0: float
    side: float


def video_samples(corpus) -> list:
    """The samples of `corpus` (signgen.corpus.Corpus) imported from videos or frame folders (their source says so)."""
    return [s for s in corpus.samples if s.source.split(":", 1)[0] in VIDEO_KINDS]


def is_video_corpus(corpus_dir: str | Path) -> bool:
    from signgen.corpus import Corpus

    return bool(video_samples(Corpus(corpus_dir)))


def fit_crop(canonical_xy: np.ndarray, pixel_xy: np.ndarray, seen: np.ndarray) -> Crop:
    """The square crop in which `to_pixels` of the canonical points lands on their source pixels (least squares
    over the points seen in both). Inputs (T, J, 2), (T, J, 2), (T, J) bool."""
    from signgen.render.layout import SHOULDER_FRAC, SHOULDER_Y

    c, p = canonical_xy[seen].astype(np.float64), pixel_xy[seen].astype(np.float64)
    if len(c) < 3:
        raise ClipError("too few detected keypoints to place the signer in a crop")
    cm, pm = c.mean(0), p.mean(0)
    var = ((c - cm) ** 2).sum()
    if var <= 0:
        raise ClipError("the detected keypoints do not spread; cannot place the signer in a crop")
    s = float(((c - cm) * (p - pm)).sum() / var)  # source pixels per canonical unit
    if s <= 0:
        raise ClipError("the canonical pose does not match the raw pose (mirrored?); re-import the clip")
    t = pm - s * cm
    side = s / SHOULDER_FRAC
    return Crop(float(t[0] - side / 2), float(t[1] - SHOULDER_Y * side), side)


def crop_frame(frame: np.ndarray, crop: Crop, size: int) -> np.ndarray:
    """`crop` of an RGB frame resized to size x size; pixels outside the frame repeat its edge."""
    import cv2

    k = size / crop.side
    m = np.array([[k, 0, -crop.x0 * k], [0, k, -crop.y0 * k]], np.float32)
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    return cv2.warpAffine(frame, m, (size, size), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def _source_clips(corpus_dir: Path) -> dict[str, Clip]:
    """Each imported clip's source (video path and time range, or frame folder and fps), from progress.jsonl."""
    return {cid: Clip(**rec["clip"]) for cid, rec in finished_records(corpus_dir, clip_pose_path).items() if "clip" in rec}


def clip_pairs(corpus, sample, source: Clip, size: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """(frames, x, mask) of one imported clip of `corpus` (signgen.corpus.Corpus); ClipError when it cannot be made."""
    from signgen.pose.io import read_pose
    from signgen.pose.skeleton import to_canonical
    from signgen.pose.tensors import pose_to_array

    x, mask = corpus.load(sample)
    raw_path = corpus.root / "raw" / f"{sample.id}.pose"
    if not raw_path.exists():
        raise ClipError(f"no raw pose {raw_path.name} (imported with keep_raw=false); re-import with keep_raw=true")
    try:
        raw = read_pose(raw_path)
        src_frames, src_fps = raw.body.data.shape[0], float(raw.body.fps)
        px, pmask = pose_to_array(to_canonical(raw, normalized=False), str(raw_path))
    except SigngenError as e:
        raise ClipError(str(e)) from None
    if len(px) != len(x):
        raise ClipError(f"raw pose gives {len(px)} frames at 25 fps, the corpus pose has {len(x)}; re-import the clip")
    crop = fit_crop(x[..., :2], px[..., :2], mask & pmask)
    media = open_video(source.path, source.start, source.end) if source.kind == "video" else open_image_folder(source.path, source.fps)
    want = np.minimum(np.round(np.arange(len(x)) * src_fps / float(sample.fps)).astype(int), src_frames - 1)
    needed = set(want.tolist())
    kept: dict[int, np.ndarray] = {}
    n = 0
    for i, frame in enumerate(media.frames):
        if i in needed:
            kept[i] = crop_frame(frame, crop, size)
        n = i + 1
    if n != src_frames:
        raise ClipError(f"the source now decodes to {n} frames, its raw pose has {src_frames}; the video changed since import")
    return [kept[i] for i in want], x, mask


def make_video_frames(corpus_dir: str | Path, out: str | Path, size: int = 128, clips: int = 60,
                      val_fraction: float = 0.1, progress: bool = True) -> tuple[list[FramesClip], list[tuple[str, str]]]:
    """Signer-centred square crops and canonical poses of `clips` imported clips (spread over the corpus), in the
    frames-directory layout; resumable per clip. Returns (clips written, [(clip id, why it was skipped)])."""
    from signgen.corpus import Corpus
    from signgen.progress import progress_bar

    corpus_dir, out = Path(corpus_dir), Path(out)
    corpus = Corpus(corpus_dir)
    samples = video_samples(corpus)
    if not samples:
        raise SigngenError(f"{corpus_dir}: no sample was imported from a video or frame folder; "
                           "use a corpus from `signgen data how2sign|phoenix|generic` on videos")
    sources = _source_clips(corpus_dir)
    if not sources:
        raise SigngenError(f"{corpus_dir}: progress.jsonl does not record where its clips came from (imported by an "
                           "older signgen); re-import it into a new directory")
    picks = spread_samples(samples, clips)
    out.mkdir(parents=True, exist_ok=True)
    done: list[FramesClip] = []
    skipped: list[tuple[str, str]] = []
    for s in progress_bar(picks, desc="frames", unit="clip", disable=not progress):
        d = out / s.id
        if not is_done(d):
            if s.id not in sources:
                skipped.append((s.id, "progress.jsonl has no source for it"))
                continue
            try:
                write_clip(d, *clip_pairs(corpus, s, sources[s.id], size))
            except ClipError as e:
                skipped.append((s.id, str(e)))
                continue
        signer = sources[s.id].signer if s.id in sources and sources[s.id].signer else "0"
        done.append(FramesClip(s.id, signer, frames_split(s.id, val_fraction), int(s.frames)))
    if not done:
        raise SigngenError(f"{corpus_dir}: no clip could be made into frames ({'; '.join(f'{c}: {r}' for c, r in skipped[:3])})")
    finish_clips(out, done)
    return done, skipped
