"""A synthetic SMPL-X model file: same keys, shapes and joint tree as `SMPLX_<GENDER>.npz`, invented content.

The licensed SMPL-X files cannot be shipped or downloaded, so tests, benchmarks and the demo build this
stand-in: a tube-and-sphere body in metres (y up, facing +z, T-pose) with the real kinematic tree (55 joints),
10475 vertices, linear-blend skinning weights, a joint regressor that reproduces the rest joints exactly,
structured shape (height, girth, limb length) and expression (face bumps) directions, small pose correctives,
orthonormal hand PCA bases, and the 51 facial landmarks placed where the iBUG-68 layout puts them on the
face. It is NOT a human body model: use it to exercise the code, never to judge how a real signer looks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NUM_VERTICES = 10475
NUM_JOINTS = 55
NUM_SHAPE = 10  # betas
NUM_EXPR = 10

# The SMPL-X kinematic tree (parent of each of the 55 joints; -1 for the pelvis).
PARENTS = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15]
    + [20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38]
    + [21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53]
)
LEG_JOINTS = (1, 2, 4, 5, 7, 8, 10, 11)

# smplx's VertexJointSelector reads these vertices as extra joints (nose, eyes, ears, feet, finger tips).
_EXTRA_VERTEX_IDS = {
    "nose": 9120, "reye": 9929, "leye": 9448, "rear": 616, "lear": 6,
    "rthumb": 8079, "rindex": 7669, "rmiddle": 7794, "rring": 7905, "rpinky": 8022,
    "lthumb": 5361, "lindex": 4933, "lmiddle": 5058, "lring": 5169, "lpinky": 5286,
    "LBigToe": 5770, "LSmallToe": 5780, "LHeel": 8846, "RBigToe": 8463, "RSmallToe": 8474, "RHeel": 8635,
}


def _rest_joints() -> np.ndarray:
    """Rest (T-pose) joint positions in metres, pelvis at the origin; left = +x."""
    j = np.zeros((NUM_JOINTS, 3))
    left = {
        1: (0.06, -0.09, 0.0), 4: (0.11, -0.47, 0.0), 7: (0.09, -0.87, -0.04), 10: (0.12, -0.93, 0.08),
        13: (0.07, 0.44, 0.0), 16: (0.18, 0.47, -0.01), 18: (0.43, 0.46, -0.03), 20: (0.68, 0.47, -0.03),
    }
    for i, p in left.items():
        j[i] = p
        j[i + 1] = (-p[0], p[1], p[2])  # right joint = left + 1 in SMPL-X for these pairs
    j[3], j[6], j[9], j[12], j[15] = (0, 0.11, -0.01), (0, 0.24, 0.0), (0, 0.30, 0.01), (0, 0.52, -0.01), (0, 0.60, 0.0)
    head_centre = j[15] + (0, 0.08, 0.01)
    j[22] = head_centre + (0, -0.03, -0.01)  # jaw
    j[23], j[24] = head_centre + (0.032, 0.015, 0.075), head_centre + (-0.032, 0.015, 0.075)  # eyes
    # fingers (left hand; right mirrored): index 25-27, middle 28-30, pinky 31-33, ring 34-36, thumb 37-39
    bases = {25: (0.09, 0.0, 0.025), 28: (0.095, 0.0, 0.0), 31: (0.08, 0.0, -0.04), 34: (0.09, 0.0, -0.02), 37: (0.025, -0.015, 0.03)}
    steps = {25: 0.04, 28: 0.045, 31: 0.03, 34: 0.04, 37: 0.03}
    for b, off in bases.items():
        for side, wrist, shift in ((1, 20, 0), (-1, 21, 15)):
            d = np.array([1.0, 0.0, 0.0]) if b != 37 else np.array([0.75, -0.1, 0.65]) / np.linalg.norm([0.75, -0.1, 0.65])
            p = j[wrist] + np.array([side * off[0], off[1], off[2]])
            for k in range(3):
                j[b + shift + k] = p
                p = p + np.array([side * d[0], d[1], d[2]]) * steps[b] * (0.8 ** k)
    return j


def _tip(j: np.ndarray, i: int) -> np.ndarray:
    """End point of joint i's own segment (the bone from i toward its main child, or an invented tip)."""
    main_child = {0: 3, 1: 4, 2: 5, 3: 6, 4: 7, 5: 8, 6: 9, 7: 10, 8: 11, 9: 12, 12: 15, 13: 16, 14: 17,
                  16: 18, 17: 19, 18: 20, 19: 21, 20: 28, 21: 43}
    if i in main_child:
        return j[main_child[i]]
    if i in (10, 11):
        return j[i] + (0, 0, 0.1)
    if i == 15:
        return j[i] + (0, 0.05, 0)
    if i == 22:
        return j[i] + (0, -0.04, 0.05)
    if i in (23, 24):
        return j[i] + (0, 0, 0.012)
    prev = j[i] - j[PARENTS[i]]  # finger level 3: continue the finger
    return j[i] + prev * 0.8


