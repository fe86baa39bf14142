"""The canonical skeleton and conversion of any supported `.pose` into it.

Canonical = MediaPipe Holistic reduced by pose-format's `reduce_holistic` (8 upper-body, 128 face-contour,
2x21 hand points = the SLRTP 2025 production skeleton), 3D, one person, 25 fps, normalized so the mean
shoulder midpoint is the origin and the mean shoulder width is 1. Missing detections keep confidence 0.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np
from pose_format import Pose, PoseHeader
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeaderDimensions
from pose_format.utils.generic import detect_known_pose_format, pose_normalization_info, reduce_holistic

from ..errors import SigngenError

CANONICAL_FPS = 25.0
CANONICAL_DIMS = 3

# OpenPose BODY_25 -> MediaPipe pose landmark names (the 8 kept by reduce_holistic).
_OPENPOSE_BODY = {
    "LEFT_SHOULDER": "LShoulder", "RIGHT_SHOULDER": "RShoulder",
    "LEFT_ELBOW": "LElbow", "RIGHT_ELBOW": "RElbow",
    "LEFT_WRIST": "LWrist", "RIGHT_WRIST": "RWrist",
    "LEFT_HIP": "LHip", "RIGHT_HIP": "RHip",
}
# Approximate correspondence of the 68-point face layout (OpenPose face 0..67) to MediaPipe face-mesh
# indices that lie on FACEMESH_CONTOURS: jaw line, brows, eye outlines, outer and inner lips. OpenPose
# nose and pupil points have no contour counterpart, and contour points without a 68-point counterpart
# stay masked (confidence 0): they are missing, not zero.
FACE68_TO_MEDIAPIPE = {
    **dict(zip(range(0, 17), [127, 234, 93, 132, 58, 172, 136, 149, 152, 378, 365, 397, 288, 361, 323, 454, 356])),
    **dict(zip(range(17, 27), [70, 63, 105, 66, 107, 336, 296, 334, 293, 300])),
    **dict(zip(range(36, 48), [33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380])),
    **dict(zip(range(48, 60), [61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91])),
    **dict(zip(range(60, 68), [78, 81, 13, 311, 308, 402, 14, 178])),
}
_OPENPOSE_HANDS = {"LEFT_HAND_LANDMARKS": "hand_left_keypoints_2d", "RIGHT_HAND_LANDMARKS": "hand_right_keypoints_2d"}


@lru_cache(maxsize=1)
def _canonical_header() -> PoseHeader:
    # pose-anonymization ships a full Holistic header (586 points) and mean pose; reducing it gives the
    # canonical header without importing mediapipe (which costs ~1.5 s at start-up).
    from pose_anonymization.data import load_mean_and_std_pose

    mean_pose, _ = load_mean_and_std_pose()
    header = reduce_holistic(mean_pose).header
    header.dimensions = PoseHeaderDimensions(width=1, height=1, depth=1)
    return header


def canonical_header() -> PoseHeader:
    """A fresh copy of the canonical header (components, points, limbs and colors from pose-format)."""
    return copy.deepcopy(_canonical_header())


def point_names(header: PoseHeader) -> list[tuple[str, str]]:
    return [(c.name, p) for c in header.components for p in c.points]


def num_joints(header: PoseHeader | None = None) -> int:
    return len(point_names(header or _canonical_header()))


def is_canonical(header: PoseHeader) -> bool:
    return point_names(header) == point_names(_canonical_header())


def _shoulder_frames(pose: Pose):
    """pose-format's shoulder normalization info, and (T,) which frames have both shoulders detected."""
    info = pose_normalization_info(pose.header)
    conf = np.asarray(pose.body.confidence)[:, 0]
    return info, (conf[:, info.p1] > 0) & (conf[:, info.p2] > 0)


def is_canonical_normalized(pose: Pose) -> bool:
    """True for a pose already in signgen's canonical form: the 178-point skeleton at 25 fps, shoulder-centred
    with unit shoulder width. A reduced-Holistic pose in pixels (e.g. spoken-to-signed's 512x512 output) has
    the canonical points but not the scale, and needs `to_canonical`."""
    if not is_canonical(pose.header) or float(pose.body.fps) != CANONICAL_FPS:
        return False
    info, both = _shoulder_frames(pose)
    data = np.ma.getdata(pose.body.data)[:, 0, :, :2].astype(np.float64)
    if not both.any():
        return False
    a, b = data[both, info.p1], data[both, info.p2]
    width, centre = np.median(np.linalg.norm(a - b, axis=-1)), np.median(np.abs((a + b) / 2), axis=0)
    return bool(abs(width - 1) < 0.05 and (centre < 0.05).all())


def joint_index(component: str, point: str) -> int:
    return point_names(_canonical_header()).index((component, point))


