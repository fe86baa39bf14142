import csv
import os

import pytest

from data_prep import starter
from data_prep.starter import build, plan
from signgen.corpus import MANIFEST_COLUMNS, Corpus
from signgen.lexicon import Lexicon
from signgen.errors import SigngenError

from .conftest import small_config


def test_manifest_layout(small_corpus):
    with open(small_corpus.root / "manifest.csv", encoding="utf-8") as f:
        assert next(csv.reader(f)) == MANIFEST_COLUMNS
    assert (small_corpus.root / "stats.safetensors").exists()
    assert set(small_corpus.signed_languages) == {"ase", "gsg"}
    for s in small_corpus.samples:
        assert small_corpus.pose_file(s).exists()
        assert s.fps == 25.0 and s.frames > 10


def test_splits_are_disjoint_by_word(small_corpus):
    def words(split):
        return {w for s in small_corpus.samples if s.split == split for w in s.text.split()}

    assert words("test") and words("train")
    assert not words("test") & words("train")
    assert not words("val") & words("train")
    assert any(" " in s.text for s in small_corpus.samples)  # multi-word phrases exist


def test_plan_is_deterministic_from_seed():
    assert plan(small_config()) == plan(small_config())
    assert plan(small_config()) != plan(small_config(seed=1))


def test_interrupted_build_resumes_without_redoing(tmp_path, monkeypatch):
    cfg = small_config(words_per_language=5, phrases_per_language=0)
    real = starter._build_task
    calls = []

    def flaky(task, root, cfg):
        if len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(task["text"])
        return real(task, root, cfg)

    monkeypatch.setattr(starter, "_build_task", flaky)
    with pytest.raises(KeyboardInterrupt):
        build(cfg, tmp_path, progress=False)
    finished = {p: p.stat().st_mtime_ns for p in (tmp_path / "poses").glob("*.pose")}
    assert len(finished) == 4
    calls.clear()
    monkeypatch.setattr(starter, "_build_task", lambda t, r, c: (calls.append(t["text"]), real(t, r, c))[1])
    corpus = build(cfg, tmp_path, progress=False)
    assert len(calls) == len(plan(cfg)) - 4  # only the unfinished ones
    assert all(p.stat().st_mtime_ns == m for p, m in finished.items())
    assert len(corpus.samples) == len(plan(cfg))
    assert not [p for p in os.listdir(tmp_path / "poses") if p.endswith(".tmp")]


def test_augmented_copies_only_for_train(tmp_path):
    corpus = build(small_config(pairs=["en-ase"], words_per_language=6, phrases_per_language=0, augment_copies=1), tmp_path, progress=False)
    aug = [s for s in corpus.samples if "augment" in s.source]
    assert aug and all(s.split == "train" for s in aug)


def test_bad_inputs(tmp_path):
    with pytest.raises(SigngenError, match="unknown language pair 'xx-yyy'"):
        plan(small_config(pairs=["xx-yyy"]))
    with pytest.raises(SigngenError, match="empty"):
        plan(small_config(words_per_language=0))
    words = tmp_path / "words.txt"
    words.write_text("hello\nna\u00efve\n", encoding="utf-8")
    with pytest.raises(SigngenError, match=r"words.txt:2: 'na\u00efve' has letters \['\u00ef'\]"):
        plan(small_config(pairs=["en-ase"], words_file=str(words)))
    build(small_config(pairs=["en-ase"], words_per_language=3, phrases_per_language=0), tmp_path / "c", progress=False)
    with pytest.raises(SigngenError, match="different config"):
        build(small_config(pairs=["en-ase"], words_per_language=4, phrases_per_language=0), tmp_path / "c", progress=False)
    with pytest.raises(SigngenError, match="no 'dev' split"):
        Corpus(tmp_path / "c").split("dev")


def test_starter_samples_carry_letter_timing(small_corpus):
    for s in small_corpus.samples:
        d = s.char_durations()
        assert d is not None and len(d) == len(s.text) and abs(d.sum() - s.frames) <= 1, s.text
        assert (d > 0).all()


