"""The shipped default models load, run offline, and fit the size budget (DEVELOPERS.md)."""

from pathlib import Path

import jiwer

from data_prep.starter import compose
from signgen.backtranslate.model import Backtranslator
from signgen.cli import main
from signgen.pose import pose_to_array, read_pose, to_canonical
from signgen.video import read_video_frames

MODELS = Path(__file__).resolve().parent.parent / "signgen" / "models"


def test_shipped_models_fit_the_60_mb_budget():
    total = sum(p.stat().st_size for p in MODELS.rglob("*") if p.is_file())
    assert {"motion", "backtranslator", "renderer"} <= {p.name for p in MODELS.iterdir()}
    assert total <= 60 * 2**20


def test_shipped_backtranslator_reads_held_out_real_fingerspelling():
    """Test-split words of the starter corpus (never in its training split), spelled by real signers."""
    bt = Backtranslator.from_pretrained(MODELS / "backtranslator")
    words = [("want", "en", "ase"), ("about", "en", "ase"), ("und", "de", "gsg")]
    arrays = [pose_to_array(to_canonical(compose(w, s, l))) for w, s, l in words]
    hyps = bt.translate(arrays, [l for _, _, l in words])
    assert jiwer.cer([w for w, _, _ in words], [h or " " for h in hyps]) < 0.5, hyps


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
