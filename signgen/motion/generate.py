"""Text to one canonical pose with a trained motion model: option checks, sampling, denormalization.

`signgen pose`, `signgen text`, the pipeline API and the HTTP server all go through `generate_pose`.
With a `LexiconGuide` (`motion.guided`) the lexicon's handshapes are held while sampling; with an edit
(`motion.edit`) parts of a given pose are kept. Both are inpainting (`motion.inpaint`).
"""

from __future__ import annotations

import numpy as np
import torch
from pose_format import Pose

from ..errors import SigngenError
from ..pose import array_to_pose
from .diffusion import SAMPLERS, predict_frames, sample
from .inpaint import Known
from .model import MotionModel


def check_options(
    model: MotionModel, steps: int | None = None, guidance: float | None = None, sampler: str | None = None, frames: int | None = None
) -> None:
    """Raise a one-line SigngenError for sampling options out of range."""
    if steps is not None and not 1 <= steps <= 1000:
        raise SigngenError(f"--steps {steps}: choose between 1 and 1000")
    if guidance is not None and not 0 <= guidance <= 20:
        raise SigngenError(f"--guidance {guidance}: choose between 0 and 20 (1 = no guidance)")
    if sampler is not None and sampler not in SAMPLERS:
        raise SigngenError(f"--sampler {sampler}: choose one of {SAMPLERS}")
    if frames is not None and not 8 <= frames <= model.cfg.denoiser.max_frames:
        raise SigngenError(f"--frames {frames}: choose between 8 and {model.cfg.denoiser.max_frames}")


def plan(model: MotionModel, texts: list[str], langs: list[str], guide=None,
         frames: list[int] | None = None) -> tuple[list[int], Known | None, torch.Tensor | None]:
    """Frames per text (the model's prediction unless given), with a guide whose lexicons cover a text's
    language the lexicon values to hold (texts the guide does not cover are generated freely), and the
    frames per text token to sample with (the model's, with a user lexicon's whole signs at their own length)."""
    model.text_encoder.check(texts)
    with torch.no_grad():
        cond = model.encode_text(texts, langs)
        predicted, per_token = predict_frames(model, cond)
    if guide is None:
        return frames or predicted, None, None
    items, given = [], frames
    frames = list(frames or predicted)
    for k, (text, lang) in enumerate(zip(texts, langs)):
        text = " ".join(text.split()).lower()
        if guide.covers(lang) or guide.user is not None:
            if per_token is not None and not given:  # whole signs of a user lexicon last as long as their recording
                per_token[k] = guide.token_frames(text, lang, per_token[k])
                frames[k] = int(per_token[k].sum().round().clamp(8, model.cfg.denoiser.max_frames))
            items.append(guide.known(model, text, lang, frames[k], None if per_token is None else per_token[k]))
        else:  # no lexicon for this language: nothing held
            items.append(Known.from_canonical(model, *_empty(frames[k])))
    return frames, Known.stack(items), per_token


def _empty(frames: int):
    from ..pose.skeleton import num_joints

    j = num_joints()
    return np.zeros((frames, j, 3), np.float32), np.zeros((frames, j), bool), np.zeros((frames, j), np.float32)


def generate_pose(
    model: MotionModel,
    text: str,
    lang: str,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    frames: int | None = None,
    seed: int = 0,
    guide=None,
    edit: tuple[Pose, object] | None = None,
) -> Pose:
    """Sample one canonical pose (178 points, 25 fps) for `text` in sign language `lang`.

    guide: a `motion.guided.LexiconGuide` (hold the lexicon's handshapes), None for pure generation.
    edit: (canonical pose, `motion.edit.Keep`): keep those parts of the pose, generate the rest; the output
    has the pose's length."""
    from .edit import edit_known

    check_options(model, steps, guidance, sampler, frames)
    text = " ".join(text.split())
    model.language_ids([lang])  # unknown language: fail before any lexicon work
    edit_held = None
    if edit is not None:
        edit_held, n = edit_known(model, edit[0], edit[1])
        if frames is not None and frames != n:
            raise SigngenError(f"--frames {frames}: an edit keeps the edited pose's length ({n} frames); leave out --frames")
        frames = n
    n_frames, known, token_frames = plan(model, [text], [lang], guide, [frames] if frames else None)
    if edit_held is not None:
        known = edit_held.combine(known)
    x, vis, fm = sample(model, [text], [lang], frames=n_frames, steps=steps, guidance=guidance, sampler=sampler, seed=seed,
                        known=known, token_frames=token_frames)
    n = int(fm[0].sum())
    pose, seen = model.pose_from_model(x[0, :n].numpy()), vis[0, :n].numpy() > 0.5
    return array_to_pose(_smoothed(guide, known, 0, pose, seen), seen)  # an edit's kept frames count as held


def generate_arrays(
    model: MotionModel,
    texts: list[str],
    langs: list[str],
    batch_size: int = 16,
    seed: int = 0,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    progress: bool = False,
    guide=None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Many texts in batches: canonical (x (T,J,3), mask (T,J)) arrays; batch starting at i uses seed + i.
    guide: a `motion.guided.LexiconGuide` for lexicon-guided generation, None for pure generation."""
    from ..progress import progress_bar

    out = []
    for start in progress_bar(range(0, len(texts), batch_size), desc="generate", unit="batch", disable=not progress):
        batch_texts, batch_langs = texts[start : start + batch_size], langs[start : start + batch_size]
        frames, known, token_frames = plan(model, batch_texts, batch_langs, guide) if guide is not None else (None, None, None)
        x, vis, fm = sample(model, batch_texts, batch_langs, frames=frames, steps=steps, guidance=guidance, sampler=sampler,
                            seed=seed + start, known=known, token_frames=token_frames)
        for k in range(len(x)):
            n = int(fm[k].sum())
            pose, seen = model.pose_from_model(x[k, :n].cpu().numpy()), vis[k, :n].cpu().numpy() > 0.5
            out.append((_smoothed(guide, known, k, pose, seen), seen))
    return out


def _smoothed(guide, known: Known | None, k: int, pose: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Sample k's canonical pose with its handshape changes smoothed where the guide held it less than half
    (`guided.smooth_joins`); as sampled without a guide, or where the guide held nothing (no lexicon)."""
    from .guided import smooth_joins

    if guide is None or known is None or not guide.smooth:
        return pose
    held = known.weight[k, : len(pose)].amax(-1).cpu().numpy()
    if not held.any():
        return pose
    return smooth_joins(pose, seen, held, guide.smooth)
