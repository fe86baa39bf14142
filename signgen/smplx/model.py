"""Finding, checking and loading the user's SMPL-X model file, and the keypoint correspondence to the canonical skeleton.

SMPL-X outputs (smplx package, `use_face_contour=False`): 55 skeleton joints, 21 vertex joints (nose, eyes,
ears, feet, 10 finger tips: indices 55..75) and the 51 static face landmarks (iBUG-68 points 17..67: 76..126).
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import SigngenError

GENDERS = ("neutral", "male", "female")
NUM_VERTICES = 10475
NUM_JOINTS = 55
_KNOWN_MODELS = {6890: "SMPL or SMPL-H", 5023: "FLAME", 778: "MANO"}

# canonical point -> SMPL-X output index
_BODY = {"LEFT_SHOULDER": 16, "RIGHT_SHOULDER": 17, "LEFT_ELBOW": 18, "RIGHT_ELBOW": 19,
         "LEFT_WRIST": 20, "RIGHT_WRIST": 21, "LEFT_HIP": 1, "RIGHT_HIP": 2}
_HAND_ORDER = ["WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP", "INDEX_FINGER_PIP",
               "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP", "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP",
               "MIDDLE_FINGER_TIP", "RING_FINGER_MCP", "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP",
               "PINKY_MCP", "PINKY_PIP", "PINKY_DIP", "PINKY_TIP"]
# left hand: wrist 20; thumb 37-39 + tip 66; index 25-27 + 67; middle 28-30 + 68; ring 34-36 + 69; pinky 31-33 + 70
_LEFT_HAND = [20, 37, 38, 39, 66, 25, 26, 27, 67, 28, 29, 30, 68, 34, 35, 36, 69, 31, 32, 33, 70]
_RIGHT_HAND = [21 if i == 20 else (i + 5 if i >= 66 else i + 15) for i in _LEFT_HAND]
_FIRST_LANDMARK = 76  # iBUG-68 point 17


@lru_cache(maxsize=1)
def correspondence() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(canonical joint indices, SMPL-X output indices, part id 0 body / 1 hands / 2 face) of every fitted point."""
    from ..pose.skeleton import FACE68_TO_MEDIAPIPE, point_names, canonical_header

    face68 = {mp: d for d, mp in FACE68_TO_MEDIAPIPE.items()}
    src, dst, part = [], [], []
    for j, (comp, point) in enumerate(point_names(canonical_header())):
        if comp == "POSE_LANDMARKS" and point in _BODY:
            src.append(j), dst.append(_BODY[point]), part.append(0)
        elif comp in ("LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS"):
            table = _LEFT_HAND if comp.startswith("LEFT") else _RIGHT_HAND
            src.append(j), dst.append(table[_HAND_ORDER.index(point)]), part.append(1)
        elif comp == "FACE_LANDMARKS" and face68.get(int(point), -1) >= 17:
            src.append(j), dst.append(_FIRST_LANDMARK + face68[int(point)] - 17), part.append(2)
    return np.array(src), np.array(dst), np.array(part)


def find_model_file(model_dir: str | Path, gender: str = "neutral") -> Path:
    """`model_dir/SMPLX_<GENDER>.npz` (or `model_dir` itself when it is an .npz file), checked to be SMPL-X."""
    if gender not in GENDERS:
        raise SigngenError(f"gender {gender!r}: choose one of {list(GENDERS)}")
    path = Path(model_dir)
    if not path.exists():
        raise SigngenError(f"{path}: no such model directory; download SMPL-X (smpl-x.is.tue.mpg.de) and pass the folder holding SMPLX_{gender.upper()}.npz")
    if path.is_dir():
        want = path / f"SMPLX_{gender.upper()}.npz"
        if not want.exists():
            alt = path / "smplx" / want.name
            if alt.exists():
                want = alt
            else:
                found = sorted(p.name for p in path.glob("*.npz")) + sorted(p.name for p in path.glob("smplx/*.npz"))
                hint = f"found {found}; pass --config gender=... to match, or add {want.name}" if found else f"put SMPLX_{gender.upper()}.npz there"
                raise SigngenError(f"{path}: no SMPLX_{gender.upper()}.npz for gender {gender}; {hint}")
        path = want
    elif path.suffix != ".npz":
        raise SigngenError(f"{path}: expected a SMPLX_<GENDER>.npz model file or the folder holding it")
    else:
        named = path.stem.upper().removeprefix("SMPLX_").lower()
        if named in GENDERS and named != gender:
            raise SigngenError(f"{path}: is the {named} model but gender {gender} was asked; pass the SMPLX_{gender.upper()}.npz file or set gender={named}")
    check_model_file(path, gender)
    return path


