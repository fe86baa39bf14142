"""The back-translator's output heads, looked up by `BacktranslatorConfig.head` in `READER_HEADS`.

The reader's front (frame features -> convolution -> language embedding) is shared; a head turns its
embeddings (B, T', D) into text. A head adds its modules to the reader in `build`, gives the training loss in
`loss`, and reads text in `decode`. A new head is one file that registers itself here (or through the
`signgen.reader_heads` entry-point group) and is picked with `model.head=NAME`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import Registry
from .config import BacktranslatorConfig
from .tokenizer import normalize_text


class ReaderHead:
    """Interface of a head; `reader` is the `Backtranslator` it belongs to, `bart` the BartConfig of its size."""

    def build(self, reader: nn.Module, bart) -> None:
        raise NotImplementedError

    def loss(self, reader: nn.Module, embeds: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decode(self, reader: nn.Module, embeds: torch.Tensor, mask: torch.Tensor, beams: int) -> list[str]:
        raise NotImplementedError


class Seq2SeqHead(ReaderHead):
    """A BART encoder-decoder fed with `inputs_embeds`, decoded with its `generate()` beam search: for
    sentence corpora, whose text is not letter-aligned with the signing."""

    def __init__(self, cfg: BacktranslatorConfig):
        self.cfg = cfg

    def build(self, reader, bart) -> None:
        from transformers import BartForConditionalGeneration

        reader.seq2seq = BartForConditionalGeneration(bart)

    def loss(self, reader, embeds, mask, labels):
        return reader.seq2seq(inputs_embeds=embeds, attention_mask=mask, labels=labels).loss

    def decode(self, reader, embeds, mask, beams):
        ids = reader.seq2seq.generate(inputs_embeds=embeds, attention_mask=mask, num_beams=beams,
                                      max_new_tokens=self.cfg.max_target, do_sample=False)
        return [normalize_text(t) for t in reader.tokenizer.batch_decode(ids, skip_special_tokens=True)]


class CTCHead(ReaderHead):
    """The BART encoder with a per-frame CTC layer over the tokenizer's vocabulary (its pad id is the blank),
    decoded with CTC prefix beam search (`beams` > 1, pyctcdecode) or greedily: for fingerspelling and other letter- or gloss-aligned targets."""

    def __init__(self, cfg: BacktranslatorConfig):
        self.cfg = cfg

    def build(self, reader, bart) -> None:
        from transformers.models.bart.modeling_bart import BartEncoder

        reader.encoder = BartEncoder(bart)
        reader.ctc = nn.Linear(self.cfg.dim, len(reader.tokenizer))

    def logits(self, reader, embeds, mask):
        return reader.ctc(reader.encoder(inputs_embeds=embeds, attention_mask=mask).last_hidden_state)

    def loss(self, reader, embeds, mask, labels):
        logp = self.logits(reader, embeds, mask).log_softmax(-1).transpose(0, 1).float()
        targets = labels[:, :-1]  # drop </s>
        keep = (targets >= 0) & (targets != reader.tokenizer.eos_token_id)
        return F.ctc_loss(logp, targets.clamp(min=0), mask.sum(1), keep.sum(1),
                          blank=reader.tokenizer.pad_token_id, zero_infinity=True)

    def decode(self, reader, embeds, mask, beams):
        logits = self.logits(reader, embeds, mask)
        lengths = mask.sum(1).cpu().numpy()
        if beams > 1:
            logp = logits.log_softmax(-1).float().cpu().numpy()
            if getattr(self, "_beam", None) is None:
                self._beam = _beam_decoder(reader.tokenizer)
            decoder, specials = self._beam
            return [normalize_text(decoder.decode(row[:n], beam_width=beams).translate(specials))
                    for row, n in zip(logp, lengths)]
        blank = reader.tokenizer.pad_token_id
        out = []
        for row, n in zip(logits.argmax(-1).cpu().numpy(), lengths):
            ids = [int(t) for k, t in enumerate(row[:n]) if t != blank and (k == 0 or t != row[k - 1])]
            out.append(normalize_text(reader.tokenizer.decode(ids, skip_special_tokens=True)))
        return out


def _beam_decoder(tokenizer):
    """pyctcdecode's CTC prefix beam search over the tokenizer's vocabulary (no language model: it sums the
    probability of every alignment of a prefix, so a doubled letter split over frames is not lost to the greedy
    path's blank). Special tokens get private-use characters that are removed from the text."""
    import logging

    logging.getLogger("pyctcdecode").setLevel(logging.ERROR)  # it warns that kenlm is absent; none is used
    from pyctcdecode import build_ctcdecoder

    tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    special = set(tokenizer.all_special_tokens)
    labels = ["" if i == tokenizer.pad_token_id else chr(0xE000 + i) if t in special else t for i, t in enumerate(tokens)]
    return build_ctcdecoder(labels), {0xE000 + i: None for i in range(len(tokens))}


READER_HEADS = Registry("back-translator head", "signgen.reader_heads", presets="backtranslator")
READER_HEADS.register("seq2seq", Seq2SeqHead, BacktranslatorConfig, help="BART encoder-decoder, beam search (sentences)")
READER_HEADS.register("ctc", CTCHead, BacktranslatorConfig, help="BART encoder + CTC over characters (fingerspelling)")
