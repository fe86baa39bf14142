"""Training the back-translator on a corpus: `signgen train backtranslator --corpus DIR`.

It sees only ground-truth poses of the train split (with augmentation), never generated ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..corpus import Corpus
from ..pose.augment import AugmentConfig, random_augment
from ..train import TrainConfig, Task, run
from .config import BacktranslatorConfig
from .model import Backtranslator
from .tokenizer import normalize_text, train_tokenizer


@dataclass
class BacktranslatorTrainConfig:
    model: BacktranslatorConfig = field(default_factory=BacktranslatorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    augment_prob: float = 0.8
    val_limit: int = 200  # validation samples decoded (greedy) for CER at each validation


def _seed(*parts) -> int:
    return int(hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _batch(model: Backtranslator, items, rng, cfg: BacktranslatorTrainConfig) -> dict:
    arrays = []
    for _, _, x, m in items:
        if rng is not None and rng.random() < cfg.augment_prob:
            x, m = random_augment(x, m, cfg.augment, rng)
        arrays.append((x, m))
    feats, fm = model.features(arrays)
    return {"feats": feats, "frame_mask": fm, "langs": [i[1] for i in items], "labels": model.encode_targets([i[0] for i in items])}


def train_backtranslator(corpus_dir: str | Path, cfg: BacktranslatorTrainConfig, out_dir: str | Path,
                         progress: bool = True) -> Path:
    import jiwer

    corpus = Corpus(corpus_dir)
    mcfg = cfg.model
    mcfg.signed_languages = corpus.signed_languages
    mcfg.corpus = corpus.info.get("name", Path(corpus_dir).resolve().name)
    train = [(s.text, s.signed_language, *corpus.load(s)) for s in corpus.split("train")]
    val = [(s.text, s.signed_language, *corpus.load(s)) for s in corpus.split("val")][: cfg.val_limit]
    tokenizer = train_tokenizer([normalize_text(t[0]) for t in train], mcfg.tokenizer, mcfg.vocab_size)
    torch.manual_seed(cfg.train.seed)
    model = Backtranslator(mcfg, tokenizer, corpus.stats)

    def batch(step: int, rank: int) -> dict:
        rng = np.random.default_rng(_seed(cfg.train.seed, step, rank))
        idx = rng.integers(0, len(train), cfg.train.batch_size)
        return _batch(model, [train[i] for i in idx], rng, cfg)

    def validate(raw: Backtranslator, out: Path, step: int) -> dict:
        with torch.no_grad():
            losses = [raw(_to(_batch(raw, val[k : k + 64], None, cfg), raw))[0].item() for k in range(0, len(val), 64)]
            hyps = raw.translate([(v[2], v[3]) for v in val], [v[1] for v in val], beams=1)
        refs = [normalize_text(v[0]) for v in val]
        return {"val_loss": float(np.mean(losses)), "val_cer": 100.0 * float(jiwer.cer(refs, [h or " " for h in hyps]))}

    def save(raw: Backtranslator, directory: Path) -> None:
        raw.save_pretrained(directory)

    run_config = {"stage": "backtranslator", "corpus": str(Path(corpus_dir).resolve()), **asdict(cfg)}
    task = Task(module=model, batch=batch, validate=validate, save=save, run_config=run_config)
    return run(task, cfg.train, out_dir, progress=progress)


def _to(batch: dict, module: torch.nn.Module) -> dict:
    device = next(module.parameters()).device
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
