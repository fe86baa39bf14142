"""`signgen data frames` on a corpus imported from video: real frames (scikit-image's astronaut, panned and
zoomed), cropped around the signer so that the canonical pose lands on them the way every renderer draws it.
Checked independently: MediaPipe, run again on the written crops, finds the face and shoulders where the
canonical pose (through `render.layout.to_pixels`) says they are."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from data_prep.frames import open_image_folder
from data_prep.holistic import HolisticConfig, extract
from signgen.cli import main
from signgen.pose import read_pose, to_canonical
from signgen.pose.skeleton import joint_index
from signgen.pose.tensors import pose_to_array
from signgen.render.layout import to_pixels
from tests.prep_fixtures import how2sign_fixture

SIZE = 128


@pytest.fixture(scope="module")
def video_corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("vf")
    src = how2sign_fixture(root / "src", {"train": 2, "val": 1}, frames=10)
    out = root / "corpus"
    assert main(["data", "how2sign", "--csv", *map(str, src["csvs"]), "--videos", str(src["videos"]), "-o", str(out),
                 "--quiet", "--workers", "1"]) == 0
    return out


def test_video_corpus_gives_signer_centred_real_frames_that_the_pose_lands_on(video_corpus, tmp_path, capsys):
    out = tmp_path / "frames"
    assert main(["data", "frames", "--corpus", str(video_corpus), "-o", str(out), "--size", str(SIZE), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "3 clips" in err and "video frames" in err
    with open(out / "clips.csv", newline="", encoding="utf-8") as f:
        clips = list(csv.DictReader(f))
    assert len(clips) == 3 and {c["split"] for c in clips} <= {"train", "val"} and json.loads((out / "frames.json").read_text())
    errors = []
    for c in clips:
        d = out / c["clip"]
        pngs = sorted(d.glob("*.png"))
        x, mask = pose_to_array(read_pose(d / "pose.pose"))
        assert len(pngs) == len(x) == int(c["frames"])
        # the astronaut again, through MediaPipe, on the crops themselves
        again = to_canonical(extract(open_image_folder(d, 25.0), HolisticConfig()), normalized=False)
        px, pmask = pose_to_array(again)
        assert len(px) == len(x)
        expected = to_pixels(x, SIZE)
        for part, name in (("FACE_LANDMARKS", "0"), ("POSE_LANDMARKS", "LEFT_SHOULDER"), ("POSE_LANDMARKS", "RIGHT_SHOULDER")):
            j = joint_index(part, name)  # the upper lip's centre and the shoulders
            seen = mask[:, j] & pmask[:, j]
            assert seen.mean() > 0.8, (c["clip"], name)
            errors.append(np.linalg.norm(px[seen, j, :2] - expected[seen, j], axis=-1))
        # the crop is a real photograph, not a drawing: many distinct colours
        from PIL import Image

        assert len(np.unique(np.asarray(Image.open(pngs[0])).reshape(-1, 3), axis=0)) > 2000
    err = np.concatenate(errors)
    # the signer is where the pose puts them: within 3% of the frame (MediaPipe's own jitter is about 1-2 px here)
    assert np.median(err) < 0.03 * SIZE and np.percentile(err, 95) < 0.06 * SIZE, (np.median(err), np.percentile(err, 95))

    # resumable per clip: a finished clip is kept, a deleted one is made again the same
    first = out / clips[0]["clip"]
    before = (first / "000000.png").read_bytes()
    for p in first.iterdir():
        p.unlink()
    first.rmdir()
    assert main(["data", "frames", "--corpus", str(video_corpus), "-o", str(out), "--size", str(SIZE), "--quiet"]) == 0
    assert (first / "000000.png").read_bytes() == before


def test_real_frames_train_the_renderer_end_to_end(video_corpus, tmp_path):
    frames = tmp_path / "frames"
    assert main(["data", "frames", "--corpus", str(video_corpus), "-o", str(frames), "--size", "32", "--quiet"]) == 0
    run = tmp_path / "renderer"
    assert main(["train", "renderer", "--frames", str(frames), "--config", "tiny", "-o", str(run), "--quiet"]) == 0
    assert (run / "model" / "config.json").exists()


def test_frames_from_video_bad_inputs_are_one_line_exit_2(video_corpus, tmp_path, capsys):
    # a corpus that was not imported from video
    from signgen.corpus import Corpus, finalize

    pose_only = tmp_path / "poses"
    (pose_only / "poses").mkdir(parents=True)
    corpus = Corpus(video_corpus)
    s = corpus.samples[0]
    (pose_only / "poses" / f"{s.id}.pose").write_bytes(corpus.pose_file(s).read_bytes())
    finalize(pose_only, [type(s)(**{**vars(s), "source": "pose:x"})], {"builder": "test"})
    assert main(["data", "frames", "--corpus", str(pose_only), "-o", str(tmp_path / "f1"), "--source", "video", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no sample was imported from a video" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1

    # a video corpus imported by an older signgen (no clip sources recorded)
    import shutil

    old = tmp_path / "old"
    shutil.copytree(video_corpus, old)
    lines = [json.loads(line) for line in (old / "progress.jsonl").read_text().splitlines() if line.strip()]
    (old / "progress.jsonl").write_text("".join(json.dumps({k: v for k, v in r.items() if k != "clip"}) + "\n" for r in lines))
    assert main(["data", "frames", "--corpus", str(old), "-o", str(tmp_path / "f2"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "re-import" in err and len(err.strip().splitlines()) == 1

    # a clip whose raw pose is gone is skipped and named; when none is left, one line, exit 2
    shutil.rmtree(old)
    shutil.copytree(video_corpus, old)
    for p in (old / "raw").iterdir():
        p.unlink()
    assert main(["data", "frames", "--corpus", str(old), "-o", str(tmp_path / "f3"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "keep_raw=true" in err and len(err.strip().splitlines()) == 1

    # close-ups are drawn by the avatar; asked of a video corpus, one line, nothing written
    assert main(["data", "frames", "--corpus", str(video_corpus), "-o", str(tmp_path / "f4"), "--close-ups", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--close-ups" in err and "avatar" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "f4").exists()
