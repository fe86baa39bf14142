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
    assert RENDERERS.names()[:4] == ["skeleton", "avatar", "diffusion", "mesh"]


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


# ---- pose maps -----------------------------------------------------------------------------------------------
from signgen.pose.tensors import pose_to_array  # noqa: E402
from signgen.render.posemap import BODY_COLORS, draw_posemap  # noqa: E402


def test_posemap_draws_openpose_colours_and_skips_masked_joints():
    x, mask = pose_to_array(canonical_pose(1))
    full = draw_posemap(x[0], mask[0], 256)
    assert full.shape == (256, 256, 3) and full.any()
    colours = {tuple(c) for c in full.reshape(-1, 3)}
    assert BODY_COLORS[2] in colours  # right-shoulder joint dot in OpenPose's colour
    assert (255, 255, 255) in colours  # face dots
    hands = component_slices()
    no_hands = mask[0].copy()
    no_hands[hands["LEFT_HAND_LANDMARKS"]] = no_hands[hands["RIGHT_HAND_LANDMARKS"]] = False
    drawn = draw_posemap(x[0], no_hands, 256)
    assert (0, 0, 255) in colours and (0, 0, 255) not in {tuple(c) for c in drawn.reshape(-1, 3)}  # hand joints gone
    # all joints masked: nothing at all is drawn (in particular nothing at the origin or the corner)
    assert not draw_posemap(x[0], np.zeros_like(mask[0]), 256).any()


# ---- avatar ----------------------------------------------------------------------------------------------------
def test_avatar_is_deterministic_and_draws_hands_where_the_skeleton_has_them():
    from signgen.render.layout import hand_slice, to_pixels

    pose = canonical_pose(3)
    r = make_renderer("avatar", size=256)
    a, b = r.render(pose), r.render(pose)
    assert a.shape == (3, 256, 256, 3) and np.array_equal(a, b)
    x, mask = pose_to_array(pose)
    tip = to_pixels(x[0, hand_slice("RIGHT")][8], 256).round().astype(int)  # index finger tip
    skin = np.array(r.style.skin)
    patch = a[0, tip[1] - 3 : tip[1] + 4, tip[0] - 3 : tip[0] + 4].reshape(-1, 3)
    assert (np.abs(patch.astype(int) - skin).sum(-1) < 40).any()
    no_hand = mask.copy()
    no_hand[:, hand_slice("RIGHT")] = False
    c = r.render_arrays(x, no_hand)
    patch = c[0, tip[1] - 3 : tip[1] + 4, tip[0] - 3 : tip[0] + 4].reshape(-1, 3)
    assert not (np.abs(patch.astype(int) - skin).sum(-1) < 40).any()


def test_avatar_hand_zoom_magnifies_the_signing_hand_and_leaves_the_rest():
    from signgen.render.closeup import FRACTION, signing_hand_track
    from signgen.render.layout import hand_slice

    x, mask = pose_to_array(canonical_pose(4))
    plain = make_renderer("avatar", size=256).render_arrays(x, mask)
    zoomed = make_renderer("avatar", size=256, hand_zoom=True).render_arrays(x, mask)
    side = int(round(FRACTION * 256))
    inset = (slice(0, side + 4), slice(256 - side - 4, 256))
    outside = np.ones((256, 256), bool)
    outside[inset] = False
    assert np.array_equal(plain[:, outside], zoomed[:, outside])  # the signer itself is untouched
    skin = np.array((232, 190, 160))

    def skin_pixels(img):
        return int((np.abs(img.astype(int) - skin).sum(-1) < 40).sum())

    # the close-up shows the hand magnified: many times the skin pixels the hand covers in the full frame
    no_hands = mask.copy()
    for side_name in ("LEFT", "RIGHT"):
        no_hands[:, hand_slice(side_name)] = False
    hand_area = skin_pixels(plain[0]) - skin_pixels(make_renderer("avatar", size=256).render_arrays(x, no_hands)[0])
    assert hand_area > 0 and skin_pixels(zoomed[0][inset]) > 4 * hand_area
    # the raised hand is the one followed; a sequence without hands gets no close-up
    raised = x.copy()
    raised[:, hand_slice("LEFT"), 1] -= 1.0  # the signer's left hand lifted by a shoulder width
    track = signing_hand_track(raised, mask)
    assert track.shape == (4, 2)
    left, right = (raised[:, hand_slice(h), :2].mean((0, 1)) for h in ("LEFT", "RIGHT"))
    assert np.abs(track - left).max() < 0.05 < np.abs(track - right).min()  # follows the left hand, smoothed
    assert signing_hand_track(x, no_hands) is None
    assert np.array_equal(make_renderer("avatar", size=256, hand_zoom=True).render_arrays(x, no_hands),
                          make_renderer("avatar", size=256).render_arrays(x, no_hands))


