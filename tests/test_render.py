import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody

from signgen.errors import SigngenError
from signgen.pose.skeleton import component_slices, to_canonical
from signgen.render import RENDERERS, Renderer, make_renderer


def canonical_pose(frames: int = 6) -> Pose:
    """The pose-anonymization mean holistic pose, moving slightly, in the canonical skeleton."""
    from pose_anonymization.data import load_mean_and_std_pose

    mean, _ = load_mean_and_std_pose()
    data = np.repeat(np.ma.getdata(mean.body.data), frames, 0).astype(np.float32)
    data[:, :, :, 0] += np.linspace(0, 0.05, frames)[:, None, None]
    conf = np.ones(data.shape[:3], np.float32)
    return to_canonical(Pose(mean.header, NumPyPoseBody(fps=25, data=np.ma.masked_array(data), confidence=conf)))


def test_renderer_names():
    assert RENDERERS == ("skeleton", "avatar", "diffusion")


def test_skeleton_backend_draws_frames():
    r = make_renderer("skeleton", size=128)
    assert isinstance(r, Renderer)
    frames = r.render(canonical_pose(5))
    assert frames.shape == (5, 128, 128, 3) and frames.dtype == np.uint8
    assert (frames < 250).any(axis=-1).sum() > 200  # something is drawn on the white background
    assert r.fps == 25.0


def test_unknown_renderer_and_bad_size():
    with pytest.raises(SigngenError, match="unknown renderer"):
        make_renderer("mesh3")
    with pytest.raises(SigngenError, match="--size"):
        make_renderer("skeleton", size=100000)


def test_zero_frame_pose_is_an_error():
    pose = canonical_pose(2)
    pose.body.data = pose.body.data[:0]
    pose.body.confidence = pose.body.confidence[:0]
    with pytest.raises(SigngenError, match="zero frames"):
        make_renderer("skeleton", size=64).render(pose)
