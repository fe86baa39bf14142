"""A renderer and a corpus importer defined here, outside signgen/, registered and used through the CLI,
the pipeline and Python by name: adding a part is one file (this one) and one preset (a YAML written below)."""

from dataclasses import dataclass

import numpy as np
import pytest

from data_prep.importers import IMPORTERS, Found, import_corpus
from data_prep.sources import Clip
from signgen.cli import main
from signgen.corpus import Corpus
from signgen.pipeline import SignPipeline
from signgen.render import RENDERERS
from signgen.render.frames import pose_arrays
from signgen.video import read_video_frames


@dataclass
class DotsConfig:
    size: int = 64
    radius: int = 1  # half the side of each joint's square, in pixels


class DotsRenderer:
    """Every detected joint as a black square on white."""

    def __init__(self, cfg: DotsConfig):
        self.cfg, self.fps = cfg, 25.0

    def render(self, pose, progress: bool = False) -> np.ndarray:
        x, mask = pose_arrays(pose)
        self.fps = float(pose.body.fps)
        n, r = self.cfg.size, self.cfg.radius
        frames = np.full((len(x), n, n, 3), 255, np.uint8)
        for t in range(len(x)):
            for px, py in ((x[t][mask[t]][:, :2] * 0.25 + 0.5) * n).astype(int):
                frames[t, max(py - r, 0) : py + r + 1, max(px - r, 0) : px + r + 1] = 0
        return frames


@dataclass
class ListImport:
    list: str = ""  # a text file of `path.pose|text` lines


def read_list(cfg: ListImport) -> Found:
    clips = []
    with open(cfg.list, encoding="utf-8") as f:
        for k, line in enumerate(f):
            path, text = line.rstrip("\n").split("|")
            clips.append(Clip(id=f"item{k}", text=text, split="", kind="pose", path=path, origin=f"{cfg.list}:{k + 1}"))
    return Found(clips)


@pytest.fixture
def plugins():
    RENDERERS.register("dots", DotsRenderer, DotsConfig, help="joints as squares")
    IMPORTERS.register("list", read_list, ListImport, languages=("en", "ase"))
    yield
    RENDERERS.unregister("dots")
    IMPORTERS.unregister("list")


def dark_pixels(frames: np.ndarray) -> int:
    return int((frames.mean(-1) < 128).sum())


def test_a_renderer_from_outside_signgen_works_through_the_cli_and_the_pipeline(plugins, tmp_path):
    pipe = SignPipeline.from_pretrained(size=64)
    out = pipe("hi", lang="ase", renderer="dots")
    assert out.frames.shape == (len(out.pose.body.data), 64, 64, 3) and dark_pixels(out.frames) > 0
    out.save_pose(tmp_path / "hi.pose")

    assert main(["render", str(tmp_path / "hi.pose"), "-o", str(tmp_path / "small.mp4"), "--renderer", "dots", "--quiet"]) == 0
    preset = tmp_path / "dots-big.yaml"  # the renderer's preset: its config fields
    preset.write_text("size: 96\nradius: 3\n")
    assert main(["render", str(tmp_path / "hi.pose"), "-o", str(tmp_path / "big.mp4"), "--renderer", "dots",
                 "--renderer-config", str(preset), "--quiet"]) == 0
    small, big = read_video_frames(tmp_path / "small.mp4")[0], read_video_frames(tmp_path / "big.mp4")[0]
    assert small.shape[1:3] == (64, 64) and big.shape[1:3] == (96, 96)  # the preset reached the renderer
    assert dark_pixels(big) > 2 * dark_pixels(small)  # bigger squares

    assert main(["text", "hi", "--renderer", "dots", "--size", "64", "-o", str(tmp_path / "text.mp4")]) == 0
    assert read_video_frames(tmp_path / "text.mp4")[0].shape[1:3] == (64, 64)


def test_an_importer_from_outside_signgen_works_by_name_from_python_and_the_cli(plugins, small_corpus, tmp_path):
    samples = small_corpus.samples[:4]
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{small_corpus.pose_file(s)}|{s.text}\n" for s in samples), encoding="utf-8")

    report = import_corpus("list", tmp_path / "py", progress=False, say=lambda _: None, list=str(listing))
    report.check()
    assert sorted(s.text for s in Corpus(tmp_path / "py").samples) == sorted(s.text for s in samples)

    assert main(["data", "import", "list", f"list={listing}", "prep.signed_language=gsg", "-o", str(tmp_path / "cli"), "--quiet"]) == 0
    corpus = Corpus(tmp_path / "cli")
    assert sorted(s.text for s in corpus.samples) == sorted(s.text for s in samples)
    assert {s.signed_language for s in corpus.samples} == {"gsg"}  # prep.* overrides reach PrepConfig
    x, mask = corpus.load(corpus.samples[0])
    assert x.shape[1:] == (178, 3) and mask.any()


def test_unknown_plugin_names_are_one_line_errors(capsys, tmp_path):
    assert main(["data", "import", "nosuch", "-o", str(tmp_path / "c")]) == 2
    assert "unknown corpus importer 'nosuch'; choose one of how2sign, openpose, phoenix, generic" in capsys.readouterr().err
