import json
import subprocess
import sys

import numpy as np
import pytest
from pose_format import Pose

import signgen
from signgen.cli import main
from signgen.errors import SigngenError
from signgen.pipeline import SignPipeline
from signgen.pose import pose_to_array, read_pose
from signgen.video import read_video_frames


@pytest.fixture(scope="module")
def pipe(tiny_pipeline_dir):
    return SignPipeline.from_pretrained(tiny_pipeline_dir, size=64)


def test_import_signgen_pipeline_does_not_import_torch():
    code = "import sys; from signgen import SignPipeline; assert 'torch' not in sys.modules, 'torch imported'; print(SignPipeline.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "SignPipeline"


def test_cli_help_imports_no_heavy_library():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "signgen.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "text" in out.stdout and "serve" in out.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert imported and not imported & {"torch", "diffusers", "transformers", "pose_format", "av", "fastapi", "gradio", "numpy"}


def test_pipeline_directory_layout_and_defaults(tiny_pipeline_dir, pipe):
    meta = json.loads((tiny_pipeline_dir / "pipeline.json").read_text())
    assert meta == {"_class_name": "SignPipeline", "_signgen_version": signgen.__version__, "default_lang": "ase",
                    "default_renderer": "avatar"}
    assert type(signgen.load_model(tiny_pipeline_dir)) is SignPipeline  # a pipeline directory loads by its class name too
    assert {p.name for p in (tiny_pipeline_dir / "motion").iterdir()} >= {"config.json", "model.safetensors"}
    assert pipe.languages == ["ase", "gsg"] and pipe.default_lang == "ase" and pipe.default_renderer == "avatar"


def test_call_returns_pose_frames_and_timings(pipe):
    out = pipe("the", lang="gsg", renderer="skeleton", seed=0, steps=3, frames=20)
    assert isinstance(out.pose, Pose)
    x, mask = pose_to_array(out.pose)
    assert x.shape == (20, 178, 3)
    assert out.frames.shape == (20, 64, 64, 3) and out.frames.dtype == np.uint8
    assert out.frames.std() > 0  # something was drawn on the white background
    assert set(out.timings) == {"load_renderer", "motion", "render"} and all(v >= 0 for v in out.timings.values())
    assert out.lang == "gsg" and out.renderer == "skeleton" and out.fps == 25


def test_same_seed_same_pose_and_cli_pose_uses_the_same_code_path(pipe, tiny_pipeline_dir, tmp_path):
    a = pipe.pose("the", "ase", seed=5, steps=3)
    b = pipe("the", lang="ase", seed=5, steps=3, render=False).pose
    c = pipe.pose("the", "ase", seed=6, steps=3)
    np.testing.assert_array_equal(a.body.data, b.body.data)
    assert a.body.data.shape != c.body.data.shape or not np.array_equal(a.body.data, c.body.data)
    out = tmp_path / "cli.pose"
    assert main(["pose", "the", "--lang", "ase", "--seed", "5", "--steps", "3", "-o", str(out), "--model", str(tiny_pipeline_dir / "motion")]) == 0
    np.testing.assert_allclose(read_pose(out).body.data.filled(0), a.body.data.filled(0), atol=1e-6)


def test_save_pretrained_round_trip(pipe, tmp_path):
    (tmp_path / "bt").mkdir()
    (tmp_path / "bt" / "config.json").write_text("{}")
    pipe.backtranslator_dir = tmp_path / "bt"
    try:
        saved = pipe.save_pretrained(tmp_path / "copy")
    finally:
        pipe.backtranslator_dir = None
    assert (saved / "backtranslator" / "config.json").exists() and (saved / "pipeline.json").exists()
    again = SignPipeline.from_pretrained(saved, size=64)
    assert again.backtranslator_dir == saved / "backtranslator"
    np.testing.assert_array_equal(again.pose("die", "gsg", seed=1, steps=3).body.data, pipe.pose("die", "gsg", seed=1, steps=3).body.data)
    assert not list(tmp_path.glob(".copy.*"))  # written through a temporary directory, nothing left behind


@pytest.mark.parametrize(
    "kwargs,expect",
    [
        (dict(text="  "), "empty text"),
        (dict(text="a" * 201), "at most 200"),
        (dict(text="the", lang="xyz"), "unknown sign language 'xyz'"),
        (dict(text="the", renderer="oil-painting"), "unknown renderer 'oil-painting'"),
        (dict(text="the", renderer="skeleton", steps=0), "--steps 0"),
    ],
)
def test_bad_calls_raise_one_line_errors(pipe, kwargs, expect):
    with pytest.raises(SigngenError, match=expect) as e:
        pipe(**kwargs)
    assert "\n" not in str(e.value)


