"""The shipped default models load, run offline, and fit the size budget (DEVELOPERS.md)."""

from pathlib import Path

import jiwer

from data_prep.starter import compose
from signgen.backtranslate.model import Backtranslator
from signgen.cli import main
from signgen.pose import read_pose
from signgen.video import read_video_frames

MODELS = Path(__file__).resolve().parent.parent / "signgen" / "models"
# Measured with the shipped letter reader: the motion model (one run of the S preset, 2026-12-08; pure, seed 0)
# reads at CER 0.129 on the 19 words below (seed 1: 0.157; the same poses frozen at their first frame: 0.829; the
# nine-run chain shipped before it: 0.214 at seeds 0 and 1).
SHIPPED_WORD_CER = 0.30
# The shipped reader on the six held-out names: CER 0.088 / 0.158 / 0.053 at 1x / 0.5x / 2x (misses are doubled
# letters, which the lookup spells as one long letter, and last letters).
SHIPPED_READER_CER = 0.20


def test_shipped_models_fit_the_60_mb_budget():
    total = sum(p.stat().st_size for p in MODELS.rglob("*") if p.is_file())
    assert {"motion", "backtranslator", "renderer"} <= {p.name for p in MODELS.iterdir()}
    assert total <= 60 * 2**20


# Proper names held out of every training set (signgen/data/heldout_names.json), in five languages and three scripts.
HELD_OUT_NAMES = [("washington", "en", "ase"), ("quedlinburg", "de", "gsg"), ("marseille", "fr", "fsl"),
                  ("θεσσαλονικη", "el", "gss"), ("шевченко", "uk", "ukl"), ("zaragoza", "es", "ssp")]


def _lookup_names():
    from signgen.eval.baselines import lookup_pose

    return [lookup_pose(*n) for n in HELD_OUT_NAMES], [n for n, _, _ in HELD_OUT_NAMES], [g for _, _, g in HELD_OUT_NAMES]


def test_shipped_reader_reads_held_out_names_at_three_speeds():
    """Real signers' letters composed by spoken-to-signed's own lookup (not the composer the reader was trained
    on), at the lexicon's pace, half speed and double speed."""
    from signgen.pose.augment import change_speed

    arrays, names, langs = _lookup_names()
    bt = Backtranslator.from_pretrained(MODELS / "backtranslator")
    for factor in (1.0, 0.5, 2.0):
        hyps = bt.translate([change_speed(x, m, factor) for x, m in arrays], langs)
        assert jiwer.cer(names, [h or " " for h in hyps]) < SHIPPED_READER_CER, (factor, hyps)


def test_shipped_reader_fails_the_negative_controls():
    """A pose held still at its first frame must not read as the name, nor may the reads match other names."""
    from signgen.eval.evaluate import frozen_poses, shuffled

    arrays, names, langs = _lookup_names()
    bt = Backtranslator.from_pretrained(MODELS / "backtranslator")
    frozen = bt.translate(frozen_poses(arrays), langs)
    assert jiwer.cer(names, [h or " " for h in frozen]) >= 0.9, frozen
    reads = bt.translate(arrays, langs)
    assert jiwer.cer(shuffled(names), [h or " " for h in reads]) >= 0.9


def test_main_job_runs_offline_with_the_shipped_models(tmp_path):
    video, pose = tmp_path / "hello.mp4", tmp_path / "hello.pose"
    assert main(["text", "hello", "-o", str(video), "--save-pose", str(pose), "--steps", "10", "--quiet"]) == 0
    frames, fps = read_video_frames(video)
    assert len(frames) == read_pose(pose).body.data.shape[0] >= 8 and fps == 25


def test_signgen_read_back_translates_spoken_to_signed_pose_files(tmp_path, capsys):
    """`signgen read` on .pose files as spoken-to-signed writes them (reduced Holistic in 512x512 pixels):
    they are normalized on load and read back by the shipped back-translator."""
    words = ["want", "about", "people"]
    paths = []
    for w in words:
        paths.append(tmp_path / f"{w}.pose")
        with open(paths[-1], "wb") as f:
            compose(w, "en", "ase").write(f)
    assert main(["read", *map(str, paths), "--lang", "ase"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(p) for p in paths]
    hyps = [line.split("\t")[1] if "\t" in line else "" for line in lines]
    assert jiwer.cer(words, [h or " " for h in hyps]) < 0.5, hyps
    assert main(["read", str(paths[0]), "--lang", "xyz"]) == 2


def test_shipped_motion_model_spells_held_out_words():
    """The shipped motion model against the released back-translator, on the starter corpus's held-out test
    words for ASL and DGS (never in its training split): it must stay a readable fingerspeller, not just load."""
    from signgen.motion.generate import generate_arrays
    from signgen.motion.model import MotionModel

    words = {"ase": ["she", "your", "but", "had", "into", "want", "think", "like", "than", "more", "out"],
             "gsg": ["es", "vom", "jetzt", "auch", "oder", "ihre", "und", "geht"]}
    texts = [w for ws in words.values() for w in ws]
    langs = [lang for lang, ws in words.items() for _ in ws]
    model = MotionModel.from_pretrained(MODELS / "motion")
    arrays = generate_arrays(model, texts, langs, seed=0)
    hyps = Backtranslator.from_pretrained(MODELS / "backtranslator").translate(arrays, langs)
    cer = jiwer.cer(texts, [h or " " for h in hyps])
    assert cer < SHIPPED_WORD_CER, list(zip(texts, hyps))


def test_shipped_motion_model_slides_the_second_l_of_hello():
    """The starter corpus signs the second of two equal letters with an outward slide of the signing arm
    (data_prep.starter.slide_double_letters, +0.24 shoulder widths there). The shipped model must show it for
    "hello" (it measures +0.17 to +0.19 at seeds 0-3, bench/double_letters.py --text hello); a model without it
    measures about 0, one long L."""
    from signgen.eval.letters import letter_moves, outward_wrist, predicted_letter_frames
    from signgen.motion.generate import generate_arrays
    from signgen.motion.model import MotionModel

    model = MotionModel.from_pretrained(MODELS / "motion")
    ((x, mask),) = generate_arrays(model, ["hello"], ["ase"], seed=0)
    (durations,) = predicted_letter_frames(model, ["hello"], ["ase"], [len(x)])
    ll, lo = letter_moves(outward_wrist(x, mask), durations, [2, 3])
    assert ll > 0.08  # second L out from the first
    assert lo < -0.08  # and back for the O