def _radius(i: int) -> float:
    if i >= 25:
        return 0.009
    return {0: 0.13, 3: 0.13, 6: 0.14, 9: 0.13, 1: 0.075, 2: 0.075, 4: 0.05, 5: 0.05, 7: 0.04, 8: 0.04,
            10: 0.03, 11: 0.03, 12: 0.05, 13: 0.05, 14: 0.05, 15: 0.03, 16: 0.05, 17: 0.05, 18: 0.04, 19: 0.04,
            20: 0.03, 21: 0.03, 22: 0.02, 23: 0.012, 24: 0.012}[i]


def _frame(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = axis / np.linalg.norm(axis)
    ref = np.array([0.0, 0.0, 1.0]) if abs(a[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(a, ref)
    u /= np.linalg.norm(u)
    return u, np.cross(a, u)


def _tube(start, end, radius, rings, around, cap):
    """Vertices (rings x around [+ tip]), their axis points, fraction along the bone, and outward faces."""
    u, w = _frame(end - start)
    t = np.linspace(0, 1, rings)
    ang = np.linspace(0, 2 * np.pi, around, endpoint=False)
    centre = start + t[:, None] * (end - start)  # (R, 3)
    taper = 1.0 - 0.25 * t if cap else np.ones_like(t)
    ring = np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * w  # (A, 3)
    verts = centre[:, None] + radius * taper[:, None, None] * ring[None]  # (R, A, 3)
    verts, axis, frac = verts.reshape(-1, 3), np.repeat(centre, around, 0), np.repeat(t, around)
    faces = []
    for r in range(rings - 1):
        for a in range(around):
            p, q = r * around + a, r * around + (a + 1) % around
            faces += [(p, q, q + around), (p, q + around, p + around)]
    if cap:
        verts, axis, frac = np.vstack([verts, end]), np.vstack([axis, end]), np.append(frac, 1.0)
        last, tip = (rings - 1) * around, rings * around
        faces += [(last + a, last + (a + 1) % around, tip) for a in range(around)]
    return verts, axis, frac, np.array(faces)


def _sphere(centre, radius, lat, lon):
    theta = np.linspace(0, np.pi, lat + 2)[1:-1]  # polar angle from +y
    phi = np.linspace(0, 2 * np.pi, lon, endpoint=False)
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    pts = np.stack([st * np.sin(phi), np.repeat(ct, lon, 1), st * np.cos(phi)], -1).reshape(-1, 3)  # phi=0 faces +z
    pts = np.vstack([[0, 1, 0], pts, [0, -1, 0]]) * radius + centre
    faces = []
    n = lat * lon
    for a in range(lon):
        faces.append((0, 1 + (a + 1) % lon, 1 + a))
        faces.append((n + 1, 1 + (lat - 1) * lon + a, 1 + (lat - 1) * lon + (a + 1) % lon))
    for r in range(lat - 1):
        for a in range(lon):
            p, q = 1 + r * lon + a, 1 + r * lon + (a + 1) % lon
            faces += [(p, q, q + lon), (p, q + lon, p + lon)]
    return pts, np.array(faces)


def _ibug_face(centre: np.ndarray, radius: float) -> np.ndarray:
    """iBUG-68 points 17..67 (brows, nose, eyes, lips) on the front of the head sphere; x = subject's left."""
    pts = []
    pts += [(x, 0.035 + 0.006 * np.sin(np.pi * k / 4)) for k, x in enumerate(np.linspace(-0.055, -0.015, 5))]  # 17-21
    pts += [(x, 0.035 + 0.006 * np.sin(np.pi * k / 4)) for k, x in enumerate(np.linspace(0.015, 0.055, 5))]  # 22-26
    pts += [(0.0, y) for y in np.linspace(0.015, -0.012, 4)]  # 27-30 nose bridge
    pts += [(x, -0.02) for x in np.linspace(-0.016, 0.016, 5)]  # 31-35 nostrils

    def loop(cx, cy, hw, hh, n):  # from the point nearest the subject's right, over the top, then below
        a = np.pi - np.linspace(0, 2 * np.pi, n, endpoint=False)
        return [(cx + hw * np.cos(t), cy + hh * np.sin(t)) for t in a]

    pts += loop(-0.032, 0.015, 0.015, 0.006, 6)  # 36-41 right eye (outer corner first)
    pts += loop(0.032, 0.015, 0.015, 0.006, 6)  # 42-47 left eye (inner corner first)
    pts += loop(0.0, -0.045, 0.027, 0.013, 12)  # 48-59 outer lips
    pts += loop(0.0, -0.046, 0.018, 0.005, 8)  # 60-67 inner lips
    pts = np.array(pts)
    z = np.sqrt(np.maximum(radius**2 - (pts**2).sum(1), 0))
    return centre + np.stack([pts[:, 0], pts[:, 1], z], 1)


def build_synthetic_model(seed: int = 0) -> dict[str, np.ndarray]:
    """All arrays of a synthetic `SMPLX_*.npz` (keys and shapes as the real SMPL-X v1.1 file's smplx reads)."""
    rng = np.random.default_rng(seed)
    j = _rest_joints()
    head_centre, head_r = j[15] + (0, 0.08, 0.01), 0.1

    verts, axes, owners, fracs, faces, first_ring = [], [], [], [], [], {}
    n = 0
    for i in range(NUM_JOINTS):
        fingers = i >= 25
        rings, around = (4, 8) if fingers or i in (23, 24) else ((5, 12) if i in (20, 21) else (8, 16))
        v, a, f, fc = _tube(j[i], _tip(j, i), _radius(i), rings, around, cap=fingers or i in (10, 11, 23, 24))
        first_ring[i] = np.arange(n, n + around)
        verts.append(v), axes.append(a), fracs.append(f), faces.append(fc + n), owners.append(np.full(len(v), i))
        n += len(v)
    lon = 64
    lat = (NUM_VERTICES - n - 2) // lon
    sv, sf = _sphere(head_centre, head_r, lat, lon)
    verts.append(sv), axes.append(np.repeat(head_centre[None], len(sv), 0)), fracs.append(np.full(len(sv), 1.0))
    faces.append(sf + n), owners.append(np.full(len(sv), 15))
    n += len(sv)
    spare = NUM_VERTICES - n  # fewer than `lon`: unreferenced vertices inside the head
    verts.append(np.repeat(head_centre[None], spare, 0)), axes.append(np.repeat(head_centre[None], spare, 0))
    fracs.append(np.full(spare, 1.0)), owners.append(np.full(spare, 15))
    v = np.vstack(verts)
    axis, frac, owner, f = np.vstack(axes), np.concatenate(fracs), np.concatenate(owners), np.vstack(faces)
    assert len(v) == NUM_VERTICES

    # Skinning: each segment follows its joint, blended with the parent near the joint.
    weights = np.zeros((NUM_VERTICES, NUM_JOINTS))
    blend = np.clip(0.5 + frac / 0.6, 0.5, 1.0)
    idx = np.arange(NUM_VERTICES)
    has_parent = PARENTS[owner] >= 0
    weights[idx, owner] = np.where(has_parent, blend, 1.0)
    weights[idx[has_parent], PARENTS[owner[has_parent]]] += 1 - blend[has_parent]
    # the lower face (below the mouth, in front) follows the jaw: jaw pose opens the lips
    is_head = owner == 15
    mouth_y = head_centre[1] - 0.045
    jaw_w = np.clip((mouth_y - v[:, 1]) / 0.01 + 0.5, 0, 1) * (v[:, 2] > head_centre[2] + 0.03) * is_head
    weights[is_head, 15] -= jaw_w[is_head]
    weights[:, 22] += jaw_w
    weights /= weights.sum(1, keepdims=True)  # skinning weights sum to 1

    regressor = np.zeros((NUM_JOINTS, NUM_VERTICES))
    for i, ring in first_ring.items():
        regressor[i, ring] = 1.0 / len(ring)  # ring centred on the joint: regresses the rest joint exactly

    # Put the vertices smplx reads as extra joints where their names say (finger tips are tube caps).
    targets = {
        "nose": head_centre + (0, -0.01, head_r), "reye": j[24] + (0, 0, 0.012), "leye": j[23] + (0, 0, 0.012),
        "rear": head_centre + (-head_r, 0, 0), "lear": head_centre + (head_r, 0, 0),
        "LBigToe": _tip(j, 10), "RBigToe": _tip(j, 11), "LSmallToe": _tip(j, 10) + (0.03, 0, -0.01),
        "RSmallToe": _tip(j, 11) + (-0.03, 0, -0.01), "LHeel": j[7] + (0, -0.04, -0.04), "RHeel": j[8] + (0, -0.04, -0.04),
    }
    for side, s in (("l", 0), ("r", 15)):
        for name, b in (("thumb", 39), ("index", 27), ("middle", 30), ("ring", 36), ("pinky", 33)):
            targets[side + name] = _tip(j, b + s)
    perm = np.arange(NUM_VERTICES)  # perm[new] = old
    taken: set[int] = set()
    for name, want in targets.items():
        d = np.linalg.norm(v - want, axis=1)
        d[list(taken)] = np.inf
        old = int(np.argmin(d))
        new = _EXTRA_VERTEX_IDS[name]
        where_old = int(np.nonzero(perm == old)[0][0])
        perm[where_old], perm[new] = perm[new], old
        taken.add(old)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(NUM_VERTICES)
    v, axis, frac, owner, weights, regressor = v[perm], axis[perm], frac[perm], owner[perm], weights[perm], regressor[:, perm]
    f = inv[f]

    # Shape directions (V, 3, 20): 10 betas then 10 expressions.
    shapedirs = np.zeros((NUM_VERTICES, 3, NUM_SHAPE + NUM_EXPR))
    shapedirs[:, :, 0] = 0.03 * v  # height: uniform scale about the pelvis
    radial = v - axis
    shapedirs[:, :, 1] = 0.1 * radial * (owner < 25)[:, None]  # girth (not the fingers)
    arm = np.clip(np.abs(v[:, 0]) - 0.15, 0, None) * np.sign(v[:, 0])
    shapedirs[:, 0, 2] = 0.06 * arm  # arm length
    shapedirs[:, 1, 3] = 0.06 * np.clip(v[:, 1] + 0.09, None, 0)  # leg length
    for k in range(4, NUM_SHAPE):  # smooth random fields
        freq, phase, amp = rng.normal(0, 4, (3, 3)), rng.uniform(0, 2 * np.pi, 3), rng.normal(0, 0.004, 3)
        shapedirs[:, :, k] = amp * np.sin(v @ freq + phase)
    face = is_head[perm] & (v[:, 2] > head_centre[2] + 0.05)
    centres = _ibug_face(head_centre, head_r)
    for k in range(NUM_EXPR):  # bumps around brows, eyes, lips
        c = centres[rng.choice(len(centres), 3, replace=False)]
        d2 = ((v[:, None] - c[None]) ** 2).sum(-1).min(1)
        shapedirs[:, :, NUM_SHAPE + k] = face[:, None] * np.exp(-d2 / (2 * 0.012**2))[:, None] * rng.normal(0, 0.006, 3)

    # Pose correctives (V, 3, 486): small, each vertex reacting to its own joint's rotation.
    posedirs = np.zeros((NUM_VERTICES, 3, 9 * (NUM_JOINTS - 1)), np.float32)
    own = np.clip(owner - 1, 0, NUM_JOINTS - 2)
    for k in range(9):
        posedirs[np.arange(NUM_VERTICES), :, 9 * own + k] = rng.normal(0, 0.002, (NUM_VERTICES, 3))

    # Hand PCA: orthonormal bases and a relaxed (slightly curled) mean, 15 joints x 3 (axis-angle).
    def hand_mean(side: float) -> np.ndarray:
        m = np.zeros((15, 3))
        m[:12, 2] = -side * 0.25  # fingers flex about the palm's z axis
        m[12:, 1] = side * 0.2  # thumb
        return m.reshape(-1)

    comps = [np.linalg.qr(rng.normal(size=(45, 45)))[0].T for _ in range(2)]
    lmk_faces, lmk_bary = _landmark_faces(v, f, centres)
    jaw_faces = np.nonzero(jaw_w[perm][f].mean(1) > 0.5)[0]
    kintree = np.stack([np.where(PARENTS < 0, 4294967295, PARENTS), np.arange(NUM_JOINTS)]).astype(np.int64)
    return {
        "v_template": v.astype(np.float32), "f": f.astype(np.int32), "kintree_table": kintree,
        "J_regressor": regressor.astype(np.float32), "weights": weights.astype(np.float32),
        "shapedirs": shapedirs.astype(np.float32), "posedirs": posedirs,
        "hands_componentsl": comps[0].astype(np.float32), "hands_componentsr": comps[1].astype(np.float32),
        "hands_meanl": hand_mean(1.0).astype(np.float32), "hands_meanr": hand_mean(-1.0).astype(np.float32),
        "lmk_faces_idx": lmk_faces.astype(np.int64), "lmk_bary_coords": lmk_bary.astype(np.float32),
        "dynamic_lmk_faces_idx": rng.choice(jaw_faces, (79, 17)).astype(np.int64),
        "dynamic_lmk_bary_coords": np.full((79, 17, 3), 1 / 3, np.float32),
        "synthetic": np.array(True),
    }


def _landmark_faces(v: np.ndarray, f: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest face to each point and the barycentric coordinates of the point projected onto it."""
    centroid = v[f].mean(1)
    idx = np.array([int(np.argmin(((centroid - p) ** 2).sum(1))) for p in points])
    bary = []
    for p, k in zip(points, idx):
        a, b, c = v[f[k]]
        m = np.stack([b - a, c - a], 1)
        uv = np.linalg.lstsq(m, p - a, rcond=None)[0]
        w = np.clip(np.array([1 - uv.sum(), uv[0], uv[1]]), 0, None)
        bary.append(w / w.sum())
    return idx, np.array(bary)


def write_synthetic_model(directory: str | Path, gender: str = "neutral", seed: int = 0) -> Path:
    """Write `<directory>/SMPLX_<GENDER>.npz` (compressed, about 6 MB)."""
    from ..pose.io import atomic_write_bytes
    import io

    path = Path(directory) / f"SMPLX_{gender.upper()}.npz"
    buf = io.BytesIO()
    np.savez_compressed(buf, **build_synthetic_model(seed))
    atomic_write_bytes(path, buf.getvalue())
    return path


def synthetic_motion(model_dir: str | Path, frames: int = 24, seed: int = 0, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Known SMPL-X parameters (smooth random signing-like motion) and the canonical keypoints they produce.

    Returns (x (T, 178, 3) canonical, normalized as `signgen.pose.to_canonical` does; mask (T, 178); params).
    Moving joints are the ones keypoints observe: arms, wrists, neck, head, fingers, jaw, expression, and the
    root; legs, spine and collars stay at rest. `speed` scales how many motion key points the clip holds.
    """
    import torch

    from .fit import FLIP, POSE_KEYS
    from .model import KeypointModel, correspondence, find_model_file, load_smplx

    rng = np.random.default_rng(seed)
    knots = max(2, int(round(2 + speed * frames / 12)))

    def curve(d: int, scale: float) -> np.ndarray:
        k = rng.normal(0, scale, (knots, d))
        t = np.linspace(0, knots - 1, frames)
        return np.stack([np.interp(t, np.arange(knots), k[:, i]) for i in range(d)], 1).astype(np.float32)

    path = find_model_file(model_dir)
    with np.load(path) as z:
        hand_l, hand_r = z["hands_meanl"].reshape(-1), z["hands_meanr"].reshape(-1)
    p = {"global_orient": curve(3, 0.1), "transl": curve(3, 0.03), "jaw_pose": np.zeros((frames, 3), np.float32),
         "leye_pose": np.zeros((frames, 3), np.float32), "reye_pose": np.zeros((frames, 3), np.float32),
         "expression": curve(NUM_EXPR, 0.7)}
    body = np.zeros((frames, 21, 3), np.float32)
    for j in (16, 17, 18, 19, 20, 21, 12, 15):
        body[:, j - 1] = curve(3, 0.3)
    body[:, 15, 2] -= 1.1  # arms lowered
    body[:, 16, 2] += 1.1
    body[:, 17, 1] -= 1.2  # elbows bent forward
    body[:, 18, 1] += 1.2
    p["body_pose"] = body.reshape(frames, 63)
    p["left_hand_pose"] = hand_l + curve(45, 0.25)
    p["right_hand_pose"] = hand_r + curve(45, 0.25)
    p["jaw_pose"][:, 0] = np.abs(curve(1, 0.15)[:, 0])
    betas = (rng.normal(0, 0.5, NUM_SHAPE)).astype(np.float32)
    km = KeypointModel(load_smplx(path))
    with torch.no_grad():
        out = km({k: torch.as_tensor(p[k]) for k in POSE_KEYS}, torch.as_tensor(betas)[None]).numpy()
    src, dst, _ = correspondence()
    x = np.zeros((frames, 178, 3), np.float32)
    x[:, src] = out[:, dst] * np.array(FLIP, np.float32)
    centre = ((x[:, 0] + x[:, 1]) / 2).mean(0)  # canonical joints 0, 1: left and right shoulder
    scale = np.linalg.norm(x[:, 0] - x[:, 1], axis=-1).mean()
    mask = np.zeros((frames, 178), bool)
    mask[:, src] = True
    x = np.where(mask[..., None], (x - centre) / scale, 0).astype(np.float32)
    p.update(betas=betas, canonical_scale=float(scale), gender="neutral", fps=25.0)
    return x, mask, p
