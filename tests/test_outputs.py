"""Outputs are written atomically (temporary file, then rename) yet end up with the usual file mode."""

import os

import numpy as np

from signgen.pose.io import atomic_write_text
from signgen.video import write_mp4


def test_atomic_outputs_get_the_usual_file_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        write_mp4(np.zeros((2, 16, 16, 3), np.uint8), tmp_path / "a.mp4")
    finally:
        os.umask(umask)
    for name in ("a.txt", "a.mp4"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name  # mkstemp alone leaves 0600
