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

from ..pose.skeleton import to_canonical
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
    return pose_to_array(to_canonical(pose))


def capped_pose(text: str, spoken: str, signed: str) -> tuple[np.ndarray, np.ndarray]:
    """spoken-to-signed's default text -> gloss -> pose with its fingerspelling lexicon (no sign lexicon)."""
    import tempfile
    from pathlib import Path

    from spoken_to_signed.gloss_to_pose import CSVPoseLookup, gloss_to_pose
    from spoken_to_signed.text_to_gloss.simple import text_to_gloss

    with tempfile.TemporaryDirectory() as lexicon, contextlib.redirect_stdout(io.StringIO()):
        Path(lexicon, "index.csv").write_text("path,spoken_language,signed_language,start,end,words,glosses,priority\n")
        lookup = CSVPoseLookup(lexicon, backup=_fingerspelling())
        glosses = text_to_gloss(text, spoken)
        pose = gloss_to_pose(glosses[0], lookup, spoken, signed).pose
    return pose_to_array(to_canonical(pose))
