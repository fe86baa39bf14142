"""Video and image output: H.264 yuv420p mp4 via PyAV (browser-playable), PNG contact sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import SigngenError


def write_mp4(frames: Iterable[np.ndarray], path: str | Path, fps: float = 25.0, crf: int = 20) -> Path:
    """Write RGB uint8 frames (H, W, 3) as H.264 yuv420p; odd sizes are padded to even."""
    import os
    import tempfile
    from fractions import Fraction

    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from .pose.io import usual_file_mode

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".mp4")
    usual_file_mode(fd)
    os.close(fd)
    n = 0
    try:
        with av.open(tmp, mode="w") as container:
            stream = None
            for frame in frames:
                frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
                h, w = frame.shape[:2]
                if h % 2 or w % 2:
                    frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
                if stream is None:
                    stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
                    stream.width, stream.height = frame.shape[1], frame.shape[0]
                    stream.pix_fmt = "yuv420p"
                    stream.options = {"crf": str(crf)}
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
                n += 1
            if stream is None:
                raise SigngenError(f"{path}: no frames to write")
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_video_frames(path: str | Path) -> tuple[np.ndarray, float]:
    """Decode a whole video to RGB frames (T, H, W, 3) and its frame rate."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or 25)
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    except (av.error.FFmpegError, IndexError) as e:
        raise SigngenError(f"{path}: unreadable video ({type(e).__name__})") from None
    return np.stack(frames) if frames else np.zeros((0, 0, 0, 3), np.uint8), fps


def contact_sheet(frames: np.ndarray, path: str | Path, count: int = 12, columns: int = 6, title: str = "") -> Path:
    """Save `count` evenly spaced frames in a grid, each labelled with its frame number."""
    import cv2
    from PIL import Image

    if len(frames) == 0:
        raise SigngenError(f"{path}: no frames for a contact sheet")
    idx = np.unique(np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int))
    tiles = []
    for i in idx:
        tile = np.ascontiguousarray(frames[i][..., :3]).copy()
        cv2.putText(tile, f"{i}", (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (200, 0, 0), 2, cv2.LINE_AA)
        tiles.append(tile)
    columns = min(columns, len(tiles))
    rows = -(-len(tiles) // columns)
    h, w = tiles[0].shape[:2]
    sheet = np.full((rows * h + (28 if title else 0), columns * w, 3), 255, np.uint8)
    top = 28 if title else 0
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        sheet[top + r * h : top + (r + 1) * h, c * w : (c + 1) * w] = tile
    image = Image.fromarray(sheet)
    if title:
        _draw_title(image, title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def _draw_title(image, title: str) -> None:
    """The title in matplotlib's bundled DejaVu Sans, which has Latin, Greek, Cyrillic, Hebrew and Arabic
    glyphs (OpenCV's Hershey fonts are ASCII only and print other scripts as '?')."""
    from PIL import ImageDraw, ImageFont

    try:
        from matplotlib import font_manager

        font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 16)
    except Exception:  # no matplotlib font available: PIL's built-in bitmap font
        font = ImageFont.load_default()
    ImageDraw.Draw(image).text((8, 5), title, fill=(0, 0, 0), font=font)
