"""Video quality metrics for rendered frames against target frames: SSIM, PSNR, temporal flicker, and FID
when the user supplies a local Inception feature extractor (never downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import SigngenError


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004, scikit-image) over frames of two (T, H, W, 3) uint8 videos."""
    return float(ssim_per_frame(a, b).mean())


def ssim_per_frame(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SSIM of each frame pair of two (T, H, W, 3) uint8 videos."""
    from skimage.metrics import structural_similarity

    return np.array([structural_similarity(x, y, channel_axis=-1, data_range=255) for x, y in zip(a, b)])


def drift(a: np.ndarray, b: np.ndarray) -> float:
    """How much worse the last quarter of a clip is than the whole clip: mean SSIM over all frames minus mean
    SSIM over the last quarter (0 for a renderer whose quality holds; > 0 when errors compound)."""
    per = ssim_per_frame(a, b)
    return float(per.mean() - per[-max(1, len(per) // 4):].mean())


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB over all pixels of two uint8 videos."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def flicker(frames: np.ndarray) -> float:
    """Mean absolute change between consecutive frames, in [0, 1] intensity units (0 for a still video)."""
    if len(frames) < 2:
        return 0.0
    f = frames.astype(np.float32) / 255
    return float(np.abs(np.diff(f, axis=0)).mean())


def excess_flicker(frames: np.ndarray, target: np.ndarray) -> float:
    """Temporal-difference error: mean |(g_t - g_{t-1}) - (r_t - r_{t-1})|. Motion the target also has does not
    count; frame-to-frame changes the target does not have (flicker, popping) do."""
    if len(frames) < 2:
        return 0.0
    g, r = frames.astype(np.float32) / 255, target.astype(np.float32) / 255
    return float(np.abs(np.diff(g, axis=0) - np.diff(r, axis=0)).mean())


def fid(frames: np.ndarray, target: np.ndarray, weights: str | Path) -> float:
    """Fréchet distance of Inception pool features (Heusel et al. 2017). `weights`: a local TorchScript Inception
    that maps (B, 3, 299, 299) uint8-valued float images to (B, 2048) features, e.g. the
    `inception-2015-12-05.pt` used by StyleGAN/clean-fid. Few frames make a noisy estimate."""
    import torch
    import torch.nn.functional as F
    from scipy import linalg

    path = Path(weights)
    if not path.is_file():
        raise SigngenError(f"{path}: Inception weights not found; pass a local TorchScript file (nothing is downloaded)")
    try:
        net = torch.jit.load(str(path), map_location="cpu").eval()
    except RuntimeError:
        raise SigngenError(f"{path}: not a TorchScript feature extractor; see docs/renderer.md") from None

    def feats(v):
        out = []
        with torch.no_grad():
            for s in range(0, len(v), 16):
                x = torch.from_numpy(v[s : s + 16]).permute(0, 3, 1, 2).float()
                x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
                try:
                    y = net(x, return_features=True)
                except (RuntimeError, TypeError):
                    y = net(x)
                out.append(y.reshape(len(x), -1).double().numpy())
        return np.concatenate(out)

    f1, f2 = feats(frames), feats(target)
    m1, m2 = f1.mean(0), f2.mean(0)
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = linalg.sqrtm(np.atleast_2d(c1) @ np.atleast_2d(c2))
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((m1 - m2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean))
