import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.utils.generic import fake_holistic_pose, fake_openpose_pose

from signgen.errors import SigngenError
from signgen.pose.skeleton import (
    CANONICAL_FPS,
    canonical_header,
    component_slices,
    joint_index,
    num_joints,
    point_names,
    resample,
    to_canonical,
)


def _mean_holistic_586(frames=4):
    from pose_anonymization.data import load_mean_and_std_pose

    mean, _ = load_mean_and_std_pose()
    data = np.repeat(np.ma.getdata(mean.body.data), frames, 0).astype(np.float32)
    data[:, :, :, 0] += np.linspace(0, 0.1, frames)[:, None, None]  # some motion
    conf = np.ones(data.shape[:3], np.float32)
    return Pose(mean.header, NumPyPoseBody(fps=30, data=np.ma.masked_array(data), confidence=conf))


def test_canonical_skeleton_is_reduced_holistic_from_header():
    header = canonical_header()
    sizes = {c.name: len(c.points) for c in header.components}
    assert sizes == {"POSE_LANDMARKS": 8, "FACE_LANDMARKS": 128, "LEFT_HAND_LANDMARKS": 21, "RIGHT_HAND_LANDMARKS": 21}
    assert num_joints() == 178 == len(point_names(header))
    assert component_slices()["RIGHT_HAND_LANDMARKS"] == slice(157, 178)


@pytest.mark.parametrize("variant", ["543", "576", "586"])
def test_full_holistic_converts(variant):
    if variant == "586":
        pose = _mean_holistic_586()
    else:
        pose = fake_holistic_pose(10)  # 576 points: with POSE_WORLD_LANDMARKS
        # fake_pose draws randn confidences; with 10 frames there is a ~6% chance that no frame
        # has both shoulders > 0, which would (correctly) be refused. Make every point detected.
        pose.body.confidence = np.ones_like(pose.body.confidence)
        if variant == "543":
            pose = pose.remove_components(["POSE_WORLD_LANDMARKS"])
    n_in = pose.body.data.shape[2]
    assert n_in == int(variant)
    out = to_canonical(pose)
    assert out.body.data.shape[1:] == (1, 178, 3)
    assert out.body.fps == CANONICAL_FPS


def test_normalization_centres_and_scales_shoulders():
    out = to_canonical(_mean_holistic_586(frames=6))
    data = np.ma.getdata(out.body.data)[:, 0]
    ls, rs = joint_index("POSE_LANDMARKS", "LEFT_SHOULDER"), joint_index("POSE_LANDMARKS", "RIGHT_SHOULDER")
    mid = (data[:, ls] + data[:, rs]) / 2
    np.testing.assert_allclose(mid.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(data[:, ls] - data[:, rs], axis=-1).mean(), 1.0, atol=1e-5)


def test_openpose_137_converts_with_face_subset_and_no_zero_fill():
    pose = fake_openpose_pose(5)
    pose.body.confidence = np.ones_like(pose.body.confidence)  # fake_pose draws random (even negative) confidences
    out = to_canonical(pose, normalized=False)
    data, conf = np.ma.getdata(out.body.data)[:, 0], out.body.confidence[:, 0]
    src = np.ma.getdata(pose.body.data)[:, 0]
    lw = joint_index("POSE_LANDMARKS", "LEFT_WRIST")
    np.testing.assert_allclose(data[:, lw, :2], src[:, pose.header.get_point_index("pose_keypoints_2d", "LWrist")])
    assert (data[..., 2] == 0).all()  # 2D source: depth unknown
    face = component_slices()["FACE_LANDMARKS"]
    mapped = (conf[0, face] > 0).sum()
    assert mapped == 59  # jaw 17 + brows 10 + eyes 12 + lips 20
    # unmapped face points are masked, not zero-filled
    assert np.ma.getmaskarray(out.body.data)[0, 0, face][conf[0, face] == 0].all()


def test_resample_keeps_missing_joints_missing():
    pose = to_canonical(_mean_holistic_586(frames=50), normalized=False, fps=30)
    conf = pose.body.confidence
    conf[10:20, 0, 170] = 0  # a right-hand joint undetected for a third of a second
    out = resample(pose, 15)
    assert out.body.data.shape[0] == 25
    assert (out.body.confidence[5:10, 0, 170] == 0).all()
    assert (out.body.confidence[:4, 0, 170] > 0).all()


def test_pose_without_shoulders_is_refused():
    pose = fake_holistic_pose(5)
    pose.body.confidence[:] = 0
    with pytest.raises(SigngenError, match="shoulders"):
        to_canonical(pose)


def test_unknown_skeleton_is_refused():
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    comp = PoseHeaderComponent(name="MYSTERY", points=["a", "b"], limbs=[], colors=[(0, 0, 0)], point_format="XYC")
    header = PoseHeader(0.1, PoseHeaderDimensions(10, 10, 1), [comp])
    body = NumPyPoseBody(fps=25, data=np.ma.zeros((3, 1, 2, 2)), confidence=np.ones((3, 1, 2)))
    with pytest.raises(SigngenError, match="unsupported skeleton"):
        to_canonical(Pose(header, body))


def test_reduced_holistic_in_pixels_is_normalized_before_use(tmp_path):
    """A pose with the canonical 178 points but in pixels (spoken-to-signed / sign.mt write 512x512 reduced
    Holistic) must be shoulder-normalized before rendering or evaluation, not taken as it is."""
    from pose_format.pose_header import PoseHeaderDimensions

    from signgen.pose import read_canonical
    from signgen.pose.skeleton import is_canonical_normalized
    from signgen.pose.tensors import pose_to_array

    canonical = to_canonical(_mean_holistic_586(6))
    assert is_canonical_normalized(canonical)
    pixels = canonical.copy()
    pixels.body.data = pixels.body.data * 180 + 256
    pixels.header.dimensions = PoseHeaderDimensions(width=512, height=512, depth=512)
    assert not is_canonical_normalized(pixels)
    path = tmp_path / "pixels.pose"
    with open(path, "wb") as f:
        pixels.write(f)
    x, _ = pose_to_array(read_canonical(path))
    ref, _ = pose_to_array(canonical)
    assert np.abs(x[..., :2] - ref[..., :2]).max() < 1e-3
