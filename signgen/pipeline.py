"""The whole product in one object: text -> motion diffusion -> canonical pose -> rendered frames.

A pipeline is a directory:

    pipeline.json        {"_class_name": "SignPipeline", "_signgen_version": "0.1.0", "default_lang": "ase", "default_renderer": "avatar"}
    motion/              MotionModel.save_pretrained (required)
    renderer/            the diffusion renderer (optional; only `renderer="diffusion"` needs it)
    backtranslator/      pose -> text model for evaluation (optional; carried along, not used to generate)

`SignPipeline.from_pretrained()` with no path loads the shipped models in `signgen/models/`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import shipped
from .artifact import PIPELINE_FILE, read_config, write_config
from .errors import SigngenError

if TYPE_CHECKING:
    from .text.normalize import SignableText


@dataclass
class PipelineConfig:
    """pipeline.json: what a pipeline directory does when a call does not say."""

    default_lang: str = "ase"
    default_renderer: str = "avatar"


COMPONENTS = ("motion", "renderer", "backtranslator")
MAX_CHARS = 200  # longest text a pipeline call accepts; the motion model may allow less


@dataclass
class SignOutput:
    """What a pipeline call returns: the pose, its rendered frames and seconds per stage."""

    text: str
    lang: str
    renderer: str | None
    pose: "object"  # pose_format.Pose, canonical skeleton
    frames: np.ndarray | None  # (T, H, W, 3) uint8 RGB, None when rendering was skipped
    fps: float
    timings: dict[str, float] = field(default_factory=dict)
    note: str = ""  # what of the given text was not signed (punctuation), see signgen.text.normalize

    def save_pose(self, path: str | Path) -> Path:
        from .pose import write_pose

        write_pose(self.pose, path)
        return Path(path)

    def save_video(self, path: str | Path) -> Path:
        from .video import write_mp4

        if self.frames is None:
            raise SigngenError(f"{path}: this output was generated without rendering; call the pipeline with a renderer")
        return write_mp4(self.frames, path, fps=self.fps)


def check_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """Whitespace-normalized text, or a one-line error for empty or too long input."""
    if not isinstance(text, str) or not text.strip():
        raise SigngenError("empty text: give at least one letter or word")
    text = " ".join(text.split())
    if len(text) > max_chars:
        raise SigngenError(f"text {text[:30]!r}... is {len(text)} characters; at most {max_chars} are accepted, split it up")
    return text


class SignPipeline:
    """Text to signing: `pipe("hello", lang="ase", renderer="avatar")` -> SignOutput(pose, frames, timings)."""

    def __init__(
        self,
        motion_model,
        renderer_dir: str | Path | None = None,
        backtranslator_dir: str | Path | None = None,
        default_lang: str = PipelineConfig.default_lang,
        default_renderer: str = PipelineConfig.default_renderer,
        size: int = 256,
        device: str | None = None,
        hand_zoom: bool = True,
        guide="builtin",
    ):
        from .motion.guided import LexiconGuide

        self.motion = motion_model
        # lexicon guidance (motion.guided.LexiconGuide): real signers' handshapes held while sampling;
        # "builtin" = spoken-to-signed's fingerspelling lexicon; None = pure generation
        self.guide = LexiconGuide.load() if guide == "builtin" else guide
        self.hand_zoom = hand_zoom  # the avatar and skeleton renderers add a close-up of the signing hand
        self.renderer_dir = Path(renderer_dir) if renderer_dir else None
        self.backtranslator_dir = Path(backtranslator_dir) if backtranslator_dir else None
        self.default_lang, self.default_renderer = default_lang, default_renderer
        self.size, self.device = size, device
        self.load_seconds: dict[str, float] = {}
        self._renderers: dict[tuple, object] = {}

    @property
    def languages(self) -> list[str]:
        """Sign languages the motion model was trained on."""
        return list(self.motion.cfg.languages)

    # -- persistence --------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls, path: str | Path | None = None, device: str | None = None, size: int = 256, hand_zoom: bool = True,
        lexicon: str | Path | None = None, guided: bool = True,
    ) -> "SignPipeline":
        """Load a pipeline directory (default: the shipped models). A bare motion model directory also works.
        `hand_zoom`: the avatar and skeleton add a close-up of the signing hand (on by default: at 256 px the
        whole hand is about 25 pixels tall, too small to read a handshape).
        `guided` (default): hold real signers' handshapes from the built-in fingerspelling lexicon, plus the
        whole signs of a user `lexicon` directory (spoken-to-signed's index.csv layout), wherever they cover
        the language; `guided=False` is pure generation."""
        from .motion.guided import LexiconGuide
        from .motion.model import MotionModel

        if lexicon is not None and not guided:
            raise SigngenError(f"--lexicon {lexicon} with --no-lexicon: choose one")
        guide = LexiconGuide.load(lexicon) if guided else None

        root = Path(path).expanduser() if path is not None else shipped.MODELS
        meta = PipelineConfig()
        if (root / PIPELINE_FILE).exists():
            meta = read_config(root, cls.__name__, PipelineConfig, "pipeline", filename=PIPELINE_FILE)
        motion_dir = shipped.motion_dir(path)
        if motion_dir == root:  # a bare motion model, e.g. runs/motion/model: no renderer or reader beside it
            root = None
        start = time.perf_counter()
        model = MotionModel.from_pretrained(motion_dir, device=device or "cpu")
        pipe = cls(
            model,
            renderer_dir=root / "renderer" if root is not None and (root / "renderer").is_dir() else None,
            backtranslator_dir=root / "backtranslator" if root is not None and (root / "backtranslator").is_dir() else None,
            device=device,
            size=size,
            hand_zoom=hand_zoom,
            guide=guide,
            **asdict(meta),
        )
        pipe.load_seconds["motion"] = time.perf_counter() - start
        return pipe

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write the whole pipeline directory (motion model, renderer and back-translator if present, pipeline.json)."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
        try:
            self.motion.save_pretrained(tmp / "motion")
            for name, src in (("renderer", self.renderer_dir), ("backtranslator", self.backtranslator_dir)):
                if src is not None:
                    shutil.copytree(src, tmp / name)
            write_config(tmp, type(self).__name__, PipelineConfig(self.default_lang, self.default_renderer), filename=PIPELINE_FILE)
            if directory.exists():
                shutil.rmtree(directory)
            tmp.rename(directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        return directory

    # -- generation ---------------------------------------------------------------------------------
    def signable(self, text: str) -> SignableText:
        """What of `text` the motion model signs (signgen.text.normalize): punctuation dropped, else a one-line error."""
        return self.motion.text_encoder.normalize(check_text(text))

    def check(self, lang: str | None = None, renderer: str | None = None) -> None:
        """One-line SigngenError for a sign language the motion model lacks or an unknown renderer."""
        from .render import RENDERERS

        if lang is not None and lang not in self.languages:
            raise SigngenError(f"unknown sign language {lang!r}; this model knows {', '.join(self.languages)}")
        if renderer is not None:
            entry = RENDERERS.get(renderer)
            if entry.extra.get("model") and self._renderer_model(renderer) is None:
                raise SigngenError(f"renderer {renderer}: this pipeline has no renderer/ directory; train one or pick avatar or skeleton")

    def _renderer_model(self, kind: str) -> Path | None:
        """The model directory a backend that reads one (registered with model=...) uses: this pipeline's
        renderer/ directory, else the backend's installed default; None if neither exists."""
        from .render import RENDERERS

        extra = RENDERERS.get(kind).extra
        if not extra.get("model"):
            return None
        if self.renderer_dir is not None:
            return self.renderer_dir
        default = extra.get("default_model")
        return Path(default) if default is not None and Path(default).exists() else None

    def renderer(self, kind: str | None = None, steps: int | None = None, seed: int = 0):
        """The (cached) renderer backend `kind`, built from `render.renderer_config` with this pipeline's size,
        device and hand close-up; a backend that reads a model uses this pipeline's renderer/ directory."""
        from .render import RENDERERS, renderer_config

        kind = kind or self.default_renderer
        model_dir = self._renderer_model(kind)
        cfg = renderer_config(kind, size=self.size, steps=steps, seed=seed, device=self.device, hand_zoom=self.hand_zoom,
                              model_dir=str(model_dir) if model_dir is not None else None)
        key = (kind, repr(cfg))  # one backend per distinct config
        if key not in self._renderers:
            self._renderers[key] = RENDERERS.build(kind, cfg)
        return self._renderers[key]

    def pose(
        self,
        text: str,
        lang: str | None = None,
        seed: int = 0,
        steps: int | None = None,
        guidance: float | None = None,
        frames: int | None = None,
        sampler: str | None = None,
        guided: bool = True,
        edit: tuple | None = None,
    ):
        """Only the motion stage: a canonical pose_format.Pose for `text`. `guided=False` turns lexicon
        guidance off for this call; `edit` = (canonical pose, motion.edit.Keep) keeps parts of a pose."""
        from .motion.generate import generate_pose

        text = self.signable(text).text
        return generate_pose(
            self.motion, text, lang or self.default_lang, steps=steps, guidance=guidance, sampler=sampler, frames=frames,
            seed=seed, guide=self.guide if guided else None, edit=edit,
        )

    def __call__(
        self,
        text: str,
        lang: str | None = None,
        renderer: str | None = None,
        seed: int = 0,
        steps: int | None = None,
        guidance: float | None = None,
        frames: int | None = None,
        sampler: str | None = None,
        render_steps: int | None = None,
        render: bool = True,
        progress: bool = False,
        guided: bool = True,
        edit: tuple | None = None,
    ) -> SignOutput:
        """Text -> pose -> frames. `steps`/`guidance`/`frames`/`sampler`/`guided`/`edit` go to motion sampling
        (see `pose`), `render_steps` to the diffusion renderer."""
        lang = lang or self.default_lang
        kind = renderer or self.default_renderer
        signable = self.signable(text)
        self.check(lang, kind if render else None)  # fail before any slow work
        timings: dict[str, float] = {}
        if render:  # build (and validate) the renderer first, so a bad renderer fails before sampling
            start = time.perf_counter()
            backend = self.renderer(kind, steps=render_steps, seed=seed)
            timings["load_renderer"] = time.perf_counter() - start  # ~0 once cached
        start = time.perf_counter()
        pose = self.pose(signable.text, lang, seed=seed, steps=steps, guidance=guidance, frames=frames, sampler=sampler,
                         guided=guided, edit=edit)
        timings["motion"] = time.perf_counter() - start
        out_frames = None
        if render:
            start = time.perf_counter()
            out_frames = backend.render(pose, progress=progress)
            timings["render"] = time.perf_counter() - start
        return SignOutput(
            text=signable.text,
            lang=lang,
            renderer=kind if render else None,
            pose=pose,
            frames=out_frames,
            fps=float(pose.body.fps),
            timings=timings,
            note=signable.note,
        )
