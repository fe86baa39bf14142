"""The back-translator: canonical pose frames -> text.

A convolutional front end turns each frame's selected joints (normalized xyz plus a visibility flag) into
one embedding per `stride` frames and adds a signed-language embedding. The rest is transformers: a BART
encoder-decoder fed with `inputs_embeds` and decoded with its `generate()` beam search (`head: seq2seq`),
or the BART encoder with a CTC head (`head: ctc`) for spelling and gloss targets (heads: `heads.READER_HEADS`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..artifact import read_config, write_config
from ..errors import SigngenError
from ..pose.normalizer import Normalizer
from ..pose.skeleton import component_slices, num_joints
from ..pose.tensors import NormStats
from .config import BacktranslatorConfig
from .tokenizer import normalize_text


def _joint_index(components: list[str]) -> np.ndarray:
    slices = component_slices()
    unknown = [c for c in components if c not in slices]
    if unknown:
        raise SigngenError(f"back-translator components {unknown}: choose from {list(slices)}")
    return np.concatenate([np.arange(slices[c].start, slices[c].stop) for c in components])


def hand_feature_size() -> int:
    return 2 * (20 * 3 + 3 + 1) + 8 * 3


def hand_features(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(T, F) features that keep a handshape the same wherever the arm is: per hand, its 20 finger joints
    relative to the wrist divided by the hand's size (wrist to middle-finger knuckle), its wrist relative to the
    shoulder centre, and whether it is seen; then the 8 upper-body points relative to the shoulder centre."""
    slices = component_slices()
    body = x[:, slices["POSE_LANDMARKS"]]  # shoulders are its first two points
    centre = (body[:, 0] + body[:, 1]) / 2
    parts = []
    for side in ("LEFT", "RIGHT"):
        sl = slices[f"{side}_HAND_LANDMARKS"]
        hand, seen = x[:, sl], mask[:, sl].all(1)
        fingers = hand[:, 1:] - hand[:, :1]
        size = np.linalg.norm(fingers[:, 8], axis=-1, keepdims=True)  # landmark 9: middle-finger knuckle
        fingers = fingers / np.maximum(size, 1e-3)[..., None]
        wrist = hand[:, 0] - centre
        parts += [np.where(seen[:, None], fingers.reshape(len(x), -1), 0.0), np.where(seen[:, None], wrist, 0.0),
                  seen[:, None].astype(np.float32)]
    parts.append(np.where(mask[:, slices["POSE_LANDMARKS"]][..., None], body - centre[:, None], 0.0).reshape(len(x), -1))
    return np.concatenate(parts, axis=1).astype(np.float32)


INTERPOLATED_RUN = 4  # at least this many frames in a row moving exactly linearly: filled in, not seen
LINEAR_TOL = 1e-4  # shoulder widths; recorded hands never move this linearly (largest |2nd difference| >= 3e-4)


def hide_interpolated_hands(x: np.ndarray, mask: np.ndarray, min_run: int = INTERPOLATED_RUN,
                            tol: float = LINEAR_TOL) -> np.ndarray:
    """`mask` with each hand hidden where it was filled in by linear interpolation rather than seen: runs of at
    least `min_run` frames in which every joint of the hand moves on a straight line at constant speed (second
    differences below `tol`) while the hand moves. spoken-to-signed's concatenation fills an undetected hand this
    way, so through one-handed letters a two-handed alphabet's second hand floats between two handshapes
    (bench/two_handed.py). A hand held still, and resampled (slowed) signing, whose straight pieces are shorter
    than `min_run`, are left as they are."""
    mask = mask.copy()
    if len(x) < min_run + 2:
        return mask
    for side in ("LEFT", "RIGHT"):
        sl = component_slices()[f"{side}_HAND_LANDMARKS"]
        hand, seen = x[:, sl], mask[:, sl].all(1)
        d2 = np.abs(hand[2:] - 2 * hand[1:-1] + hand[:-2]).max(axis=(1, 2))
        d1 = np.abs(hand[2:] - hand[:-2]).max(axis=(1, 2))
        linear = np.zeros(len(x), bool)
        linear[1:-1] = (d2 < tol) & (d1 > tol) & seen[2:] & seen[1:-1] & seen[:-2]
        edges = np.flatnonzero(np.diff(np.concatenate([[0], linear.astype(np.int8), [0]])))
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= min_run:
                mask[a:b, sl] = False
    return mask


