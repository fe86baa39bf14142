import io

import numpy as np
import pytest
from pose_format import Pose

from signgen.errors import SigngenError
from signgen.pose import NormStats, array_to_pose, pose_to_array, read_pose, write_pose
from signgen.pose.augment import change_speed, mirror, mirror_permutation
from signgen.pose.skeleton import joint_index, point_names, canonical_header


def _random(frames=7, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(frames, 178, 3)).astype(np.float32)
    mask = rng.random((frames, 178)) > 0.2
    return x * mask[..., None], mask


def test_array_pose_file_round_trip(tmp_path):
    x, mask = _random()
    write_pose(array_to_pose(x, mask), tmp_path / "a.pose")
    y, mask2 = pose_to_array(read_pose(tmp_path / "a.pose"))
    np.testing.assert_array_equal(mask, mask2)
    np.testing.assert_allclose(x, y, atol=1e-6)
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves nothing behind


def test_real_corpus_pose_round_trip(small_corpus):
    sample = small_corpus.split("train")[0]
    pose = read_pose(small_corpus.pose_file(sample))
    x, mask = pose_to_array(pose)
    buf = io.BytesIO()
    array_to_pose(x, mask).write(buf)
    y, mask2 = pose_to_array(Pose.read(buf.getvalue()))
    np.testing.assert_array_equal(mask, mask2)
    np.testing.assert_allclose(x, y, atol=1e-6)
    assert x.shape == (sample.frames, 178, 3)


def test_array_shape_is_checked():
    with pytest.raises(SigngenError, match="expected"):
        array_to_pose(np.zeros((4, 100, 3)))


def test_norm_stats_ignore_masked_joints(tmp_path):
    x, mask = _random(frames=50)
    x[~mask] = 1000.0  # garbage where undetected must not leak into the statistics
    stats = NormStats.from_arrays([(x, mask)])
    valid = x[:, 0][mask[:, 0]]
    np.testing.assert_allclose(stats.mean[0], valid.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(stats.denormalize(stats.normalize(x)), x, rtol=1e-4, atol=1e-3)
    stats.save(tmp_path)
    loaded = NormStats.load(tmp_path)
    np.testing.assert_array_equal(loaded.std, stats.std)


def test_mirror_swaps_sides_and_is_an_involution():
    perm = mirror_permutation()
    assert (perm[perm] == np.arange(len(perm))).all()
    names = point_names(canonical_header())
    assert names[perm[joint_index("POSE_LANDMARKS", "LEFT_WRIST")]] == ("POSE_LANDMARKS", "RIGHT_WRIST")
    assert names[perm[joint_index("LEFT_HAND_LANDMARKS", "THUMB_TIP")]] == ("RIGHT_HAND_LANDMARKS", "THUMB_TIP")
    # face: outer eye corners 33 <-> 263 and mouth corners 61 <-> 291, chin 152 on the midline
    for a, b in [("33", "263"), ("61", "291"), ("152", "152")]:
        assert names[perm[joint_index("FACE_LANDMARKS", a)]] == ("FACE_LANDMARKS", b)
    x, mask = _random()
    x2, mask2 = mirror(*mirror(x, mask))
    np.testing.assert_allclose(x2, x)
    np.testing.assert_array_equal(mask2, mask)


def test_speed_change_resamples_and_keeps_mask():
    x, mask = _random(frames=40)
    y, m = change_speed(x, mask, 2.0)
    assert len(y) == 20 and m.shape == (20, 178)
    assert (y[~m] == 0).all()


def test_hands_to_wrist_round_trip_and_masks_fingers_without_a_wrist(small_corpus):
    from signgen.pose.skeleton import component_slices
    from signgen.pose.tensors import hands_from_wrist, hands_to_wrist

    x, mask = small_corpus.load(small_corpus.split("train")[0])
    rel, rmask = hands_to_wrist(x, mask)
    right = component_slices()["RIGHT_HAND_LANDMARKS"]
    seen = rmask[:, right.start + 8]
    # the index fingertip is stored as an offset from the right wrist, which stays absolute
    np.testing.assert_allclose(rel[seen, right.start + 8], (x[:, right.start + 8] - x[:, right.start])[seen], atol=1e-6)
    np.testing.assert_array_equal(rel[:, right.start], x[:, right.start])
    back = hands_from_wrist(rel)
    np.testing.assert_allclose(back[rmask], x[rmask], atol=1e-6)

    mask2 = mask.copy()
    mask2[:, right.start] = False  # wrist lost: its fingers cannot be expressed relative to it
    _, rmask2 = hands_to_wrist(x, mask2)
    assert not rmask2[:, right.start + 1 : right.stop].any()
