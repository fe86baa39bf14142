"""Where the signing hand is, letter by letter: the measure behind bench/double_letters.py and the shipped
model's doubled-letter test (the starter corpus slides the arm outward for the second of two equal letters)."""

from __future__ import annotations

import numpy as np

from ..pose.skeleton import component_slices, joint_index, most_seen_hand


def outward_wrist(x: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """(T,) sideways position of the signing wrist (the hand seen most), positive away from the body, in
    canonical units (shoulder widths); None without a hand."""
    slices = component_slices()
    side = most_seen_hand(mask)
    if not mask[:, slices[f"{side}_HAND_LANDMARKS"]].any():
        return None
    wrist = x[:, joint_index("POSE_LANDMARKS", f"{side}_WRIST"), 0]
    return wrist * (-1.0 if side == "RIGHT" else 1.0)  # the right hand signs at negative x


def letter_moves(track: np.ndarray, durations: np.ndarray, pairs: list[int]) -> list[float]:
    """Mean of `track` over the middle half of letter i+1 minus that of letter i, for each i in pairs;
    durations: frames of each letter."""
    ends = np.cumsum(durations)
    starts = ends - durations

    def middle(i: int) -> float:
        a, b = starts[i] + 0.25 * durations[i], ends[i] - 0.25 * durations[i]
        frames = np.arange(int(np.floor(a)), int(np.ceil(b)))
        frames = frames[(frames >= 0) & (frames < len(track))]
        return float(track[frames].mean()) if len(frames) else float("nan")

    return [middle(i + 1) - middle(i) for i in pairs]


def predicted_letter_frames(model, texts: list[str], langs: list[str], frames: list[int]) -> list[np.ndarray]:
    """A letter-duration motion model's own frames per character of each text, scaled to the `frames` it generated."""
    import torch

    with torch.no_grad():
        _, per_token = model.predict_frames(model.encode_text(texts, langs))
    out = []
    for k, (text, n) in enumerate(zip(texts, frames)):
        d = per_token[k, : len(text)].cpu().numpy()
        out.append(d * n / d.sum())
    return out