def component_slices(header: PoseHeader | None = None) -> dict[str, slice]:
    """Joint-index range of each component, e.g. {'RIGHT_HAND_LANDMARKS': slice(157, 178), ...}."""
    header = header or _canonical_header()
    out, start = {}, 0
    for c in header.components:
        out[c.name] = slice(start, start + len(c.points))
        start += len(c.points)
    return out


def _from_holistic(pose: Pose) -> Pose:
    reduced = reduce_holistic(pose)
    target = _canonical_header()
    try:
        return reduced.get_components([c.name for c in target.components], {c.name: c.points for c in target.components})
    except Exception:
        raise SigngenError("holistic pose is missing components or points of the canonical skeleton") from None


def _from_openpose(pose: Pose) -> Pose:
    """Map OpenPose-137 (BODY_25, face 70, 2x21 hands; 2D) onto the canonical skeleton."""
    header = pose.header
    src_data = np.ma.getdata(pose.body.data)
    src_conf = np.asarray(pose.body.confidence)
    frames, people = src_data.shape[:2]
    target = canonical_header()
    names = point_names(target)
    data = np.zeros((frames, people, len(names), CANONICAL_DIMS), dtype=np.float32)
    conf = np.zeros((frames, people, len(names)), dtype=np.float32)

    face_component = next(c for c in header.components if c.name == "face_keypoints_2d")
    face_by_number = {int(p.rsplit("_", 1)[1]): p for p in face_component.points}
    pairs: list[tuple[int, int]] = []
    for j, (component, point) in enumerate(names):
        if component == "POSE_LANDMARKS":
            pairs.append((j, header.get_point_index("pose_keypoints_2d", _OPENPOSE_BODY[point])))
        elif component in _OPENPOSE_HANDS:
            src_component = next(c for c in header.components if c.name == _OPENPOSE_HANDS[component])
            k = [c.points for c in target.components if c.name == component][0].index(point)
            pairs.append((j, header.get_point_index(src_component.name, src_component.points[k])))
        elif component == "FACE_LANDMARKS":
            inverse = {mp: d for d, mp in FACE68_TO_MEDIAPIPE.items()}
            d = inverse.get(int(point))
            if d is not None and d in face_by_number:
                pairs.append((j, header.get_point_index("face_keypoints_2d", face_by_number[d])))
    dst, src = np.array(pairs).T
    dims = min(src_data.shape[-1], CANONICAL_DIMS)
    data[:, :, dst, :dims] = src_data[:, :, src, :dims]
    conf[:, :, dst] = src_conf[:, :, src]
    body = NumPyPoseBody(fps=pose.body.fps, data=np.ma.masked_array(data, mask=np.repeat(conf[..., None] == 0, CANONICAL_DIMS, -1)), confidence=conf)
    target.dimensions = copy.deepcopy(header.dimensions)
    return Pose(target, body)


def _first_person_3d(pose: Pose) -> Pose:
    data = np.ma.getdata(pose.body.data)[:, :1].astype(np.float32)
    conf = np.asarray(pose.body.confidence)[:, :1].astype(np.float32)
    if data.shape[-1] < CANONICAL_DIMS:  # 2D input: depth is unknown and set to 0
        data = np.concatenate([data, np.zeros(data.shape[:-1] + (CANONICAL_DIMS - data.shape[-1],), np.float32)], -1)
    data = data[..., :CANONICAL_DIMS]
    conf = np.where(np.isfinite(data).all(-1), conf, 0)
    data = np.nan_to_num(data)
    header = canonical_header()
    header.dimensions = copy.deepcopy(pose.header.dimensions)
    mask = np.repeat((conf == 0)[..., None], CANONICAL_DIMS, -1)
    return Pose(header, NumPyPoseBody(fps=pose.body.fps, data=np.ma.masked_array(data, mask=mask), confidence=conf))


def resample(pose: Pose, fps: float = CANONICAL_FPS) -> Pose:
    """Resample to `fps` with linear interpolation; a joint stays missing where its nearest source frame was."""
    src_fps = float(pose.body.fps)
    if src_fps <= 0:
        raise SigngenError(f"pose has an invalid frame rate ({src_fps}); cannot resample to {fps} fps")
    frames = pose.body.data.shape[0]
    if abs(src_fps - fps) < 1e-6 or frames < 2:
        pose.body.fps = fps
        return pose
    src_valid = np.asarray(pose.body.confidence) > 0
    # pose-format's interpolate needs the data mask to agree with the confidence mask
    data = np.ma.masked_array(np.ma.getdata(pose.body.data), mask=np.repeat(~src_valid[..., None], pose.body.data.shape[-1], -1))
    body = NumPyPoseBody(fps=src_fps, data=data, confidence=np.where(src_valid, pose.body.confidence, 0)).interpolate(fps, kind="linear")
    new_frames = body.data.shape[0]
    nearest = np.clip(np.round(np.linspace(0, frames - 1, max(new_frames, 1))).astype(int), 0, frames - 1)
    valid = src_valid[nearest]
    conf = np.where(valid, np.clip(np.ma.filled(body.confidence, 0), 1e-3, None), 0).astype(np.float32)
    data = np.ma.getdata(body.data).astype(np.float32)
    mask = np.repeat(~valid[..., None], data.shape[-1], -1)
    return Pose(pose.header, NumPyPoseBody(fps=fps, data=np.ma.masked_array(data, mask=mask), confidence=conf))


