"""Fit SMPL-X (body, hands, jaw, expression, shape) to canonical 3D keypoints, and the SMPL-X npz layout.

Two stages, both L-BFGS (or Adam) on torch through the `smplx` forward model:
1. shape: `chunk` key frames spread over the clip fix the shared body shape (betas) and the scale between
   canonical units (mean shoulder width 1) and metres; a rigid warm-up (orientation, translation, scale on
   the torso points) comes first.
2. track: the clip in chunks of `chunk` frames, in order; each chunk starts from the previous frame's
   solution (warm start) and is tied to it by the smoothness term.
Loss = masked squared keypoint error in canonical units (body, hands, face weighted) + temporal smoothness
of the fitted points + L2 pose priors (legs and spine held near rest; hands pulled to the model's mean hand;
jaw, expression and betas toward zero). Missing joints (mask False) only drop out of the data term.

Coordinates: canonical (x right, y down, z away from the camera) maps to SMPL-X world (y up, the body
facing +z) by `world = diag(1, -1, -1) * canonical * scale`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SigngenError
from .model import GENDERS, KeypointModel, correspondence, find_model_file, load_smplx

FLIP = (1.0, -1.0, -1.0)
POSE_KEYS = ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "jaw_pose", "leye_pose", "reye_pose",
             "expression", "transl")
_DIMS = {"global_orient": 3, "body_pose": 63, "left_hand_pose": 45, "right_hand_pose": 45, "jaw_pose": 3,
         "leye_pose": 3, "reye_pose": 3, "transl": 3}
# body_pose joints (SMPL-X joint i is body_pose[3(i-1):3i]) the keypoints do not see: legs, feet, spine
_UNSEEN = (1, 2, 4, 5, 7, 8, 10, 11)
_SPINE = (3, 6, 9, 13, 14)


@dataclass
class FitWeights:
    body: float = 1.0  # data term weights per part (canonical units squared)
    hands: float = 1.0
    face: float = 0.5
    smooth: float = 0.5  # squared acceleration of the fitted points (canonical units per frame^2)
    prior_body: float = 1e-3  # L2 on seen body joints (shoulders, elbows, wrists, neck, head)
    prior_unseen: float = 1.0  # L2 on legs and feet
    prior_spine: float = 1.0  # L2 on spine and collars (trade shoulder width against scale if free)
    prior_hands: float = 1e-4  # L2 to the model's mean hand
    prior_jaw: float = 1e-3
    prior_expression: float = 1e-3
    prior_betas: float = 1e-2


@dataclass
class SmplxFitConfig:
    gender: str = "neutral"  # which SMPLX_<GENDER>.npz
    num_betas: int = 10
    num_expression: int = 10
    fit_expression: bool = True  # else expression stays 0
    chunk: int = 32  # frames optimised together (also the number of shape key frames)
    rigid_iters: int = 60
    shape_iters: int = 300
    iters: int = 120  # per chunk
    lr: float = 0.03  # Adam step size (L-BFGS uses its line search)
    optimizer: str = "lbfgs"  # lbfgs (strong Wolfe line search; max_iter = the counts above) | adam
    weights: FitWeights = field(default_factory=FitWeights)


class _Fitter:
    def __init__(self, model_dir: str | Path, cfg: SmplxFitConfig):
        import torch

        if cfg.gender not in GENDERS:
            raise SigngenError(f"gender={cfg.gender}: choose one of {list(GENDERS)}")
        if cfg.chunk < 2:
            raise SigngenError(f"chunk={cfg.chunk}: choose at least 2 frames")
        if cfg.optimizer not in ("adam", "lbfgs"):
            raise SigngenError(f"optimizer={cfg.optimizer}: choose adam or lbfgs")
        self.cfg = cfg
        self.model_path = find_model_file(model_dir, cfg.gender)
        self.km = KeypointModel(load_smplx(self.model_path, cfg.gender, 1, cfg.num_betas, cfg.num_expression))
        self.num_betas, self.num_expression = self.km.num_betas, self.km.num_expression
        src, dst, part = correspondence()
        self.src, self.dst, self.part = src, torch.as_tensor(dst), part
        w = cfg.weights
        self.part_w = torch.as_tensor(np.array([w.body, w.hands, w.face])[part], dtype=torch.float32)
        self.torso = torch.as_tensor(np.isin(dst, [16, 17, 1, 2]), dtype=torch.float32)
        self.flip = torch.tensor(FLIP)
        prior = torch.full((21, 3), w.prior_body)
        prior[[i - 1 for i in _UNSEEN]] = w.prior_unseen
        prior[[i - 1 for i in _SPINE]] = w.prior_spine
        self.body_prior = prior.reshape(-1)
        # with flat_hand_mean smplx zeroes its copy of the mean hands; the prior's centre comes from the file
        with np.load(self.model_path) as z:
            self.hand_mean = {"left": torch.as_tensor(z["hands_meanl"], dtype=torch.float32).reshape(-1),
                              "right": torch.as_tensor(z["hands_meanr"], dtype=torch.float32).reshape(-1)}

    def initial(self, n: int) -> dict:
        """Rest pose with the arms lowered (A-pose) and the mean hands: a start the solver leaves easily."""
        import torch

        p = {k: torch.zeros(n, d) for k, d in _DIMS.items()}
        p["expression"] = torch.zeros(n, self.num_expression)
        p["body_pose"][:, 45:48] = torch.tensor([0.0, 0.0, -1.1])  # left shoulder (joint 16)
        p["body_pose"][:, 48:51] = torch.tensor([0.0, 0.0, 1.1])  # right shoulder
        p["left_hand_pose"][:] = self.hand_mean["left"]
        p["right_hand_pose"][:] = self.hand_mean["right"]
        return p

    def points(self, p: dict, betas, log_scale):
        """Fitted points in canonical units (B, K, 3)."""
        return self.km(p, betas)[:, self.dst] * self.flip / log_scale.exp()

    def loss(self, p, betas, log_scale, target, valid, prev_pts=None, rigid=False, smooth=True):
        """target (B, K, 3) canonical, valid (B, K) float; prev_pts (<=2, K, 3): the frames before this chunk."""
        import torch

        w = self.cfg.weights
        pts = self.points(p, betas, log_scale)
        m = valid * (self.torso if rigid else self.part_w)
        n = len(pts)
        data = (((pts - target) ** 2).sum(-1) * m).sum() / n  # summed over points, averaged over frames
        if rigid:
            return data
        total = data + w.prior_betas * (betas**2).sum()
        if smooth:  # squared acceleration of the fitted points (constant velocity is free)
            seq = pts if prev_pts is None else torch.cat([prev_pts, pts], 0)
            if len(seq) > 2:
                total = total + w.smooth * ((seq[2:] - 2 * seq[1:-1] + seq[:-2]) ** 2).sum(-1).mean(-1).sum() / n
        prior = ((p["body_pose"] ** 2 * self.body_prior).sum()
                 + w.prior_hands * ((p["left_hand_pose"] - self.hand_mean["left"]) ** 2).sum()
                 + w.prior_hands * ((p["right_hand_pose"] - self.hand_mean["right"]) ** 2).sum()
                 + w.prior_jaw * (p["jaw_pose"] ** 2).sum()
                 + w.prior_expression * (p["expression"] ** 2).sum()) / n
        return total + prior

    def optimise(self, p: dict, free, shared, iters: int, *args, **kw) -> None:
        import torch

        if not self.cfg.fit_expression:
            free = tuple(k for k in free if k != "expression")
        params = [p[k] for k in free] + shared
        for t in params:
            t.requires_grad_(True)
        if self.cfg.optimizer == "lbfgs":
            opt = torch.optim.LBFGS(params, lr=1.0, max_iter=iters, history_size=20, line_search_fn="strong_wolfe",
                                    tolerance_grad=1e-9, tolerance_change=1e-12)

            def closure():
                opt.zero_grad(set_to_none=True)
                loss = self.loss(p, *args, **kw)
                loss.backward()
                return loss

            opt.step(closure)
        else:
            opt = torch.optim.Adam(params, lr=self.cfg.lr)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iters, eta_min=self.cfg.lr * 0.05)
            for _ in range(iters):
                opt.zero_grad(set_to_none=True)
                self.loss(p, *args, **kw).backward()
                opt.step()
                sched.step()
        for t in params:
            t.requires_grad_(False)


_FREE = ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "jaw_pose", "expression", "transl")


def fit_smplx(x: np.ndarray, mask: np.ndarray, model_dir: str | Path, cfg: SmplxFitConfig | None = None,
              fps: float = 25.0, progress: bool = False) -> dict:
    """Fit canonical keypoints `x` (T, J, 3) with `mask` (T, J); returns the parameters in the npz layout."""
    import torch
    from ..progress import progress_bar

    cfg = cfg or SmplxFitConfig()
    f = _Fitter(model_dir, cfg)
    T, B = len(x), cfg.chunk
    if T == 0:
        raise SigngenError("pose has zero frames; nothing to fit")
    target_all = torch.as_tensor(x[:, f.src], dtype=torch.float32)  # (T, K, 3)
    valid_all = torch.as_tensor(mask[:, f.src], dtype=torch.float32)

    # stage 1: shape and scale from key frames
    keys = np.unique(np.linspace(0, T - 1, min(T, B)).round().astype(int))
    p = f.initial(len(keys))
    betas = torch.zeros(1, f.num_betas)
    log_scale = torch.zeros(1)
    sh = torch.isin(f.dst, torch.tensor([16, 17]))
    with torch.no_grad():  # scale guess: model shoulder width (metres) per canonical unit
        rest = f.points(p, betas, log_scale)[0]
        log_scale += torch.log((rest[sh][0] - rest[sh][1]).norm())
        shoulders = (target_all[keys][:, sh] * valid_all[keys][:, sh, None]).sum(1) / valid_all[keys][:, sh, None].sum(1).clamp(min=1)
        p["transl"] += (shoulders * log_scale.exp() - rest[sh].mean(0)) * f.flip  # rest: metres (scale was 1)
    args = (betas, log_scale, target_all[keys], valid_all[keys])
    f.optimise(p, ("global_orient", "transl"), [log_scale], cfg.rigid_iters, *args, rigid=True)
    f.optimise(p, _FREE, [betas, log_scale], cfg.shape_iters, *args, smooth=False)  # key frames are not adjacent

    # stage 2: track in chunks, each warm-started from the previous frame
    out = {k: np.zeros((T, v.shape[1]), np.float32) for k, v in p.items()}
    start_frame = {k: v[0].clone() for k, v in p.items()}
    prev_pts = None
    for c0 in progress_bar(range(0, T, B), desc="smplx fit", unit="chunk", disable=not progress):
        idx = np.arange(c0, min(c0 + B, T))
        p = {k: v[None].repeat(len(idx), 1) for k, v in start_frame.items()}
        f.optimise(p, _FREE, [], cfg.iters, betas, log_scale, target_all[idx], valid_all[idx], prev_pts=prev_pts)
        for k in p:
            out[k][idx] = p[k].numpy()
        start_frame = {k: v[-1].clone() for k, v in p.items()}
        with torch.no_grad():
            prev_pts = torch.cat([prev_pts, f.points(p, betas, log_scale)])[-2:] if prev_pts is not None else f.points(p, betas, log_scale)[-2:]

    result = {k: out[k] for k in POSE_KEYS}
    result["betas"] = betas[0].numpy().astype(np.float32)
    result["gender"] = cfg.gender
    result["fps"] = float(fps)
    result["canonical_scale"] = float(log_scale.exp())
    result["keypoint_error"] = keypoint_error(f, result, x, mask)
    return result


def keypoint_error(fitter_or_dir, params: dict, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-frame, per-canonical-joint Euclidean error (T, J) in canonical units; NaN where not fitted or missing."""
    pts = fitted_points(fitter_or_dir, params)
    src = correspondence()[0]
    err = np.full(mask.shape, np.nan, np.float32)
    e = np.linalg.norm(pts - x[:, src], axis=-1)
    err[:, src] = np.where(mask[:, src], e, np.nan)
    return err


