"""SMPL-X fitting, export and mesh render on a synthetic SMPL-X model file (the licensed one is not available)."""

import numpy as np
import pytest
import torch

from signgen.cli import main
from signgen.config import load_config
from signgen.errors import SigngenError
from signgen.pose import array_to_pose, write_pose
from signgen.smplx.fit import POSE_KEYS, SmplxFitConfig, fit_smplx, load_fit, save_fit
from signgen.smplx.model import KeypointModel, correspondence, find_model_file, load_smplx
from signgen.smplx.synthetic import LEG_JOINTS, synthetic_motion, write_synthetic_model
from signgen.video import read_video_frames

# The tolerances docs/smplx.md states for recovery from keypoints of the same (synthetic) model, default preset.
KEYPOINT_TOL = 0.025  # mean keypoint error, shoulder widths
VERTEX_TOL = 0.05  # mean error of the upper-body mesh vertices, shoulder widths
HAND_TOL = 0.2  # mean absolute finger-joint axis-angle error, radians
JAW_TOL = 0.05  # mean absolute jaw-opening error, radians


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("smplx_model")
    write_synthetic_model(d)
    return d


@pytest.fixture(scope="session")
def motion(model_dir):
    return synthetic_motion(model_dir, frames=16, seed=1)


@pytest.fixture(scope="session")
def fitted(model_dir, motion):
    x, mask, _ = motion
    return fit_smplx(x, mask, model_dir, load_config(SmplxFitConfig, "default", group="smplx"))


def test_synthetic_file_loads_in_smplx_with_the_real_shapes(model_dir):
    with np.load(model_dir / "SMPLX_NEUTRAL.npz") as z:
        assert z["v_template"].shape == (10475, 3) and z["kintree_table"].shape == (2, 55)
        assert z["J_regressor"].shape == (55, 10475) and z["weights"].shape == (10475, 55)
        assert z["posedirs"].shape == (10475, 3, 486) and z["hands_componentsl"].shape == (45, 45)
    out = load_smplx(model_dir, batch_size=2)(return_verts=True)
    assert out.vertices.shape == (2, 10475, 3) and out.joints.shape == (2, 127, 3)


def test_keypoint_model_equals_the_smplx_forward(model_dir):
    model = load_smplx(model_dir, batch_size=3)
    g = torch.Generator().manual_seed(0)
    p = {k: 0.3 * torch.randn(3, d, generator=g) for k, d in
         dict(global_orient=3, body_pose=63, left_hand_pose=45, right_hand_pose=45, jaw_pose=3, leye_pose=3,
              reye_pose=3, expression=10, transl=3).items()}
    betas = torch.randn(1, 10, generator=g)
    with torch.no_grad():
        ref = model(betas=betas.expand(3, -1), return_verts=True, **p)
        km = KeypointModel(model)
        assert torch.allclose(km(p, betas), ref.joints, atol=1e-5)
        assert torch.allclose(km.vertices(p, betas), ref.vertices, atol=1e-5)


def test_correspondence_covers_body_hands_and_face():
    src, dst, part = correspondence()
    assert (part == 0).sum() == 8 and (part == 1).sum() == 42 and (part == 2).sum() == 42
    assert len(set(src.tolist())) == len(src) and dst.max() <= 126


@pytest.mark.slow
def test_fit_recovers_known_parameters(model_dir, motion, fitted):
    x, mask, truth = motion
    err = fitted["keypoint_error"]
    assert np.nanmean(err) < KEYPOINT_TOL
    # mesh: compare in canonical units (each mesh over its own scale, centred on its shoulder midpoint)
    km = KeypointModel(load_smplx(model_dir))
    up = ~np.isin(km.model.lbs_weights.argmax(1).numpy(), LEG_JOINTS)

    def mesh(p):
        with torch.no_grad():
            v = km.vertices({k: torch.as_tensor(np.asarray(p[k], np.float32)) for k in POSE_KEYS},
                            torch.as_tensor(np.asarray(p["betas"], np.float32))[None]).numpy()
            j = km({k: torch.as_tensor(np.asarray(p[k], np.float32)) for k in POSE_KEYS},
                   torch.as_tensor(np.asarray(p["betas"], np.float32))[None]).numpy()
        centre = (j[:, 16] + j[:, 17]).mean(0) / 2
        return (v[:, up] - centre) / p["canonical_scale"]

    assert np.linalg.norm(mesh(fitted) - mesh(truth), axis=-1).mean() < VERTEX_TOL
    for side in ("left_hand_pose", "right_hand_pose"):
        assert np.abs(fitted[side] - truth[side]).mean() < HAND_TOL
    assert np.abs(fitted["jaw_pose"][:, 0] - truth["jaw_pose"][:, 0]).mean() < JAW_TOL
    # the start (A-pose, mean hands) is far from the truth: the fit moved there
    assert np.abs(truth["left_hand_pose"] - truth["left_hand_pose"].mean(0)).mean() > HAND_TOL / 4


def test_fit_ignores_missing_joints(model_dir, motion):
    x, mask, _ = motion
    x, mask = x[:6].copy(), mask[:6].copy()
    left = slice(136, 157)  # LEFT_HAND_LANDMARKS
    mask[2:4, left] = False
    x[2:4, left] = 0.0  # placeholders, as in a real missing detection
    cfg = load_config(SmplxFitConfig, "fast", ["shape_iters=40", "iters=30"], group="smplx")
    res = fit_smplx(x, mask, model_dir, cfg)
    assert np.isnan(res["keypoint_error"][2:4, left]).all()
    assert np.isfinite(res["left_hand_pose"]).all()
    assert np.nanmean(res["keypoint_error"]) < 3 * KEYPOINT_TOL


