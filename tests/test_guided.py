"""Inpainting, lexicon-guided generation and pose editing (issue 18)."""

import csv

import numpy as np
import pytest
import torch

from signgen.cli import main
from signgen.errors import SigngenError
from signgen.lexicon import Lexicon
from signgen.motion.config import DenoiserConfig, MotionConfig
from signgen.motion.diffusion import sample
from signgen.motion.edit import Keep
from signgen.motion.generate import generate_pose, plan
from signgen.motion.guided import WRIST, LexiconGuide, slot_weights
from signgen.motion.inpaint import Known
from signgen.motion.model import MotionModel
from signgen.shipped import MOTION
from signgen.pipeline import SignPipeline
from signgen.pose import array_to_pose, pose_to_array, read_pose, write_pose
from signgen.pose.skeleton import component_slices, joint_index, num_joints, two_handed
from signgen.pose.tensors import hands_to_wrist
from signgen.text.encoders import TextEncoderConfig

RIGHT = component_slices()["RIGHT_HAND_LANDMARKS"]
FINGERS = slice(RIGHT.start + 1, RIGHT.stop)


@pytest.fixture(scope="module")
def shipped():
    return MotionModel.from_pretrained(MOTION)


def untrained_model() -> MotionModel:
    cfg = MotionConfig(text=TextEncoderConfig(kind="char", alphabet=" abcdefghijklmnopqrstuvwxyz", dim=16, layers=1, heads=2),
                       denoiser=DenoiserConfig(dim=32, layers=1, heads=2, max_frames=64), languages=["ase"])
    torch.manual_seed(0)
    model = MotionModel(cfg).eval()
    for p in model.pose_out.parameters():  # the zero-initialised output layer would predict the mean only
        torch.nn.init.normal_(p, std=0.5)
    return model  # a fresh model normalizes with mean 0, std 1


@pytest.mark.parametrize("sampler", ["dpmsolver++", "ddim", "unipc", "ddpm"])
def test_inpainting_holds_known_values_and_generates_the_rest(sampler):
    model = untrained_model()
    frames, j = 20, num_joints()
    rng = np.random.default_rng(0)
    values = torch.from_numpy(rng.normal(size=(1, frames, j, 3)).astype(np.float32))
    weight = torch.zeros(1, frames, j)
    weight[:, 5:12, 100:140] = 1  # some joints of some frames
    known = Known(values, weight, torch.ones(1, frames, j, dtype=torch.bool))
    x, vis, _ = sample(model, ["abc"], ["ase"], frames=[frames], steps=6, sampler=sampler, known=known)
    held = weight[0] > 0
    torch.testing.assert_close(x[0][held], values[0][held])
    assert (vis[0][held] == 1).all()
    free, _, _ = sample(model, ["abc"], ["ase"], frames=[frames], steps=6, sampler=sampler)
    assert (x[0][~held] - values[0][~held]).abs().mean() > 0.1  # the rest is generated, not copied
    assert (x[0][held] - free[0][held]).abs().mean() > 0.1  # without inpainting those values differ


def test_inpainting_can_hold_joints_hidden_without_holding_their_values():
    model = untrained_model()
    frames, j = 20, num_joints()
    x = np.zeros((frames, j, 3), np.float32)
    mask = np.zeros((frames, j), bool)
    hide = np.zeros((frames, j), np.float32)
    hide[4:10, RIGHT] = 1  # the right hand is held out of view in frames 4-9, nothing else is held
    known = Known.from_canonical(model, x, mask, np.zeros((frames, j), np.float32), hide)
    assert known.weight.sum() == 0 and known.vis_weight[0, 4:10, RIGHT].min() == 1
    _, vis, _ = sample(model, ["abc"], ["ase"], frames=[frames], steps=4, known=known)
    free_x, free_vis, _ = sample(model, ["abc"], ["ase"], frames=[frames], steps=4)
    assert (vis[0, 4:10, RIGHT] == 0).all()
    assert (free_vis[0, 4:10, RIGHT] > 0).all()  # the untrained model would show it
    torch.testing.assert_close(vis[0, :4], free_vis[0, :4])  # the rest is the model's


