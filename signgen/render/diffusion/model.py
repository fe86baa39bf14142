"""The pose-conditioned latent diffusion renderer: AutoencoderKL + UNet2DConditionModel (+ ControlNetModel),
a learned signer embedding, and previous-frame conditioning. Directory layout (diffusers parts in their own
layout): config.json, signer.safetensors, vae/, unet/, scheduler/, and controlnet/ when pose_input=controlnet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...artifact import read_config, write_config
from ...errors import SigngenError
from .config import RendererConfig

SAMPLERS = ("ddim", "unipc")


def default_scheduler_config(num_train_timesteps: int = 1000) -> dict:
    """Stable Diffusion's noise schedule (scaled-linear betas, epsilon prediction)."""
    return dict(num_train_timesteps=num_train_timesteps, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                prediction_type="epsilon", clip_sample=False, set_alpha_to_one=False, steps_offset=1)


def build_vae(cfg: RendererConfig):
    from diffusers import AutoencoderKL

    n = len(cfg.vae.block_out_channels)
    return AutoencoderKL(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * n,
                         up_block_types=["UpDecoderBlock2D"] * n, block_out_channels=list(cfg.vae.block_out_channels),
                         layers_per_block=cfg.vae.layers_per_block, latent_channels=cfg.vae.latent_channels,
                         norm_num_groups=min(32, cfg.vae.block_out_channels[0]), sample_size=cfg.size)


def vae_factor(vae) -> int:
    return 2 ** (len(vae.config.block_out_channels) - 1)


def unet_in_channels(cfg: RendererConfig, latent: int, factor: int) -> int:
    return latent + (latent if cfg.prev_frame else 0) + (3 * factor * factor if cfg.pose_input == "concat" else 0)


def build_unet(cfg: RendererConfig, latent: int, factor: int):
    from diffusers import UNet2DConditionModel

    u = cfg.unet
    return UNet2DConditionModel(sample_size=cfg.size // factor, in_channels=unet_in_channels(cfg, latent, factor),
                                out_channels=latent, block_out_channels=list(u.block_out_channels),
                                down_block_types=list(u.down_block_types), up_block_types=list(u.up_block_types),
                                layers_per_block=u.layers_per_block, cross_attention_dim=u.cross_attention_dim,
                                attention_head_dim=u.attention_head_dim, norm_num_groups=u.norm_num_groups)


def expand_conv_in(unet, in_channels: int):
    """Widen a pretrained UNet's conv_in with zero-initialized input channels (as InstructPix2Pix does), so the
    extra inputs (previous frame, pose map) start with no effect on the pretrained model."""
    from diffusers import UNet2DConditionModel

    old = unet.config.in_channels
    if old == in_channels:
        return unet
    if old > in_channels:
        raise SigngenError(f"base UNet takes {old} input channels, more than the {in_channels} this renderer feeds it")
    new = UNet2DConditionModel.from_config({**unet.config, "in_channels": in_channels})
    state = unet.state_dict()
    w = state["conv_in.weight"]
    state["conv_in.weight"] = torch.cat([w, torch.zeros(w.shape[0], in_channels - old, *w.shape[2:], dtype=w.dtype)], 1)
    new.load_state_dict(state)
    return new