def test_skeleton_hand_zoom_draws_the_hand_in_the_corner_only():
    from signgen.render.closeup import FRACTION

    pose = canonical_pose(3)
    plain = make_renderer("skeleton", size=256).render(pose)
    zoomed = make_renderer("skeleton", size=256, hand_zoom=True).render(pose)
    side = int(round(FRACTION * 256))
    corner = zoomed[:, 2 : 2 + side, 256 - side - 2 : 254]
    outside = np.ones((256, 256), bool)
    outside[: side + 4, 256 - side - 4 :] = False
    assert np.array_equal(plain[:, outside], zoomed[:, outside])
    drawn = lambda img: int((img < 200).any(-1).sum())  # noqa: E731
    assert drawn(corner[0]) > 3 * drawn(plain[0][2 : 2 + side, 256 - side - 2 : 254]) + 100  # the hand, magnified


# ---- frames dir, training, diffusion rendering ------------------------------------------------------------------
@pytest.fixture(scope="module")
def frames_dir(small_corpus, tmp_path_factory):
    from signgen.cli import main

    out = tmp_path_factory.mktemp("frames")
    assert main(["data", "frames", "--corpus", str(small_corpus.root), "-o", str(out), "--size", "32", "--clips", "3",
                 "--signers", "2", "--quiet"]) == 0
    return out


def test_frames_dir_layout(frames_dir):
    from signgen.render.framesdir import load_clip, read_clips

    clips = read_clips(frames_dir)
    assert len(clips) == 3 and {c.split for c in clips} >= {"train", "val"}
    frames, x, mask = load_clip(frames_dir, clips[0], 32)
    assert frames.shape == (clips[0].frames, 32, 32, 3) and x.shape == (clips[0].frames, 178, 3)


def _tiny_render(tmp_path, model_dir, pose_path):
    from signgen.cli import main
    from signgen.video import read_video_frames

    out = tmp_path / "d.mp4"
    assert main(["render", str(pose_path), "-o", str(out), "--renderer", "diffusion", "--renderer-model", str(model_dir),
                 "--size", "64", "--steps", "2", "--side-by-side", "--quiet"]) == 0
    frames, fps = read_video_frames(out)
    assert frames.shape[1:] == (64, 128, 3) and fps == pytest.approx(25)
    return frames


def test_train_from_scratch_then_render(frames_dir, tmp_path):
    from signgen.cli import main
    from signgen.render.diffusion.model import RendererModel

    run = tmp_path / "run"
    assert main(["train", "renderer", "--frames", str(frames_dir), "-o", str(run), "--config", "tiny", "--quiet"]) == 0
    model = RendererModel.from_pretrained(run / "model")
    from signgen.render.framesdir import read_clips

    assert model.cfg.signers == sorted({c.signer for c in read_clips(frames_dir)}) and model.unet.config.in_channels == 4 + 4 + 3 * 2 * 2
    assert list((run / "samples").glob("step-*.png")) and list((run / "vae" / "samples").glob("vae-*.png"))
    frames = _tiny_render(tmp_path, run / "model", next(frames_dir.glob("*/pose.pose")))
    assert frames[:, :, 64:].std() > 0  # the diffusion half is not blank
    # resume: a finished run re-run does no new steps and gives the same weights
    before = (run / "model" / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()
    assert main(["train", "renderer", "--frames", str(frames_dir), "-o", str(run), "--config", "tiny", "--quiet"]) == 0
    assert (run / "model" / "unet" / "diffusion_pytorch_model.safetensors").read_bytes() == before


def _tiny_sd(root):
    """A tiny random 'Stable Diffusion 1.5' + 'OpenPose ControlNet' in diffusers layout."""
    from diffusers import AutoencoderKL, ControlNetModel, DDPMScheduler, UNet2DConditionModel

    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=[8, 16], down_block_types=["DownEncoderBlock2D"] * 2,
                        up_block_types=["UpDecoderBlock2D"] * 2, latent_channels=4, norm_num_groups=8, sample_size=32)
    unet = UNet2DConditionModel(sample_size=16, in_channels=4, out_channels=4, block_out_channels=[16, 32],
                                down_block_types=["CrossAttnDownBlock2D", "DownBlock2D"], up_block_types=["UpBlock2D", "CrossAttnUpBlock2D"],
                                layers_per_block=1, cross_attention_dim=24, attention_head_dim=8, norm_num_groups=8)
    cn = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(8, 16))
    vae.save_pretrained(root / "sd" / "vae")
    unet.save_pretrained(root / "sd" / "unet")
    DDPMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012).save_pretrained(root / "sd" / "scheduler")
    cn.save_pretrained(root / "cn")
    return root / "sd", root / "cn"


