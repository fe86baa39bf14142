"""The hand close-up: a magnified view of the signing hand in the top-right corner of every frame.

At 256 px the whole hand is about 25 pixels tall, too small to read a fingerspelled handshape. A pose-driven
drawer (the avatar, the skeleton) draws the same pose again, shifted and magnified around the signing hand,
so the close-up is a sharp drawing, not an upscaled crop; `paste_close_up` puts it in the corner.
"""

from __future__ import annotations

import numpy as np

from ..pose.skeleton import hand_centres, signing_hand
from .layout import SHOULDER_FRAC, SHOULDER_Y

FRACTION = 0.42  # side of the close-up, as a fraction of the frame
FIELD = 0.75  # how much of the body it shows across, in shoulder widths
SMOOTH = 6  # it follows the hand's centre averaged over +-6 frames (about half a second at 25 fps)


def signing_hand_track(x: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """(T, 2) canonical x/y centre of the signing hand, smoothed over time; None if no hand is ever seen.

    The signing hand is `signgen.pose.skeleton.signing_hand`'s; frames where it is missing take the nearest
    frame's centre."""
    side = signing_hand(x, mask)
    if side is None:
        return None
    best = hand_centres(x, mask, side)
    known = np.flatnonzero(~np.isnan(best[:, 0]))
    filled = best[known[np.abs(np.arange(len(best))[:, None] - known[None]).argmin(1)]]
    kernel = np.ones(2 * SMOOTH + 1) / (2 * SMOOTH + 1)
    padded = np.pad(filled, ((SMOOTH, SMOOTH), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(2)], 1).astype(np.float32)


def magnify(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Canonical (T, J, 3) poses shifted and scaled so that, drawn with the usual framing (`layout.to_pixels`),
    each frame shows FIELD shoulder widths around its hand centre (T, 2), which lands in the middle."""
    zoom = 1.0 / (SHOULDER_FRAC * FIELD)
    middle = np.array([0.0, (0.5 - SHOULDER_Y) / SHOULDER_FRAC], np.float32)  # to_pixels puts this mid-frame
    out = x.copy()
    out[..., :2] = (x[..., :2] - centres[:, None]) * zoom + middle
    return out


def close_up_pose(x: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """The magnified poses the close-up draws (`magnify` around the smoothed signing-hand track); None if no hand
    is ever seen. Renderer training frames of the close-up view are drawn from these."""
    centres = signing_hand_track(x, mask)
    return None if centres is None else magnify(x, centres)


def close_up_size(size: int) -> int:
    return max(16, int(round(FRACTION * size)))


def add_close_up(frames: np.ndarray, x: np.ndarray, mask: np.ndarray, draw, border=(255, 255, 255)) -> None:
    """Draw the close-up of canonical poses x (T, J, 3) / mask (T, J) into `frames` (T, size, size, 3), in
    place. `draw(zoomed_x, mask, side)` draws (T, side, side, 3) tiles of the magnified poses with the
    drawer's own framing. A sequence without a hand gets no close-up."""
    zoomed = close_up_pose(x, mask)
    if zoomed is None:
        return
    side = close_up_size(frames.shape[2])
    paste_close_up(frames, draw(zoomed, mask, side), border)


def paste_close_up(frames: np.ndarray, tiles: np.ndarray, border=(255, 255, 255)) -> None:
    """Put (T, s, s, 3) close-up tiles into the top-right corner of (T, size, size, 3) frames, in place."""
    side, size = tiles.shape[1], frames.shape[2]
    top, left = 2, size - side - 2
    frames[:, : top + side + 2, left - 2 :] = border
    frames[:, top : top + side, left : left + side] = tiles
