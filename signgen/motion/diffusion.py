"""Diffusion bookkeeping around the denoiser, with diffusers' schedulers (x0 / "sample" prediction).

Training noises with DDPM's forward process; sampling runs DDIM, DPM-Solver++, UniPC or DDPM, with
classifier-free guidance computed from one batched forward of the conditional and unconditional halves.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import SigngenError
from .config import DiffusionConfig, LossConfig
from .inpaint import Known, noise_known, replace, visibility
from .model import MotionModel, joint_weights

SAMPLERS = ("ddim", "dpmsolver++", "unipc", "ddpm")


def make_scheduler(cfg: DiffusionConfig, sampler: str = "ddpm"):
    from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, UniPCMultistepScheduler

    common = dict(num_train_timesteps=cfg.train_timesteps, beta_schedule=cfg.beta_schedule, prediction_type="sample")
    if sampler == "ddpm":
        return DDPMScheduler(**common, clip_sample=False)
    if sampler == "ddim":
        return DDIMScheduler(**common, clip_sample=False, set_alpha_to_one=True)
    if sampler == "dpmsolver++":
        return DPMSolverMultistepScheduler(**common, algorithm_type="dpmsolver++", solver_order=2)
    if sampler == "unipc":
        return UniPCMultistepScheduler(**common)
    raise SigngenError(f"unknown sampler {sampler!r}: choose one of {SAMPLERS}")


def masked_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return (values * weights).sum() / weights.sum().clamp(min=1e-8)


def training_loss(
    model: MotionModel, scheduler, batch: dict, loss_cfg: LossConfig, diffusion_cfg: DiffusionConfig, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, dict]:
    """One denoising step's loss. batch: x0 (B,T,J,3) normalized, joint_mask (B,T,J), frame_mask (B,T), texts, langs;
    for letter_durations models also durations (B, L) frames per text token, 0 where the corpus has no timing."""
    x0, joint_mask, frame_mask = batch["x0"], batch["joint_mask"], batch["frame_mask"]
    b, device = x0.shape[0], x0.device
    t = torch.randint(0, scheduler.config.num_train_timesteps, (b,), device=device, generator=generator)
    noise = torch.randn(x0.shape, device=device, generator=generator)
    x_t = scheduler.add_noise(x0, noise, t) * frame_mask[..., None, None]

    cond = model.encode_text(batch["texts"], batch["langs"])
    log_frames = model.predict_log_frames(cond)  # duration from the full condition, never dropped
    positions, token_dur = None, torch.zeros((), device=device)
    if model.cfg.letter_durations:
        positions, target, timed = model.corpus_positions(batch["durations"], cond["mask"], frame_mask)
        token_err = (model.predict_token_frames(cond) - torch.log(target.clamp(min=0.5))).abs()
        token_dur = masked_mean(token_err, timed.float())
    drop = torch.rand(b, device=device, generator=generator) < diffusion_cfg.cond_drop
    x0_hat, vis_logits = model(x_t, t, model.drop_condition(cond, drop), frame_mask, positions)

    w_joint = joint_weights(x0.shape[2], loss_cfg.hands, loss_cfg.location).to(device)  # (J,)
    valid = (joint_mask & frame_mask[..., None]).float() * w_joint  # (B,T,J)
    recon_err = ((x0_hat - x0) ** 2).mean(-1)
    vel_err = (((x0_hat[:, 1:] - x0_hat[:, :-1]) - (x0[:, 1:] - x0[:, :-1])) ** 2).mean(-1)
    if diffusion_cfg.prediction == "v":  # the error of F (the v target), |x̂0 − x0|² / (1 − ᾱ_t): every noise level counts alike
        w = (1 / (1 - model.alphas_cumprod[t]).clamp(min=1e-4))[:, None, None]
        recon_err, vel_err = recon_err * w, vel_err * w
    recon = masked_mean(recon_err, valid)
    vel_valid = valid[:, 1:] * valid[:, :-1].bool().float()
    vel = masked_mean(vel_err, vel_valid)
    frame_w = frame_mask[..., None].float().expand_as(vis_logits)
    vis = masked_mean(F.binary_cross_entropy_with_logits(vis_logits, joint_mask.float(), reduction="none"), frame_w)
    dur = (log_frames - torch.log(frame_mask.sum(1).float())).abs().mean()
    loss = loss_cfg.recon * recon + loss_cfg.velocity * vel + loss_cfg.visibility * vis + loss_cfg.duration * (dur + token_dur)
    logs = {"loss": loss.item(), "recon": recon.item(), "velocity": vel.item(), "visibility": vis.item(), "duration": dur.item()}
    if model.cfg.letter_durations:
        logs["letter_duration"] = token_dur.item()
    return loss, logs


def predict_frames(model: MotionModel, cond: dict) -> tuple[list[int], torch.Tensor | None]:
    """The model's own timing: frames per sequence (rounded, within 8..max_frames) and, for letter_durations
    models, relative frames per text token (B, L; 0 on padding), which `sample` spreads over the frames."""
    total, per_token = model.predict_frames(cond)
    return total.round().clamp(8, model.cfg.denoiser.max_frames).long().tolist(), per_token


@torch.no_grad()
def sample(
    model: MotionModel,
    texts: list[str],
    langs: list[str],
    frames: list[int] | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    seed: int = 0,
    known: Known | None = None,
    token_frames: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Generate normalized poses. Returns x0 (B,T,J,3), visibility probabilities (B,T,J), frame_mask (B,T).

    `known` (inpainting, `motion.inpaint`): values held at every step, in the model's normalized representation;
    give `frames` with it so that the sequence lengths match the known values. `token_frames` (B, L): frames per
    text token to place the alignment prior by, instead of the model's prediction (letter_durations models)."""
    cfg = model.cfg.diffusion
    steps = steps or cfg.steps
    guidance = cfg.guidance if guidance is None else guidance
    sampler = sampler or cfg.sampler
    scheduler = make_scheduler(cfg, sampler)
    device = next(model.parameters()).device
    b = len(texts)
    model.text_encoder.check(texts)
    cond = model.encode_text(texts, langs)
    predicted, per_token = predict_frames(model, cond)
    if token_frames is not None and per_token is not None:
        per_token = token_frames.to(per_token) * cond["mask"]
    frames = frames or predicted
    length = max(frames)
    frame_mask = torch.arange(length, device=device)[None] < torch.tensor(frames, device=device)[:, None]
    # letters keep their predicted shares of the sequence, also when --frames stretches or squeezes it
    positions = None if per_token is None else model.token_positions(per_token, cond["mask"], frame_mask)
    uncond = model.drop_condition(cond, torch.ones(b, dtype=torch.bool, device=device))
    both = {k: torch.cat([cond[k], uncond[k]]) for k in cond} if guidance != 1.0 else cond
    mask2 = torch.cat([frame_mask, frame_mask]) if guidance != 1.0 else frame_mask
    if positions is not None and guidance != 1.0:
        positions = torch.cat([positions, positions])

    generator = torch.Generator(device="cpu").manual_seed(seed)
    x = torch.randn((b, length, model.cfg.joints, 3), generator=generator).to(device) * scheduler.init_noise_sigma
    if known is not None:
        known = known.fit(length).to(device)
        # one noise draw for the known values, reused at every step (a deterministic path, as DDIM's)
        known_noise = torch.randn(x.shape, generator=generator).to(device)
    scheduler.set_timesteps(steps, device=device)
    vis = None
    for t in scheduler.timesteps:
        if known is not None:
            x = noise_known(scheduler, x, known, known_noise, t)
        x_in = scheduler.scale_model_input(x, t) * frame_mask[..., None, None]
        if guidance != 1.0:
            x0_both, vis_both = model(torch.cat([x_in, x_in]), t.expand(2 * b), both, mask2, positions)
            x0_c, x0_u = x0_both.chunk(2)
            x0 = x0_u + guidance * (x0_c - x0_u)
            vis = vis_both[:b]
        else:
            x0, vis = model(x_in, t.expand(b), both, mask2, positions)
        if known is not None:
            x0 = replace(x0, known)
        extra = {"generator": generator} if sampler == "ddpm" else {}
        x = scheduler.step(x0, t, x, **extra).prev_sample
    vis = torch.sigmoid(vis)
    if known is not None:  # the last step lands on x0; make the held part exact
        x, vis = replace(x, known), visibility(vis, known)
    return x * frame_mask[..., None, None], vis, frame_mask