def test_finetune_from_base_model_and_controlnet_dirs(frames_dir, tmp_path):
    from signgen.cli import main
    from signgen.render.diffusion.model import RendererModel

    sd, cn = _tiny_sd(tmp_path)
    run = tmp_path / "ft"
    assert main(["train", "renderer", "--frames", str(frames_dir), "-o", str(run), "--config", "tiny", "--base-model", str(sd),
                 "--controlnet", str(cn), "--quiet"]) == 0
    model = RendererModel.from_pretrained(run / "model")
    assert model.cfg.pose_input == "controlnet" and model.controlnet is not None
    assert model.unet.config.in_channels == 8 and model.unet.config.cross_attention_dim == 24  # conv_in widened for the previous frame
    assert not (run / "vae" / "model").exists()  # the base model's VAE was used, not trained
    _tiny_render(tmp_path, run / "model", next(frames_dir.glob("*/pose.pose")))


def test_shared_noise_and_previous_frame_conditioning(frames_dir, tmp_path):
    """Same seed -> same video; the previous frame changes the next one (the cross-frame mechanism is live)."""
    from signgen.render.diffusion import DiffusionRenderer
    from signgen.render.diffusion.config import RendererConfig
    from signgen.render.diffusion.model import RendererModel, build_unet, build_vae

    cfg = RendererConfig(size=32)
    cfg.vae.block_out_channels = [8, 16]
    cfg.unet.block_out_channels, cfg.unet.norm_num_groups = [16, 32, 32], 8
    torch.manual_seed(0)
    model = RendererModel(cfg, build_vae(cfg), build_unet(cfg, 4, 2)).eval()
    torch.nn.init.normal_(model.unet.conv_out.weight, std=0.1)  # diffusers zero-inits nothing here, but be explicit
    pose = canonical_pose(3)
    r = DiffusionRenderer(model, size=32, steps=2, seed=3)
    a, b = r.render(pose), r.render(pose)
    assert np.array_equal(a, b)
    x, mask = pose_to_array(pose)
    from signgen.render.posemap import posemaps

    pm = posemaps(x, mask, 32)
    with torch.no_grad():
        z = torch.randn(1, 4, 16, 16)
        p = torch.from_numpy(pm[0]).permute(2, 0, 1)[None].float() / 255
        e0 = model.eps(z, torch.tensor([500]), p, None, torch.tensor([0]))
        e1 = model.eps(z, torch.tensor([500]), p, torch.randn(1, 4, 16, 16), torch.tensor([0]))
    assert not torch.allclose(e0, e1)


