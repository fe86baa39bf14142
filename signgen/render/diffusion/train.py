"""`signgen train renderer --frames DIR`: from scratch (VAE phase, then diffusion) or fine-tuned from local
Stable Diffusion 1.5 (`--base-model`, diffusers layout) and OpenPose ControlNet (`--controlnet`) directories.
Both phases run on the shared loop (`signgen.train.run`): Accelerate, EMA, checkpoints, resume, progress."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...corpus import hash_seed
from ...errors import SigngenError
from ...train import TrainConfig, Task, run
from ..framesdir import VIEWS, load_clip, read_clips
from ..posemap import draw_posemap
from .config import RendererConfig
from .model import RendererModel, build_unet, build_vae, default_scheduler_config, expand_conv_in, unet_in_channels


@dataclass
class RendererTrainConfig:
    model: RendererConfig = field(default_factory=RendererConfig)
    vae_train: TrainConfig = field(default_factory=lambda: TrainConfig(steps=1000, batch_size=16, lr=1e-3, warmup=50))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(steps=4000, batch_size=16, lr=5e-4, warmup=100))
    val_frames: int = 8  # frames of one val clip sampled into each sample grid
    max_frames_per_clip: int = 0  # 0 = all
    # train on these views of the frames directory only (empty: every view it has). `views=[closeup]` trains a
    # close-up renderer, which draws the hand close-up when placed in a body renderer's `closeup/` directory.
    views: list[str] = field(default_factory=list)


class PairData:
    """All (frame, pose) pairs of a split in memory; images as uint8, pose maps drawn on demand."""

    def __init__(self, root: Path, split: str, size: int, signers: list[str], max_frames: int = 0,
                 views: list[str] | None = None):
        clips = [c for c in read_clips(root) if c.split == split and (not views or c.view in views)]
        self.frames, self.x, self.mask, self.signer, self.first = [], [], [], [], []
        for c in clips:
            f, x, m = load_clip(root, c, size)
            if max_frames:
                f, x, m = f[:max_frames], x[:max_frames], m[:max_frames]
            self.first += [True] + [False] * (len(f) - 1)
            self.frames.append(f), self.x.append(x), self.mask.append(m)
            self.signer += [signers.index(c.signer)] * len(f)
        self.clips = clips
        self.size = size
        if self.frames:
            self.frames, self.x, self.mask = np.concatenate(self.frames), np.concatenate(self.x), np.concatenate(self.mask)
        self.first, self.signer = np.array(self.first, bool), np.array(self.signer, np.int64)

    def __len__(self) -> int:
        return len(self.first)

    def images(self, idx) -> torch.Tensor:
        return torch.from_numpy(self.frames[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1  # (B, 3, H, W) in [-1, 1]

    def posemaps(self, idx) -> torch.Tensor:
        pm = np.stack([draw_posemap(self.x[i], self.mask[i], self.size) for i in idx])
        return torch.from_numpy(pm).permute(0, 3, 1, 2).float() / 255


class VAELoss(torch.nn.Module):
    def __init__(self, vae, kl_weight: float):
        super().__init__()
        self.vae, self.kl_weight = vae, kl_weight

    def forward(self, batch):
        post = self.vae.encode(batch["image"]).latent_dist
        rec = self.vae.decode(post.sample()).sample
        mse = F.mse_loss(rec, batch["image"])
        kl = post.kl().mean()
        return mse + self.kl_weight * kl, {"loss": mse.item(), "kl": kl.item()}


def _load_part(cls, path: Path, what: str):
    if not path.is_dir():
        raise SigngenError(f"{path}: {what} directory not found; pass a diffusers-layout directory")
    try:
        return cls.from_pretrained(path)
    except (OSError, ValueError, RuntimeError) as e:
        raise SigngenError(f"{path}: cannot load {what} ({str(e).splitlines()[0][:120]}); check the directory") from None


def _train_vae(train: PairData, val: PairData, cfg: RendererTrainConfig, out: Path, progress: bool):
    from diffusers import AutoencoderKL

    final = out / "vae" / "model"
    if (final / "config.json").exists():
        return AutoencoderKL.from_pretrained(final)
    vae = build_vae(cfg.model)
    vae.requires_grad_(True)
    tc = cfg.vae_train

    def batch(step, rank):
        rng = np.random.default_rng(hash_seed(tc.seed, "vae", step, rank))
        return {"image": train.images(rng.integers(0, len(train), tc.batch_size))}

    def validate(raw, o, step):
        from ...video import contact_sheet

        idx = np.linspace(0, len(val) - 1, min(8, len(val))).round().astype(int)
        with torch.no_grad():
            img = val.images(idx).to(next(raw.parameters()).device)
            rec = raw.vae.decode(raw.vae.encode(img).latent_dist.mean).sample.clamp(-1, 1)
        mse = F.mse_loss(rec, img).item()
        both = torch.cat([img, rec], 3).permute(0, 2, 3, 1).cpu().numpy()
        (o / "samples").mkdir(exist_ok=True)
        contact_sheet(((both + 1) * 127.5).round().clip(0, 255).astype(np.uint8), o / "samples" / f"vae-{step:07d}.png",
                      count=len(idx), columns=4, title="target | VAE reconstruction")
        return {"val_loss": mse, "val_psnr": 10 * np.log10(4 / max(mse, 1e-10))}

    def save(raw, d):
        raw.vae.save_pretrained(d)

    task = Task(VAELoss(vae, cfg.model.vae.kl_weight), batch, validate, save, {"stage": "renderer-vae", **asdict(cfg)})
    run(task, tc, out / "vae", progress=progress)
    return AutoencoderKL.from_pretrained(final)


@torch.no_grad()
def _encode_all(model: RendererModel, data: PairData, progress: bool) -> torch.Tensor:
    from ...progress import progress_bar

    out = []
    for s in progress_bar(range(0, len(data), 64), desc="encode", unit="batch", disable=not progress):
        out.append(model.vae.encode(data.images(np.arange(s, min(len(data), s + 64)))).latent_dist.mean)
    return torch.cat(out)


def train_renderer(frames_dir: str | Path, cfg: RendererTrainConfig, out_dir: str | Path, base_model: str | Path | None = None,
                   controlnet: str | Path | None = None, progress: bool = True) -> Path:
    from diffusers import AutoencoderKL, ControlNetModel, DDPMScheduler, UNet2DConditionModel

    from ...video import contact_sheet

    frames_dir, out = Path(frames_dir), Path(out_dir)
    mcfg = cfg.model
    if mcfg.size % 8:
        raise SigngenError(f"model.size={mcfg.size}: must be a multiple of 8")
    unknown = [v for v in cfg.views if v not in VIEWS]
    if unknown:
        raise SigngenError(f"views={cfg.views}: {unknown[0]!r} is not a view; choose from {', '.join(VIEWS)}")
    clips = [c for c in read_clips(frames_dir) if not cfg.views or c.view in cfg.views]
    if not clips:
        raise SigngenError(f"{frames_dir}/clips.csv: no clips of view {', '.join(cfg.views)}; make them with "
                           "`signgen data frames --close-ups` or drop the views= override")
    mcfg.signers = sorted({c.signer for c in clips})
    mcfg.views = [v for v in VIEWS if any(c.view == v for c in clips)]
    train = PairData(frames_dir, "train", mcfg.size, mcfg.signers, cfg.max_frames_per_clip, mcfg.views)
    val = PairData(frames_dir, "val", mcfg.size, mcfg.signers, cfg.max_frames_per_clip, mcfg.views)
    if len(train) == 0:
        raise SigngenError(f"{frames_dir}/clips.csv: no clips with split=train")
    if len(val) == 0:
        val = train
    torch.manual_seed(cfg.train.seed)
    if controlnet is not None:
        mcfg.pose_input = "controlnet"
    sched_cfg = default_scheduler_config(mcfg.num_train_timesteps)
    if base_model is not None:
        base = Path(base_model)
        vae = _load_part(AutoencoderKL, base / "vae", "base model vae")
        unet = _load_part(UNet2DConditionModel, base / "unet", "base model unet")
        if (base / "scheduler" / "scheduler_config.json").exists():
            sched_cfg = dict(DDPMScheduler.from_pretrained(base / "scheduler").config)
        unet = expand_conv_in(unet, unet_in_channels(mcfg, vae.config.latent_channels, 2 ** (len(vae.config.block_out_channels) - 1)))
    else:
        vae = _train_vae(train, val, cfg, out, progress)
        unet = None
    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    if mcfg.size % factor:
        raise SigngenError(f"model.size={mcfg.size}: must be a multiple of the VAE's downsampling factor {factor}")
    if unet is None:
        unet = build_unet(mcfg, vae.config.latent_channels, factor)
    cn = None
    if controlnet is not None:
        cn = _load_part(ControlNetModel, Path(controlnet), "controlnet")
    elif mcfg.pose_input == "controlnet":
        cn = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(16, 32, 64, 128)[: int(np.log2(factor)) + 1])
    model = RendererModel(mcfg, vae, unet, cn, sched_cfg)
    if base_model is None:  # scale latents to unit variance (what SD's 0.18215 does for its VAE)
        probe = _encode_all(model, train, False) if len(train) <= 512 else _encode_all_subset(model, train)
        model.vae.register_to_config(scaling_factor=float(1.0 / probe.std()))
    latents = _encode_all(model, train, progress) * model.scale
    val_latents = _encode_all(model, val, False) * model.scale
    tc = cfg.train

    def batch(step, rank):
        rng = np.random.default_rng(hash_seed(tc.seed, "diffusion", step, rank))
        idx = rng.integers(0, len(train), tc.batch_size)
        prev = latents[np.maximum(idx - 1, 0)].clone()
        none = torch.from_numpy(train.first[idx] | (rng.random(len(idx)) < mcfg.prev_drop))
        prev = prev + mcfg.prev_noise * torch.from_numpy(rng.standard_normal(prev.shape).astype(np.float32))
        prev[none] = 0
        return {"latent": latents[idx], "posemap": train.posemaps(idx), "prev": prev,
                "signer": torch.from_numpy(train.signer[idx])}

    def validate(raw: RendererModel, o: Path, step: int) -> dict:
        device = next(raw.unet.parameters()).device
        idx = np.arange(min(len(val), 32))
        b = {"latent": val_latents[idx], "posemap": val.posemaps(idx),
             "prev": torch.cat([torch.zeros_like(val_latents[:1]), val_latents[idx[:-1]]]),
             "signer": torch.from_numpy(val.signer[idx])}
        b["prev"][torch.from_numpy(val.first[idx])] = 0
        with torch.no_grad():
            torch.manual_seed(0)
            loss = raw({k: v.to(device) for k, v in b.items()})[0].item()
        n = min(cfg.val_frames, int(np.flatnonzero(val.first)[1]) if val.first.sum() > 1 else len(val))
        pm = np.stack([draw_posemap(val.x[i], val.mask[i], val.size) for i in range(n)])
        gen = raw.sample_clip(pm, signer=int(val.signer[0]), seed=0)
        target = val.frames[:n]
        mse = float(np.mean((gen.astype(np.float32) - target) ** 2)) / 255**2
        (o / "samples").mkdir(exist_ok=True)
        grid = np.concatenate([pm, target, gen], 1)  # rows: pose map / target / generated
        contact_sheet(grid, o / "samples" / f"step-{step:07d}.png", count=n, columns=n, title="pose map | target | generated")
        return {"val_loss": loss, "val_psnr": 10 * np.log10(1 / max(mse, 1e-10))}

    def save(raw: RendererModel, d: Path):
        raw.save_pretrained(d)

    run_config = {"stage": "renderer", "frames": str(frames_dir.resolve()), "base_model": str(base_model) if base_model else None,
                  "controlnet": str(controlnet) if controlnet else None, **asdict(cfg)}
    return run(Task(model, batch, validate, save, run_config), tc, out, progress=progress)


def _encode_all_subset(model: RendererModel, data: PairData) -> torch.Tensor:
    idx = np.linspace(0, len(data) - 1, 512).round().astype(int)
    with torch.no_grad():
        return model.vae.encode(data.images(idx)).latent_dist.mean
