"""MDM-style motion denoiser: a transformer over all frames that predicts clean poses x0.

The network never sees the noise schedule: it takes (x_t, t, text tokens, language) and returns x̂0,
per-joint visibility logits, and (from the text alone) a predicted log duration.
"""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from torch import nn

from ..artifact import CONFIG_FILE, read_config, write_config
from ..errors import SigngenError
from ..pose.skeleton import component_slices, joint_index
from ..pose.normalizer import Normalizer
from ..pose.tensors import NormStats, hands_from_wrist, hands_to_wrist
from ..text.encoders import build_text_encoder, is_pretrained, reads_letters
from .config import MotionConfig

WEIGHTS_FILE = "model.safetensors"


class MotionModel(nn.Module):
    def __init__(self, cfg: MotionConfig):
        super().__init__()
        self.cfg = cfg
        d, j = cfg.denoiser.dim, cfg.joints
        self.normalizer = Normalizer(j)  # the train split's statistics in the model's representation (set by training)
        self.text_encoder = build_text_encoder(cfg.text)
        self.text_proj = nn.Linear(self.text_encoder.dim, d)
        self.null_text = nn.Parameter(torch.zeros(1, 1, d))  # the "no text" token for classifier-free guidance
        # index 0 = unconditional / unknown language
        self.language = nn.Embedding(len(cfg.languages) + 1, d)
        self.time_proj = Timesteps(d, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embed = TimestepEmbedding(d, d)
        p = cfg.denoiser.frames_per_token
        if p < 1:
            raise SigngenError(f"denoiser.frames_per_token={p}: give 1 or more")
        self.pose_in = nn.Linear(p * j * 3, d)
        if cfg.denoiser.aligned_input:
            if cfg.denoiser.align_sigma <= 0:
                raise SigngenError("denoiser.aligned_input needs denoiser.align_sigma > 0")
            self.aligned_in = nn.Linear(d, d)
        self.frame_pos = nn.Embedding(-(-cfg.denoiser.max_frames // p), d)  # one row per token
        layer = nn.TransformerDecoderLayer(
            d, cfg.denoiser.heads, d * cfg.denoiser.ff_mult, cfg.denoiser.dropout, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerDecoder(layer, cfg.denoiser.layers)
        self.norm = nn.LayerNorm(d)
        self.pose_out = nn.Linear(d, p * j * 3)
        self.visibility_out = nn.Linear(d, p * j)
        self.duration = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))
        if cfg.letter_durations:
            if not reads_letters(cfg.text.kind) or cfg.denoiser.align_sigma <= 0:
                raise SigngenError("letter_durations needs a letter encoder (text.kind=char) and denoiser.align_sigma > 0 (or set letter_durations=false)")
            self.token_duration = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))
        if cfg.diffusion.prediction not in ("sample", "v"):
            raise SigngenError(f"diffusion.prediction={cfg.diffusion.prediction!r}: choose sample or v")
        if cfg.diffusion.prediction == "v":  # ᾱ_t of the training schedule, to turn F into x̂0 (not saved: rebuilt from the config)
            from .diffusion import make_scheduler

            self.register_buffer("alphas_cumprod", make_scheduler(cfg.diffusion).alphas_cumprod.float(), persistent=False)
        # start as "predict the mean pose": zero the output layer
        nn.init.zeros_(self.pose_out.weight)
        nn.init.zeros_(self.pose_out.bias)

    # -- conditioning -------------------------------------------------------------------------------
    def language_ids(self, langs: list[str]) -> torch.Tensor:
        index = {lang: i + 1 for i, lang in enumerate(self.cfg.languages)}
        missing = [lang for lang in langs if lang not in index]
        if missing:
            raise SigngenError(f"unknown sign language {missing[0]!r}; this model knows {self.cfg.languages}")
        return torch.tensor([index[lang] for lang in langs], device=self.null_text.device)

    def encode_text(self, texts: list[str], langs: list[str]) -> dict:
        """Text tokens (B, L, D) + mask and language ids; computed once per batch, reused every step."""
        emb, mask = self.text_encoder(texts)
        lang = self.language_ids(langs)
        tokens = self.text_proj(emb)
        if self.cfg.language_tokens:
            tokens = tokens + self.language(lang)[:, None]
        return {"tokens": tokens, "mask": mask, "lang": lang}

    def drop_condition(self, cond: dict, drop: torch.Tensor) -> dict:
        """Replace the condition by the null token (and language 0) where `drop` (B,) is True."""
        b, length, d = cond["tokens"].shape
        null = self.null_text.expand(b, length, d)
        tokens = torch.where(drop[:, None, None], null, cond["tokens"])
        mask = torch.where(drop[:, None], torch.arange(length, device=drop.device)[None] == 0, cond["mask"])
        lang = torch.where(drop, torch.zeros_like(cond["lang"]), cond["lang"])
        return {"tokens": tokens, "mask": mask, "lang": lang}

    def predict_log_frames(self, cond: dict) -> torch.Tensor:
        m = cond["mask"].unsqueeze(-1).float()
        pooled = (cond["tokens"] * m).sum(1) / m.sum(1).clamp(min=1) + self.language(cond["lang"])
        return self.duration(pooled).squeeze(-1)

    def predict_token_frames(self, cond: dict) -> torch.Tensor:
        """(B, L) predicted log frames of every text token (letter_durations models)."""
        return self.token_duration(cond["tokens"]).squeeze(-1)

    def predict_frames(self, cond: dict) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Predicted frames per sequence (B,) and, for letter_durations models, per token (B, L; 0 on padding)."""
        if not self.cfg.letter_durations:
            return torch.exp(self.predict_log_frames(cond)), None
        per_token = torch.exp(self.predict_token_frames(cond)) * cond["mask"]
        return per_token.sum(1), per_token

    @staticmethod
    def token_positions(durations: torch.Tensor, text_mask: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) where each frame sits along the text, in tokens: token i spans positions i..i+1 over its
        share of the frames. durations (B, L) are relative; they are scaled to each sequence's frame count."""
        d = durations.float().clamp(min=1e-3) * text_mask
        ends = torch.cumsum(d, 1)
        scale = frame_mask.sum(1, keepdim=True).float() / ends[:, -1:].clamp(min=1e-6)
        ends, d = ends * scale, d * scale
        centre = (torch.arange(frame_mask.shape[1], device=d.device, dtype=d.dtype) + 0.5).expand(len(d), -1).contiguous()
        token = torch.searchsorted(ends, centre, right=True).clamp(max=d.shape[1] - 1)
        start = ends.gather(1, token) - d.gather(1, token)
        return token + ((centre - start) / d.gather(1, token).clamp(min=1e-6)).clamp(0, 1)

    def corpus_positions(self, durations: torch.Tensor, text_mask: torch.Tensor, frame_mask: torch.Tensor):
        """Alignment positions from a batch's corpus letter timing (B, L' frames per character, 0 where unknown),
        as training sees them; a sample without timing gets even positions. Returns (positions, timing (B, L), timed mask)."""
        length = text_mask.shape[1]
        timing = torch.nn.functional.pad(durations, (0, max(0, length - durations.shape[1])))[:, :length]
        timed = (timing > 0) & text_mask
        even = ~timed.any(1, keepdim=True)
        return self.token_positions(torch.where(even, text_mask.float(), timing), text_mask, frame_mask), timing, timed

    # -- pose representation ------------------------------------------------------------------------
    def pose_to_model(self, x, mask):
        """Canonical (T, J, 3) + mask -> the representation this model is trained in (before normalization)."""
        return hands_to_wrist(x, mask) if self.cfg.hand_relative else (x, mask)

    @property
    def stats(self) -> NormStats:
        """The normalization statistics the model is trained with (in its representation)."""
        return self.normalizer.stats

    def pose_from_model(self, z):
        """Normalized model output (T, J, 3) -> canonical (T, J, 3) poses."""
        x = self.stats.denormalize(z)
        return hands_from_wrist(x) if self.cfg.hand_relative else x

    def alignment_logits(self, frame_mask: torch.Tensor, text_mask: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, L) log-prior that frame t reads the text token at `positions` (B, T; from `token_positions`),
        or at t/T * L when not given (Gaussian, sigma in tokens); -inf on padding."""
        sigma = self.cfg.denoiser.align_sigma
        if positions is None:
            n_frames = frame_mask.sum(1, keepdim=True).clamp(min=1).float()  # (B, 1)
            n_tokens = text_mask.sum(1, keepdim=True).clamp(min=1).float()
            where = (torch.arange(frame_mask.shape[1], device=frame_mask.device)[None] + 0.5) / n_frames * n_tokens  # (B, T)
        else:
            where = positions
        centre = torch.arange(text_mask.shape[1], device=frame_mask.device) + 0.5  # (L,)
        logits = -((where[:, :, None] - centre[None, None]) ** 2) / (2 * sigma**2)
        return logits.masked_fill(~text_mask[:, None], float("-inf"))

    def alignment_bias(self, logits: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        """(B*heads, 1+T, L) additive cross-attention bias from `alignment_logits`; the condition token attends freely."""
        free = torch.zeros_like(logits[:, :1]).masked_fill(~text_mask[:, None], float("-inf"))
        return torch.cat([free, logits], 1).repeat_interleave(self.cfg.denoiser.heads, 0)

    # -- denoiser -----------------------------------------------------------------------------------
    def forward(
        self, x_t: torch.Tensor, t: torch.Tensor, cond: dict, frame_mask: torch.Tensor, positions: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x_t: (B, T, J, 3) noisy normalized poses; t: (B,); frame_mask: (B, T) True on real frames;
        positions: (B, T) frame->text positions for the alignment prior (`token_positions`), default even.

        Returns x̂0 (B, T, J, 3) and visibility logits (B, T, J)."""
        b, frames = x_t.shape[:2]
        if frames > self.cfg.denoiser.max_frames:
            raise SigngenError(f"{frames} frames exceed this model's maximum of {self.cfg.denoiser.max_frames}")
        p = self.cfg.denoiser.frames_per_token
        x_in, token_mask, token_positions = x_t, frame_mask, positions
        if p > 1:  # group the frames p to a token (the last group padded)
            pad = -frames % p
            x_in = torch.nn.functional.pad(x_t, (0, 0, 0, 0, 0, pad)).reshape(b, (frames + pad) // p, -1)
            token_mask = torch.nn.functional.pad(frame_mask, (0, pad)).reshape(b, -1, p).any(-1)
            if positions is not None:  # a token sits where its frames sit, on average
                token_positions = torch.nn.functional.pad(positions, (0, pad), mode="replicate").reshape(b, -1, p).mean(-1)
        tokens = x_in.shape[1]
        h = self.pose_in(x_in.reshape(b, tokens, -1)) + self.frame_pos(torch.arange(tokens, device=x_t.device))[None]
        logits = self.alignment_logits(token_mask, cond["mask"], token_positions) if self.cfg.denoiser.align_sigma > 0 else None
        if self.cfg.denoiser.aligned_input:  # each frame starts from the text tokens the prior aligns it with
            h = h + self.aligned_in(torch.softmax(logits, -1).to(h.dtype) @ cond["tokens"])
        cond_token = self.time_embed(self.time_proj(t).to(h.dtype)) + self.language(cond["lang"])  # (B, D)
        h = torch.cat([cond_token[:, None], h], 1)  # the condition token sits in front of the frames
        keep = torch.cat([torch.ones(b, 1, dtype=torch.bool, device=h.device), token_mask], 1)
        if logits is None:
            h = self.blocks(h, cond["tokens"], tgt_key_padding_mask=~keep, memory_key_padding_mask=~cond["mask"])
        else:  # the bias already holds -inf on padded text tokens
            bias = self.alignment_bias(logits, cond["mask"]).to(h.dtype)
            h = self.blocks(h, cond["tokens"], tgt_key_padding_mask=~keep, memory_mask=bias)
        h = self.norm(h[:, 1:])
        out = self.pose_out(h).reshape(b, tokens * p, -1, 3)[:, :frames]
        vis = self.visibility_out(h).reshape(b, tokens * p, -1)[:, :frames]
        if self.cfg.diffusion.prediction == "v":
            a = self.alphas_cumprod[t.long()].to(out.dtype)[:, None, None, None]
            out = a.sqrt() * x_t - (1 - a).sqrt() * out
        return out, vis

    # -- persistence --------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> None:
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items() if not self.is_frozen_pretrained(k)}
        save_file(state, str(directory / WEIGHTS_FILE))
        write_config(directory, type(self).__name__, self.cfg)

    def is_frozen_pretrained(self, key: str) -> bool:
        # a frozen pretrained text encoder is referenced by config (kind/path), not copied into the checkpoint
        return key.startswith("text_encoder.model.") and is_pretrained(self.cfg.text.kind) and self.cfg.text.freeze

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str = "cpu") -> "MotionModel":
        from safetensors.torch import load_file

        directory = Path(directory)
        if not (directory / CONFIG_FILE).exists() or not (directory / WEIGHTS_FILE).exists():
            raise SigngenError(f"{directory}: not a signgen motion model (needs {CONFIG_FILE} and {WEIGHTS_FILE})")
        cfg = read_config(directory, cls.__name__, MotionConfig, "motion model")
        model = cls(cfg)
        state = load_file(str(directory / WEIGHTS_FILE))
        try:
            missing, unexpected = model.load_state_dict(state, strict=False)
        except RuntimeError:  # tensor shapes differ from what the config builds
            missing, unexpected = ["(shape mismatch)"], []
        missing = [k for k in missing if not model.is_frozen_pretrained(k)]
        if missing or unexpected:
            raise SigngenError(
                f"{directory}: weights do not match the config ({len(missing)} missing, {len(unexpected)} unexpected tensors); "
                "the checkpoint is from another signgen version or was edited"
            )
        return model.to(device).eval()


def joint_weights(joints: int, hand_weight: float, location_weight: float = 1.0) -> torch.Tensor:
    """(J,) loss weights: 1 for body and face, `hand_weight` for the 42 hand joints, and `location_weight` for
    the four joints that place the hands (both body wrists and both hand roots)."""
    w = torch.ones(joints)
    for name, sl in component_slices().items():
        if name.endswith("HAND_LANDMARKS"):
            w[sl] = hand_weight
            w[sl.start] = location_weight
    for side in ("LEFT", "RIGHT"):
        w[joint_index("POSE_LANDMARKS", f"{side}_WRIST")] = location_weight
    return w