def test_relative_hold_keeps_the_known_path_around_the_samples_own_place():
    model = untrained_model()
    frames, j = 24, num_joints()
    root = RIGHT.start
    path = np.zeros((1, frames, j, 3), np.float32)
    path[0, :, root, 0] = np.linspace(-1, 1, frames)  # a stroke to the right
    rel = torch.zeros(1, frames, j)
    rel[:, 6:18, root] = 1
    slot = torch.zeros(1, frames, dtype=torch.long)
    slot[:, 6:18] = 1
    known = Known(torch.from_numpy(path) + 5.0, torch.zeros(1, frames, j), torch.ones(1, frames, j, dtype=torch.bool),
                  rel_weight=rel, slot=slot)  # held 5 units away from anywhere the model goes: only its shape counts
    x, _, _ = sample(model, ["abc"], ["ase"], frames=[frames], steps=6, known=known)
    free, _, _ = sample(model, ["abc"], ["ase"], frames=[frames], steps=6)
    got = x[0, 6:18, root]
    offsets = got - got.mean(0)
    want = torch.from_numpy(path[0, 6:18, root] - path[0, 6:18, root].mean(0))
    torch.testing.assert_close(offsets, want)  # the whole stroke, as recorded
    place, free_place = got.mean(0), free[0, 6:18, root].mean(0)
    assert (place - free_place).norm() < 0.5 * (place - known.x[0, 6:18, root].mean(0)).norm()  # the model's place
    assert (free[0, 6:18, root] - free[0, 6:18, root].mean(0) - want).abs().mean() > 0.1  # the free sample has no such stroke
    torch.testing.assert_close(x[0, :6], free[0, :6], atol=0.3, rtol=0)  # outside the slot nothing is held
    both = Known.stack([known, Known(known.x, known.weight, known.visible)])  # with and without a relative part
    assert both.rel_weight[1].sum() == 0 and both.slot.shape == (2, frames)


def test_slot_weights_hold_the_middle_and_fade_to_the_edges():
    w = slot_weights(0, 10, 0.6)
    assert w[3:7].min() == 1 and w[0] < 0.5 and w[-1] < 0.5 and (np.diff(w[:5]) >= 0).all()
    lopsided = slot_weights(0, 20, 0.6, 0.05, 0.4)  # a short fade in, a long fade out
    assert lopsided[1:12].min() == 1 and lopsided[0] < 1 and lopsided[12] < 1 and lopsided[-1] < 0.1


def test_a_join_whose_fingers_change_a_lot_gets_wider_fades():
    from signgen.lexicon import Composition
    from signgen.motion.guided import fade_edges

    frames, j = 60, num_joints()
    x = np.zeros((frames, j, 3), np.float32)
    x[:, RIGHT.start] = [0.5, 0.5, 0]  # the wrist stays put
    x[20:40, FINGERS, 1] = 1.0  # the second letter's fingers are a shoulder width from the first's and the third's
    x[40:, FINGERS, 1] = 0.95
    mask = np.zeros((frames, j), bool)
    mask[:, RIGHT] = True
    comp = Composition(x, mask, [(0, 20), (20, 40), (40, 60)], [])
    default = (1 - 0.8) / 2
    assert fade_edges(comp, 0.8, 0.0) == [(default, default)] * 3  # off
    edges = fade_edges(comp, 0.8, 0.07)
    # 1.0 shoulder widths at 0.07 per frame need 14 frames of join: 0.35 of the two 20-frame slots (the widest)
    assert edges[0] == (default, 0.35) and edges[1] == (0.35, default) and edges[2] == (default, default)
    assert fade_edges(comp, 0.8, 0.14)[0][1] == pytest.approx((1.0 / 0.14) / 40)  # a gentler limit: 7.1 frames
    assert fade_edges(comp, 0.8, 0.5)[0] == (default, default)  # the default fades already fit 0.5 per frame