def _params_to_torch(params: dict, idx=None) -> dict:
    import torch

    sl = slice(None) if idx is None else idx
    return {k: torch.as_tensor(np.asarray(params[k])[sl], dtype=torch.float32) for k in POSE_KEYS}


def fitted_points(fitter_or_dir, params: dict) -> np.ndarray:
    """The fitted keypoints (T, K, 3) in canonical units, K = the corresponding canonical joints."""
    import torch

    f = fitter_or_dir if isinstance(fitter_or_dir, _Fitter) else _Fitter(fitter_or_dir, SmplxFitConfig(gender=str(params["gender"])))
    betas = torch.as_tensor(np.asarray(params["betas"], np.float32))[None]
    log_scale = torch.log(torch.tensor([float(params["canonical_scale"])]))
    with torch.no_grad():
        return f.points(_params_to_torch(params), betas, log_scale).numpy()


# -- the npz layout ----------------------------------------------------------------------------------

def save_fit(params: dict, path: str | Path) -> Path:
    """Write the SMPL-X npz (per-parameter keys plus the AMASS-style `poses`/`trans` keys), atomically."""
    import io

    from ..pose.io import atomic_write_bytes

    T = len(params["transl"])
    poses = np.concatenate([params[k] for k in ("global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose",
                                                "left_hand_pose", "right_hand_pose")], 1)  # (T, 165)
    arrays = {k: np.asarray(params[k], np.float32) for k in POSE_KEYS + ("betas",)}
    arrays.update(
        gender=np.array(params["gender"]), fps=np.array(params["fps"], np.float32),
        poses=poses.astype(np.float32), trans=arrays["transl"], mocap_frame_rate=np.array(params["fps"], np.float32),
        surface_model_type=np.array("smplx"), flat_hand_mean=np.array(True), num_frames=np.array(T),
        canonical_scale=np.array(params["canonical_scale"], np.float32),
    )
    if "keypoint_error" in params:
        arrays["keypoint_error"] = np.asarray(params["keypoint_error"], np.float32)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def load_fit(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise SigngenError(f"{path}: no such SMPL-X fit file; make one with `signgen smplx fit`")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as e:
        raise SigngenError(f"{path}: not a readable .npz ({type(e).__name__}); re-run `signgen smplx fit`") from None
    missing = [k for k in POSE_KEYS + ("betas", "gender") if k not in data]
    if missing:
        raise SigngenError(f"{path}: not a SMPL-X parameter file (missing {missing}); re-run `signgen smplx fit`")
    data["gender"] = str(data["gender"])
    data["fps"] = float(data.get("fps", data.get("mocap_frame_rate", 25.0)))
    data["canonical_scale"] = float(data.get("canonical_scale", 1.0))
    return data


def keypoints_from_pose(path: str | Path) -> tuple[np.ndarray, np.ndarray, float]:
    """Canonical 3D keypoints (T, J, 3), mask (T, J) and fps of a `.pose`; 2D poses are refused."""
    from ..pose import canonical, pose_to_array, read_pose

    pose = read_pose(path)
    if pose.body.data.shape[-1] < 3:
        raise SigngenError(f"{path}: has {pose.body.data.shape[-1]}D points; SMPL-X fitting needs 3D keypoints "
                           "(MediaPipe Holistic or `signgen pose` output)")
    x, mask = pose_to_array(canonical(pose, str(path)), str(path))
    if not mask.any():
        raise SigngenError(f"{path}: no detected keypoints in any frame; nothing to fit")
    if np.abs(x[..., 2][mask]).max() < 1e-6:
        raise SigngenError(f"{path}: every depth (z) is 0, so the points are 2D; SMPL-X fitting needs 3D keypoints "
                           "(MediaPipe Holistic or `signgen pose` output)")
    return x, mask, float(pose.body.fps)
