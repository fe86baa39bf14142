"""Typed config of the back-translator (pose -> text)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BacktranslatorConfig:
    head: str = "seq2seq"  # a heads.READER_HEADS name: seq2seq (BART encoder-decoder, beam search) | ctc (encoder + CTC, for spelling/gloss targets)
    # zscore: per-joint z-scores of the selected components' positions (corpus statistics);
    # hands: each hand's joints relative to its wrist in units of its own size, its wrist relative to the
    # shoulders, and the upper body: a letter's handshape stays the same wherever the arm is.
    features: str = "zscore"
    # Reading only (never in training), hands features: hide a hand where it moves exactly linearly for several
    # frames, filled in by a composer's interpolation rather than seen (model.hide_interpolated_hands)
    hide_interpolated_hands: bool = False
    tokenizer: str = "char"  # char (fingerspelling) | bpe (words and sentences)
    vocab_size: int = 4000  # bpe only; char uses every character of the training text
    components: list[str] = field(
        default_factory=lambda: ["POSE_LANDMARKS", "LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS"]
    )  # which canonical components it reads
    stride: int = 2  # temporal downsampling of the convolutional front end
    dim: int = 192
    encoder_layers: int = 4
    decoder_layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    max_frames: int = 512  # longest input at 25 fps
    max_target: int = 64  # longest output in tokens
    beams: int = 4  # beam width at inference (seq2seq: generate(); ctc: prefix beam search; 1 = greedy)
    # Filled in from the training corpus (checked at evaluation time):
    signed_languages: list[str] = field(default_factory=list)
    corpus: str = ""