def test_smoothing_spreads_a_handshape_change_over_the_unheld_frames_and_leaves_held_ones():
    from signgen.motion.guided import smooth_joins

    frames, j = 30, num_joints()
    x = np.zeros((frames, j, 3), np.float32)
    x[:, RIGHT.start, 0] = np.linspace(0, 1, frames)  # the hand travels
    x[:, FINGERS, 1] = np.where(np.arange(frames) < 15, 0.0, 0.6)[:, None]  # one handshape, then another in one frame
    x[:, FINGERS] += x[:, RIGHT.start : RIGHT.start + 1]
    x[:, 0] = 3.0  # a body joint
    mask = np.zeros((frames, j), bool)
    mask[:, RIGHT] = mask[:, 0] = True
    mask[5, RIGHT.start + 4] = False  # one unseen finger joint
    held = np.zeros(frames, np.float32)
    held[:11], held[19:] = 1, 1  # two held letters, 8 generated frames between them
    held[11], held[18] = 0.5, 0.25  # the fades' first frames: half held, a quarter held
    out = smooth_joins(x, mask, held, 2.0)
    rel, rel_out = hands_to_wrist(x, mask)[0], hands_to_wrist(out, mask)[0]
    np.testing.assert_allclose(out[held >= 0.5], x[held >= 0.5], atol=1e-6)  # frames held at least half as they were
    assert np.abs(rel_out[18, FINGERS] - rel[18, FINGERS]).max() > 1e-3  # a quarter held: half its own, half smoothed
    np.testing.assert_allclose(out[:, [0, RIGHT.start]], x[:, [0, RIGHT.start]])  # body and the hand's place as they were
    assert out[5, RIGHT.start + 4].tolist() == x[5, RIGHT.start + 4].tolist()  # unseen: untouched
    step = np.abs(np.diff(rel[:, FINGERS, 1], axis=0)).max()
    smoothed = np.abs(np.diff(rel_out[:, FINGERS, 1], axis=0)).max()
    assert step == pytest.approx(0.6) and smoothed < 0.3  # the change is spread over the generated frames
    assert (np.diff(rel_out[:, FINGERS, 1].mean(1)) >= -1e-6).all()  # and still goes one way
    np.testing.assert_array_equal(smooth_joins(x, mask, held, 0.0), x)  # off


def guided_and_known(model, text, lang="ase", guide=None):
    guide = guide or LexiconGuide.load()
    frames, known, _ = plan(model, [text], [lang], guide)
    pose = generate_pose(model, text, lang, guide=guide)
    return pose, known, frames[0]


def test_guided_output_keeps_the_lexicon_handshapes_and_pure_output_does_not(shipped):
    model = shipped
    pose, known, frames = guided_and_known(model, "hello")
    x, mask = pose_to_array(pose)
    assert len(x) == frames
    held = known.weight[0].numpy() == 1  # (T, J)
    core = held[:, FINGERS].all(1)
    assert core.sum() >= 5 * 3  # every letter holds a few frames
    target = model.stats.denormalize(known.x[0].numpy())  # model representation: fingers relative to the hand root
    rel, _ = hands_to_wrist(x, mask)
    np.testing.assert_allclose(rel[core][:, FINGERS], target[core][:, FINGERS], atol=1e-4)
    pure_x, pure_mask = pose_to_array(generate_pose(model, "hello", "ase", guide=None))
    pure_rel, _ = hands_to_wrist(pure_x, pure_mask)
    assert np.abs(pure_rel[core][:, FINGERS] - target[core][:, FINGERS]).mean() > 5 * 1e-4
    # the body is generated: the guided arm moves, not a still copy of the lexicon
    assert np.abs(np.diff(x[:, 0:8], axis=0)).sum() > 0