def test_npz_layout_round_trip(tmp_path, fitted):
    path = save_fit(fitted, tmp_path / "x_smplx.npz")
    with np.load(path) as z:
        T = len(fitted["transl"])
        shapes = {k: z[k].shape for k in z.files}
        assert shapes["global_orient"] == (T, 3) and shapes["body_pose"] == (T, 63)
        assert shapes["left_hand_pose"] == (T, 45) and shapes["right_hand_pose"] == (T, 45)
        assert shapes["jaw_pose"] == shapes["leye_pose"] == shapes["reye_pose"] == (T, 3)
        assert shapes["expression"] == (T, 10) and shapes["betas"] == (10,) and shapes["transl"] == (T, 3)
        assert str(z["gender"]) == "neutral" and float(z["fps"]) == 25.0
        assert shapes["poses"] == (T, 165) and np.allclose(z["poses"][:, 66:69], z["jaw_pose"])
        assert np.allclose(z["poses"][:, 75:120], z["left_hand_pose"]) and np.allclose(z["trans"], z["transl"])
    back = load_fit(path)
    assert np.allclose(back["body_pose"], fitted["body_pose"]) and back["gender"] == "neutral"


def test_cli_pose_to_npz_to_mesh_video(tmp_path, model_dir, motion):
    x, mask, _ = motion
    write_pose(array_to_pose(x[:8], mask[:8]), tmp_path / "x.pose")
    npz, mp4, sheet = tmp_path / "x_smplx.npz", tmp_path / "x.mp4", tmp_path / "x.png"
    assert main(["smplx", "fit", str(tmp_path / "x.pose"), "--model-dir", str(model_dir), "-o", str(npz),
                 "--config", "fast", "--quiet", "shape_iters=40", "iters=20"]) == 0
    assert main(["smplx", "render", str(npz), "--model-dir", str(model_dir), "-o", str(mp4), "--size", "128",
                 "--sheet", str(sheet), "--quiet"]) == 0
    frames, fps = read_video_frames(mp4)
    assert frames.shape == (8, 128, 128, 3) and fps == pytest.approx(25)
    body = frames.astype(int).sum(-1) < 700  # non-white pixels: the mesh
    assert 0.05 < body.mean() < 0.8
    assert body[:, 40:90, 54:74].mean() > 0.5  # torso in the middle of the frame
    assert sheet.stat().st_size > 1000


def test_render_mesh_returns_uint8_frames(model_dir, fitted):
    from signgen.smplx.render import render_mesh

    frames = render_mesh({**fitted, **{k: np.asarray(fitted[k])[:2] for k in POSE_KEYS}}, model_dir, size=64)
    assert frames.shape == (2, 64, 64, 3) and frames.dtype == np.uint8
    assert (frames < 250).any() and (frames == 255).any()


def _one_line_error(capsys, argv, expect):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("signgen: error:") and expect in err[0], err


def test_bad_model_dir_gender_and_version(tmp_path, capsys, motion):
    x, mask, _ = motion
    write_pose(array_to_pose(x[:4], mask[:4]), tmp_path / "x.pose")
    fit = ["smplx", "fit", str(tmp_path / "x.pose"), "-o", str(tmp_path / "o.npz"), "--model-dir"]
    _one_line_error(capsys, fit + [str(tmp_path / "nope")], "no such model directory")
    male = tmp_path / "male"
    male.mkdir()
    (male / "SMPLX_MALE.npz").write_bytes(b"")
    _one_line_error(capsys, fit + [str(male)], "no SMPLX_NEUTRAL.npz")
    _one_line_error(capsys, fit + [str(male / "SMPLX_MALE.npz")], "is the male model")
    old = tmp_path / "smplh"
    old.mkdir()
    np.savez(old / "SMPLX_NEUTRAL.npz", v_template=np.zeros((6890, 3)), kintree_table=np.zeros((2, 52)))
    _one_line_error(capsys, fit + [str(old)], "is a SMPL or SMPL-H model")
    assert not (tmp_path / "o.npz").exists()


def test_pose_without_depth_is_refused(tmp_path, capsys, model_dir, motion):
    x, mask, _ = motion
    flat = x[:4].copy()
    flat[..., 2] = 0
    write_pose(array_to_pose(flat, mask[:4]), tmp_path / "flat.pose")
    _one_line_error(capsys, ["smplx", "fit", str(tmp_path / "flat.pose"), "--model-dir", str(model_dir), "-o",
                             str(tmp_path / "o.npz")], "needs 3D keypoints")


def test_find_model_file_accepts_the_file_or_its_folder(model_dir):
    assert find_model_file(model_dir) == find_model_file(model_dir / "SMPLX_NEUTRAL.npz")
    with pytest.raises(SigngenError, match="gender 'robot'"):
        find_model_file(model_dir, "robot")


def test_render_cli_mesh_backend_fits_and_draws_a_pose(model_dir, motion, tmp_path, capsys):
    from signgen.cli import main
    from signgen.pose import write_pose
    from signgen.pose.tensors import array_to_pose
    from signgen.video import read_video_frames

    x, mask, _ = motion
    write_pose(array_to_pose(x[:6], mask[:6]), tmp_path / "x.pose")
    out = tmp_path / "x.mp4"
    assert main(["render", str(tmp_path / "x.pose"), "-o", str(out), "--renderer", "mesh", "--renderer-model", str(model_dir),
                 "--size", "96", "--quiet"]) == 0
    frames, _ = read_video_frames(out)
    assert frames.shape[:3] == (6, 96, 96) and frames.std() > 5  # a drawn mesh, not a blank frame
    assert main(["render", str(tmp_path / "x.pose"), "-o", str(out), "--renderer", "mesh", "--quiet"]) == 2
    assert "SMPLX_NEUTRAL.npz" in capsys.readouterr().err
