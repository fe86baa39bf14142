import json

import numpy as np
import pytest
import torch

from signgen.backtranslate.model import Backtranslator
from signgen.backtranslate.tokenizer import train_tokenizer
from signgen.backtranslate.train import BacktranslatorTrainConfig, train_backtranslator
from signgen.cli import main
from signgen.config import load_config
from signgen.errors import SigngenError


@pytest.fixture(scope="module")
def tiny_bt(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("bt")
    assert main(["train", "backtranslator", "--corpus", str(small_corpus.root), "--config", "tiny", "-o", str(out), "--quiet"]) == 0
    return out / "model"


def test_char_tokenizer_round_trips_text_and_marks_unknown_characters():
    tok = train_tokenizer(["hello world", "straße"], "char")
    ids = tok("Hello  Straße").input_ids
    assert ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == "hello  straße"
    assert tok.unk_token_id in tok("hëllo").input_ids


def test_bpe_tokenizer_learns_merges_and_decodes_words():
    tok = train_tokenizer(["the cat sat on the mat"] * 20 + ["a dog"] * 5, "bpe", vocab_size=40)
    ids = tok("the cat").input_ids
    assert len(ids) < len("the cat") + 1  # merges make it shorter than characters
    assert tok.decode(ids, skip_special_tokens=True) == "the cat"


def test_training_writes_a_loadable_directory_with_its_config(tiny_bt, small_corpus):
    names = {p.name for p in tiny_bt.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    meta = json.loads((tiny_bt / "config.json").read_text())
    assert meta["_class_name"] == "Backtranslator" and meta["_signgen_version"]
    assert meta["signed_languages"] == ["ase", "gsg"]
    run = json.loads((tiny_bt.parent / "run_config.json").read_text())
    assert run["stage"] == "backtranslator" and run["train"]["steps"] == 6
    history = [json.loads(line) for line in (tiny_bt.parent / "history.jsonl").read_text().splitlines()]
    assert any("val_cer" in h for h in history)


def test_reload_gives_identical_translations(tiny_bt, small_corpus):
    a, b = Backtranslator.from_pretrained(tiny_bt), Backtranslator.from_pretrained(tiny_bt)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(va, vb, msg=k)
    samples = small_corpus.split("test")[:3]
    arrays = [small_corpus.load(s) for s in samples]
    langs = [s.signed_language for s in samples]
    assert a.translate(arrays, langs) == b.translate(arrays, langs)


def test_ctc_head_trains_and_decodes(small_corpus, tmp_path):
    cfg = load_config(BacktranslatorTrainConfig, "tiny", ["model.head=ctc"], group="backtranslator")
    model = Backtranslator.from_pretrained(train_backtranslator(small_corpus.root, cfg, tmp_path, progress=False))
    s = small_corpus.split("val")[0]
    out = model.translate([small_corpus.load(s)], [s.signed_language])
    assert len(out) == 1 and isinstance(out[0], str)


def test_ctc_beam_search_sums_alignments_that_greedy_decoding_loses():
    from signgen.backtranslate.heads import _beam_decoder

    tok = train_tokenizer(["abc"], "char")
    decoder, specials = _beam_decoder(tok)
    ids = {c: tok.convert_tokens_to_ids(c) for c in "abc"}
    blank, eos = tok.pad_token_id, tok.eos_token_id
    p = np.full((3, len(tok)), 1e-6)
    p[0, ids["a"]] = 1.0
    p[1:, blank], p[1:, ids["b"]], p[1:, ids["c"]] = 0.4, 0.35, 0.25  # blank is each frame's argmax
    p[2, eos] = 0.3  # a special token is never written
    logp = np.log(p / p.sum(1, keepdims=True))
    greedy = "".join(tok.convert_ids_to_tokens([int(i) for i in logp.argmax(1) if i != blank]))
    assert greedy == "a"
    assert decoder.decode(logp, beam_width=4).translate(specials) == "ab"  # P(ab) = 0.40 > P(a) = 0.16
    # a doubled letter needs the blank between its two runs
    seq = [ids["a"], blank, ids["b"], ids["b"], blank, ids["b"], ids["c"]]
    q = np.full((len(seq), len(tok)), 1e-4)
    q[np.arange(len(seq)), seq] = 1.0
    assert decoder.decode(np.log(q / q.sum(1, keepdims=True)), beam_width=4).translate(specials) == "abbc"


def test_heads_are_looked_up_by_name(small_corpus, tmp_path):
    from signgen.backtranslate.heads import READER_HEADS
    from signgen.errors import SigngenError

    assert {"seq2seq", "ctc"} <= set(READER_HEADS.names())
    cfg = load_config(BacktranslatorTrainConfig, "tiny", ["model.head=crayon"], group="backtranslator")
    with pytest.raises(SigngenError, match="unknown back-translator head 'crayon'; choose one of seq2seq, ctc"):
        train_backtranslator(small_corpus.root, cfg, tmp_path, progress=False)


def test_seq2seq_learns_to_read_a_few_words(small_corpus, tmp_path):
    """Enough steps on four training words must beat chance: the model really reads the hands."""
    cfg = load_config(BacktranslatorTrainConfig, "tiny",
                      ["train.steps=150", "train.lr=0.003", "train.val_every=1000", "train.ckpt_every=1000",
                       "augment_prob=0", "model.dropout=0", "train.batch_size=8"], group="backtranslator")
    words = [s for s in small_corpus.split("train") if s.signed_language == "ase" and " " not in s.text][:4]
    model = Backtranslator.from_pretrained(train_backtranslator(small_corpus.root, cfg, tmp_path, progress=False))
    # not restricted to the four words in training; still, train-split words must mostly come back
    import jiwer

    hyps = model.translate([small_corpus.load(s) for s in words], [s.signed_language for s in words], beams=1)
    assert jiwer.cer([s.text for s in words], [h or " " for h in hyps]) < 0.6


def test_refuses_other_sign_languages_and_vocabularies(tiny_bt):
    model = Backtranslator.from_pretrained(tiny_bt)
    with pytest.raises(SigngenError, match=r"\['bfi'\].*trained on \['ase', 'gsg'\]"):
        model.check_corpus(["bfi"], ["hello"], "corpus")
    with pytest.raises(SigngenError, match="outside this back-translator's vocabulary"):
        model.check_corpus(["ase"], ["日本語", "hello"], "corpus")
    assert model.check_corpus(["ase"], ["日本"] + ["es"] * 10, "corpus") == ["日本"]  # one unseen word: reported


def test_rejects_non_backtranslator_and_corrupt_directories(tiny_bt, tmp_path):
    with pytest.raises(SigngenError, match="not a back-translator directory"):
        Backtranslator.from_pretrained(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in tiny_bt.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    meta = json.loads((bad / "config.json").read_text())
    meta["dim"] = 48
    (bad / "config.json").write_text(json.dumps(meta))
    with pytest.raises(SigngenError, match="do not match"):
        Backtranslator.from_pretrained(bad)


def test_pose_longer_than_the_model_reads_is_read_faster(tiny_bt):
    model = Backtranslator.from_pretrained(tiny_bt)
    x = np.zeros((model.cfg.max_frames + 1, 178, 3), np.float32)
    with pytest.raises(SigngenError, match="at most"):
        model.features([(x, np.ones(x.shape[:2], bool))])  # the model itself takes at most max_frames ...
    assert len(model.translate([(x, np.ones(x.shape[:2], bool))], ["ase"])) == 1  # ... so translate resamples


def test_reader_directory_missing_a_file_is_named(tiny_bt, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in tiny_bt.iterdir():
        if p.name != "tokenizer.json":
            (bad / p.name).write_bytes(p.read_bytes())
    with pytest.raises(SigngenError, match="lacks tokenizer.json"):
        Backtranslator.from_pretrained(bad)


def test_letter_reader_trains_on_the_lexicon_without_a_corpus(tmp_path):
    """source=lexicon: composed fingerspelling, hand features, CTC; the vocabulary it used is written beside it."""
    assert main(["train", "backtranslator", "--config", "spelling-tiny", "-o", str(tmp_path / "r"), "--quiet"]) == 0
    model = Backtranslator.from_pretrained(tmp_path / "r" / "model")
    assert (model.cfg.head, model.cfg.features) == ("ctc", "hands") and model.cfg.signed_languages == ["ase", "gsg"]
    vocab = json.loads((tmp_path / "r" / "vocabulary.json").read_text())
    assert set(vocab) == {"en-ase", "de-gsg"} and vocab["en-ase"]["names"] and vocab["en-ase"]["train"]
    from signgen.lexicon import fingerspell

    comp = fingerspell("washington", "en", "ase")
    assert isinstance(model.translate([(comp.x, comp.mask)], ["ase"])[0], str)


def test_read_names_bad_poses_in_one_line(tiny_bt, tmp_path, capsys):
    from signgen.lexicon import fingerspell
    from signgen.pose import write_pose
    from signgen.pose.tensors import array_to_pose

    comp = fingerspell("hi", "en", "ase")
    good, zero, cut = tmp_path / "good.pose", tmp_path / "zero.pose", tmp_path / "cut.pose"
    write_pose(array_to_pose(comp.x, comp.mask), good)
    write_pose(array_to_pose(comp.x[:0], comp.mask[:0]), zero)
    cut.write_bytes(good.read_bytes()[:3000])
    for path, expected in ((zero, "zero frames"), (cut, "truncated")):
        assert main(["read", str(path), "--lang", "ase", "--backtranslator", str(tiny_bt)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(path) in err[0] and expected in err[0]
    assert main(["train", "backtranslator", "-o", str(tmp_path / "x"), "--quiet"]) == 2
    assert "--corpus" in capsys.readouterr().err


def test_two_handed_pattern_puts_one_handed_letters_between_two_handed_ones():
    import numpy as np

    from signgen.backtranslate.spelling import SpellingConfig, pseudo_word, two_handed_letters, two_handed_pattern
    from signgen.lexicon import Lexicon

    lexicon = Lexicon.builtin()
    two, one = two_handed_letters(lexicon, "hr", "csq")
    assert {"b", "d"} <= set(two) and "r" in one  # Croatian: B and D two-handed, R one-handed
    assert two_handed_letters(lexicon, "en", "ase")[0] == []  # ASL's alphabet is one-handed
    rng = np.random.default_rng(0)
    for _ in range(20):
        letters = two_handed_pattern(lexicon, "hr", "csq", rng)
        assert letters[0] in two and letters[-2] in two and letters[-1] in one
        assert 4 <= len(letters) <= 6 and all(k in one for k in letters[1:-2])
    assert two_handed_pattern(lexicon, "en", "ase", rng) is None
    cfg = SpellingConfig(two_handed_prob=1.0)
    words = [pseudo_word(lexicon, "hr", "csq", rng, cfg) for _ in range(10)]
    assert all(lexicon.spell(w, "hr", "csq")[0] in two for w in words)
    doubled = SpellingConfig(two_handed_prob=1.0, pseudo_double_prob=1.0)
    words = [pseudo_word(lexicon, "hr", "csq", rng, doubled) for _ in range(10)]
    assert sum(any(a == b for a, b in zip(lexicon.spell(w, "hr", "csq"), lexicon.spell(w, "hr", "csq")[1:])) for w in words) >= 8


def test_arm_smoothing_keeps_handshapes_and_damps_the_arms_path():
    from signgen.backtranslate.spelling import compose_sample, smooth_arm
    from signgen.lexicon import Lexicon
    from signgen.pose.skeleton import component_slices, joint_index

    c = compose_sample(Lexicon.builtin(), "that", "en", "ase", None, None)
    right = component_slices()["RIGHT_HAND_LANDMARKS"]
    x, mask = c.x.copy(), c.mask.copy()
    mask[:12, right] = False  # the hand not detected in the first frames
    x[~mask] = 0
    seen = mask[:, right].all(1)
    y = smooth_arm(x, mask, 4.0)
    shape = lambda x: x[seen][:, right] - x[seen][:, right.start : right.start + 1]  # noqa: E731
    assert np.allclose(shape(y), shape(x), atol=1e-5)  # fingers about the root: unchanged
    assert (y[~mask] == 0).all()  # unseen stays unseen
    wrist = joint_index("POSE_LANDMARKS", "RIGHT_WRIST")
    speed = lambda x: np.linalg.norm(np.diff(x[:, wrist], axis=0), axis=-1).mean()  # noqa: E731
    assert speed(y) < 0.8 * speed(x)  # the arm's path is damped
    # the unseen frames are bridged, not read as zeros: where the hand appears, its root stays where it was recorded
    first = np.flatnonzero(seen)[0]
    assert np.linalg.norm(y[first, right.start] - x[first, right.start]) < 0.2 * np.linalg.norm(x[first, right.start])  # zeros: 0.35
    assert smooth_arm(x, mask, 0.0) is x


def test_reading_hides_hands_filled_in_by_interpolation_and_nothing_else():
    """A hand filled in by linear interpolation (what spoken-to-signed's concatenation does through undetected
    frames) is hidden when reading; recorded letters, a hand held still and slowed (resampled) signing are not."""
    from signgen.backtranslate.model import hide_interpolated_hands
    from signgen.backtranslate.spelling import compose_sample, fill_hand_gaps
    from signgen.lexicon import Lexicon, resample
    from signgen.pose.skeleton import component_slices

    lexicon = Lexicon.builtin()
    left = component_slices()["LEFT_HAND_LANDMARKS"]
    c = compose_sample(lexicon, "brod", "hr", "csq", None, None)  # two-handed B and D, one-handed R and O between
    filled_x, filled_m = fill_hand_gaps(c.x, c.mask)
    gap = ~c.mask[:, left].all(1) & filled_m[:, left].all(1)
    assert gap.sum() >= 10  # the second hand floats through the one-handed letters
    hidden = hide_interpolated_hands(filled_x, filled_m)
    assert not hidden[gap][:, left].any() and (hidden[~gap] == filled_m[~gap]).all()  # the filled frames, and only they
    assert (hide_interpolated_hands(c.x, c.mask) == c.mask).all()  # nothing filled: nothing hidden
    still = np.repeat(c.x[:1], 20, 0), np.repeat(c.mask[:1], 20, 0)
    assert (hide_interpolated_hands(*still) == still[1]).all()  # a hand held still is seen
    slow = resample(c.x, c.mask, 2 * len(c.x))  # half speed: every other frame lies on a straight line
    lost = (slow[1] & ~hide_interpolated_hands(*slow)).any(1)
    in_letters = np.zeros(len(lost), bool)
    for a, b in c.spans:  # the composer's 2-frame joins, slowed to 4, are filled in too; every letter is seen
        in_letters[2 * a + 1 : 2 * b - 1] = True
    assert lost.sum() < 0.15 * len(lost) and not (lost & in_letters).any()
    for key in ("a", "j", "z"):
        clip = lexicon.clip(key, "en", "ase")
        assert (hide_interpolated_hands(clip.x, clip.mask) == clip.mask).mean() > 0.99  # recordings are seen


def test_reader_config_hides_interpolated_hands_when_reading_only(tmp_path):
    from signgen.backtranslate.config import BacktranslatorConfig
    from signgen.backtranslate.spelling import compose_sample, fill_hand_gaps
    from signgen.lexicon import Lexicon

    c = compose_sample(Lexicon.builtin(), "brod", "hr", "csq", None, None)
    arrays = [fill_hand_gaps(c.x, c.mask)]
    cfg = BacktranslatorConfig(head="ctc", features="hands", dim=16, encoder_layers=1, heads=2, signed_languages=["csq"])
    model = Backtranslator(cfg, train_tokenizer(["brod"], "char"))
    trained, _ = model.features(arrays)
    assert torch.equal(trained, model.features(arrays, reading=True)[0])  # option off: reading sees what training saw
    model.cfg.hide_interpolated_hands = True
    read, _ = model.features(arrays, reading=True)
    assert torch.equal(trained, model.features(arrays)[0]) and not torch.equal(trained, read)