def normalize(pose: Pose) -> Pose:
    """Shoulder-centred, shoulder-width scale (pose-format's `Pose.normalize` on the shoulders)."""
    info, both = _shoulder_frames(pose)
    if not both.any():
        raise SigngenError("pose has no frame with both shoulders detected; it cannot be normalized")
    pose = pose.normalize(info)
    pose.header.dimensions = PoseHeaderDimensions(width=1, height=1, depth=1)
    return pose


def to_canonical(pose: Pose, fps: float = CANONICAL_FPS, normalized: bool = True) -> Pose:
    """Convert full Holistic (543/553/576/586 points), reduced Holistic or OpenPose-137 to the canonical skeleton."""
    if pose.body.data.shape[0] == 0:
        raise SigngenError("pose has zero frames")
    try:
        fmt = detect_known_pose_format(pose)
    except ValueError:
        fmt = "unknown"
    if fmt == "holistic":
        pose = _from_holistic(pose)
    elif fmt == "openpose":
        pose = _from_openpose(pose)
    else:
        names = [c.name for c in pose.header.components]
        raise SigngenError(f"unsupported skeleton {names}: signgen reads MediaPipe Holistic or OpenPose-137 poses")
    pose = _first_person_3d(pose)
    pose = resample(pose, fps)
    return normalize(pose) if normalized else pose


def canonical(pose: Pose, source: str = "pose") -> Pose:
    """Any pose signgen reads, in canonical form: returned as it is when it already is canonical (178 points,
    25 fps, shoulder-normalized), else converted by `to_canonical`. Errors are one line naming `source`."""
    if pose.body.data.shape[0] == 0:
        raise SigngenError(f"{source}: pose has zero frames; it holds no signing, re-export it")
    if is_canonical_normalized(pose):
        return pose
    try:
        return to_canonical(pose)
    except SigngenError as e:
        raise SigngenError(f"{source}: {e}") from None


HANDS = ("RIGHT", "LEFT")  # the signer's


def hand_centres(x: np.ndarray, mask: np.ndarray, side: str, min_points: int = 5) -> np.ndarray:
    """(T, 2) canonical x/y centre of the signer's `side` hand per frame; NaN where fewer than `min_points`
    of its joints are seen."""
    sl = component_slices()[f"{side}_HAND_LANDMARKS"]
    seen = mask[:, sl].sum(1)
    centre = (x[:, sl, :2] * mask[:, sl, None]).sum(1) / np.maximum(seen, 1)[:, None]
    return np.where((seen >= min_points)[:, None], centre, np.nan)


def most_seen_hand(mask: np.ndarray) -> str:
    """"RIGHT" or "LEFT": the hand with more joints seen over the frames of a (T, J) mask (RIGHT on a tie), the
    signing hand of one letter's clip, where the other hangs down or is missing. Lexicon guidance, the starter's
    doubled-letter slide and the letter measures use it; `signing_hand` is the rule for a whole video."""
    slices = component_slices()
    return max(HANDS, key=lambda side: int(mask[:, slices[f"{side}_HAND_LANDMARKS"]].sum()))


def two_handed(mask: np.ndarray) -> bool:
    """True when both hands are seen in most frames of a (T, J) mask: a two-handed letter's clip."""
    slices = component_slices()
    both = mask[:, slices["LEFT_HAND_LANDMARKS"]].all(1) & mask[:, slices["RIGHT_HAND_LANDMARKS"]].all(1)
    return bool(both.mean() > 0.5)


def signing_hand(x: np.ndarray, mask: np.ndarray) -> str | None:
    """"RIGHT" or "LEFT": the hand that signs in canonical arrays (T, J, 3) / (T, J), the one held higher on
    average while visible and seen more often (the other hangs at the side or is missing); None when neither
    hand is ever seen."""
    best, best_score = None, None
    for side in HANDS:
        centre = hand_centres(x, mask, side)
        present = ~np.isnan(centre[:, 0])
        if not present.any():
            continue
        score = -np.nanmean(centre[:, 1]) + 0.5 * present.mean()  # higher (smaller y) and more often seen wins
        if best_score is None or score > best_score:
            best, best_score = side, score
    return best