class RendererModel(torch.nn.Module):
    def __init__(self, cfg: RendererConfig, vae, unet, controlnet=None, scheduler_config: dict | None = None):
        super().__init__()
        self.cfg = cfg
        self.vae, self.unet, self.controlnet = vae, unet, controlnet
        self.vae.requires_grad_(False)
        self.scheduler_config = dict(scheduler_config or default_scheduler_config(cfg.num_train_timesteps))
        dim = unet.config.cross_attention_dim
        self.signer = torch.nn.Embedding(len(cfg.signers), cfg.signer_tokens * dim)
        torch.nn.init.normal_(self.signer.weight, std=0.02)
        if cfg.pose_input == "controlnet" and controlnet is None:
            raise SigngenError("renderer config: pose_input=controlnet needs a ControlNetModel (controlnet/ or --controlnet)")
        if cfg.pose_input not in ("concat", "controlnet"):
            raise SigngenError(f"renderer config: pose_input {cfg.pose_input!r}; use concat or controlnet")

    # ---- shapes -------------------------------------------------------------------------------------------
    @property
    def factor(self) -> int:
        return vae_factor(self.vae)

    @property
    def latent_channels(self) -> int:
        return self.vae.config.latent_channels

    @property
    def scale(self) -> float:
        return float(self.vae.config.scaling_factor)

    # ---- pieces -------------------------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> scaled latents (B, C, H/f, W/f) (the posterior mean)."""
        return self.vae.encode(images).latent_dist.mean * self.scale

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(latents / self.scale).sample.clamp(-1, 1)

    def signer_tokens(self, signer: torch.Tensor) -> torch.Tensor:
        return self.signer(signer).view(len(signer), self.cfg.signer_tokens, -1)  # (B, tokens, dim)

    def eps(self, noisy: torch.Tensor, t: torch.Tensor, posemap: torch.Tensor, prev: torch.Tensor | None, signer: torch.Tensor):
        """Noise prediction. posemap (B, 3, H, W) in [0, 1]; prev (B, C, h, w) scaled latent or None (= zeros)."""
        parts = [noisy]
        if self.cfg.prev_frame:
            parts.append(torch.zeros_like(noisy) if prev is None else prev)
        if self.cfg.pose_input == "concat":
            parts.append(F.pixel_unshuffle(posemap, self.factor))  # (B, 3 f^2, h, w): space-to-depth keeps finger detail
        x = torch.cat(parts, 1)
        ctx = self.signer_tokens(signer)
        t = t.expand(len(noisy)) if t.ndim == 0 or len(t) == 1 else t
        extra = {}
        if self.controlnet is not None:
            cn_in = x[:, : self.controlnet.config.in_channels]
            down, mid = self.controlnet(cn_in, t, encoder_hidden_states=ctx, controlnet_cond=posemap, return_dict=False)
            extra = dict(down_block_additional_residuals=down, mid_block_additional_residual=mid)
        return self.unet(x, t, encoder_hidden_states=ctx, **extra).sample

    # ---- training -----------------------------------------------------------------------------------------
    def forward(self, batch: dict):
        """Epsilon-prediction loss (DDPM) on precomputed latents."""
        z0, posemap, prev, signer = batch["latent"], batch["posemap"], batch["prev"], batch["signer"]
        noise = torch.randn_like(z0)
        t = torch.randint(0, self.cfg.num_train_timesteps, (len(z0),), device=z0.device)
        noisy = self._train_scheduler().add_noise(z0, noise, t)
        loss = F.mse_loss(self.eps(noisy, t, posemap, prev if self.cfg.prev_frame else None, signer), noise)
        return loss, {"loss": loss.item()}

    def _train_scheduler(self):
        if not hasattr(self, "_ddpm"):
            from diffusers import DDPMScheduler

            self._ddpm = DDPMScheduler.from_config(self.scheduler_config)
        return self._ddpm

    def make_sampler(self, name: str | None = None):
        from diffusers import DDIMScheduler, UniPCMultistepScheduler

        name = name or self.cfg.sampler
        if name not in SAMPLERS:
            raise SigngenError(f"sampler {name!r}: choose one of {SAMPLERS}")
        cls = DDIMScheduler if name == "ddim" else UniPCMultistepScheduler
        return cls.from_config(self.scheduler_config)

    # ---- sampling -----------------------------------------------------------------------------------------
    @torch.no_grad()
    def sample_clip(self, posemaps: np.ndarray, signer: int = 0, steps: int | None = None, seed: int = 0,
                    sampler: str | None = None, progress: bool = False, batch_size: int = 16) -> np.ndarray:
        """Pose maps (T, S, S, 3) uint8 at cfg.size -> frames (T, S, S, 3) uint8.

        Temporal consistency: every frame starts from the SAME initial noise. With `prev_frame` each frame is also
        conditioned on the previous generated frame's latent (frame 0 on none), so frames are made one by one;
        without it frames are independent and are denoised `batch_size` at a time."""
        from ...progress import progress_bar

        device = next(self.unet.parameters()).device
        dtype = next(self.unet.parameters()).dtype
        h = self.cfg.size // self.factor
        gen = torch.Generator("cpu").manual_seed(seed)
        noise0 = torch.randn(1, self.latent_channels, h, h, generator=gen).to(device, dtype)
        noise0 = noise0 * self.make_sampler(sampler).init_noise_sigma
        step = 1 if self.cfg.prev_frame else max(1, batch_size)
        prev, out = None, []
        bar = progress_bar(total=len(posemaps), desc="diffusion", unit="frame", disable=not progress)
        for start in range(0, len(posemaps), step):
            pm = torch.from_numpy(posemaps[start : start + step]).to(device, dtype).permute(0, 3, 1, 2) / 255.0
            n = len(pm)
            z = noise0.expand(n, -1, -1, -1).clone()
            signer_t = torch.full((n,), signer, device=device, dtype=torch.long)
            sched = self.make_sampler(sampler)  # multistep solvers keep state: one fresh scheduler per frame (batch)
            sched.set_timesteps(steps or self.cfg.steps, device=device)
            for t in sched.timesteps:
                zin = sched.scale_model_input(z, t)
                z = sched.step(self.eps(zin, t[None].to(device), pm, prev, signer_t), t, z).prev_sample
            prev = z  # read by `eps` only with prev_frame, where batches are single frames
            img = self.decode(z).float().permute(0, 2, 3, 1).cpu().numpy()
            out.append(((img + 1) * 127.5).round().clip(0, 255).astype(np.uint8))
            bar.update(n)
        bar.close()
        return np.concatenate(out)

    # ---- persistence --------------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        from diffusers import DDIMScheduler
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.vae.save_pretrained(directory / "vae")
        self.unet.save_pretrained(directory / "unet")
        if self.controlnet is not None:
            self.controlnet.save_pretrained(directory / "controlnet")
        DDIMScheduler.from_config(self.scheduler_config).save_pretrained(directory / "scheduler")
        save_file({"weight": self.signer.weight.detach().cpu().contiguous()}, str(directory / "signer.safetensors"))
        write_config(directory, type(self).__name__, self.cfg)
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | None = None) -> "RendererModel":
        from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
        from safetensors.torch import load_file

        directory = Path(directory)
        cfg = read_config(directory, cls.__name__, RendererConfig, "diffusion renderer")
        parts = ["vae", "unet", "scheduler"] + (["controlnet"] if cfg.pose_input == "controlnet" else [])
        for part in parts:
            if not (directory / part).is_dir():
                raise SigngenError(f"{directory}: renderer part {part}/ is missing; re-save or retrain the renderer")
        if not (directory / "signer.safetensors").exists():
            raise SigngenError(f"{directory}: signer.safetensors is missing; re-save or retrain the renderer")
        try:
            vae = AutoencoderKL.from_pretrained(directory / "vae")
            unet = UNet2DConditionModel.from_pretrained(directory / "unet")
            controlnet = ControlNetModel.from_pretrained(directory / "controlnet") if cfg.pose_input == "controlnet" else None
            sched = DDIMScheduler.from_pretrained(directory / "scheduler")
            weight = load_file(str(directory / "signer.safetensors"))["weight"]
        except (OSError, ValueError, RuntimeError, KeyError) as e:
            raise SigngenError(f"{directory}: unreadable renderer part ({str(e).splitlines()[0][:120]}); retrain or re-copy it") from None
        model = cls(cfg, vae, unet, controlnet, dict(sched.config))
        if weight.shape != model.signer.weight.shape:
            raise SigngenError(f"{directory}: signer.safetensors has shape {tuple(weight.shape)}, config expects {tuple(model.signer.weight.shape)}")
        model.signer.weight.data.copy_(weight)
        expect = unet_in_channels(cfg, model.latent_channels, model.factor)
        if unet.config.in_channels != expect:
            raise SigngenError(f"{directory}: unet takes {unet.config.in_channels} channels but the config needs {expect}; retrain it")
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        return model.to(device).eval()
