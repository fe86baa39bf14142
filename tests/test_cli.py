import subprocess
import sys

import numpy as np
import pytest

from signgen.cli import main
from signgen.pose import array_to_pose, write_pose
from signgen.video import read_video_frames


def test_show_corpus_sample_writes_playable_h264(small_corpus, tmp_path, capsys):
    out, sheet = tmp_path / "s.mp4", tmp_path / "s.png"
    assert main(["show", str(small_corpus.root), "--split", "test", "--index", "0", "-o", str(out), "--sheet", str(sheet), "--size", "256"]) == 0
    import av

    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    frames, fps = read_video_frames(out)
    sample = small_corpus.split("test")[0]
    assert len(frames) == sample.frames and fps == pytest.approx(25)
    assert frames.shape[1:3] == (256, 256)
    assert (frames < 200).any()  # something was drawn on the white background
    assert sheet.stat().st_size > 1000
    assert repr(sample.text) in capsys.readouterr().err


def test_show_pose_file(tmp_path):
    x = np.zeros((5, 178, 3), np.float32)
    x[:, 0, 0], x[:, 1, 0] = 0.5, -0.5  # shoulders
    write_pose(array_to_pose(x), tmp_path / "a.pose")
    assert main(["show", str(tmp_path / "a.pose"), "-o", str(tmp_path / "a.mp4")]) == 0
    assert len(read_video_frames(tmp_path / "a.mp4")[0]) == 5


@pytest.mark.parametrize(
    "content,expect",
    [(None, "no such .pose file"), (b"", "empty file"), (b"\x00\x01garbage", "corrupt or truncated"), ("truncate", "corrupt or truncated")],
)
def test_bad_pose_files_exit_2_with_one_line(tmp_path, capsys, small_corpus, content, expect):
    path = tmp_path / "bad.pose"
    if content == "truncate":
        data = small_corpus.pose_file(small_corpus.samples[0]).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content is not None:
        path.write_bytes(content)
    assert main(["show", str(path), "-o", str(tmp_path / "x.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("signgen: error:") and expect in err[0] and "bad.pose" in err[0]
    assert not (tmp_path / "x.mp4").exists()


def test_console_script_reports_unknown_language_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "signgen.cli", "data", "starter", "-o", str(tmp_path / "c"), "pairs=[en-xyz]"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "unknown language pair 'en-xyz'" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_override_and_preset(tmp_path, capsys):
    assert main(["data", "starter", "-o", str(tmp_path), "words_per_language=many"]) == 2
    assert main(["data", "starter", "-o", str(tmp_path), "--config", "nope"]) == 2
    err = capsys.readouterr().err
    assert "words_per_language" in err and "'nope' not found" in err


def test_overrides_may_come_before_between_and_after_options():
    """`key=value` overrides split around options (argparse alone stops the positional list at the first
    option and then refuses the rest); a stray argument that is not key=value is still refused."""
    from signgen.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["eval", "--corpus", "c", "lexicon=guided", "--backtranslator", "r", "dtw=false", "limit=5"])
    assert args.overrides == ["lexicon=guided", "dtw=false", "limit=5"] and args.backtranslator == "r"
    args = parser.parse_args(["train", "motion", "--corpus", "c", "train.steps=10", "-o", "out", "model.diffusion.prediction=v"])
    assert args.overrides == ["train.steps=10", "model.diffusion.prediction=v"] and args.output == "out"
    with pytest.raises(SystemExit):
        parser.parse_args(["eval", "--corpus", "c", "lexicon=guided", "--backtranslator", "r", "stray"])