def test_one_handed_letters_hide_the_other_hand_and_two_handed_letters_hold_both(shipped):
    left = component_slices()["LEFT_HAND_LANDMARKS"]
    pose, known, frames = guided_and_known(shipped, "hello")
    _, mask = pose_to_array(pose)
    hidden = (known.vis_weight[0] >= 0.5) & ~known.visible[0]  # (T, J) held out of view
    core = (known.weight[0, :, FINGERS] == 1).all(1).numpy()
    assert hidden[core][:, left].all()  # ASL letters: the resting left hand is out of view in every held frame
    assert not mask[core][:, left].any()
    assert not hidden[:, RIGHT].any()  # the signing hand is never hidden
    # where the hand is: pulled towards the recording's place at weight WRIST, not held
    np.testing.assert_allclose(known.weight[0][core][:, RIGHT.start].numpy(), WRIST)
    shown = LexiconGuide.load()
    shown.hide_other = False
    _, known_shown, _ = guided_and_known(shipped, "hello", guide=shown)
    assert not ((known_shown.vis_weight[0] >= 0.5) & ~known_shown.visible[0]).any()

    # Czech fingerspelling is two-handed: both hands' fingers are held, as the lexicon records them
    lexicon = Lexicon.builtin()
    assert two_handed(lexicon.clip("b", "cs", "cse").mask) and not two_handed(lexicon.clip("b", "en", "ase").mask)
    _, known_cs, _ = guided_and_known(shipped, "byl", lang="cse")
    held = known_cs.weight[0] == 1
    assert held[:, left.start + 1 : left.stop].any() and held[:, FINGERS].any()
    one = LexiconGuide.load()
    one.two_handed = False
    _, known_one, _ = plan(shipped, ["byl"], ["cse"], one)
    held_one = known_one.weight[0] == 1
    assert held_one.sum() < held.sum()


def test_guided_units_follow_the_lexicon_spelling():
    guide = LexiconGuide.load()
    units = guide.units("hello world", "ase")
    assert [[u.clip.key for u in w] for w in units] == [list("hello"), list("world")]
    assert [(u.start, u.end) for u in units[1]] == [(6, 7), (7, 8), (8, 9), (9, 10), (10, 11)]
    assert not guide.covers("xyz")


def write_lexicon(root, rows, poses):
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "index.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "spoken_language", "signed_language", "start", "end", "words", "glosses", "priority"])
        for r in rows:
            w.writerow(r)
    for name, pose in poses.items():
        write_pose(pose, root / name)
    return root


@pytest.fixture
def zorp_lexicon(tmp_path):
    """A user lexicon with one whole sign, "zorp" (en-ase), recorded as the built-in letter B's clip."""
    clip = Lexicon.builtin().clip("b", "en", "ase")
    return write_lexicon(tmp_path / "lex", [["zorp.pose", "en", "ase", 0, 0, "zorp", "ZORP", 0]],
                         {"zorp.pose": array_to_pose(clip.x, clip.mask)})


def test_user_lexicon_word_is_signed_as_a_whole_sign(shipped, zorp_lexicon):
    model = shipped
    guide = LexiconGuide.load(zorp_lexicon)
    units = guide.units("hi zorp", "ase")
    assert [u.whole_sign for u in units[1]] == [True] and len(units[1]) == 1
    pose, known, _ = guided_and_known(model, "hi zorp", guide=guide)
    x, mask = pose_to_array(pose)
    held = known.weight[0].numpy() == 1
    frames = held[:, RIGHT.start]  # a whole sign holds where the hand is, not only its shape
    assert frames.sum() >= 3
    # it lasts as long as its recording, not as long as the model would fingerspell z-o-r-p
    elbow = joint_index("POSE_LANDMARKS", "RIGHT_ELBOW")  # held by whole signs only (letters pull the hand root a little)
    slot = np.flatnonzero(known.weight[0, :, elbow].numpy() > 0)
    assert abs(len(slot) - len(Lexicon.from_dir(zorp_lexicon).clip("zorp", "en", "ase"))) <= 2
    target = model.stats.denormalize(known.x[0].numpy())
    rel, _ = hands_to_wrist(x, mask)
    np.testing.assert_allclose(rel[frames][:, RIGHT], target[frames][:, RIGHT], atol=1e-4)


def run(argv, capsys):
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    return rc, err


