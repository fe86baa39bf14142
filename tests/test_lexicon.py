"""The lexicon composer, the letter reader's vocabulary and its augmentation."""

import shutil

import numpy as np
import pytest

from signgen.backtranslate.model import hand_features
from signgen.backtranslate.spelling import (HELDOUT_SETS, SpellingAugment, SpellingConfig, augment_signer,
                                            compose_sample, starter_split, training_sample, vocabulary)
from signgen.errors import SigngenError
from signgen.lexicon import Lexicon, compose, fingerspell, spell_text
from signgen.pose.skeleton import component_slices


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon.builtin()


def test_builtin_lexicon_has_every_pair_and_spells_like_spoken_to_signed(lexicon):
    assert len(lexicon.pairs) >= 20 and "en-ase" in lexicon.pairs and "ar-jos" in lexicon.pairs
    assert lexicon.spell("schule", "de", "sgg") == ["sch", "u", "l", "e"]  # the longest entry first
    assert lexicon.spell("calle", "es", "ssp") == ["c", "a", "ll", "e"]
    assert lexicon.spell("Hello", "en", "ase") == list("hello")
    with pytest.raises(SigngenError, match="'ß'.*en-ase"):
        lexicon.spell("straße", "en", "ase")


def test_composition_times_every_character(lexicon):
    comp = fingerspell("hello world", "en", "ase", lexicon)
    assert comp.x.shape == (len(comp.x), 178, 3) and comp.mask.shape == comp.x.shape[:2]
    assert len(comp.durations) == len("hello world") and sum(comp.durations) == pytest.approx(len(comp.x))
    assert len(comp.spans) == 10 and all(b > a for a, b in comp.spans)
    assert comp.spans == sorted(comp.spans) and comp.spans[-1][1] == len(comp.x)
    # asked-for frames are what each clip gets
    units = spell_text(lexicon, "abc", "en", "ase")
    c = compose(units, [[7, 9, 11]], [[3, 0]])
    assert [b - a for a, b in c.spans] == [7, 9, 11] and len(c.x) == 7 + 3 + 9 + 11


def test_a_clip_keeps_its_handshape(lexicon):
    """The composed letter is the recorded clip: its frames are the lexicon's own frames."""
    units = spell_text(lexicon, "b", "en", "ase")
    clip = units[0][0]
    comp = compose(units)
    np.testing.assert_allclose(comp.x, clip.x, atol=1e-6)


def _user_lexicon(tmp_path, lexicon, rows=None):
    root = tmp_path / "lex"
    (root / "poses").mkdir(parents=True)
    src = lexicon.root / lexicon.index[("en", "ase")]["h"].path
    shutil.copy(src, root / "poses" / "hi.pose")
    header = "path,spoken_language,signed_language,start,end,words,glosses,priority\n"
    (root / "index.csv").write_text(header + (rows or "poses/hi.pose,en,ase,0,0,hi,HI,0\n"))
    return root


def test_user_lexicon_loads_and_names_bad_rows(tmp_path, lexicon):
    user = Lexicon.from_dir(_user_lexicon(tmp_path, lexicon))
    assert user.pairs == ["en-ase"] and len(user.clip("hi", "en", "ase")) > 0
    with pytest.raises(SigngenError, match="no index.csv"):
        Lexicon.from_dir(tmp_path / "nowhere")
    bad = _user_lexicon(tmp_path / "b", lexicon, "poses/gone.pose,en,ase,0,0,bye,BYE,0\n")
    with pytest.raises(SigngenError, match="gone.pose.*missing"):
        Lexicon.from_dir(bad).clip("bye", "en", "ase")
    corrupt = _user_lexicon(tmp_path / "c", lexicon)
    (corrupt / "poses" / "hi.pose").write_bytes(b"not a pose")
    with pytest.raises(SigngenError, match="hi.pose"):
        Lexicon.from_dir(corrupt).clip("hi", "en", "ase")
    with pytest.raises(SigngenError, match="whole numbers"):
        Lexicon.from_dir(_user_lexicon(tmp_path / "d", lexicon, "poses/hi.pose,en,ase,zero,0,hi,HI,0\n"))


