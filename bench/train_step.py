"""Training-step speed of a motion preset on a corpus, with and without dropout.

A bare step (forward, backward, AdamW; no EMA, validation or data-loader workers) on batches drawn as
training draws them, timed after 5 warm-up steps:

    python bench/train_step.py --corpus corpora/starter --config S --steps 30 [--no-dropout]
"""

from __future__ import annotations

import argparse

import torch

from signgen.config import load_config
from signgen.corpus import Corpus
from signgen.motion.model import MotionModel
from signgen.motion.train import MotionData, MotionLoss, MotionTrainConfig, fit_to_corpus, global_batch_share, model_stats
from timing import steps_per_second


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--config", default="S")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--no-dropout", action="store_true", help="every dropout off, the text encoder's included")
    ap.add_argument("overrides", nargs="*", help="key=value config overrides")
    args = ap.parse_args()

    cfg = load_config(MotionTrainConfig, args.config, args.overrides, group="motion")
    corpus = Corpus(args.corpus)
    corpus.store()
    fit_to_corpus(cfg.model, corpus, args.corpus)
    torch.manual_seed(0)
    model = MotionModel(cfg.model)
    if args.no_dropout:
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
            elif isinstance(m, torch.nn.MultiheadAttention):
                m.dropout = 0.0  # attention-weight dropout, a float on the module
    train = MotionData(corpus, "train", model)
    train.stats = model_stats(corpus, model, train)
    model.normalizer.set(train.stats)
    loss_fn = MotionLoss(model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.train.lr)
    batches = [train.batch(*global_batch_share(train, cfg, s, 0, 1), cfg.augment, cfg.augment_prob)
               for s in range(args.steps + 5)]
    rate = steps_per_second(loss_fn, opt, batches, warmup=5)
    text = f"{cfg.model.text.dropout:g}" if cfg.model.text.kind == "char" else "as built"  # only the char encoder reads text.dropout
    dropout = "off" if args.no_dropout else f"denoiser {cfg.model.denoiser.dropout:g}, text encoder {text}"
    print(f"{args.config}: {rate:.2f} steps/s (batch {cfg.train.batch_size}, dropout {dropout}, "
          f"{torch.get_num_threads()} torch threads)")


if __name__ == "__main__":
    main()