def test_cli_pose_guided_by_default_and_no_lexicon_gives_pure_generation(tmp_path, shipped, capsys):
    model = shipped
    rc, err = run(["pose", "hello", "-o", str(tmp_path / "g.pose")], capsys)
    assert rc == 0 and "lexicon-guided" in err[-1]
    rc, err = run(["pose", "hello", "-o", str(tmp_path / "p.pose"), "--no-lexicon"], capsys)
    assert rc == 0 and "pure generation" in err[-1]
    g, _ = pose_to_array(read_pose(tmp_path / "g.pose"))
    p, _ = pose_to_array(read_pose(tmp_path / "p.pose"))
    expected, _ = pose_to_array(generate_pose(model, "hello", "ase"))
    np.testing.assert_allclose(p, expected, atol=1e-5)
    assert np.abs(g - p).max() > 1e-3


def test_cli_user_lexicon(tmp_path, zorp_lexicon, capsys):
    rc, err = run(["pose", "hi zorp", "-o", str(tmp_path / "z.pose"), "--lexicon", str(zorp_lexicon)], capsys)
    assert rc == 0, err
    assert (tmp_path / "z.pose").exists()


def bad_lexicons(tmp_path):
    clip = Lexicon.builtin().clip("b", "en", "ase")
    good = {"zorp.pose": array_to_pose(clip.x, clip.mask)}
    missing = write_lexicon(tmp_path / "missing", [["gone.pose", "en", "ase", 0, 0, "zorp", "", 0]], {})
    corrupt = write_lexicon(tmp_path / "corrupt", [["zorp.pose", "en", "ase", 0, 0, "zorp", "", 0]], {})
    (corrupt / "zorp.pose").write_bytes(b"not a pose at all")
    german = write_lexicon(tmp_path / "german", [["zorp.pose", "de", "gsg", 0, 0, "zorp", "", 0]], good)
    (tmp_path / "noindex").mkdir()
    return {"noindex": (tmp_path / "noindex", "index.csv"), "missing": (missing, "gone.pose"),
            "corrupt": (corrupt, "zorp.pose"), "german": (german, "none for sign language 'ase'")}


def test_bad_lexicons_are_one_line_errors_without_output(tmp_path, capsys):
    for name, (lexicon, says) in bad_lexicons(tmp_path).items():
        out = tmp_path / f"{name}.pose"
        rc, err = run(["pose", "hi zorp", "-o", str(out), "--lexicon", str(lexicon)], capsys)
        assert rc == 2 and len(err) == 1 and str(lexicon) in err[0] and says in err[0], (name, err)
        assert not out.exists()


def test_characters_the_lexicon_lacks_are_generated_and_the_rest_held(tmp_path, shipped, capsys):
    model = shipped
    guide = LexiconGuide.load()
    # ñ is in the shipped model's alphabet, not among en-ase's letters: the other letters are still held
    assert [(u.clip.key, u.start) for u in guide.units("año x", "ase")[0]] == [("a", 0), ("o", 2)]
    _, known, _ = guided_and_known(model, "ñam")  # a word that starts with such a character
    held = (known.weight[0].numpy()[:, FINGERS] == 1).all(1)
    assert held.any() and not held[:3].any()
    out = tmp_path / "x.pose"
    assert run(["pose", "año", "-o", str(out)], capsys)[0] == 0 and out.exists()


def test_text_neither_lexicon_nor_alphabet_covers_is_a_one_line_error(tmp_path, capsys):
    out = tmp_path / "x.pose"
    rc, err = run(["pose", "hello5", "-o", str(out)], capsys)
    assert rc == 2 and len(err) == 1 and "5" in err[0] and not out.exists()