class Backtranslator(nn.Module):
    def __init__(self, cfg: BacktranslatorConfig, tokenizer, stats: NormStats | None = None):
        super().__init__()
        from transformers import BartConfig

        from .heads import READER_HEADS

        self.cfg, self.tokenizer = cfg, tokenizer
        self.head = READER_HEADS.build(cfg.head, cfg)  # before any module is built: an unknown head fails first
        self.normalizer = Normalizer(num_joints())  # the training data's statistics (what `zscore` features use)
        if stats is not None:
            self.normalizer.set(stats)
        self.joints = _joint_index(cfg.components)
        if cfg.features not in ("zscore", "hands"):
            raise SigngenError(f"back-translator features '{cfg.features}': choose zscore or hands")
        if not cfg.signed_languages:
            raise SigngenError("back-translator config has no signed_languages; it is filled from the training corpus")
        self.lang_index = {lang: i for i, lang in enumerate(cfg.signed_languages)}
        feat = hand_feature_size() if cfg.features == "hands" else len(self.joints) * 4
        self.front = nn.Sequential(
            nn.Conv1d(feat, cfg.dim, kernel_size=2 * cfg.stride - 1 if cfg.stride > 1 else 3, stride=cfg.stride,
                      padding=cfg.stride - 1 if cfg.stride > 1 else 1),
            nn.GELU(),
            nn.Conv1d(cfg.dim, cfg.dim, kernel_size=3, padding=1),
        )
        self.lang = nn.Embedding(len(cfg.signed_languages), cfg.dim)
        bart = BartConfig(
            vocab_size=len(tokenizer), d_model=cfg.dim, encoder_layers=cfg.encoder_layers,
            decoder_layers=cfg.decoder_layers, encoder_attention_heads=cfg.heads, decoder_attention_heads=cfg.heads,
            encoder_ffn_dim=4 * cfg.dim, decoder_ffn_dim=4 * cfg.dim, dropout=cfg.dropout,
            max_position_embeddings=max(cfg.max_frames // cfg.stride + 2, cfg.max_target + 2),
            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.bos_token_id,
            forced_eos_token_id=None, scale_embedding=False,
        )
        self.head.build(self, bart)

    @property
    def stats(self) -> NormStats:
        return self.normalizer.stats

    # ---- inputs -------------------------------------------------------------------------------
    def features(self, arrays: list[tuple[np.ndarray, np.ndarray]], reading: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Canonical (x (T,178,3), mask (T,178)) arrays -> padded frame features (B,T,F) and frame mask (B,T).
        `reading`: for `translate`, which hides interpolated hands when the config says so (training never does:
        the reader learns from compositions with and without filled-in hands)."""
        too_long = [len(x) for x, _ in arrays if len(x) > self.cfg.max_frames]
        if too_long:
            raise SigngenError(f"a pose has {too_long[0]} frames; this back-translator reads at most {self.cfg.max_frames}")
        length = max(len(x) for x, _ in arrays)
        if self.cfg.features == "hands":
            out = np.zeros((len(arrays), length, hand_feature_size()), np.float32)
            fm = np.zeros((len(arrays), length), bool)
            for k, (x, mask) in enumerate(arrays):
                if reading and self.cfg.hide_interpolated_hands:
                    mask = hide_interpolated_hands(x, mask)
                out[k, : len(x)] = hand_features(x, mask)
                fm[k, : len(x)] = True
            return torch.from_numpy(out), torch.from_numpy(fm)
        j = len(self.joints)
        out = np.zeros((len(arrays), length, j, 4), np.float32)
        fm = np.zeros((len(arrays), length), bool)
        for k, (x, mask) in enumerate(arrays):
            z = self.stats.normalize(x, mask)[:, self.joints]
            m = mask[:, self.joints]
            out[k, : len(x), :, :3] = np.where(m[..., None], z, 0.0)
            out[k, : len(x), :, 3] = m
            fm[k, : len(x)] = True
        return torch.from_numpy(out.reshape(len(arrays), length, j * 4)), torch.from_numpy(fm)

    def language_ids(self, langs: list[str]) -> torch.Tensor:
        unknown = sorted({lang for lang in langs if lang not in self.lang_index})
        if unknown:
            raise SigngenError(
                f"sign language(s) {unknown}: this back-translator was trained on {self.cfg.signed_languages}; "
                "train one on a corpus with that language (signgen train backtranslator)"
            )
        return torch.tensor([self.lang_index[lang] for lang in langs], device=self.lang.weight.device)

    def embed(self, feats: torch.Tensor, frame_mask: torch.Tensor, langs: list[str]):
        h = self.front(feats.transpose(1, 2)).transpose(1, 2)  # (B, T', D)
        mask = frame_mask[:, :: self.cfg.stride][:, : h.shape[1]]
        h = h + self.lang(self.language_ids(langs))[:, None]
        return h, mask.long()

    def encode_targets(self, texts: list[str]) -> torch.Tensor:
        enc = self.tokenizer([normalize_text(t) for t in texts], padding=True, truncation=True,
                             max_length=self.cfg.max_target, return_tensors="pt")
        labels = enc.input_ids.clone()
        labels[enc.attention_mask == 0] = -100
        return labels

    # ---- training ----------------------------------------------------------------------------
    def forward(self, batch: dict):
        embeds, mask = self.embed(batch["feats"], batch["frame_mask"], batch["langs"])
        loss = self.head.loss(self, embeds, mask, batch["labels"])
        return loss, {"loss": loss.item()}

    # ---- inference ---------------------------------------------------------------------------
    @torch.no_grad()
    def translate(self, arrays: list[tuple[np.ndarray, np.ndarray]], langs: list[str], beams: int | None = None,
                  batch_size: int = 32) -> list[str]:
        """Back-translate canonical pose arrays (un-normalized, as in a corpus) into text."""
        from ..lexicon import resample

        self.eval()
        device = self.lang.weight.device
        # A pose longer than the reader takes is read faster (resampled to its length), not refused.
        arrays = [resample(x, m, self.cfg.max_frames) if len(x) > self.cfg.max_frames else (x, m) for x, m in arrays]
        out: list[str] = []
        for start in range(0, len(arrays), batch_size):
            feats, fm = self.features(arrays[start : start + batch_size], reading=True)
            embeds, mask = self.embed(feats.to(device), fm.to(device), langs[start : start + batch_size])
            out += self.head.decode(self, embeds, mask, beams or self.cfg.beams)
        return out

    def check_corpus(self, signed_languages: list[str], texts: list[str], source: str, max_unknown: float = 0.1) -> list[str]:
        """Refuse a corpus this back-translator cannot read: other sign languages or another vocabulary.

        A few characters the training split never had are normal (splits are by word): the texts holding them
        are returned for the caller to report. More than `max_unknown` of all tokens unknown means another corpus.
        """
        self.language_ids(sorted(set(signed_languages)))
        unk = self.tokenizer.unk_token_id
        ids = [self.tokenizer(normalize_text(t)).input_ids for t in texts]
        bad = [t for t, i in zip(texts, ids) if unk in i]
        unknown, total = sum(i.count(unk) for i in ids), sum(len(i) for i in ids)
        if bad and unknown > max_unknown * total:
            raise SigngenError(
                f"{source}: {unknown} of {total} tokens (e.g. in {bad[0]!r}) are outside this back-translator's "
                "vocabulary; it was trained on another corpus; train one on this corpus (signgen train backtranslator)"
            )
        return bad

    # ---- directories -------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        from safetensors.torch import save_model

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        save_model(self, str(d / "model.safetensors"))
        self.tokenizer.save_pretrained(d)
        write_config(d, type(self).__name__, self.cfg)
        return d

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "Backtranslator":
        from safetensors.torch import load_model
        from transformers import PreTrainedTokenizerFast

        d = Path(directory)
        if not (d / "config.json").exists() or not (d / "model.safetensors").exists():
            raise SigngenError(f"{d}: not a back-translator directory (needs config.json and model.safetensors); "
                               "train one with signgen train backtranslator")
        if not (d / "tokenizer.json").exists():
            raise SigngenError(f"{d}: back-translator directory lacks tokenizer.json; copy the whole directory "
                               "or retrain it (signgen train backtranslator)")
        cfg = read_config(d, cls.__name__, BacktranslatorConfig, "back-translator")
        tokenizer = PreTrainedTokenizerFast.from_pretrained(d)
        model = cls(cfg, tokenizer)
        try:
            missing, unexpected = load_model(model, str(d / "model.safetensors"), strict=False)
        except RuntimeError as e:
            raise SigngenError(f"{d}: weights do not match its config.json ({str(e).splitlines()[0][:120]}); retrain it") from None
        missing = [k for k in missing if not k.endswith("lm_head.weight")]  # tied to the decoder embeddings
        if missing or unexpected:
            raise SigngenError(f"{d}: weights do not match its config.json (missing {missing[:2]}, unexpected {unexpected[:2]}); retrain it")
        model.eval()
        return model
