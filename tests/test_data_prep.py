"""Video-corpus import (data_prep): real footage (scikit-image's astronaut) through MediaPipe Holistic, How2Sign /
PHOENIX / OpenPose / generic fixtures end to end into a corpus, resumption, failures and quality reports, bad inputs."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from data_prep import sources
from data_prep.frames import open_video
from data_prep.holistic import HolisticConfig, detection_rates, extract
from data_prep.prep import PrepConfig, prepare
from signgen.cli import main
from signgen.corpus import Corpus
from signgen.errors import SigngenError
from signgen.pose import read_pose, to_canonical
from tests.prep_fixtures import H2S_HEADER, astronaut_frames, how2sign_fixture, openpose_fixture, write_astronaut_video

REPO = Path(__file__).resolve().parent.parent


def cfg(**kw) -> PrepConfig:
    base = dict(spoken_language="en", signed_language="ase", workers=1)
    base.update(kw)
    return PrepConfig(**base)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def astronaut_video(tmp_path_factory) -> Path:
    return write_astronaut_video(tmp_path_factory.mktemp("astro") / "astronaut.mp4", frames=12, size=192)


# --- extraction on real footage ---------------------------------------------------------------------------

def test_astronaut_video_has_body_and_face_on_most_frames(astronaut_video):
    pose = extract(open_video(astronaut_video), HolisticConfig())
    assert pose.body.data.shape[:3] == (12, 1, 33 + 468 + 21 + 21 + 33)  # full Holistic, source fps
    assert pose.body.fps == 25 and pose.header.dimensions.width == 192
    rates = detection_rates(pose)
    assert rates["body"] >= 0.8 and rates["face"] >= 0.8, rates
    # pixel coordinates of the original frame: the face lies inside the image
    face = np.ma.getdata(pose.body.data)[:, 0, 33:33 + 468, :2]
    seen = np.asarray(pose.body.confidence)[:, 0, 33] > 0
    assert (face[seen] > 0).all() and (face[seen] < 192).all()
    canonical = to_canonical(pose)
    assert canonical.body.data.shape[2] == 178


def test_crop_resize_and_refine_keep_original_pixel_coordinates(astronaut_video):
    full = extract(open_video(astronaut_video), HolisticConfig(static_image_mode=True))
    small = extract(open_video(astronaut_video), HolisticConfig(static_image_mode=True, refine_face_landmarks=True,
                                                              crop=[0.1, 0.0, 0.9, 1.0], max_side=96))
    assert small.body.data.shape[2] == 33 + 478 + 21 + 21 + 33  # refined face: irises
    nose_full = np.ma.getdata(full.body.data)[:, 0, 0, :2]  # body landmark 0 = NOSE
    nose_small = np.ma.getdata(small.body.data)[:, 0, 0, :2]
    both = (np.asarray(full.body.confidence)[:, 0, 0] > 0) & (np.asarray(small.body.confidence)[:, 0, 0] > 0)
    assert both.sum() >= 8
    assert np.abs(nose_full[both] - nose_small[both]).max() < 12  # pixels of the 192 px frame


def test_bad_holistic_settings_are_one_line_errors():
    with pytest.raises(SigngenError, match="holistic.crop"):
        HolisticConfig(crop=[0.5, 0, 0.4, 1]).check()
    with pytest.raises(SigngenError, match="max_side"):
        HolisticConfig(max_side=8).check()


# --- How2Sign format end to end ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def h2s(tmp_path_factory):
    root = tmp_path_factory.mktemp("h2s")
    return how2sign_fixture(root, {"train": 3, "val": 1, "test": 1}, frames=6, corrupt=("vid01_1-1-rgb_front",))


def test_how2sign_cli_builds_a_corpus_with_failures_and_quality_reports(h2s, tmp_path, capsys):
    out = tmp_path / "corpus"
    args = ["data", "how2sign", "--csv", *map(str, h2s["csvs"]), "--videos", str(h2s["videos"]), "-o", str(out), "--quiet", "--workers", "1"]
    assert main(args) == 0
    corpus = Corpus(out)
    assert {s.split for s in corpus.samples} == {"train", "val", "test"}
    assert len(corpus.samples) == 4 and all(s.signed_language == "ase" for s in corpus.samples)
    x, mask = corpus.load(corpus.samples[0])
    assert x.shape == (6, 178, 3) and mask.mean() > 0.5
    assert corpus.samples[0].text.endswith("ça va?")
    failures = read_csv(out / "failures.csv")
    assert [f["id"] for f in failures] == ["vid01_1-1-rgb_front"] and "unreadable video" in failures[0]["reason"]
    quality = read_csv(out / "quality.csv")
    assert len(quality) == 4 and all(float(q["body"]) > 0.8 and float(q["face"]) > 0.8 for q in quality)
    assert all(float(q["left_hand"]) == 0 for q in quality)  # the astronaut's hands are out of frame
    assert sorted(p.name for p in (out / "raw").iterdir()) == sorted(f"{s.id}.pose" for s in corpus.samples)
    raw = read_pose(out / "raw" / f"{corpus.samples[0].id}.pose")
    assert raw.body.fps == 25 and raw.body.data.shape[2] == 576
    summary = json.loads((out / "quality.json").read_text())
    assert summary["clips_kept"] == 4 and summary["clips_failed"] == 1
    assert "1 failed" in capsys.readouterr().err

    # a second run skips every finished clip; stricter quality filters re-finalize without re-extracting
    assert main(args + ["filters.min_face_rate=0.5"]) == 0
    assert "4 already done" in capsys.readouterr().err
    assert main(args + ["filters.min_hand_rate=0.5"]) == 2
    assert "no clip was imported and kept" in capsys.readouterr().err
    assert all(q["kept"] == "0" and "any_hand" in q["filtered_because"] for q in read_csv(out / "quality.csv"))
    # other extraction settings into the same folder are refused
    assert main(args + ["holistic.refine_face_landmarks=true"]) == 2
    assert "different extraction settings" in capsys.readouterr().err


@pytest.mark.slow
def test_how2sign_corpus_is_accepted_by_the_motion_trainer(h2s, tmp_path):
    """The same model and trainer as the fingerspelling recipe, on sentences, with the pretrained text encoder."""
    import json

    out = tmp_path / "corpus"
    assert main(["data", "how2sign", "--csv", *map(str, h2s["csvs"]), "--videos", str(h2s["videos"]), "-o", str(out), "--quiet", "--workers", "1"]) == 0
    run = tmp_path / "run"
    assert main(["train", "motion", "--corpus", str(out), "--config", "tiny", "-o", str(run), "--quiet", "model.text.kind=minilm"]) == 0
    assert (run / "model" / "model.safetensors").exists()
    cfg = json.loads((run / "model" / "config.json").read_text())
    assert cfg["text"]["kind"] == "minilm" and cfg["letter_durations"] is False  # sentences have no letter timing
    assert main(["pose", "a new sentence", "--model", str(run / "model"), "--no-lexicon", "-o", str(tmp_path / "s.pose")]) == 0


@pytest.mark.slow
def test_interrupted_run_resumes_without_partial_files(tmp_path):
    # enough clips that the run is still going when the interrupt lands, even on a loaded machine
    fx = how2sign_fixture(tmp_path / "src", {"train": 12, "test": 1}, frames=75, corrupt=("vid03_3-1-rgb_front",))
    out = tmp_path / "corpus"
    cmd = [sys.executable, "-m", "signgen.cli", "data", "how2sign", "--csv", *map(str, fx["csvs"]), "--videos", str(fx["videos"]),
           "-o", str(out), "--quiet", "--workers", "2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # the child gets the default Ctrl-C disposition even if something earlier in this pytest process set
    # SIGINT to "ignore" (an ignored signal is inherited across exec, and Python then never raises KeyboardInterrupt)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    progress = out / "progress.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if progress.exists() and progress.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert "re-run the same command to resume" in err.decode()
    finished = [json.loads(line) for line in progress.read_text().splitlines()]
    assert 1 <= len(finished) < 13  # interrupted part way
    assert not list(out.rglob("*.tmp"))  # atomic writes: no partial .pose anywhere
    assert not (out / "manifest.csv").exists()

    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    ok = sum(r["status"] == "ok" for r in finished)
    assert f"{ok} already done" in done.stderr
    corpus = Corpus(out)
    assert len(corpus.samples) == 12
    assert [f["id"] for f in read_csv(out / "failures.csv")] == ["vid03_3-1-rgb_front"]
    for s in corpus.samples:
        read_pose(corpus.pose_file(s))  # every pose complete


@pytest.mark.slow
def test_ray_engine_builds_the_same_corpus(h2s, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'signgen[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
    try:
        clips, problems = sources.read_how2sign(h2s["csvs"], h2s["videos"])
        result = prepare(clips, problems, tmp_path / "ray", cfg(engine="ray", workers=2), "test", progress=False)
    finally:
        ray.shutdown()
    assert sorted(s.id for s in result.corpus.samples) == sorted(n for n in h2s["names"] if n != "vid01_1-1-rgb_front")
    assert [f["id"] for f in read_csv(tmp_path / "ray" / "failures.csv")] == ["vid01_1-1-rgb_front"]


def test_full_videos_are_cut_at_the_realigned_timestamps(tmp_path):
    video = write_astronaut_video(tmp_path / "full" / "talk-rgb_front.mp4", frames=50, size=128)  # 2 s at 25 fps
    rows = [H2S_HEADER,
            "talk\ttalk-rgb_front\t0\ttalk_0-rgb_front\t0.20\t0.60\tfirst",
            "talk\ttalk-rgb_front\t1\ttalk_1-rgb_front\t1.00\t1.80\tsecond",
            "talk\ttalk-rgb_front\t2\ttalk_2-rgb_front\tabc\t1.0\tbad start",
            "talk\ttalk-rgb_front\t3\ttalk_3-rgb_front\t1.5\t1.2\tend before start",
            "talk\tmissing-rgb_front\t4\ttalk_4-rgb_front\t0.0\t1.0\tno such video"]
    (tmp_path / "how2sign_realigned_train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    clips, problems = sources.read_how2sign([tmp_path / "how2sign_realigned_train.csv"], video.parent, full_videos=True)
    assert [c.id for c in clips] == ["talk_0-rgb_front", "talk_1-rgb_front"]
    reasons = {p.id: p.reason for p in problems}
    assert "START_REALIGNED 'abc' is not a number" in reasons["talk_2-rgb_front"]
    assert "is not after" in reasons["talk_3-rgb_front"] and "no video" in reasons["talk_4-rgb_front"]
    assert sum(1 for _ in open_video(video, 0.2, 0.6).frames) == 10
    assert sum(1 for _ in open_video(video, 1.0, 1.8).frames) == 20
    result = prepare(clips, problems, tmp_path / "out", cfg(), "test", progress=False)
    assert [s.frames for s in result.corpus.samples] == [10, 20]
    assert len(read_csv(tmp_path / "out" / "failures.csv")) == 3


def test_how2sign_release_root_with_a_missing_split_imports_the_others_then_resumes(tmp_path, capsys):
    """--videos is the dataset root: each CSV's clips are in {split}_rgb_front_clips/raw_videos/."""
    import shutil

    h2s = how2sign_fixture(tmp_path / "How2Sign", {"train": 1, "val": 1, "test": 1}, frames=4, released=True)
    test_clips = tmp_path / "How2Sign" / "test_rgb_front_clips"
    shutil.move(test_clips, tmp_path / "later")
    out = tmp_path / "corpus"
    args = ["data", "how2sign", "--csv", *map(str, h2s["csvs"]), "--videos", str(h2s["videos"]), "-o", str(out), "--quiet", "--workers", "1"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("signgen: error: ") and str(test_clips / "raw_videos") in err[-1]
    assert "how2sign_realigned_test.csv" in err[-1] and "re-run the same command" in err[-1] and str(out) in err[-1]
    assert sorted(s.split for s in Corpus(out).samples) == ["train", "val"]  # finished work is kept

    shutil.move(tmp_path / "later", test_clips)
    assert main(args) == 0
    assert "2 already done" in capsys.readouterr().err
    corpus = Corpus(out)
    assert sorted(s.split for s in corpus.samples) == ["test", "train", "val"] and (out / "stats.safetensors").exists()


def test_extraction_is_quiet_unless_verbose_and_progress_is_plain_lines_off_a_terminal(tmp_path):
    """MediaPipe/TFLite write to file descriptor 2 directly, so this runs the CLI in a subprocess."""
    h2s = how2sign_fixture(tmp_path / "H", {"train": 1}, frames=3)

    def run(*extra) -> str:
        code = "import sys; from signgen.cli import main; sys.exit(main(sys.argv[1:]))"
        args = ["data", "how2sign", "--csv", str(h2s["csvs"][0]), "--videos", str(h2s["videos"]), "--workers", "1", *extra]
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stderr

    quiet = run("-o", str(tmp_path / "a"))
    assert "XNNPACK" not in quiet and "inference_feedback_manager" not in quiet and "absl" not in quiet, quiet
    assert "\r" not in quiet and "data_prep.how2sign: 1/1 clip" in quiet  # stderr is a pipe: plain lines
    verbose = run("-o", str(tmp_path / "b"), "--verbose")
    assert "XNNPACK" in verbose or "inference_feedback_manager" in verbose, verbose


def test_one_split_of_the_openpose_release_alone_imports_with_a_note(tmp_path, capsys):
    root = tmp_path / "How2Sign"
    json_dir = root / "test_2D_keypoints" / "openpose_output" / "json"
    openpose_fixture(json_dir, "a_0-1-rgb_front", frames=6)
    openpose_fixture(json_dir, "b_0-1-rgb_front", frames=5)
    rows = [H2S_HEADER] + [f"v\tv\t{i}\t{n}_0-1-rgb_front\t0\t1\tsentence {n}" for i, n in enumerate("ab")]
    (root / "how2sign_realigned_test.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "corpus"
    assert main(["data", "openpose", "--csv", str(root / "how2sign_realigned_test.csv"), "--json", str(root), "-o", str(out), "--quiet"]) == 0
    assert "note: no train split was imported" in capsys.readouterr().err
    corpus = Corpus(out)
    assert [s.split for s in corpus.samples] == ["test", "test"] and not (out / "stats.safetensors").exists()
    # a split whose CSV names no folder under the root is refused before anything runs
    (root / "how2sign_realigned_val.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["data", "openpose", "--csv", str(root / "how2sign_realigned_val.csv"), "--json", str(root), "-o", str(tmp_path / "o2"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(root / "val_2D_keypoints" / "openpose_output" / "json") in err[0]


def test_a_bad_timestamp_is_named_and_exits_2_after_importing_the_rest(tmp_path, capsys):
    write_astronaut_video(tmp_path / "full" / "talk-rgb_front.mp4", frames=25, size=96)
    rows = [H2S_HEADER,
            "talk\ttalk-rgb_front\t0\ttalk_0-rgb_front\t0.10\t0.50\tfirst",
            "talk\ttalk-rgb_front\t1\ttalk_1-rgb_front\t0:00:01\t0.9\tbad start"]
    (tmp_path / "how2sign_realigned_train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["data", "how2sign", "--full-videos", "--csv", str(tmp_path / "how2sign_realigned_train.csv"),
                 "--videos", str(tmp_path / "full"), "-o", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("signgen: error: how2sign_realigned_train.csv:3: START_REALIGNED '0:00:01' is not a number")
    assert "fix the row" in err[-1]
    assert [s.id for s in Corpus(out).samples] == ["talk_0-rgb_front"]


# --- other sources ---------------------------------------------------------------------------------------

def test_how2sign_openpose_json_is_converted_without_extraction(tmp_path):
    json_root = tmp_path / "json"
    openpose_fixture(json_root, "a_0-1-rgb_front", frames=8)
    openpose_fixture(json_root, "b_0-1-rgb_front", frames=4, people=0)  # nobody detected
    broken = openpose_fixture(json_root, "c_0-1-rgb_front", frames=3)
    next(broken.iterdir()).write_text("{not json", encoding="utf-8")
    rows = [H2S_HEADER] + [f"v\tv\t{i}\t{n}_0-1-rgb_front\t0\t1\tsentence {n}" for i, n in enumerate("abcd")]
    (tmp_path / "how2sign_realigned_train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    clips, problems = sources.read_how2sign_openpose([tmp_path / "how2sign_realigned_train.csv"], json_root, fps=24)
    assert [p.id for p in problems] == ["d_0-1-rgb_front"]  # no folder
    result = prepare(clips, problems, tmp_path / "out", cfg(), "test", progress=False)
    (sample,) = result.corpus.samples
    assert sample.id == "a_0-1-rgb_front" and sample.fps == 25 and sample.frames == 8
    x, mask = result.corpus.load(sample)
    assert mask[:, :8].all()  # upper body from BODY_25
    q = read_csv(tmp_path / "out" / "quality.csv")[0]
    assert float(q["body"]) == 1.0 and float(q["left_hand"]) == 1.0 and 0.3 < float(q["right_hand"]) < 0.7
    assert not (tmp_path / "out" / "raw").exists()  # no extraction, nothing to keep
    reasons = {f["id"]: f["reason"] for f in read_csv(tmp_path / "out" / "failures.csv")}
    assert "no person detected" in reasons["b_0-1-rgb_front"]
    assert "unreadable OpenPose JSON" in reasons["c_0-1-rgb_front"]


def test_phoenix_frames_and_pipe_csv(tmp_path):
    from PIL import Image

    root = tmp_path / "PHOENIX-2014-T"
    ann = root / "annotations" / "manual"
    ann.mkdir(parents=True)
    for split, names in (("train", ["01April_2010_Thursday_heute-6694"]), ("dev", ["27January_2013_Sunday_tagesschau-8837"])):
        lines = ["name|video|start|end|speaker|orth|translation"]
        for name in names:
            folder = root / "features" / "fullFrame-210x260px" / split / name
            folder.mkdir(parents=True)
            for i, frame in enumerate(astronaut_frames(5, 160)[:, :, 25:135]):  # 110x160, portrait like PHOENIX
                Image.fromarray(frame).save(folder / f"images{i + 1:04d}.png")
            lines.append(f"{name}|{split}/{name}/1/*.png|-1|-1|Signer04|REGEN KOMMEN|es wird regnen und schön grüßen")
        lines.append(f"missing|{split}/missing/1/*.png|-1|-1|Signer01|X|fehlt")
        (ann / f"PHOENIX-2014-T.{split}.corpus.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["data", "phoenix", "--root", str(root), "-o", str(out), "--quiet", "--workers", "1"]) == 0
    corpus = Corpus(out)
    assert [(s.split, s.signed_language, s.frames) for s in corpus.samples] == [("train", "gsg", 5), ("val", "gsg", 5)]
    assert corpus.samples[0].text == "es wird regnen und schön grüßen"
    assert len(read_csv(out / "failures.csv")) == 2  # the two 'missing' rows


def test_generic_csv_with_pose_files_videos_and_hash_split(tmp_path, astronaut_video):
    media = tmp_path / "media"
    media.mkdir()
    pose = extract(open_video(astronaut_video), HolisticConfig())
    with open(media / "hello.pose", "wb") as f:
        pose.write(f)
    (media / "clip.mp4").write_bytes(astronaut_video.read_bytes())
    (media / "broken.pose").write_bytes(b"\x01\x02garbage")
    rows = ["path,text,split,signer", "hello.pose,hello there,,s1", "clip.mp4,a video clip,train,s2",
            "broken.pose,broken,train,s1", "nothere.mp4,missing,train,s1", "clip.mp4,,train,s2"]
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    clips, problems = sources.read_generic(tmp_path / "list.csv", media)
    assert sorted(c.kind for c in clips) == ["pose", "pose", "video"]
    assert {p.reason.split(" ")[0] for p in problems} == {"no", "text"}
    result = prepare(clips, problems, tmp_path / "out", cfg(val_fraction=0.0, test_fraction=0.0), "test", progress=False)
    assert sorted(s.id for s in result.corpus.samples) == ["clip", "hello"]
    assert all(s.split == "train" for s in result.corpus.samples)
    reasons = {f["id"]: f["reason"] for f in read_csv(tmp_path / "out" / "failures.csv")}
    assert "not a readable .pose file" in reasons["broken"] and len(reasons) == 3


def test_hash_split_is_deterministic_and_keeps_a_sentence_in_one_split():
    from data_prep.prep import clip_split

    c = cfg(val_fraction=0.2, test_fraction=0.2)
    clips = [sources.Clip(f"id{i}", f"Sentence {i % 30}", "", "video", "x") for i in range(300)]
    splits = [clip_split(k, c) for k in clips]
    assert splits == [clip_split(k, c) for k in clips]
    by_text: dict[str, set] = {}
    for k, s in zip(clips, splits):
        by_text.setdefault(k.text.lower(), set()).add(s)
    assert all(len(v) == 1 for v in by_text.values()) and set(splits) == {"train", "val", "test"}


# --- bad inputs ------------------------------------------------------------------------------------------

def _h2s_cli(tmp_path, csv_text: str | bytes, extra=()) -> list[str]:
    path = tmp_path / "how2sign_realigned_train.csv"
    path.write_bytes(csv_text if isinstance(csv_text, bytes) else csv_text.encode("utf-8"))
    (tmp_path / "clips").mkdir(exist_ok=True)
    return ["data", "how2sign", "--csv", str(path), "--videos", str(tmp_path / "clips"), "-o", str(tmp_path / "out"), "--quiet", *extra]


@pytest.mark.parametrize("content, expect", [
    ("", "empty file"),
    (H2S_HEADER + "\n", "has a header but no rows"),
    ("VIDEO_ID,SENTENCE\nx,y\n", "missing columns"),
    (b"VIDEO_ID\tSENTENCE\n\xff\xfe\xfa\n", "not UTF-8"),
    (H2S_HEADER + "\nv\tv\t0\tgone-rgb_front\t0\t1\tthe file is missing\n", "no row points to an importable clip"),
])
def test_bad_annotation_files_are_one_line_exit_2(tmp_path, capsys, content, expect):
    assert main(_h2s_cli(tmp_path, content)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 2 and expect in err[-1] and err[-1].startswith("signgen: error: ")


def test_bad_options_are_one_line_exit_2(tmp_path, capsys):
    args = _h2s_cli(tmp_path, H2S_HEADER + "\n")
    for extra, expect in ((["engine=spark"], "engine='spark'"), (["split_by=colour"], "split_by"),
                          (["holistic.crop=[0,0,2,1]"], "holistic.crop"), (["workers=-1"], "workers=-1")):
        assert main(args + extra) == 2
        assert expect in capsys.readouterr().err
    assert main(["data", "how2sign", "--csv", str(tmp_path / "nope.csv"), "--videos", str(tmp_path), "-o", str(tmp_path / "o")]) == 2
    assert "annotation file not found" in capsys.readouterr().err


def test_corrupt_and_empty_videos_are_failures_not_crashes(tmp_path):
    clips_dir = tmp_path / "clips"
    clips_dir.mkdir()
    (clips_dir / "empty.mp4").write_bytes(b"")
    (clips_dir / "garbage.mp4").write_bytes(os.urandom(2000))
    write_astronaut_video(clips_dir / "blank.mp4", frames=4, size=96)
    from signgen.video import write_mp4

    write_mp4(np.full((4, 96, 96, 3), 127, np.uint8), clips_dir / "blank.mp4")  # a video with nobody in it
    clips = [sources.Clip(n, "text", "train", "video", str(clips_dir / f"{n}.mp4")) for n in ("empty", "garbage", "blank")]
    with pytest.raises(SigngenError, match="no clip was imported"):
        prepare(clips, [], tmp_path / "out", cfg(), "test", progress=False)
    reasons = {f["id"]: f["reason"] for f in read_csv(tmp_path / "out" / "failures.csv")}
    assert reasons["empty"].startswith("unreadable video") and reasons["garbage"].startswith("unreadable video")
    assert "no person detected" in reasons["blank"]


def test_odd_unicode_in_sentences_and_names(tmp_path, astronaut_video):
    clips_dir = tmp_path / "clips"
    clips_dir.mkdir()
    name = "Ünï cödé ✋ clip"
    (clips_dir / f"{name}.mp4").write_bytes(astronaut_video.read_bytes())
    sentence = "e\u0301l\u00e8ve\u200b \u202eRTL\u202c \U0001F44B  \x00 mixed\u00a0space, \"quoted"
    rows = [H2S_HEADER, f"v\tv\t0\t{name}\t0\t1\t{sentence}"]
    (tmp_path / "how2sign_realigned_train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    clips, problems = sources.read_how2sign([tmp_path / "how2sign_realigned_train.csv"], clips_dir)
    assert not problems
    (clip,) = clips
    assert clip.text == "\u00e9l\u00e8ve RTL \U0001F44B mixed space, \"quoted"  # NFC, controls and format chars dropped
    assert clip.id.isascii() and " " not in clip.id
    result = prepare(clips, problems, tmp_path / "out", cfg(), "test", progress=False)
    assert result.corpus.samples[0].text == clip.text  # survives the manifest round trip


@pytest.mark.slow
def test_a_clip_that_kills_its_worker_is_reported_and_the_rest_finish(tmp_path, monkeypatch, astronaut_video):
    import data_prep.prep
    from tests.prep_fixtures import crashing_process_clip

    monkeypatch.setattr(data_prep.prep, "process_clip", crashing_process_clip)
    clips = [sources.Clip(n, f"text {n}", "train", "video", str(astronaut_video)) for n in ("a", "b", "crash", "c", "d")]
    result = prepare(clips, [], tmp_path / "out", cfg(workers=2), "test", progress=False)
    assert sorted(s.id for s in result.corpus.samples) == ["a", "b", "c", "d"]
    (failure,) = read_csv(tmp_path / "out" / "failures.csv")
    assert failure["id"] == "crash" and "worker process died" in failure["reason"]