def test_close_up_frames_teach_the_renderer_the_hand_close_up(small_corpus, tmp_path):
    """`data frames --close-ups` adds each clip's hand close-up (magnified pose, avatar close-up drawing) as view
    'closeup'; a renderer trained on them records the view and draws the corner close-up itself, and only there."""
    from signgen.cli import main
    from signgen.pose.io import read_pose
    from signgen.render.closeup import close_up_size
    from signgen.render.diffusion import DiffusionRenderer
    from signgen.render.framesdir import load_clip, read_clips

    frames = tmp_path / "frames"
    assert main(["data", "frames", "--corpus", str(small_corpus.root), "-o", str(frames), "--size", "32", "--clips", "2",
                 "--signers", "1", "--close-ups", "--quiet"]) == 0
    clips = read_clips(frames)
    body = [c for c in clips if c.view == "body"]
    close = [c for c in clips if c.view == "closeup"]
    assert len(body) == 2 and [c.clip for c in close] == [c.clip + ".closeup" for c in body]
    assert [(c.split, c.signer, c.frames) for c in close] == [(c.split, c.signer, c.frames) for c in body]
    img_b, x_b, _ = load_clip(frames, body[0], 32)
    img_c, x_c, m_c = load_clip(frames, close[0], 32)
    # magnified: shoulders far apart, and not the body frame redrawn
    from signgen.render.layout import body_index

    b = body_index()
    width = lambda x: np.abs(x[:, b["LEFT_SHOULDER"], 0] - x[:, b["RIGHT_SHOULDER"], 0]).mean()  # noqa: E731
    assert width(x_c) > 3 * width(x_b) and np.abs(img_c.astype(int) - img_b).mean() > 5
    run = tmp_path / "run"
    assert main(["train", "renderer", "--frames", str(frames), "-o", str(run), "--config", "tiny", "--quiet"]) == 0
    pose = read_pose(frames / body[0].clip / "pose.pose")
    plain = DiffusionRenderer.from_pretrained(run / "model", size=64, steps=2).render(pose)
    zoom_r = DiffusionRenderer.from_pretrained(run / "model", size=64, steps=2, hand_zoom=True)
    assert zoom_r.model.cfg.views == ["body", "closeup"] and zoom_r.hand_zoom
    zoomed = zoom_r.render(pose)
    side = close_up_size(64)
    corner = np.zeros((64, 64), bool)
    corner[: side + 4, 64 - side - 4 :] = True
    assert np.array_equal(zoomed[:, ~corner], plain[:, ~corner]) and not np.array_equal(zoomed[:, corner], plain[:, corner])
    # a model trained on body frames only (views ["body"], as every renderer before close-ups) draws no close-up
    zoom_r.model.cfg.views = ["body"]
    assert not DiffusionRenderer(zoom_r.model, size=64, steps=2, hand_zoom=True).hand_zoom

    # or each view its own renderer: `views=` trains on one view only; a close-up renderer placed in a body
    # renderer's closeup/ draws the corner, and only the corner
    import shutil

    from signgen.errors import SigngenError

    for view in ("body", "closeup"):
        assert main(["train", "renderer", "--frames", str(frames), "-o", str(tmp_path / view), "--config", "tiny",
                     "--quiet", f"views=[{view}]"]) == 0
    shutil.copytree(tmp_path / "closeup" / "model", tmp_path / "body" / "model" / "closeup")
    pair = DiffusionRenderer.from_pretrained(tmp_path / "body" / "model", size=64, steps=2, hand_zoom=True)
    assert pair.model.cfg.views == ["body"] and pair.closeup.cfg.views == ["closeup"] and pair.hand_zoom
    alone = DiffusionRenderer(pair.model, size=64, steps=2).render(pose)
    both = pair.render(pose)
    assert np.array_equal(both[:, ~corner], alone[:, ~corner]) and not np.array_equal(both[:, corner], alone[:, corner])
    corner_by_pair = DiffusionRenderer(pair.model, size=64, steps=2, hand_zoom=True, closeup=pair.closeup).render(pose)
    assert np.array_equal(corner_by_pair, both)
    shutil.rmtree(tmp_path / "body" / "model" / "closeup")
    shutil.copytree(tmp_path / "body" / "model", tmp_path / "body" / "model" / "closeup")  # a body renderer there
    with pytest.raises(SigngenError, match="not close-ups"):
        DiffusionRenderer.from_pretrained(tmp_path / "body" / "model")
    assert main(["train", "renderer", "--frames", str(frames), "-o", str(tmp_path / "x"), "--config", "tiny", "--quiet",
                 "views=[hands]"]) == 2


def test_independent_frames_are_sampled_in_batches_like_one_by_one():
    """Without previous-frame conditioning frames are denoised in batches; the result matches one frame at a time."""
    from signgen.render.diffusion.config import RendererConfig
    from signgen.render.diffusion.model import RendererModel, build_unet, build_vae
    from signgen.render.posemap import posemaps

    cfg = RendererConfig(size=32, prev_frame=False)
    cfg.vae.block_out_channels = [8, 16]
    cfg.unet.block_out_channels, cfg.unet.norm_num_groups = [16, 32, 32], 8
    torch.manual_seed(0)
    model = RendererModel(cfg, build_vae(cfg), build_unet(cfg, 4, 2)).eval()
    torch.nn.init.normal_(model.unet.conv_out.weight, std=0.1)
    x, mask = pose_to_array(canonical_pose(5))
    pm = posemaps(x, mask, 32)
    one = model.sample_clip(pm, steps=2, seed=1, batch_size=1)
    many = model.sample_clip(pm, steps=2, seed=1, batch_size=3)
    assert one.shape == many.shape == (5, 32, 32, 3) and np.abs(one.astype(int) - many).max() <= 1
    assert not np.array_equal(one[0], one[-1])  # frames follow their own pose maps