def test_timed_composition_is_the_lookups_own_and_its_pieces_add_up():
    import contextlib
    import io

    import numpy as np

    from data_prep.starter import _letter_poses, _pieces, compose_timed

    for word, spoken, signed in [("hello", "en", "ase"), ("zoe", "en", "ase"), ("a", "en", "ase")]:
        pose, d = compose_timed(word, spoken, signed)
        with contextlib.redirect_stdout(io.StringIO()):
            theirs = starter._lookup().lookup(word, word, spoken, signed).pose
        assert np.array_equal(np.ma.getdata(pose.body.data), np.ma.getdata(theirs.body.data))
        assert np.array_equal(pose.body.confidence, theirs.body.confidence)
        lengths, pad = _pieces(_letter_poses(word, spoken, signed))
        assert len(lengths) == len(word) and sum(lengths) + pad * (len(word) - 1) == len(pose.body.data)
        assert pad == (0 if len(word) == 1 else 1) and abs(sum(d) - len(pose.body.data)) < 1e-6
    with pytest.raises(FileNotFoundError, match="xx -> ase not supported"):
        compose_timed("hello", "xx", "ase")


def test_letter_timing_follows_the_lexicon():
    from data_prep.starter import compose_timed

    pose, d = compose_timed("llama", "es", "ssp")  # Spanish "ll" is one lexicon sign: its two letters share it
    assert len(d) == 5 and d[0] == d[1] and abs(sum(d) - len(pose.body.data)) < 1e-6
    pose, d = compose_timed("the world", "en", "ase")
    assert len(d) == 9 and abs(sum(d) - len(pose.body.data)) < 1e-6 and d[3] < 3  # the space is the short join


