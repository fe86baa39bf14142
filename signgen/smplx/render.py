"""Render a fitted SMPL-X mesh to frames on the CPU: no GPU, no system OpenGL, only Pillow.

Flat-shaded triangles, back faces culled, drawn far to near (painter's algorithm) with Pillow's polygon
fill at 2x resolution, then downsampled (anti-aliasing). Orthographic camera in front of the body (+z),
framing the upper body over the whole clip (legs are not observed by the keypoints and stay out of frame).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import SigngenError

_SKIN = np.array([196, 160, 136], np.float32)  # base colour
_LIGHT = np.array([0.3, 0.4, 1.0]) / np.linalg.norm([0.3, 0.4, 1.0])
_UPPER_BODY_PARTS = (0, 3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24) + tuple(range(25, 55))


def mesh_vertices(params: dict, model_dir: str | Path, batch: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posed vertices (T, V, 3) in metres, faces (F, 3), and each vertex's main joint (V,)."""
    import torch

    from .fit import POSE_KEYS
    from .model import KeypointModel, load_smplx

    gender = str(params.get("gender", "neutral"))
    betas = np.asarray(params["betas"], np.float32).reshape(-1)
    expr = np.asarray(params["expression"], np.float32)
    model = load_smplx(model_dir, gender, 1, num_betas=len(betas), num_expression=expr.shape[1])
    if model.num_betas != len(betas) or model.num_expression_coeffs != expr.shape[1]:
        raise SigngenError(f"{model_dir}: the model has {model.num_betas} betas / {model.num_expression_coeffs} expressions, "
                           f"the fit {len(betas)} / {expr.shape[1]}; use the model file the fit was made with")
    km = KeypointModel(model)
    T = len(params["transl"])
    out = []
    with torch.no_grad():
        for c0 in range(0, T, batch):
            p = {k: torch.as_tensor(np.asarray(params[k], np.float32)[c0 : c0 + batch]) for k in POSE_KEYS}
            out.append(km.vertices(p, torch.as_tensor(betas)[None]).numpy())
    faces = model.faces_tensor.numpy()
    owner = model.lbs_weights.argmax(1).numpy()
    return np.concatenate(out), faces, owner


def rasterize(verts: np.ndarray, faces: np.ndarray, box: tuple[float, float, float], size: int,
              supersample: int = 2) -> np.ndarray:
    """One frame: verts (V, 3) world (y up, camera on +z looking at -z); box = (cx, cy, half) of the view."""
    from PIL import Image, ImageDraw

    cx, cy, half = box
    s = size * supersample
    uv = np.empty((len(verts), 2))
    uv[:, 0] = (verts[:, 0] - cx) / half * 0.5 * s + 0.5 * s
    uv[:, 1] = (cy - verts[:, 1]) / half * 0.5 * s + 0.5 * s
    tri = verts[faces]  # (F, 3, 3)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normal, axis=1)
    front = (normal[:, 2] > 0) & (length > 0)
    shade = np.clip(normal[front] @ _LIGHT / length[front], 0, 1)
    colour = np.clip(_SKIN * (0.35 + 0.65 * shade[:, None]), 0, 255).astype(np.uint8)
    order = np.argsort(tri[front, :, 2].mean(1))  # far (small z) first
    pts = uv[faces[front]][order]  # (F', 3, 2)
    colour = colour[order]
    img = Image.new("RGB", (s, s), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for poly, c in zip(pts.tolist(), map(tuple, colour.tolist())):
        draw.polygon([tuple(q) for q in poly], fill=c)
    if supersample > 1:
        img = img.resize((size, size), Image.LANCZOS)
    return np.asarray(img)


def view_box(verts: np.ndarray, owner: np.ndarray, margin: float = 0.08) -> tuple[float, float, float]:
    """A fixed square view (cx, cy, half size) holding the upper body in every frame."""
    upper = np.isin(owner, _UPPER_BODY_PARTS)
    v = verts[:, upper]
    lo, hi = v[..., :2].min((0, 1)), v[..., :2].max((0, 1))
    centre = (lo + hi) / 2
    half = (hi - lo).max() / 2 * (1 + margin)
    return float(centre[0]), float(centre[1]), float(max(half, 1e-3))


def render_mesh(fit_npz_or_params, model_dir: str | Path, size: int = 256, progress: bool = False) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 of the fitted mesh; `fit_npz_or_params` is a `signgen smplx fit` npz or its dict."""
    from ..progress import progress_bar
    from ..render import check_size

    from .fit import load_fit

    check_size(size)
    params = load_fit(fit_npz_or_params) if isinstance(fit_npz_or_params, (str, Path)) else fit_npz_or_params
    verts, faces, owner = mesh_vertices(params, model_dir)
    box = view_box(verts, owner)
    frames = [rasterize(v, faces, box, size) for v in progress_bar(verts, desc="mesh render", unit="frame", disable=not progress)]
    return np.stack(frames)
