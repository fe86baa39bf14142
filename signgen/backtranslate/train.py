"""Training the back-translator: `signgen train backtranslator`.

`source: corpus` (default) trains on a corpus's train split (`--corpus DIR`, with augmentation).
`source: lexicon` trains a letter reader on fingerspelling composed on the fly from the lexicon
(`signgen.backtranslate.spelling`): every batch is new compositions of the training vocabulary, and the
held-out words, names and phrases are never seen. Either way it sees only recorded signing, never generated poses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..corpus import Corpus, hash_seed
from ..pose.augment import AugmentConfig, random_augment
from ..train import TrainConfig, Task, run
from .config import BacktranslatorConfig
from .model import Backtranslator
from .spelling import SpellingAugment, SpellingConfig
from .tokenizer import normalize_text, train_tokenizer


@dataclass
class BacktranslatorTrainConfig:
    model: BacktranslatorConfig = field(default_factory=BacktranslatorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    augment_prob: float = 0.8
    val_limit: int = 200  # validation samples decoded (greedy) for CER at each validation
    source: str = "corpus"  # corpus (--corpus DIR) | lexicon (fingerspelling composed from the lexicon)
    spelling: SpellingConfig = field(default_factory=SpellingConfig)  # source: lexicon
    spelling_augment: SpellingAugment = field(default_factory=SpellingAugment)  # source: lexicon


def _batch(model: Backtranslator, items, rng, cfg: BacktranslatorTrainConfig) -> dict:
    arrays = []
    for _, _, x, m in items:
        if rng is not None and rng.random() < cfg.augment_prob:
            x, m = random_augment(x, m, cfg.augment, rng)
        arrays.append((x, m))
    feats, fm = model.features(arrays)
    return {"feats": feats, "frame_mask": fm, "langs": [i[1] for i in items], "labels": model.encode_targets([i[0] for i in items])}


def train_backtranslator(corpus_dir: str | Path | None, cfg: BacktranslatorTrainConfig, out_dir: str | Path,
                         progress: bool = True) -> Path:
    from ..errors import SigngenError

    if cfg.source == "lexicon":
        return train_letter_reader(cfg, out_dir, progress)
    if cfg.source != "corpus":
        raise SigngenError(f"source={cfg.source}: choose corpus or lexicon")
    if corpus_dir is None:
        raise SigngenError("train backtranslator: --corpus DIR is needed (or --config spelling to train on the lexicon)")

    corpus = Corpus(corpus_dir)
    mcfg = cfg.model
    mcfg.signed_languages = corpus.signed_languages
    mcfg.corpus = corpus.info.get("name", Path(corpus_dir).resolve().name)
    train = corpus.split_arrays("train")  # (text, lang, x, mask); the arrays are read from the corpus store when taken
    val = corpus.split_arrays("val")[: cfg.val_limit]
    tokenizer = train_tokenizer([normalize_text(t) for t in train.texts], mcfg.tokenizer, mcfg.vocab_size)
    torch.manual_seed(cfg.train.seed)
    model = Backtranslator(mcfg, tokenizer, corpus.stats)

    def batch(step: int, rank: int) -> dict:
        rng = np.random.default_rng(hash_seed(cfg.train.seed, step, rank))
        idx = rng.integers(0, len(train), cfg.train.batch_size)
        return _batch(model, [train[i] for i in idx], rng, cfg)

    def validate(raw: Backtranslator, out: Path, step: int) -> dict:
        return _validate(raw, val, cfg)

    def save(raw: Backtranslator, directory: Path) -> None:
        raw.save_pretrained(directory)

    run_config = {"stage": "backtranslator", "corpus": str(Path(corpus_dir).resolve()), **asdict(cfg)}
    task = Task(module=model, batch=batch, validate=validate, save=save, run_config=run_config)
    return run(task, cfg.train, out_dir, progress=progress)


def _validate(raw: Backtranslator, val, cfg: BacktranslatorTrainConfig) -> dict:
    """Loss and greedy CER on (text, language, x, mask) validation items."""
    import jiwer

    with torch.no_grad():
        losses = [raw(_to(_batch(raw, val[k : k + 64], None, cfg), raw))[0].item() for k in range(0, len(val), 64)]
        hyps = raw.translate([(v[2], v[3]) for v in val], [v[1] for v in val], beams=1)
    refs = [normalize_text(v[0]) for v in val]
    return {"val_loss": float(np.mean(losses)), "val_cer": 100.0 * float(jiwer.cer(refs, [h or " " for h in hyps]))}


def _to(batch: dict, module: torch.nn.Module) -> dict:
    device = next(module.parameters()).device
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}


def train_letter_reader(cfg: BacktranslatorTrainConfig, out_dir: str | Path, progress: bool = True) -> Path:
    """A fingerspelling reader trained on lexicon compositions (`source: lexicon`)."""
    import json

    from ..lexicon import Lexicon
    from ..pose.io import atomic_write_text
    from ..pose.tensors import NormStats
    from .spelling import compose_sample, training_sample, vocabulary

    lexicon = Lexicon.builtin()
    vocab = vocabulary(lexicon, cfg.spelling)
    vocab = {p: v for p, v in vocab.items() if v["train"]}
    mcfg = cfg.model
    mcfg.signed_languages = sorted({p.split("-")[1] for p in vocab})
    mcfg.corpus = "lexicon:" + lexicon.name
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "vocabulary.json", json.dumps(vocab, ensure_ascii=False, indent=1))
    texts = [t for v in vocab.values() for k in ("train", "val") for t in v[k]]
    tokenizer = train_tokenizer([normalize_text(t) for t in texts], mcfg.tokenizer, mcfg.vocab_size)
    val = []
    for pair, v in vocab.items():
        spoken, signed = pair.split("-")
        for text in v["val"]:
            comp = compose_sample(lexicon, text, spoken, signed, None, None)
            val.append((text, signed, comp.x, comp.mask))
    val = val[: cfg.val_limit]
    rng = np.random.default_rng(cfg.train.seed)
    stats = NormStats.from_arrays(training_sample(lexicon, vocab, cfg.spelling, cfg.spelling_augment, rng)[2:] for _ in range(256))
    torch.manual_seed(cfg.train.seed)
    model = Backtranslator(mcfg, tokenizer, stats)

    def sample(rng) -> tuple:
        while True:
            item = training_sample(lexicon, vocab, cfg.spelling, cfg.spelling_augment, rng)
            if len(item[2]) <= mcfg.max_frames:
                return item

    def batch(step: int, rank: int) -> dict:
        rng = np.random.default_rng(hash_seed(cfg.train.seed, step, rank))
        return _batch(model, [sample(rng) for _ in range(cfg.train.batch_size)], None, cfg)

    def validate(raw: Backtranslator, out: Path, step: int) -> dict:
        return _validate(raw, val, cfg)

    run_config = {"stage": "backtranslator", "source": "lexicon", **asdict(cfg)}
    task = Task(module=model, batch=batch, validate=validate, save=lambda raw, d: raw.save_pretrained(d), run_config=run_config)
    return run(task, cfg.train, out_dir, progress=progress)