# ---- bad input -------------------------------------------------------------------------------------------------
import torch  # noqa: E402


@pytest.mark.parametrize("case", ["missing-pose", "corrupt-pose", "missing-model", "model-missing-part", "bad-size", "bad-renderer"])
def test_render_bad_inputs_are_one_line_errors(case, tmp_path, capsys):
    from signgen.cli import main
    from signgen.pose import write_pose

    good = tmp_path / "a.pose"
    write_pose(canonical_pose(2), good)
    args = ["render", str(good), "-o", str(tmp_path / "o.mp4"), "--quiet"]
    if case == "missing-pose":
        args[1] = str(tmp_path / "nope.pose")
    elif case == "corrupt-pose":
        (tmp_path / "bad.pose").write_bytes(b"\x00\x01garbage")
        args[1] = str(tmp_path / "bad.pose")
    elif case == "missing-model":
        args += ["--renderer", "diffusion", "--renderer-model", str(tmp_path / "nomodel")]
    elif case == "model-missing-part":
        (tmp_path / "m").mkdir()
        (tmp_path / "m" / "config.json").write_text('{"_class_name": "RendererModel"}')
        args += ["--renderer", "diffusion", "--renderer-model", str(tmp_path / "m")]
    elif case == "bad-size":
        args += ["--size", "99999"]
    else:
        args += ["--renderer", "photoreal"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("signgen: error: ")
    assert not (tmp_path / "o.mp4").exists()


def test_each_backend_writes_h264(tmp_path):
    import av

    from signgen.cli import main
    from signgen.pose import write_pose

    write_pose(canonical_pose(4), tmp_path / "a.pose")
    for kind in ("skeleton", "avatar"):
        out = tmp_path / f"{kind}.mp4"
        assert main(["render", str(tmp_path / "a.pose"), "-o", str(out), "--renderer", kind, "--size", "128",
                     "--sheet", str(tmp_path / f"{kind}.png"), "--quiet"]) == 0
        with av.open(str(out)) as c:
            assert c.streams.video[0].codec_context.name == "h264" and c.streams.video[0].frames in (0, 4)
        assert (tmp_path / f"{kind}.png").stat().st_size > 500


# ---- metrics ---------------------------------------------------------------------------------------------------
def test_quality_metrics_on_known_videos(tmp_path):
    from signgen.render.metrics import drift, excess_flicker, fid, flicker, psnr, ssim

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    assert ssim(a, a) == pytest.approx(1.0) and psnr(a, a) > 100
    b = np.clip(a.astype(int) + 10, 0, 255).astype(np.uint8)
    assert 20 < psnr(a, b) < 30 and ssim(a, b) < 1
    still = np.repeat(a[:1], 4, 0)
    assert flicker(still) == 0 and flicker(a) > 0.2
    assert excess_flicker(a, a) == 0 and excess_flicker(still, a) == pytest.approx(flicker(a), rel=0.2)
    # drift: a clip whose last quarter turns to noise is worse at its end than on average; a faithful one is not
    clip = np.repeat(a[:1], 8, 0)
    decayed = clip.copy()
    decayed[6:] = rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    assert drift(clip, clip) == pytest.approx(0) and drift(decayed, clip) > 0.5
    # FID with a local TorchScript feature extractor (a stand-in for Inception with the same call signature)
    class Feat(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.adaptive_avg_pool2d(x, 2).flatten(1)

    path = tmp_path / "feat.pt"
    torch.jit.script(Feat()).save(str(path))
    assert fid(a, a, path) == pytest.approx(0, abs=1e-3) and fid(a, b, path) > 1
    with pytest.raises(SigngenError, match="not found"):
        fid(a, b, tmp_path / "missing.pt")


def test_frames_directory_carries_its_layout_version(frames_dir, tmp_path):
    import json
    import shutil

    from signgen.render.framesdir import INFO, LAYOUT_VERSION, read_clips

    assert json.loads((frames_dir / INFO).read_text()) == {"layout_version": LAYOUT_VERSION}
    other = tmp_path / "frames"
    shutil.copytree(frames_dir, other)
    (other / INFO).write_text(json.dumps({"layout_version": LAYOUT_VERSION + 1}))
    with pytest.raises(SigngenError, match=f"frames layout version {LAYOUT_VERSION + 1}, this signgen reads {LAYOUT_VERSION}"):
        read_clips(other)
    (other / INFO).unlink()  # a hand-made directory without frames.json is read by its clips.csv
    assert read_clips(other) == read_clips(frames_dir)
