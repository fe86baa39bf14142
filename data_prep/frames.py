"""Streaming RGB frames from a video (optionally a time range) or a folder of images, without holding the clip in memory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class ClipError(Exception):
    """A clip that cannot be imported (unreadable video, zero frames, no person); it goes to the failures report."""


@dataclass
class FrameSource:
    fps: float
    width: int
    height: int
    frames: Iterator[np.ndarray]  # RGB uint8 (H, W, 3)


def open_video(path: str | Path, start: Optional[float] = None, end: Optional[float] = None) -> FrameSource:
    """Decode with PyAV (threaded decoding); `start`/`end` in seconds select a range of a full video."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise ClipError(f"unreadable video ({type(e).__name__}: {str(e).splitlines()[0][:120]})") from None
    if not container.streams.video:
        container.close()
        raise ClipError("the file has no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    fps = float(stream.average_rate or stream.guessed_rate or 0)
    width, height = stream.codec_context.width, stream.codec_context.height
    if fps <= 0 or not width or not height:
        container.close()
        raise ClipError(f"video stream has no usable frame rate or size (fps {fps}, {width}x{height})")
    if start is not None and start > 0:
        try:
            container.seek(int(start / stream.time_base), stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            pass  # not seekable: decode from the start and skip

    def frames() -> Iterator[np.ndarray]:
        try:
            for frame in container.decode(stream):
                t = frame.time if frame.time is not None else 0.0
                if start is not None and t < start - 0.5 / fps:
                    continue
                if end is not None and t >= end - 0.5 / fps:
                    break
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as e:
            raise ClipError(f"unreadable video: decoding failed ({type(e).__name__})") from None
        finally:
            container.close()

    return FrameSource(fps, width, height, frames())


def _natural_key(path: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def open_image_folder(path: str | Path, fps: float) -> FrameSource:
    """A folder of numbered images (PHOENIX `images0001.png`, ...), in natural order."""
    from PIL import Image, UnidentifiedImageError

    files = sorted((p for p in Path(path).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
    if not files:
        raise ClipError(f"zero frames: no {'/'.join(IMAGE_SUFFIXES)} images in the folder")
    try:
        with Image.open(files[0]) as im:
            width, height = im.size
    except (UnidentifiedImageError, OSError):
        raise ClipError(f"unreadable image {files[0].name}") from None

    def frames() -> Iterator[np.ndarray]:
        for f in files:
            try:
                with Image.open(f) as im:
                    arr = np.asarray(im.convert("RGB"))
            except (UnidentifiedImageError, OSError):
                raise ClipError(f"unreadable image {f.name}") from None
            if arr.shape[:2] != (height, width):
                raise ClipError(f"image {f.name} is {arr.shape[1]}x{arr.shape[0]}, the first frame is {width}x{height}")
            yield arr

    return FrameSource(fps, width, height, frames())