def test_edit_keeps_frames_and_body_parts(tmp_path, shipped, capsys):
    model = shipped
    old = tmp_path / "old.pose"
    write_pose(generate_pose(model, "hello", "ase", seed=3, guide=None), old)
    ox, om = pose_to_array(read_pose(old))
    rc, err = run(["pose", "world", "-o", str(tmp_path / "a.pose"), "--edit", str(old), "--keep", "frames=0:10,40:50"], capsys)
    assert rc == 0, err
    ax, _ = pose_to_array(read_pose(tmp_path / "a.pose"))
    assert len(ax) == len(ox)
    np.testing.assert_allclose(ax[0:10][om[0:10]], ox[0:10][om[0:10]], atol=1e-4)
    np.testing.assert_allclose(ax[40:50][om[40:50]], ox[40:50][om[40:50]], atol=1e-4)
    assert np.abs(ax[15:35] - ox[15:35]).mean() > 1e-3  # in between is generated anew
    rc, err = run(["pose", "world", "-o", str(tmp_path / "b.pose"), "--edit", str(old), "--keep", "body"], capsys)
    assert rc == 0, err
    bx, _ = pose_to_array(read_pose(tmp_path / "b.pose"))
    body = component_slices()["POSE_LANDMARKS"]
    np.testing.assert_allclose(bx[:, body][om[:, body]], ox[:, body][om[:, body]], atol=1e-4)
    assert np.abs(bx[:, FINGERS] - ox[:, FINGERS]).mean() > 1e-3  # new hands on the old body


def test_edit_errors(tmp_path, shipped, capsys):
    model = shipped
    old = tmp_path / "old.pose"
    write_pose(generate_pose(model, "hi", "ase", guide=None), old)
    short = tmp_path / "short.pose"
    x, m = pose_to_array(read_pose(old))
    write_pose(array_to_pose(x[:4], m[:4]), short)
    not_pose = tmp_path / "not.pose"
    not_pose.write_bytes(b"garbage")
    cases = [
        (["--edit", str(old), "--keep", f"frames=0:{len(x) + 5}"], "has only"),
        (["--edit", str(short), "--keep", "body"], "4 frames"),
        (["--edit", str(not_pose), "--keep", "body"], "not.pose"),
        (["--edit", str(old), "--keep", "tail"], "unknown part"),
        (["--edit", str(old)], "--keep"),
    ]
    for extra, says in cases:
        out = tmp_path / "e.pose"
        rc, err = run(["pose", "hello", "-o", str(out), *extra], capsys)
        assert rc == 2 and len(err) == 1 and says in err[0], (extra, err)
        assert not out.exists()
    with pytest.raises(SigngenError, match="frame range"):
        Keep.parse("frames=a:b")


def test_pipeline_is_guided_by_default(shipped):
    model = shipped
    pipe = SignPipeline(model)
    assert pipe.guide is not None and pipe.guide.covers("ase")
    guided = pose_to_array(pipe.pose("hello", "ase"))[0]
    pure = pose_to_array(pipe.pose("hello", "ase", guided=False))[0]
    assert np.abs(guided - pure).max() > 1e-3
    assert SignPipeline(model, guide=None).guide is None
    with pytest.raises(SigngenError, match="choose one"):
        SignPipeline.from_pretrained(lexicon="somewhere", guided=False)


def test_edit_pose_in_another_skeleton_is_refused(tmp_path, capsys):
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    component = PoseHeaderComponent("FOO", ["a", "b", "c"], [(0, 1)], [(255, 0, 0)], "XYZC")
    header = PoseHeader(0.1, PoseHeaderDimensions(1, 1, 1), [component])
    data = np.ma.masked_array(np.zeros((20, 1, 3, 3), np.float32))
    odd = tmp_path / "odd.pose"
    write_pose(Pose(header, NumPyPoseBody(25, data, np.ones((20, 1, 3), np.float32))), odd)
    out = tmp_path / "x.pose"
    rc, err = run(["pose", "hello", "-o", str(out), "--edit", str(odd), "--keep", "body"], capsys)
    assert rc == 2 and len(err) == 1 and "odd.pose" in err[0] and "skeleton" in err[0] and not out.exists()


def test_serve_requests_choose_guided_or_pure():
    from signgen.serve import parse_request

    assert parse_request({"text": "hello"}, 100)["guided"] is True
    assert parse_request({"text": "hello", "guided": "0"}, 100)["guided"] is False
    with pytest.raises(SigngenError, match="guided"):
        parse_request({"text": "hello", "guided": "maybe"}, 100)
