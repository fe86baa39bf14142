"""The whole retraining path of docs/training.md at tiny scale, on a How2Sign-format corpus of real footage:
data prep -> train motion -> train backtranslator -> eval -> data frames -> train renderer -> signgen text --model."""

import json
import shutil

import pytest

from signgen.cli import main
from signgen.pose import read_pose
from signgen.video import read_video_frames

from .prep_fixtures import how2sign_fixture


@pytest.mark.slow
def test_tiny_retraining_chain_from_videos_to_signgen_text(tmp_path, capsys):
    src = how2sign_fixture(tmp_path / "how2sign", {"train": 4, "val": 1, "test": 1}, frames=8)
    corpus = tmp_path / "corpus"
    assert main(["data", "how2sign", "--csv", *map(str, src["csvs"]), "--videos", str(src["videos"]),
                 "-o", str(corpus), "--quiet", "--workers", "1"]) == 0
    runs = tmp_path / "runs"
    assert main(["train", "motion", "--corpus", str(corpus), "--config", "tiny", "-o", str(runs / "motion"), "--quiet"]) == 0
    assert main(["train", "backtranslator", "--corpus", str(corpus), "--config", "tiny", "-o", str(runs / "bt"), "--quiet"]) == 0
    assert main(["eval", "--corpus", str(corpus), "--model", str(runs / "motion" / "model"),
                 "--backtranslator", str(runs / "bt" / "model"), "-o", str(runs / "eval"), "--quiet", "baseline=false"]) == 0
    report = json.loads((runs / "eval" / "metrics.json").read_text())
    rows = list(report["splits"]["test"]["results"])
    assert report["samples"] == 1 and rows[:2] == ["ground truth", "signgen (model)"] and "control: frozen first frame" in rows
    assert main(["data", "frames", "--corpus", str(corpus), "-o", str(runs / "frames"), "--quiet"]) == 0
    assert main(["train", "renderer", "--frames", str(runs / "frames"), "--config", "tiny", "-o", str(runs / "renderer"), "--quiet"]) == 0

    mine = tmp_path / "mypipeline"  # the layout docs/training.md assembles
    shutil.copytree(runs / "motion" / "model", mine / "motion")
    shutil.copytree(runs / "renderer" / "model", mine / "renderer")
    shutil.copytree(runs / "bt" / "model", mine / "backtranslator")
    capsys.readouterr()
    video, pose = tmp_path / "out.mp4", tmp_path / "out.pose"
    for renderer in ("avatar", "diffusion"):
        assert main(["text", "sentence", "--lang", "ase", "--model", str(mine), "--renderer", renderer, "-o", str(video),
                     "--save-pose", str(pose), "--steps", "5", "--render-steps", "2", "--quiet"]) == 0, capsys.readouterr().err
        frames, fps = read_video_frames(video)
        assert len(frames) == read_pose(pose).body.data.shape[0] and fps == 25
