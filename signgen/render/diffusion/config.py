"""Config of the latent diffusion renderer (stored in the model directory's `config.json`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VAEConfig:
    """A small AutoencoderKL trained from scratch (ignored when a --base-model's vae/ is used)."""

    block_out_channels: list[int] = field(default_factory=lambda: [32, 64, 64])  # downsampling 2**(len-1)
    layers_per_block: int = 1
    latent_channels: int = 4
    kl_weight: float = 1e-6


@dataclass
class UNetConfig:
    """UNet2DConditionModel size from scratch (ignored when a --base-model's unet/ is used)."""

    block_out_channels: list[int] = field(default_factory=lambda: [64, 128, 128])
    down_block_types: list[str] = field(default_factory=lambda: ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"])
    up_block_types: list[str] = field(default_factory=lambda: ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"])
    layers_per_block: int = 1
    cross_attention_dim: int = 64
    attention_head_dim: int = 8
    norm_num_groups: int = 16


@dataclass
class RendererConfig:
    size: int = 64  # training resolution; rendering at another --size resizes the output
    vae: VAEConfig = field(default_factory=VAEConfig)
    unet: UNetConfig = field(default_factory=UNetConfig)
    # How the OpenPose-style pose map enters: "concat" (space-to-depth to the latent grid, concatenated to the
    # UNet input; the from-scratch default) or "controlnet" (a ControlNetModel reads the full-resolution map).
    pose_input: str = "concat"
    signers: list[str] = field(default_factory=lambda: ["0"])  # learned signer embeddings, by name
    signer_tokens: int = 4  # cross-attention tokens per signer
    # What the training frames showed (set from clips.csv): "body" frames, and "closeup" when it also learned to
    # draw the hand close-up (`signgen data frames --close-ups`); only then does the renderer add a close-up.
    views: list[str] = field(default_factory=lambda: ["body"])
    # Cross-frame mechanism: the previous frame's latent is concatenated to the UNet input (autoregressive).
    prev_frame: bool = True
    prev_noise: float = 0.1  # std of noise added to the previous-frame latent during training
    prev_drop: float = 0.2  # fraction of training samples with no previous frame (how frame 0 is made)
    sampler: str = "ddim"  # ddim | unipc
    steps: int = 20
    num_train_timesteps: int = 1000
