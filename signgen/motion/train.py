"""Training the motion model on a corpus: `signgen train motion --corpus DIR`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..config import config_from_dict
from ..corpus import Corpus, hash_seed
from ..errors import SigngenError
from ..pose.augment import AugmentConfig, random_augment
from ..pose.tensors import NormStats
from ..text.encoders import reads_letters
from ..train import TrainConfig, Task, run
from .config import MotionConfig
from .diffusion import make_scheduler, sample, training_loss
from .model import MotionModel


@dataclass
class MotionTrainConfig:
    model: MotionConfig = field(default_factory=MotionConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    augment_prob: float = 0.5  # fraction of training samples augmented on the fly
    val_samples: int = 4  # validation texts sampled into the contact sheet
    backtranslator: str = ""  # a back-translator directory: validation also reports back-translation CER
    # validation texts generated and back-translated for that CER (the first ones of the val split). 256 takes all
    # 194 of the starter corpus's, about 16 s a validation at 4 sampling steps on 2 cores: on its first 48 a run
    # read 2.5 points better than the shipped model where all 194 read it 7 points worse (docs/benchmarks.md, issue 19)
    val_backtranslate: int = 256
    # Length grouping: draw this many batches' worth of random samples, sort them by length and train on one
    # group of batch_size, so a batch is padded to similar lengths (every sample stays equally likely). On the
    # starter corpus 16 cuts padding from 63% of the frames to 12% (plain random batches: 1).
    length_groups: int = 16
    # Sampling weight of training texts with a doubled letter ("hello"), against 1 for the rest. The second of two
    # equal letters has a movement of its own (the starter corpus's slide) that lives in a few frames of 6% of
    # the texts, so it is learnt slowly at 1; a higher weight shows it more often (it also biases the data mix).
    double_letter_weight: float = 1.0
    # start from a trained motion model's weights (a model directory): fine-tuning. Its sizes, languages and
    # alphabet must match what this config and corpus build; modules it lacks (a newer option) start fresh.
    init_from: str = ""


class MotionData:
    """A split's samples, their arrays read from the corpus's store (`signgen.store`) as batches need them;
    batches are drawn by (seed, step), augmented in canonical space, then turned into the model's
    representation and normalized with `stats`."""

    def __init__(self, corpus: Corpus, split: str, model: MotionModel):
        self.to_model = model.pose_to_model
        self.max_frames = model.cfg.denoiser.max_frames
        self.stats: NormStats | None = None  # set by train_motion (from the train split)
        self.items = corpus.split_arrays(split)  # (text, lang, x, mask); x and mask read from the store on use
        self.lengths = self.items.lengths()
        self.durations = [s.char_durations() for s in corpus.split(split)]
        self.weights: np.ndarray | None = None  # per-sample draw probabilities (set_double_letter_weight); None = uniform
        if len(self.items) and self.lengths.max() > self.max_frames:
            k = int(np.argmax(self.lengths > self.max_frames))
            raise SigngenError(f"{corpus.root}: sample {corpus.split(split)[k].id} has {self.lengths[k]} frames; "
                               "raise model.denoiser.max_frames above that")

    def set_double_letter_weight(self, weight: float) -> int:
        """Draw texts with a doubled letter `weight` times as often as the others; returns how many there are."""
        if weight <= 0:
            raise SigngenError(f"double_letter_weight={weight}: give a positive weight (1 = every text equally often)")
        doubled = np.array([has_double_letter(text) for text in self.items.texts])
        w = np.where(doubled, weight, 1.0)
        self.weights = None if weight == 1 or not doubled.any() else w / w.sum()
        return int(doubled.sum())

    def length_group(self, rng: np.random.Generator, batch_size: int, groups: int) -> np.ndarray:
        """batch_size random sample indices of similar length: `groups` batches' worth drawn (uniformly, or by
        `weights`), sorted by length, and one of the groups picked at random (so each sample's chance of a
        place is unchanged by the grouping)."""
        n = batch_size * max(1, groups)
        idx = rng.integers(0, len(self.items), n) if self.weights is None else rng.choice(len(self.items), n, p=self.weights)
        if groups <= 1:
            return idx
        idx = idx[np.argsort(self.lengths[idx], kind="stable")]
        g = int(rng.integers(0, groups))
        return idx[g * batch_size : (g + 1) * batch_size]

    def representation_stats(self) -> NormStats:
        return NormStats.from_arrays(self.to_model(x, m) for _, _, x, m in self.items)

    def batch(self, indices, rng: np.random.Generator | None, aug: AugmentConfig, aug_prob: float) -> dict:
        rows, timing = [], []
        for i in indices:
            text, lang, x, mask = self.items[i]
            recorded = len(x)
            if rng is not None and rng.random() < aug_prob:
                xa, ma = random_augment(x, mask, aug, rng)
                if len(xa) <= self.max_frames:  # a slowed-down long phrase may not fit; keep it as recorded
                    x, mask = xa, ma
            x, mask = self.to_model(x, mask)
            rows.append((text, lang, self.stats.normalize(x, mask), mask))
            d = self.durations[i]
            timing.append(np.zeros(0, np.float32) if d is None else d * len(x) / recorded)  # a speed change scales every letter
        durations = np.zeros((len(rows), max(1, max(len(d) for d in timing))), np.float32)
        for k, d in enumerate(timing):
            durations[k, : len(d)] = d
        length = max(len(r[2]) for r in rows)
        b, j = len(rows), rows[0][2].shape[1]
        x0 = np.zeros((b, length, j, 3), np.float32)
        jm = np.zeros((b, length, j), bool)
        fm = np.zeros((b, length), bool)
        for k, (_, _, x, m) in enumerate(rows):
            x0[k, : len(x)], jm[k, : len(x)], fm[k, : len(x)] = x, m, True
        return {"x0": torch.from_numpy(x0), "joint_mask": torch.from_numpy(jm), "frame_mask": torch.from_numpy(fm),
                "texts": [r[0] for r in rows], "langs": [r[1] for r in rows], "durations": torch.from_numpy(durations)}


def global_batch_share(data: MotionData, cfg: MotionTrainConfig, step: int, rank: int, world: int) -> tuple[np.ndarray, np.random.Generator]:
    """Process `rank`'s share of step `step`'s global batch, and the generator that augments it. The global batch
    (batch_size samples per process) is one length group drawn from the step's seed, cut into `world` equal
    parts, so processes never draw overlapping groups and one process gets exactly the batch it always did."""
    b = cfg.train.batch_size
    rng = np.random.default_rng(hash_seed(cfg.train.seed, step, 0))
    idx = data.length_group(rng, b * world, cfg.length_groups)[rank * b : (rank + 1) * b]
    if rank:
        rng = np.random.default_rng(hash_seed(cfg.train.seed, step, rank))
    return idx, rng


def has_double_letter(text: str) -> bool:
    """A letter directly followed by the same letter, case-blind ("hello"; what the character encoder's
    repeat mark fires on)."""
    t = text.lower()
    return any(a == b and not a.isspace() for a, b in zip(t, t[1:]))


def model_stats(corpus: Corpus, model: MotionModel, train: MotionData | None = None) -> NormStats:
    """Normalization statistics in the model's representation, from the train split. The corpus's statistics
    are for canonical poses; a hand-relative model needs its own (computed once per store, then kept in it)."""
    if not model.cfg.hand_relative:
        return corpus.stats
    return corpus.store().cached_stats("train-hands_to_wrist", lambda: (train or MotionData(corpus, "train", model)).representation_stats())


class MotionLoss(torch.nn.Module):
    """Wraps the model so one forward computes the training loss (what Accelerate/DDP wrap)."""

    def __init__(self, model: MotionModel):
        super().__init__()
        self.model = model
        self.scheduler = make_scheduler(model.cfg.diffusion, "ddpm")

    def forward(self, batch: dict):
        return training_loss(self.model, self.scheduler, batch, self.model.cfg.loss, self.model.cfg.diffusion)


def checkpoint_model(path: str | Path) -> MotionModel:
    """The motion model of a training checkpoint (`checkpoints/step-N`), with its EMA weights, its normalization
    statistics and the config it was trained with."""
    from ..train.checkpoint import ema_state_dict

    run_config = json.loads((Path(path) / "trainer_state.json").read_text())["run_config"]
    model = MotionModel(config_from_dict(MotionConfig, run_config["model"], source=str(path)))
    trained_as = MotionLoss(model)
    try:
        trained_as.load_state_dict(ema_state_dict(path, trained_as))
    except (ValueError, RuntimeError) as e:
        raise SigngenError(f"{path}: the checkpoint's weights do not match its own config ({e}); it is damaged or from another version") from None
    return model.eval()


def model_or_checkpoint(path: str | Path) -> MotionModel:
    """A motion model directory, or a training checkpoint (its EMA weights)."""
    from ..train.checkpoint import is_checkpoint

    return checkpoint_model(path) if is_checkpoint(Path(path)) else MotionModel.from_pretrained(path)


def init_weights(model: MotionModel, directory: str | Path) -> None:
    """Load a trained motion model's weights into `model` (fine-tuning): a model directory, or a training
    checkpoint directory (its EMA weights). Modules the source lacks keep their fresh initialization; anything
    else that differs is an error."""
    from safetensors.torch import load_file

    from ..train.checkpoint import is_checkpoint

    path = Path(directory) / "model.safetensors"
    if not path.exists():
        raise SigngenError(f"init_from={directory}: not a motion model or checkpoint directory (no model.safetensors)")
    own = model.state_dict()
    state = checkpoint_model(directory).state_dict() if is_checkpoint(Path(directory)) else load_file(str(path))
    wrong = [k for k, v in state.items() if k not in own or own[k].shape != v.shape]
    if wrong:
        raise SigngenError(
            f"init_from={directory}: {len(wrong)} tensors (e.g. {wrong[0]}) do not fit this config; use the preset, "
            "corpus languages and alphabet it was trained with"
        )
    missing = model.load_state_dict(state, strict=False).missing_keys
    fresh = sorted({k.rsplit(".", 1)[0] for k in missing if not model.is_frozen_pretrained(k)})
    print(f"initialized from {directory}" + (f"; new modules start fresh: {', '.join(fresh)}" if fresh else ""))


def _backtranslation_cer(model: MotionModel, reader, items) -> float:
    """Generate the given validation texts and read them back: CER in percent."""
    import jiwer

    from .generate import generate_arrays

    arrays = generate_arrays(model, [i[0] for i in items], [i[1] for i in items])
    hyps = reader.translate(arrays, [i[1] for i in items], beams=1)
    return 100.0 * float(jiwer.cer([i[0] for i in items], [h or " " for h in hyps]))


def _check_texts(corpus: Corpus, corpus_dir, model: MotionModel) -> None:
    """One line naming the corpus, before anything trains, when texts don't fit the model's text encoder
    (characters outside its alphabet, or too long)."""
    bad = model.text_encoder.misfits([smp.text for smp in corpus.samples])
    if bad:
        raise SigngenError(f"{corpus_dir}: {len(bad)} of {len(corpus.samples)} texts don't fit the model's text encoder "
                           f"(first: {bad[0][1]}); respell, shorten or drop those samples (a character encoder given no "
                           "model.text.alphabet builds it from the corpus)")


def fit_to_corpus(mcfg: MotionConfig, corpus: Corpus, name: str | Path) -> list[str]:
    """Fill in what a motion config takes from its corpus: the sign languages, the character alphabet (for a
    letter encoder, unless set), and letter durations turned off where the encoder or the corpus cannot carry them.
    Returns a line for each option turned off."""
    notes = []
    mcfg.languages = corpus.signed_languages
    if reads_letters(mcfg.text.kind) and not mcfg.text.alphabet:
        mcfg.text.alphabet = "".join(sorted({c for s in corpus.samples for c in " ".join(s.text.lower().split())}))
    if mcfg.letter_durations and not reads_letters(mcfg.text.kind):
        notes.append(f"letter_durations needs a letter encoder (text.kind={mcfg.text.kind}); training with letter_durations=false")
        mcfg.letter_durations = False
    if mcfg.letter_durations and not any(s.char_durations() is not None for s in corpus.split("train")):
        notes.append(f"{name}: no letter timing (manifest `durations`) in the train split; training with letter_durations=false")
        mcfg.letter_durations = False
    return notes


def train_motion(corpus_dir: str | Path, cfg: MotionTrainConfig, out_dir: str | Path, progress: bool = True) -> Path:
    from ..render.avatar import AvatarRenderer
    from ..video import contact_sheet

    corpus = Corpus(corpus_dir)
    corpus.store(progress=progress)  # built (with a progress bar) the first time, or when the corpus changed
    mcfg = cfg.model
    for note in fit_to_corpus(mcfg, corpus, corpus_dir):
        print(note)
    torch.manual_seed(cfg.train.seed)
    model = MotionModel(mcfg)
    _check_texts(corpus, corpus_dir, model)
    if cfg.init_from:
        init_weights(model, cfg.init_from)
    train = MotionData(corpus, "train", model)
    if cfg.double_letter_weight != 1:
        n = train.set_double_letter_weight(cfg.double_letter_weight)
        print(f"{n} of {len(train.items)} training texts have a doubled letter; drawn {cfg.double_letter_weight:g}x as often")
    val = MotionData(corpus, "val", model)
    stats = model_stats(corpus, model, train)
    model.normalizer.set(stats)
    train.stats = val.stats = stats
    reader = None
    if cfg.backtranslator:
        from ..backtranslate.model import Backtranslator

        reader = Backtranslator.from_pretrained(cfg.backtranslator)
        reader.check_corpus(corpus.signed_languages, [], f"{corpus_dir} (val)")  # its languages must match

    def batch(step: int, rank: int) -> dict:
        # `task` (below) knows how many processes share the step once run() has started them
        return train.batch(*global_batch_share(train, cfg, step, rank, task.processes), cfg.augment, cfg.augment_prob)

    def validate(raw: MotionLoss, out: Path, step: int) -> dict:
        losses = []
        with torch.no_grad():
            for start in range(0, len(val.items), 64):
                b = val.batch(range(start, min(len(val.items), start + 64)), None, cfg.augment, 0)
                b = {k: v.to(next(raw.parameters()).device) if torch.is_tensor(v) else v for k, v in b.items()}
                losses.append(training_loss(raw.model, raw.scheduler, b, mcfg.loss, mcfg.diffusion, generator=None)[1]["recon"])
        picks = list(range(0, len(val.items), max(1, len(val.items) // cfg.val_samples)))[: cfg.val_samples]
        texts, langs = [val.items.texts[i] for i in picks], [val.items.langs[i] for i in picks]
        x, vis, fm = sample(raw.model, texts, langs, seed=0)
        sheets = []
        for k in range(len(picks)):
            n = int(fm[k].sum())
            xk = raw.model.pose_from_model(x[k, :n].cpu().numpy())
            frames = AvatarRenderer(192, hand_zoom=True).render_arrays(xk, vis[k, :n].cpu().numpy() > 0.5)  # hand close-up: letters legible
            idx = np.linspace(0, n - 1, 8).round().astype(int)
            sheets.append(np.concatenate(list(frames[idx]), axis=1))
        (out / "samples").mkdir(exist_ok=True)
        contact_sheet(np.stack(sheets), out / "samples" / f"step-{step:07d}.png", count=len(sheets), columns=1,
                      title=" | ".join(f"{l}:{t}" for t, l in zip(texts, langs)))
        metrics = {"val_loss": float(np.mean(losses))}
        if reader is not None:
            metrics["val_bt_cer"] = _backtranslation_cer(raw.model, reader, val.items[: cfg.val_backtranslate])
        return metrics

    def save(raw: MotionLoss, directory: Path) -> None:
        raw.model.save_pretrained(directory)

    run_config = {"stage": "motion", "corpus": str(Path(corpus_dir).resolve()), **asdict(cfg)}
    task = Task(module=MotionLoss(model), batch=batch, validate=validate, save=save, run_config=run_config)
    return run(task, cfg.train, out_dir, progress=progress)