def test_held_out_sets_share_no_word_with_training(lexicon):
    cfg = SpellingConfig(pairs=["en-ase", "de-gsg"], frequent_candidates=2000, rare_ranks=[5000, 12000],
                         rare_per_pair=200, pseudo_per_pair=50)
    vocab = vocabulary(lexicon, cfg)
    for pair, sets in vocab.items():
        trained = {w for t in sets["train"] + sets["val"] for w in t.split()}
        held = {w for name in HELDOUT_SETS for t in sets[name] for w in t.split()}
        assert sets["names"] and sets["rare"] and sets["frequent"] and sets["phrases"]
        assert not trained & held, pair
        assert all(starter_split(w, cfg) == "test" for w in sets["frequent"])  # the starter corpus's test words
        assert all(starter_split(w, cfg) == "train" for w in trained if w.isalpha() and w in sets["train"][:50])
        spoken, signed = pair.split("-")
        letters = {k for k in lexicon.keys(spoken, signed) if k.isalpha()}
        seen = {k for t in sets["train"] for k in lexicon.spell(t, spoken, signed)}
        assert seen == letters  # every lexicon letter is trained on


def test_augmented_samples_vary_and_stay_readable_shapes(lexicon):
    cfg = SpellingConfig(pairs=["en-ase"], frequent_candidates=500, rare_ranks=[1000, 2000], rare_per_pair=20,
                         pseudo_per_pair=20)
    vocab = vocabulary(lexicon, cfg)
    rng = np.random.default_rng(0)
    lengths = set()
    for _ in range(20):
        text, signed, x, mask = training_sample(lexicon, vocab, cfg, SpellingAugment(), rng)
        assert signed == "ase" and x.shape == (len(mask), 178, 3) and np.isfinite(x).all()
        assert all(t in vocab["en-ase"]["train"] for t in text.split())
        lengths.add(len(x))
    assert len(lengths) > 10
    natural = compose_sample(lexicon, "abc", "en", "ase", None, None)
    slow = compose_sample(lexicon, "abc", "en", "ase", SpellingAugment(word_speed=[2.5, 2.5], letter_speed=[1, 1],
                                                                       capped_prob=0, hold_prob=0), rng)
    assert len(slow.x) > 2 * len(natural.x)


def test_hand_features_ignore_where_the_arm_is(lexicon):
    """A letter's features are its handshape: moving the whole hand, or resizing it, changes only the wrist part."""
    comp = fingerspell("k", "en", "ase", lexicon)
    x, mask = comp.x, comp.mask
    moved = x.copy()
    right = component_slices()["RIGHT_HAND_LANDMARKS"]
    moved[:, right] = (x[:, right] - x[:, right.start : right.start + 1]) * 1.3 + x[:, right.start : right.start + 1] + 0.2
    a, b = hand_features(x, mask), hand_features(moved, mask)
    fingers = slice(64, 64 + 60)  # the right hand's finger block
    np.testing.assert_allclose(a[:, fingers], b[:, fingers], atol=1e-4)
    assert not np.allclose(a[:, 124:127], b[:, 124:127])  # its wrist moved
    augmented, m2 = augment_signer(x, mask, SpellingAugment(jitter=0, drop_frames=0, drop_hand_prob=0, mirror_prob=0,
                                                             rotate_degrees=0), np.random.default_rng(1))
    np.testing.assert_allclose(hand_features(augmented, m2)[:, fingers], a[:, fingers], atol=1e-4)


def test_lookup_order_caps_letters_before_cutting_and_fills_hand_gaps(lexicon):
    from signgen.backtranslate.spelling import fill_hand_gaps
    from signgen.lexicon import LOOKUP_CUT_FRAMES, capped_clips

    units = spell_text(lexicon, "hello", "en", "ase")
    capped = capped_clips(units)
    assert [len(c) for c in capped[0]] == [min(len(c), 20) for c in units[0][:-1]] + [min(2 * len(units[0][-1]), 20)]
    comp = compose(capped, None, [[1] * 4], None, cut_max_frames=LOOKUP_CUT_FRAMES)
    assert sum(len(c) for c in capped[0]) - 2 * LOOKUP_CUT_FRAMES * 4 <= len(comp.x) <= sum(len(c) for c in capped[0]) + 4
    rng = np.random.default_rng(0)
    aug = SpellingAugment(capped_prob=0, lookup_order_prob=1, word_speed=[2, 2], hold_prob=0)
    slow = compose_sample(lexicon, "hello", "en", "ase", aug, rng)
    assert abs(len(slow.x) - 2 * len(comp.x)) <= 2  # the lookup's composition, played at half speed
    # a hand undetected for frames 5-9 is interpolated through them; before its first detection it stays unseen
    x, mask = comp.x.copy(), comp.mask.copy()
    right = component_slices()["RIGHT_HAND_LANDMARKS"]
    mask[:2, right] = False
    mask[5:10, right] = False
    x[5:10, right] = 0
    fx, fm = fill_hand_gaps(x, mask)
    assert fm[5:10, right].all() and not fm[:2, right].any()
    w = (7 - 4) / (10 - 4)
    assert np.allclose(fx[7, right], (1 - w) * x[4, right] + w * x[10, right], atol=1e-5)
