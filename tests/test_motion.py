import copy
import json

import pytest
import torch

from signgen.cli import main
from signgen.config import load_config
from signgen.motion.diffusion import sample
from signgen.motion.model import MotionModel
from signgen.motion.train import MotionTrainConfig, checkpoint_model, model_stats, train_motion
from signgen.pose import pose_to_array, read_pose
from signgen.text.encoders import TextEncoderConfig, build_text_encoder, minilm_path
from signgen.errors import SigngenError


@pytest.fixture(scope="module")
def tiny_model(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("motion")
    assert main(["train", "motion", "--corpus", str(small_corpus.root), "--config", "tiny", "-o", str(out), "--quiet"]) == 0
    return out


def test_training_writes_checkpoint_dirs_curve_and_samples(tiny_model):
    model_dir = tiny_model / "model"
    assert {p.name for p in model_dir.iterdir()} >= {"config.json", "model.safetensors"}
    assert (tiny_model / "curve.png").exists() and list((tiny_model / "samples").glob("*.png"))
    cfg = json.loads((model_dir / "config.json").read_text())
    assert cfg["languages"] == ["ase", "gsg"] and cfg["text"]["alphabet"]
    run = json.loads((tiny_model / "run_config.json").read_text())
    assert run["train"]["steps"] == 6  # every run stores the config it was trained with


def test_resume_after_interruption_matches_uninterrupted_run(small_corpus, tmp_path, monkeypatch):
    cfg = load_config(MotionTrainConfig, "tiny", group="motion")
    cfg.train.val_every = 100
    straight = MotionModel.from_pretrained(train_motion(small_corpus.root, cfg, tmp_path / "a", progress=False))

    import signgen.train.loop as loop

    real = loop.save_checkpoint

    def save_then_die(*args, **kw):
        real(*args, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, "save_checkpoint", save_then_die)
    cfg = load_config(MotionTrainConfig, "tiny", group="motion")
    cfg.train.val_every = 100
    with pytest.raises(KeyboardInterrupt):
        train_motion(small_corpus.root, cfg, tmp_path / "b", progress=False)
    monkeypatch.setattr(loop, "save_checkpoint", real)
    cfg = load_config(MotionTrainConfig, "tiny", group="motion")
    cfg.train.val_every = 100
    resumed = MotionModel.from_pretrained(train_motion(small_corpus.root, cfg, tmp_path / "b", progress=False))
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    logs = [json.loads(line) for line in (tmp_path / "b" / "history.jsonl").read_text().splitlines()]
    steps = [h["step"] for h in logs if "loss" in h]
    assert steps == [2, 4, 6]  # each logged once, none lost or repeated


def test_sampling_is_deterministic_and_batched(tiny_model):
    model = MotionModel.from_pretrained(tiny_model / "model")
    a = sample(model, ["the", "die"], ["ase", "gsg"], seed=3, steps=5)
    b = sample(model, ["the", "die"], ["ase", "gsg"], seed=3, steps=5)
    c = sample(model, ["the", "die"], ["ase", "gsg"], seed=4, steps=5)
    torch.testing.assert_close(a[0], b[0])
    assert not torch.allclose(a[0], c[0])
    x, vis, fm = sample(model, ["the"], ["ase"], frames=[20], steps=3, sampler="ddim", guidance=1.0)
    assert x.shape == (1, 20, 178, 3) and fm.all()


def test_pose_cli_writes_canonical_pose(tiny_model, tmp_path):
    out = tmp_path / "t.pose"
    assert main(["pose", "the", "--lang", "ase", "-o", str(out), "--model", str(tiny_model / "model"), "--steps", "4", "--frames", "30"]) == 0
    x, mask = pose_to_array(read_pose(out))
    assert x.shape == (30, 178, 3)


@pytest.mark.parametrize(
    "args,expect",
    [
        (["   "], "empty text"),
        (["the", "--lang", "xyz"], "unknown sign language 'xyz'"),
        (["th\u00e9"], "not in this model's alphabet"),
        (["the", "--steps", "0"], "--steps 0"),
        (["the", "--guidance", "500"], "--guidance 500"),
        (["the", "--frames", "100000"], "--frames 100000"),
        (["the" * 30], "at most"),
    ],
)
def test_pose_cli_bad_input(tiny_model, tmp_path, capsys, args, expect):
    code = main(["pose", *args, "-o", str(tmp_path / "x.pose"), "--model", str(tiny_model / "model")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expect in err[0]


def test_corpus_texts_outside_the_alphabet_are_named_before_training(small_corpus, tmp_path, capsys):
    texts = {c for s in small_corpus.samples for c in s.text.lower()} - {" "}
    keep = sorted(texts)[:-1]  # drop one character the corpus uses from the alphabet
    out = tmp_path / "run"
    code = main(["train", "motion", "--corpus", str(small_corpus.root), "--config", "tiny", "-o", str(out), "--quiet",
                 f"model.text.alphabet={''.join(keep)}", "train.steps=2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert str(small_corpus.root) in err[0] and "texts don't fit the model's text encoder" in err[0] and "Traceback" not in err[0]
    assert not out.exists()  # nothing written: the check runs before the run directory is made


def test_mismatched_checkpoint_is_refused(tiny_model, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(tiny_model / "model", bad)
    cfg = json.loads((bad / "config.json").read_text())
    cfg["denoiser"]["dim"] = 96
    (bad / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(SigngenError, match="do not match"):
        MotionModel.from_pretrained(bad)
    cfg["denoiser"]["nonsense"] = 1
    (bad / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(SigngenError, match="does not match this version"):
        MotionModel.from_pretrained(bad)


@pytest.mark.parametrize("kind", ["minilm", "hf"])
def test_pretrained_text_encoders_load_offline(kind):
    cfg = TextEncoderConfig(kind=kind, path=str(minilm_path()) if kind == "hf" else None)
    enc = build_text_encoder(cfg)
    emb, mask = enc(["hello", "good morning"])
    assert emb.shape[0] == 2 and emb.shape[2] == enc.dim == 384
    assert mask[0].sum() < mask[1].sum()
    assert not any(p.requires_grad for p in enc.parameters())


def test_validation_reports_backtranslation_cer(small_corpus, tmp_path):
    from signgen.backtranslate.train import BacktranslatorTrainConfig, train_backtranslator

    bt = train_backtranslator(small_corpus.root, load_config(BacktranslatorTrainConfig, "tiny", group="backtranslator"),
                              tmp_path / "bt", progress=False)
    cfg = load_config(MotionTrainConfig, "tiny", [f"backtranslator={bt}", "val_backtranslate=3"], group="motion")
    train_motion(small_corpus.root, cfg, tmp_path / "m", progress=False)
    logs = [json.loads(line) for line in (tmp_path / "m" / "history.jsonl").read_text().splitlines()]
    cers = [h["val_bt_cer"] for h in logs if "val_bt_cer" in h]
    assert len(cers) == 2 and all(c >= 0 for c in cers)


def test_alignment_prior_walks_the_text_left_to_right(tiny_model):
    model = MotionModel.from_pretrained(tiny_model / "model")
    cond = model.encode_text(["abcdefgh", "ab"], [model.cfg.languages[0]] * 2)
    frame_mask = torch.zeros(2, 40, dtype=torch.bool)
    frame_mask[0, :40], frame_mask[1, :20] = True, True
    bias = model.alignment_bias(model.alignment_logits(frame_mask, cond["mask"]), cond["mask"]).view(2, model.cfg.denoiser.heads, 41, -1)[:, 0]
    assert (bias[:, 0] == 0).sum() == cond["mask"].sum()  # the condition token attends to every real token
    best = bias[0, 1:].argmax(-1)
    assert best[0] == 0 and best[-1] == 7 and (best.diff() >= 0).all()  # 8 letters over 40 frames, in order
    assert torch.isinf(bias[1, 1:, 2:]).all()  # padded text tokens are never attended
    assert bias[1, 1:21, :2].argmax(-1).tolist() == [0] * 10 + [1] * 10
    # classifier-free guidance's dropped condition (one null token) stays attendable
    dropped = model.drop_condition(cond, torch.ones(2, dtype=torch.bool))
    bias = model.alignment_bias(model.alignment_logits(frame_mask, dropped["mask"]), dropped["mask"])
    assert torch.isfinite(bias[:, :, 0]).all()


def test_aligned_input_gives_each_frame_its_letter(tiny_model):
    model = MotionModel.from_pretrained(tiny_model / "model")
    assert model.cfg.denoiser.aligned_input
    cond = model.encode_text(["abcd"], [model.cfg.languages[0]])
    frame_mask = torch.ones(1, 40, dtype=torch.bool)
    weights = torch.softmax(model.alignment_logits(frame_mask, cond["mask"]), -1)[0]  # (T, L)
    assert torch.allclose(weights.sum(-1), torch.ones(40))
    assert weights[:10, 0].min() > 0.5 and weights[30:, 3].min() > 0.5  # first quarter reads 'a', last reads 'd'
    dropped = model.drop_condition(cond, torch.ones(1, dtype=torch.bool))
    assert torch.allclose(torch.softmax(model.alignment_logits(frame_mask, dropped["mask"]), -1)[0, :, 0], torch.ones(40))
    # the frame inputs really carry the text: another word changes the denoiser's output
    x = torch.randn(1, 40, model.cfg.joints, 3)
    t = torch.tensor([500])
    with torch.no_grad():
        a = model(x, t, cond, frame_mask)[0]
        b = model(x, t, model.encode_text(["wxyz"], [model.cfg.languages[0]]), frame_mask)[0]
    assert not torch.allclose(a, b)


def test_letter_durations_place_the_alignment_prior(tiny_model):
    model = MotionModel.from_pretrained(tiny_model / "model")
    assert model.cfg.letter_durations  # the starter corpus has letter timing
    cond = model.encode_text(["abcd"], [model.cfg.languages[0]])
    frame_mask = torch.ones(1, 40, dtype=torch.bool)
    even = model.token_positions(torch.ones(1, 4), cond["mask"], frame_mask)
    assert torch.allclose(model.alignment_logits(frame_mask, cond["mask"], even), model.alignment_logits(frame_mask, cond["mask"]))
    slow_a = model.token_positions(torch.tensor([[7.0, 1, 1, 1]]), cond["mask"], frame_mask)  # 'a' takes 70% of the frames
    best = model.alignment_logits(frame_mask, cond["mask"], slow_a)[0].argmax(-1)
    assert best[:28].eq(0).all() and best[28:].tolist() == sorted(best[28:].tolist()) and best[-1] == 3
    # sampling: the predicted letter frames give the length, and --frames keeps each letter's share
    total, per_token = model.predict_frames(cond)
    assert per_token.shape == (1, 4) and torch.allclose(total, per_token.sum(1))
    word = model.cfg.text.alphabet.replace(" ", "")[:5]
    x, _, fm = sample(model, [word], [model.cfg.languages[0]], frames=[60], steps=2)
    assert fm.sum() == 60


def test_training_learns_letter_durations_and_falls_back_without_timing(small_corpus, tmp_path):
    import csv
    import shutil

    cfg = load_config(MotionTrainConfig, "tiny", group="motion")
    train_motion(small_corpus.root, cfg, tmp_path / "timed", progress=False)
    logs = [json.loads(line) for line in (tmp_path / "timed" / "history.jsonl").read_text().splitlines()]
    assert all(h["letter_duration"] > 0 for h in logs if "loss" in h)

    untimed = tmp_path / "untimed-corpus"  # a corpus without the durations column (extracted video, say)
    shutil.copytree(small_corpus.root, untimed)
    rows = list(csv.DictReader(open(untimed / "manifest.csv", encoding="utf-8")))
    for r in rows:
        r["durations"] = ""
    with open(untimed / "manifest.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cfg = load_config(MotionTrainConfig, "tiny", group="motion")
    plain = train_motion(untimed, cfg, tmp_path / "untimed", progress=False)
    assert MotionModel.from_pretrained(plain).cfg.letter_durations is False
    # a word-piece encoder has no letters to time: the L preset's MiniLM trains with the even prior
    cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=["model.text.kind=minilm", "train.steps=2", "train.val_every=2"])
    assert MotionModel.from_pretrained(train_motion(small_corpus.root, cfg, tmp_path / "minilm", progress=False)).cfg.letter_durations is False


def test_normalization_statistics_travel_with_the_model_and_its_checkpoints(tiny_model, small_corpus):
    model = MotionModel.from_pretrained(tiny_model / "model")
    expected = model_stats(small_corpus, model)  # the train split's, in the model's representation
    torch.testing.assert_close(torch.from_numpy(model.stats.mean), torch.from_numpy(expected.mean))
    torch.testing.assert_close(torch.from_numpy(model.stats.std), torch.from_numpy(expected.std))
    assert not (MotionModel(model.cfg).stats.std == model.stats.std).all()  # a fresh model does not have them
    checkpoint = checkpoint_model(tiny_model / "checkpoints" / "step-0000006")
    torch.testing.assert_close(checkpoint.normalizer.mean, model.normalizer.mean)
    torch.testing.assert_close(checkpoint.normalizer.std, model.normalizer.std)


def test_fine_tuning_starts_from_a_trained_model(tiny_model, small_corpus, tmp_path, capsys):
    source = MotionModel.from_pretrained(tiny_model / "model")
    cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=[f"init_from={tiny_model / 'model'}", "train.steps=1", "train.lr=1e-12"])
    tuned = MotionModel.from_pretrained(train_motion(small_corpus.root, cfg, tmp_path / "ft", progress=False))
    for (k, a), b in zip(source.state_dict().items(), tuned.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=k)  # one step at lr 1e-12 keeps the weights
    # a training checkpoint starts from its EMA weights: those the run's final model directory holds
    ckpt = tiny_model / "checkpoints" / "step-0000006"
    cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=[f"init_from={ckpt}", "train.steps=1", "train.lr=1e-12"])
    tuned = MotionModel.from_pretrained(train_motion(small_corpus.root, cfg, tmp_path / "ft-ckpt", progress=False))
    for (k, a), b in zip(source.state_dict().items(), tuned.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=k)
    # a model without an option (no doubled-letter marks) fine-tunes into a config with it; the new module is named
    legacy_cfg = copy.deepcopy(source.cfg)
    legacy_cfg.text.mark_repeats = False
    MotionModel(legacy_cfg).save_pretrained(tmp_path / "legacy")
    capsys.readouterr()
    cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=[f"init_from={tmp_path / 'legacy'}", "train.steps=1"])
    train_motion(small_corpus.root, cfg, tmp_path / "ft-legacy", progress=False)
    assert "new modules start fresh: text_encoder.repeat\n" in capsys.readouterr().out
    cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=[f"init_from={tiny_model / 'model'}", "model.denoiser.dim=48"])
    with pytest.raises(SigngenError, match=r"init_from=.*tensors .* do not fit this config"):
        train_motion(small_corpus.root, cfg, tmp_path / "bad", progress=False)


def test_length_groups_cut_padding_and_keep_every_sample_equally_likely(small_corpus, tiny_model):
    import numpy as np

    from signgen.motion.train import MotionData

    model = MotionModel.from_pretrained(tiny_model / "model")
    data = MotionData(small_corpus, "train", model)
    lengths = np.array([len(item[2]) for item in data.items])

    def padding(groups: int) -> tuple[float, np.ndarray]:
        rng, counts, padded, real = np.random.default_rng(0), np.zeros(len(lengths)), 0, 0
        for _ in range(3000):
            idx = data.length_group(rng, 8, groups)
            assert len(idx) == 8
            np.add.at(counts, idx, 1)
            padded, real = padded + 8 * lengths[idx].max(), real + lengths[idx].sum()
        return 1 - real / padded, counts / counts.sum()

    plain, p_plain = padding(1)
    grouped, p_grouped = padding(8)
    assert grouped < 0.5 * plain  # batches of similar lengths: far fewer padded frames
    # each sample is drawn as often as with plain random batches (within sampling noise)
    assert np.abs(p_grouped - 1 / len(lengths)).max() < 0.35 / len(lengths)
    assert np.abs(p_plain - 1 / len(lengths)).max() < 0.35 / len(lengths)


def test_double_letter_weight_draws_doubled_texts_more_often(small_corpus, tiny_model):
    import numpy as np

    from signgen.motion.train import MotionData, has_double_letter

    assert has_double_letter("Hello") and has_double_letter("aa b") and not has_double_letter("a a") and not has_double_letter("help")
    model = MotionModel.from_pretrained(tiny_model / "model")
    data = MotionData(small_corpus, "train", model)
    for i in range(0, len(data.items), 5):  # the tiny corpus has no doubled letters: give a fifth of it one
        data.items.texts[i] = "a" + data.items.texts[i][0] * 2
    doubled = np.array([has_double_letter(text) for text in data.items.texts])
    assert data.set_double_letter_weight(2) == doubled.sum() and 0 < doubled.sum() < len(doubled)

    def share(weight: float) -> float:
        data.set_double_letter_weight(weight)
        rng = np.random.default_rng(0)
        idx = np.concatenate([data.length_group(rng, 8, 4) for _ in range(2000)])
        return float(doubled[idx].mean())

    p = doubled.mean()
    assert abs(share(1) - p) < 0.03
    expected = 4 * p / (4 * p + 1 - p)
    assert abs(share(4) - expected) < 0.03 and expected > p + 0.1
    with pytest.raises(SigngenError, match="double_letter_weight=0"):
        data.set_double_letter_weight(0)


def test_character_encoder_marks_doubled_letters():
    from signgen.text.encoders import CharTextEncoder

    enc = CharTextEncoder(TextEncoderConfig(kind="char", alphabet=" ehlo", dim=16, layers=1, heads=2))
    ids = [[enc.vocab[c] for c in t] + [0] * (9 - len(t)) for t in ("hello", "hell oo l")]
    tokens = torch.tensor(ids)
    flags = enc.repeats(tokens, tokens != 0).int().tolist()
    assert flags == [[0, 0, 0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 1, 0, 0]]  # padding is never a repeat
    torch.testing.assert_close(enc.repeat.weight, torch.zeros(2, 16))  # a no-op until trained
    enc.eval()
    with torch.no_grad():
        plain, _ = enc(["hello", "helo"])
        enc.repeat.weight[1] = torch.linspace(-1, 1, 16)  # (a constant vector would vanish in the LayerNorms)
        marked, _ = enc(["hello", "helo"])
    assert not torch.allclose(plain[0], marked[0])  # the flag reaches the tokens of a text with a double
    torch.testing.assert_close(plain[1], marked[1])  # and leaves a text without one alone


def test_character_encoder_dropout_is_configured():
    """`text.dropout` reaches every layer: 0 makes training-mode encodings deterministic, 0.5 does not."""
    from signgen.text.encoders import CharTextEncoder

    for p in (0.0, 0.5):
        torch.manual_seed(0)
        enc = CharTextEncoder(TextEncoderConfig(kind="char", alphabet=" ehlo", dim=16, layers=2, heads=2, dropout=p)).train()
        assert {m.p for m in enc.modules() if isinstance(m, torch.nn.Dropout)} == {p}
        a, _ = enc(["hello"])
        b, _ = enc(["hello"])
        assert torch.equal(a, b) == (p == 0.0)


def test_loss_weights_hand_location_on_its_own():
    from signgen.motion.model import joint_weights
    from signgen.pose.skeleton import component_slices, joint_index

    w = joint_weights(178, hand_weight=2.0, location_weight=8.0)
    places = [joint_index("POSE_LANDMARKS", "LEFT_WRIST"), joint_index("POSE_LANDMARKS", "RIGHT_WRIST")]
    places += [sl.start for name, sl in component_slices().items() if name.endswith("HAND_LANDMARKS")]
    assert sorted(torch.nonzero(w == 8.0).flatten().tolist()) == sorted(places)
    assert (w == 2.0).sum() == 40 and (w == 1.0).sum() == 178 - 44  # fingers 2; body and face 1


def test_v_prediction_returns_x0_through_the_skip(tiny_model, tmp_path):
    """prediction=v: the network's output F becomes x̂0 = √ᾱ·x_t − √(1−ᾱ)·F, so the same weights give the
    x0 model's output mixed with the input by the schedule; saved and loaded like any model."""
    from safetensors.torch import load_file

    plain = MotionModel.from_pretrained(tiny_model / "model")
    cfg = copy.deepcopy(plain.cfg)
    cfg.diffusion.prediction = "v"
    v = MotionModel(cfg)
    v.load_state_dict(plain.state_dict())
    v.eval()
    cond = plain.encode_text(["abc", "ab"], [cfg.languages[0]] * 2)
    frame_mask = torch.ones(2, 12, dtype=torch.bool)
    x = torch.randn(2, 12, cfg.joints, 3)
    t = torch.tensor([999, 10])
    with torch.no_grad():
        f, _ = plain(x, t, cond, frame_mask)
        x0, _ = v(x, t, cond, frame_mask)
    a = v.alphas_cumprod[t][:, None, None, None]
    assert torch.allclose(x0, a.sqrt() * x - (1 - a).sqrt() * f, atol=1e-5)
    assert torch.allclose(x0[0], -f[0], atol=2e-2) and torch.allclose(x0[1], x[1], atol=0.1)  # pure noise: F; t=10: nearly x_t
    v.save_pretrained(tmp_path / "v")
    assert "alphas_cumprod" not in load_file(str(tmp_path / "v" / "model.safetensors"))  # rebuilt from the config
    again = MotionModel.from_pretrained(tmp_path / "v")
    assert again.cfg.diffusion.prediction == "v"
    with torch.no_grad():
        assert torch.allclose(again(x, t, cond, frame_mask)[0], x0, atol=1e-6)
    cfg.diffusion.prediction = "eps"
    with pytest.raises(SigngenError, match="diffusion.prediction"):
        MotionModel(cfg)


def test_frames_per_token_groups_frames_and_ignores_padding(small_corpus, tmp_path):
    """denoiser.frames_per_token=2: the transformer reads and writes two frames a token (half the tokens), an odd
    frame count is padded and cropped, padding never changes the real frames' output, and the model trains,
    saves, loads and samples like any other."""
    out = tmp_path / "p2"
    assert main(["train", "motion", "--corpus", str(small_corpus.root), "--config", "tiny", "-o", str(out), "--quiet",
                 "model.denoiser.frames_per_token=2"]) == 0
    model = MotionModel.from_pretrained(out / "model")
    j = model.cfg.joints
    assert model.cfg.denoiser.frames_per_token == 2 and model.pose_in.in_features == 2 * j * 3
    assert model.frame_pos.num_embeddings == model.cfg.denoiser.max_frames // 2 and model.pose_out.out_features == 2 * j * 3
    lang = model.cfg.languages[0]
    cond = model.encode_text(["abc"], [lang])
    t = torch.tensor([300])
    x = torch.randn(1, 9, j, 3)
    mask = torch.ones(1, 9, dtype=torch.bool)
    padded_x = torch.cat([x, torch.zeros(1, 4, j, 3)], 1)
    padded_mask = torch.cat([mask, torch.zeros(1, 4, dtype=torch.bool)], 1)
    with torch.no_grad():
        x0, vis = model(x, t, cond, mask)
        x0_pad, vis_pad = model(padded_x, t, cond, padded_mask)
    assert x0.shape == (1, 9, j, 3) and vis.shape == (1, 9, j)  # 9 frames: 5 tokens, the last half padding, cropped
    torch.testing.assert_close(x0_pad[:, :9], x0, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(vis_pad[:, :9], vis, atol=1e-5, rtol=1e-4)
    word = model.cfg.text.alphabet.replace(" ", "")[:4]
    poses, _, fm = sample(model, [word, word[:2]], [lang] * 2, frames=[15, 8], steps=2)
    assert poses.shape[:2] == (2, 15) and fm.sum(1).tolist() == [15, 8]
    cfg = copy.deepcopy(model.cfg)
    cfg.denoiser.frames_per_token = 0
    with pytest.raises(SigngenError, match="frames_per_token"):
        MotionModel(cfg)