def check_model_file(path: Path, gender: str) -> None:
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = set(z.files)
            shape = z["v_template"].shape if "v_template" in keys else None
            kintree = z["kintree_table"].shape if "kintree_table" in keys else None
            stored = str(z["gender"]) if "gender" in keys and z["gender"].dtype.kind in "US" else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise SigngenError(f"{path}: not a readable SMPL-X .npz ({type(e).__name__}); re-download the model file") from None
    if shape is None or kintree is None:
        raise SigngenError(f"{path}: has no v_template/kintree_table; it is not a SMPL-X model file")
    if shape[0] != NUM_VERTICES or kintree[-1] != NUM_JOINTS:
        what = _KNOWN_MODELS.get(shape[0], "another model")
        raise SigngenError(f"{path}: is a {what} model ({shape[0]} vertices, {kintree[-1]} joints), not SMPL-X "
                           f"({NUM_VERTICES} vertices, {NUM_JOINTS} joints); use SMPLX_{gender.upper()}.npz from SMPL-X v1.1")
    missing = {"shapedirs", "posedirs", "J_regressor", "weights", "f", "hands_componentsl", "hands_meanl",
               "lmk_faces_idx", "lmk_bary_coords"} - keys
    if missing:
        raise SigngenError(f"{path}: SMPL-X file lacks {sorted(missing)}; re-download SMPLX_{gender.upper()}.npz")
    if stored is not None and stored.lower() in GENDERS and stored.lower() != gender:
        raise SigngenError(f"{path}: holds the {stored.lower()} model but gender {gender} was asked; use the right file or set gender={stored.lower()}")


def load_smplx(model_dir: str | Path, gender: str = "neutral", batch_size: int = 1, num_betas: int = 10,
               num_expression: int = 10):
    """smplx.SMPLX on CPU with full axis-angle hands (`flat_hand_mean=True`: the stored hand pose is absolute)."""
    import smplx

    path = find_model_file(model_dir, gender)
    # smplx prints a warning to stdout for 10-shape-coefficient files
    with contextlib.redirect_stdout(io.StringIO()):
        return smplx.SMPLX(str(path), gender=gender, use_pca=False, flat_hand_mean=True, batch_size=batch_size,
                           num_betas=num_betas, num_expression_coeffs=num_expression, use_face_contour=False)


class KeypointModel:
    """SMPL-X restricted to the points signgen fits: smplx's `lbs` on the ~200 vertices that matter.

    The 55 joints enter as extra "virtual vertices" whose template and shape directions are the joint
    regressor applied to the full mesh's (joints depend linearly on shape), so the posed joints, the vertex
    joints and the 51 landmarks equal `smplx.SMPLX.forward`'s outputs 0..126 exactly, at a fraction of the cost.
    Works for any batch size; `vertices()` gives the full mesh the same way.
    """

    def __init__(self, model):
        import torch

        self.model = model
        self.num_betas = model.num_betas
        self.num_expression = model.num_expression_coeffs
        V = model.v_template.shape[0]
        extra = model.vertex_joint_selector.extra_joints_idxs  # (21,)
        lmk_faces = model.faces_tensor[model.lmk_faces_idx]  # (51, 3)
        used, inv = torch.unique(torch.cat([extra, lmk_faces.reshape(-1)]), return_inverse=True)
        J = NUM_JOINTS
        dirs = torch.cat([model.shapedirs, model.expr_dirs], -1)  # (V, 3, nb + ne)
        reg = model.J_regressor  # (55, V)
        self.v_template = torch.cat([reg @ model.v_template, model.v_template[used]])
        self.shapedirs = torch.cat([torch.einsum("jv,vcd->jcd", reg, dirs), dirs[used]])
        posedirs = model.posedirs.reshape(-1, V, 3)[:, used].reshape(model.posedirs.shape[0], -1)
        self.posedirs = torch.cat([posedirs.new_zeros(posedirs.shape[0], J * 3), posedirs], 1)
        n = J + len(used)
        self.j_regressor = torch.zeros(J, n)
        self.j_regressor[:, :J] = torch.eye(J)
        self.weights = torch.cat([torch.eye(J), model.lbs_weights[used]])
        self.extra = J + inv[: len(extra)]  # rows of the reduced vertices
        self.lmk = (J + inv[len(extra):]).reshape(-1, 3)
        self.lmk_bary = model.lmk_bary_coords  # (51, 3)

    @staticmethod
    def full_pose(p: dict, pose_mean):
        import torch

        B = p["global_orient"].shape[0]
        pose = torch.cat([p["global_orient"], p["body_pose"], p["jaw_pose"], p["leye_pose"], p["reye_pose"],
                          p["left_hand_pose"], p["right_hand_pose"]], 1).reshape(B, -1)
        return pose + pose_mean

    def shape_components(self, p: dict, betas):
        import torch

        B = p["global_orient"].shape[0]
        return torch.cat([betas.expand(B, -1), p["expression"]], 1)

    def __call__(self, p: dict, betas):
        """Outputs 0..126 of SMPL-X (55 joints, 21 vertex joints, 51 landmarks) in metres: (B, 127, 3)."""
        import torch
        from smplx.lbs import lbs

        m = self.model
        verts, joints = lbs(self.shape_components(p, betas), self.full_pose(p, m.pose_mean), self.v_template,
                            self.shapedirs, self.posedirs, self.j_regressor, m.parents, self.weights)
        lmk = torch.einsum("blfc,lf->blc", verts[:, self.lmk], self.lmk_bary)
        out = torch.cat([joints, verts[:, self.extra], lmk], 1)
        return out + p["transl"][:, None]

    def vertices(self, p: dict, betas):
        """The full posed mesh (B, V, 3) in metres."""
        from smplx.lbs import lbs

        m = self.model
        dirs = __import__("torch").cat([m.shapedirs, m.expr_dirs], -1)
        verts, _ = lbs(self.shape_components(p, betas), self.full_pose(p, m.pose_mean), m.v_template, dirs,
                       m.posedirs, m.J_regressor, m.parents, m.lbs_weights)
        return verts + p["transl"][:, None]