def test_manifest_durations_are_optional_and_checked(small_corpus, tmp_path):
    import shutil

    root = tmp_path / "c"
    shutil.copytree(small_corpus.root, root)
    rows = list(csv.DictReader(open(root / "manifest.csv", encoding="utf-8")))
    cols = [c for c in MANIFEST_COLUMNS if c != "durations"]
    with open(root / "manifest.csv", "w", encoding="utf-8", newline="") as f:  # a manifest without the durations column
        w = csv.DictWriter(f, cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    assert all(s.char_durations() is None for s in Corpus(root).samples)
    rows[0]["durations"] = "1 2"
    with open(root / "manifest.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, MANIFEST_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(SigngenError, match=r"manifest.csv:2: durations need one non-negative value per character"):
        Corpus(root)


def test_double_letters_slide_the_signing_arm_outward_and_back():
    import numpy as np

    from signgen.pose.skeleton import component_slices, joint_index, to_canonical
    from signgen.pose.tensors import pose_to_array

    pose, durations = starter.compose_timed("hello", "en", "ase")
    x, mask = pose_to_array(to_canonical(pose))
    durations = np.asarray(durations) * len(x) / len(pose.body.data)
    assert Lexicon.builtin().double_letters("hello", "en", "ase") == [2]
    assert Lexicon.builtin().double_letters("all see", "en", "ase") == [1, 5]
    assert Lexicon.builtin().double_letters("llama", "es", "ssp") == []  # Spanish "ll" is one letter of the alphabet
    slid = starter.slide_double_letters(x, mask, [2], durations, 0.25)
    hand = component_slices()["RIGHT_HAND_LANDMARKS"]  # the lexicon's ASL signer spells with the right hand
    dx = slid[:, hand.start, 0] - x[:, hand.start, 0]
    ends = np.cumsum(durations)
    frame = lambda f: int(f)  # noqa: E731
    # h, e and the first l are untouched; the hand is fully out during the second l, away from the body
    # (the right hand sits at negative x), and back by the middle of the o
    assert np.abs(dx[: frame(ends[2] - 0.3 * durations[2])]).max() == 0
    assert np.allclose(dx[frame(ends[2] + 0.3 * durations[3]) + 1 : frame(ends[3])], -0.25, atol=1e-6)
    assert np.abs(dx[frame(ends[3] + 0.5 * durations[4]) + 1 :]).max() == 0
    # the handshape, the other arm, the face and the y/z coordinates do not move
    assert np.allclose(slid[:, hand, 0] - slid[:, hand.start : hand.start + 1, 0], x[:, hand, 0] - x[:, hand.start : hand.start + 1, 0], atol=1e-6)
    moved = {hand.start + k for k in range(21)} | {joint_index("POSE_LANDMARKS", "RIGHT_WRIST"), joint_index("POSE_LANDMARKS", "RIGHT_ELBOW")}
    still = [j for j in range(x.shape[1]) if j not in moved]
    assert np.array_equal(slid[:, still], x[:, still]) and np.array_equal(slid[..., 1:], x[..., 1:])
    # a text without a doubled letter is left exactly as composed
    assert Lexicon.builtin().double_letters("help me", "en", "ase") == []
    assert np.array_equal(starter.slide_double_letters(x, mask, [], durations, 0.25), x)


def test_corpus_json_carries_the_layout_version(small_corpus, tmp_path):
    import json
    import shutil

    from signgen.corpus import INFO, LAYOUT_VERSION

    assert json.loads((small_corpus.root / INFO).read_text())["layout_version"] == LAYOUT_VERSION
    other = tmp_path / "corpus"
    shutil.copytree(small_corpus.root, other, ignore=shutil.ignore_patterns("store"))
    info = json.loads((other / INFO).read_text())
    (other / INFO).write_text(json.dumps({**info, "layout_version": LAYOUT_VERSION + 1}))
    with pytest.raises(SigngenError, match=f"corpus layout version {LAYOUT_VERSION + 1}, this signgen reads {LAYOUT_VERSION}"):
        Corpus(other)


def test_v2_corpus_covers_rare_words_pseudo_words_and_held_out_names(tmp_path):
    """The v2 corpus (configs/corpus/starter-v2.yaml) at small scale: signgen's composer with exact letter timing,
    rare and pseudo-words in train, the letter reader's held-out rare words and names as their own splits."""
    from signgen.backtranslate.spelling import SpellingConfig, vocabulary

    cfg = small_config(composer="signgen", words_per_language=12, phrases_per_language=2, rare_per_language=4,
                       pseudo_per_language=4, heldout_splits=True, max_letters=10)
    corpus = build(cfg, tmp_path / "v2", progress=False)
    by_split = {}
    for s in corpus.samples:
        by_split.setdefault(s.split, []).append(s)
        d = s.char_durations()
        assert d is not None and len(d) == len(s.text) and abs(d.sum() - s.frames) <= 1, s.text
        assert s.source == "signgen-composer"
    assert {"train", "val", "test", "rare", "names"} <= set(by_split)
    words = {k: {w for s in v for w in s.text.split()} for k, v in by_split.items()}
    for held in ("val", "test", "rare", "names"):
        assert not words[held] & words["train"], held
    vocab = vocabulary(Lexicon.builtin(), SpellingConfig(pairs=["en-ase", "de-gsg"]))
    assert words["names"] == {n for v in vocab.values() for n in v["names"]}
    assert words["rare"] == {w for v in vocab.values() for w in v["rare"]}
    pseudo = {w for v in vocab.values() for w in v["pseudo"]}
    assert words["train"] & pseudo  # pseudo-words are trained on
    assert len(corpus.samples) == len(plan(cfg))
    # signgen's composer keeps the lookup's pace: a name takes about as many frames as spoken-to-signed's lookup
    from data_prep.starter import compose_timed

    for s in by_split["names"][:3]:
        pose, _ = compose_timed(s.text, s.spoken_language, s.signed_language)
        assert 0.75 < s.frames / len(pose.body.data) < 1.33, (s.text, s.frames, len(pose.body.data))
    # the one-run motion recipe (docs/benchmarks.md, "Motion model in one run from scratch") at tiny scale: the S preset
    # on this corpus (the shipped model is this recipe's output on the v1 starter corpus)
    from signgen.cli import main
    from signgen.motion.model import MotionModel

    run = tmp_path / "motion"
    args = ["train", "motion", "--corpus", str(corpus.root), "--config", "S", "-o", str(run), "--quiet", "train.steps=2",
            "train.batch_size=4", "train.warmup=1", "train.val_every=2", "train.ckpt_every=2", "val_samples=1"]
    assert main(args) == 0
    model = MotionModel.from_pretrained(run / "model")
    assert model.cfg.letter_durations and model.cfg.denoiser.max_frames == 384 and set(model.cfg.languages) == {"ase", "gsg"}
