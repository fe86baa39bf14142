import numpy as np
import pytest

from signgen.errors import SigngenError
from signgen.eval.metrics import dtw_mje, duration_error, empty_predictions, text_metrics

SENTENCES = [
    "the weather will be sunny in the north tomorrow",
    "in the south there is rain and some wind",
    "temperatures reach twenty degrees during the day",
]


def test_identical_texts_score_perfectly():
    m = text_metrics(SENTENCES, [s.upper() + "  " for s in SENTENCES])  # case and padding are normalized away
    assert set(m) == {"bleu1", "bleu2", "bleu3", "bleu4", "chrf", "rougeL", "wer", "cer"}
    for key in ("bleu1", "bleu2", "bleu3", "bleu4", "chrf", "rougeL"):
        assert m[key] == pytest.approx(100.0), key
    assert m["wer"] == 0.0 and m["cer"] == 0.0


def test_known_small_case():
    m = text_metrics(["hello world"], ["hello there world"])
    assert m["wer"] == pytest.approx(100 / 3)  # one deleted word out of three reference words
    assert m["cer"] == pytest.approx(100 * 6 / 17)  # "there " deleted: 6 of 17 reference characters
    assert m["rougeL"] == pytest.approx(100 * 0.8)  # LCS 2: precision 2/2, recall 2/3 -> F 0.8
    assert m["bleu1"] == pytest.approx(100 * np.exp(1 - 3 / 2))  # unigram precision 1, brevity penalty


def test_completely_different_texts():
    m = text_metrics(["alpha beta gamma delta"], ["one two three four"])
    assert m["bleu1"] == pytest.approx(0.0, abs=1e-6)
    assert m["wer"] == pytest.approx(100.0)
    assert m["rougeL"] == 0.0


def test_non_ascii_words_count_for_rouge():
    m = text_metrics(["größer schön"], ["größer übel"])
    assert m["rougeL"] == pytest.approx(50.0)


def test_mismatched_lengths_raise():
    with pytest.raises(SigngenError, match="2 hypotheses but 1 references"):
        text_metrics(["a b", "c d"], ["a b"])


def test_empty_hypotheses_allowed_but_not_all_empty_references():
    m = text_metrics(["", "hello world"], ["good morning", "hello world"])
    assert m["wer"] == pytest.approx(50.0)  # two deletions over four reference words
    assert empty_predictions(["", "  ", "x"]) == 2
    with pytest.raises(SigngenError, match="all references are empty"):
        text_metrics(["a", "b"], ["", " "])


def _pose(frames=12, joints=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(frames, joints, 3)).astype(np.float32), np.ones((frames, joints), dtype=bool)


def test_dtw_mje_identity_and_time_stretch():
    x, mask = _pose()
    assert dtw_mje(x, mask, x, mask) == pytest.approx(0.0, abs=1e-9)
    stretched, smask = np.repeat(x, 2, axis=0), np.repeat(mask, 2, axis=0)
    assert dtw_mje(stretched, smask, x, mask) == pytest.approx(0.0, abs=1e-9)
    assert dtw_mje(x, mask, stretched, smask) == pytest.approx(0.0, abs=1e-9)


def test_dtw_mje_constant_shift():
    x, mask = _pose()
    shifted = x.copy()
    shifted[..., 0] += 0.5
    assert dtw_mje(shifted, mask, x, mask) == pytest.approx(0.5, abs=1e-6)


def test_dtw_mje_hand_computed_alignment():
    # one joint moving on x: pred [0, 3], ref [0, 1, 2] -> optimal path (0,0), (0,1), (1,2) with costs 0, 1, 1
    pred = np.zeros((2, 1, 3), np.float32)
    pred[:, 0, 0] = [0, 3]
    ref = np.zeros((3, 1, 3), np.float32)
    ref[:, 0, 0] = [0, 1, 2]
    assert dtw_mje(pred, np.ones((2, 1), bool), ref, np.ones((3, 1), bool)) == pytest.approx(2 / 3)


def test_dtw_mje_ignores_masked_joints():
    x, mask = _pose()
    pred, pmask = x.copy(), mask.copy()
    pred[3:7, 1:3] = 1000.0
    assert dtw_mje(pred, mask, x, mask) > 1.0  # the garbage counts while it is marked detected
    pmask[3:7, 1:3] = False
    assert dtw_mje(pred, pmask, x, mask) == pytest.approx(0.0, abs=1e-9)
    ref, rmask = x.copy(), mask.copy()
    ref[0, 4], rmask[0, 4] = np.nan, False  # masked reference entries are ignored too, even NaN
    assert dtw_mje(x, mask, ref, rmask) == pytest.approx(0.0, abs=1e-9)


def test_dtw_mje_rejects_bad_input():
    x, mask = _pose()
    with pytest.raises(SigngenError, match="no frames"):
        dtw_mje(x[:0], mask[:0], x, mask)
    with pytest.raises(SigngenError, match="same skeleton"):
        dtw_mje(x[:, :4], mask[:, :4], x, mask)
    with pytest.raises(SigngenError, match="share no detected joint"):
        dtw_mje(x, np.zeros_like(mask), x, mask)


def test_duration_error():
    assert duration_error(12, 10) == pytest.approx(0.2)
    assert duration_error(8, 10) == pytest.approx(0.2)
    assert duration_error(10, 10) == 0.0
