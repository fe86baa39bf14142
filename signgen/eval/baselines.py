"""spoken-to-signed's fingerspelling, the two ways its users get it, as canonical arrays.

- `capped`: its default text -> gloss -> pose (`gloss_to_pose`). Every sign, and so every whole fingerspelled
  word, is trimmed and squeezed into at most 0.8 s (20 frames).
- `lookup`: its fingerspelling lookup (`FingerspellingPoseLookup().lookup`) at the lexicon's own timing;
  words of a phrase joined with `concatenate_poses(max_sign_seconds=None)`.
"""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache

import numpy as np

from ..pose.skeleton import canonical
from ..pose.tensors import pose_to_array


@lru_cache(maxsize=1)
def _fingerspelling():
    from spoken_to_signed.gloss_to_pose.lookup.fingerspelling_lookup import FingerspellingPoseLookup

    return FingerspellingPoseLookup()


def lookup_pose(text: str, spoken: str, signed: str) -> tuple[np.ndarray, np.ndarray]:
    """spoken-to-signed's fingerspelling lookup of `text`, uncapped."""
    from spoken_to_signed.gloss_to_pose import concatenate_poses

    with contextlib.redirect_stdout(io.StringIO()):  # it prints progress for every word
        poses = [_fingerspelling().lookup(w, w, spoken, signed).pose for w in text.split()]
        pose = poses[0] if len(poses) == 1 else concatenate_poses(poses, max_sign_seconds=None)
    return pose_to_array(canonical(pose, f"spoken-to-signed lookup of {text!r}"))


@lru_cache(maxsize=1)
def _no_sign_lexicon():
    """An empty sign lexicon backed by the fingerspelling one: every word is fingerspelled. Its index is read
    when it is made, so the folder is not needed afterwards."""
    import tempfile
    from pathlib import Path

    from spoken_to_signed.gloss_to_pose import CSVPoseLookup

    with tempfile.TemporaryDirectory() as lexicon:
        Path(lexicon, "index.csv").write_text("path,spoken_language,signed_language,start,end,words,glosses,priority\n")
        return CSVPoseLookup(lexicon, backup=_fingerspelling())


def capped_pose(text: str, spoken: str, signed: str) -> tuple[np.ndarray, np.ndarray]:
    """spoken-to-signed's default text -> gloss -> pose with its fingerspelling lexicon (no sign lexicon)."""
    from spoken_to_signed.gloss_to_pose import gloss_to_pose
    from spoken_to_signed.text_to_gloss.simple import text_to_gloss

    with contextlib.redirect_stdout(io.StringIO()):
        glosses = text_to_gloss(text, spoken)
        pose = gloss_to_pose(glosses[0], _no_sign_lexicon(), spoken, signed).pose
    return pose_to_array(canonical(pose, f"spoken-to-signed text_to_gloss/gloss_to_pose of {text!r}"))