def test_from_pretrained_refuses_bad_directories(tmp_path):
    with pytest.raises(SigngenError, match="no such pipeline directory"):
        SignPipeline.from_pretrained(tmp_path / "missing")
    with pytest.raises(SigngenError, match="no motion model in motion/"):
        SignPipeline.from_pretrained(tmp_path)
    (tmp_path / "pipeline.json").write_text("{not json")
    with pytest.raises(SigngenError, match="pipeline.json: unreadable"):
        SignPipeline.from_pretrained(tmp_path)
    (tmp_path / "pipeline.json").write_text('{"_class_name": "MotionModel"}')
    with pytest.raises(SigngenError, match="holds a MotionModel, not a pipeline"):
        SignPipeline.from_pretrained(tmp_path)


def test_text_cli_writes_video_pose_and_sheet(tiny_pipeline_dir, tmp_path, capsys):
    video, pose, sheet = tmp_path / "the.mp4", tmp_path / "the.pose", tmp_path / "the.png"
    args = ["text", "the", "-o", str(video), "--model", str(tiny_pipeline_dir), "--renderer", "skeleton", "--size", "64"]
    assert main([*args, "--steps", "3", "--frames", "16", "--save-pose", str(pose), "--sheet", str(sheet), "--quiet"]) == 0
    err = capsys.readouterr().err
    for stage in ("load:", "motion: 16 frames", "render: skeleton 64x64", f"video: {video}", f"pose: {pose}", f"sheet: {sheet}", "total:"):
        assert stage in err
    frames, fps = read_video_frames(video)
    assert frames.shape == (16, 64, 64, 3) and fps == 25
    assert pose_to_array(read_pose(pose))[0].shape == (16, 178, 3)
    assert sheet.stat().st_size > 0


@pytest.mark.parametrize(
    "args,expect",
    [
        (["   "], "empty text"),
        (["x" * 300], "at most 200"),
        (["the", "--lang", "xyz"], "unknown sign language 'xyz'"),
        (["the", "--renderer", "crayon"], "unknown renderer 'crayon'"),
        (["the", "--model", "/nonexistent/pipeline"], "no such pipeline directory"),
        (["the", "-o", "out.avi"], "ending in .mp4"),
        (["the", "--guidance", "99"], "--guidance 99"),
    ],
)
def test_text_cli_bad_input_is_one_line_exit_2(tiny_pipeline_dir, tmp_path, monkeypatch, capsys, args, expect):
    monkeypatch.chdir(tmp_path)
    if "--model" not in args:
        args = [*args, "--model", str(tiny_pipeline_dir)]
    if "--renderer" not in args:
        args = [*args, "--renderer", "skeleton"]
    assert main(["text", *args, "--quiet"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("signgen: error:")]
    assert len(errors) == 1 and expect in errors[0]
    assert not list(tmp_path.glob("*.mp4"))


def test_default_renderer_is_the_avatar(pipe):
    out = pipe("die", lang="gsg", steps=2, frames=10)
    assert out.renderer == "avatar" and out.frames.shape == (10, 64, 64, 3)
    skeleton = pipe("die", lang="gsg", renderer="skeleton", steps=2, frames=10).frames
    assert not np.array_equal(out.frames, skeleton)  # a different drawing of the same pose


def test_model_flag_means_one_thing_in_every_command(tiny_pipeline_dir, tmp_path, capsys):
    """--model is a pipeline directory or a bare motion model wherever it appears (text, pose, serve, eval)."""
    from signgen import shipped

    assert shipped.motion_dir(tiny_pipeline_dir) == tiny_pipeline_dir / "motion"
    assert shipped.motion_dir(tiny_pipeline_dir / "motion") == tiny_pipeline_dir / "motion"
    assert shipped.motion_dir(None) == shipped.MOTION
    outputs = []
    for model in (tiny_pipeline_dir, tiny_pipeline_dir / "motion"):
        out = tmp_path / f"{model.name}.pose"
        assert main(["pose", "the", "-o", str(out), "--model", str(model), "--steps", "2", "--frames", "8", "--no-lexicon"]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    for args, expect in [(["--model", str(tmp_path / "missing")], "no such pipeline directory or motion model"),
                         (["--model", str(tmp_path)], "no motion model in motion/ and no config.json")]:
        capsys.readouterr()
        for command in (["pose", "the", "-o", str(tmp_path / "x.pose")], ["eval", "--corpus", str(tmp_path)]):
            assert main([*command, *args]) == 2
            err = capsys.readouterr().err
            assert expect in err and err.count("\n") == 1, err
