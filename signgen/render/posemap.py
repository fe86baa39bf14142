"""OpenPose-style control images (body, hands, face) from the canonical skeleton.

Reproduces the drawing convention of controlnet-aux's `open_pose.util` (`draw_bodypose`, `draw_handpose`,
`draw_facepose`), which is what the public OpenPose ControlNets were trained on: the 18-point COCO body with
its 17 limb colours drawn as ellipses at 60% intensity and joints as full-colour dots, hand edges coloured
along the HSV hue circle with blue joints, and the face as white dots, all on black. controlnet-aux itself
cannot be imported here (its package `__init__` imports every detector, which needs torchvision; see
docs/renderer.md), so the convention is re-implemented from its published description.
Line widths scale with the frame (controlnet-aux's fixed widths are for ~512 px images).
Masked joints, and limbs touching one, are simply not drawn.
"""

from __future__ import annotations

import colorsys
from functools import lru_cache

import numpy as np

from ..pose.skeleton import FACE68_TO_MEDIAPIPE, joint_index
from .layout import body_index, face_group, group_center, hand_slice, to_pixels

# COCO-18 keypoints: 0 nose, 1 neck, 2-4 right arm, 5-7 left arm, 8-10 right leg, 11-13 left leg, 14/15 eyes, 16/17 ears.
BODY_LIMBS = [(1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
              (1, 0), (0, 14), (14, 16), (0, 15), (15, 17)]
BODY_COLORS = [(255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
               (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
               (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85)]
HAND_EDGES = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10), (10, 11), (11, 12),
              (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18), (18, 19), (19, 20)]
HAND_COLORS = [tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(i / len(HAND_EDGES), 1.0, 1.0)) for i in range(len(HAND_EDGES))]


@lru_cache(maxsize=1)
def face68_indices() -> np.ndarray:
    """Canonical joints that have an OpenPose 68-point face counterpart (jaw, brows, eyes, lips)."""
    return np.array([joint_index("FACE_LANDMARKS", str(mp)) for mp in FACE68_TO_MEDIAPIPE.values()])


def coco18(xy: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COCO-18 body points (18, 2) and their presence from one canonical frame's pixels (J, 2) and mask (J,)."""
    b = body_index()
    pts = np.zeros((18, 2), np.float32)
    ok = np.zeros(18, bool)

    def put(k, j):
        pts[k], ok[k] = xy[j], mask[j]

    put(2, b["RIGHT_SHOULDER"]); put(3, b["RIGHT_ELBOW"]); put(4, b["RIGHT_WRIST"])
    put(5, b["LEFT_SHOULDER"]); put(6, b["LEFT_ELBOW"]); put(7, b["LEFT_WRIST"])
    put(8, b["RIGHT_HIP"]); put(11, b["LEFT_HIP"])
    if ok[2] and ok[5]:
        pts[1], ok[1] = (pts[2] + pts[5]) / 2, True
    pts[14], ok[14] = group_center(xy, mask, face_group("right_eye"))
    pts[15], ok[15] = group_center(xy, mask, face_group("left_eye"))
    mouth, has_mouth = group_center(xy, mask, face_group("lips_outer"))
    if ok[14] and ok[15] and has_mouth:  # the contour skeleton has no nose point: halfway from eyes to mouth
        pts[0], ok[0] = 0.5 * (pts[14] + pts[15]) / 2 + 0.5 * mouth, True
    for k, mp in ((16, 234), (17, 454)):  # face-oval points beside the ears
        j = joint_index("FACE_LANDMARKS", str(mp))
        pts[k], ok[k] = xy[j], mask[j]
    return pts, ok


def draw_posemap(x: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """One canonical frame (J, 3) + mask (J,) -> an OpenPose-style control image (size, size, 3) uint8 RGB."""
    import cv2

    canvas = np.zeros((size, size, 3), np.uint8)
    xy = to_pixels(x, size)
    scale = size / 512
    stick = max(1.0, 4 * scale)
    dot = max(1, int(round(4 * scale)))
    pts, ok = coco18(xy, mask)
    for (a, b), color in zip(BODY_LIMBS, BODY_COLORS):
        if not (ok[a] and ok[b]):
            continue
        (xa, ya), (xb, yb) = pts[a], pts[b]
        length = float(np.hypot(xa - xb, ya - yb))
        angle = float(np.degrees(np.arctan2(ya - yb, xa - xb)))
        poly = cv2.ellipse2Poly((int((xa + xb) / 2), int((ya + yb) / 2)), (int(length / 2), int(stick)), int(angle), 0, 360, 1)
        cv2.fillConvexPoly(canvas, poly, [int(c * 0.6) for c in color])
    for k in range(18):
        if ok[k]:
            cv2.circle(canvas, (int(pts[k, 0]), int(pts[k, 1])), dot, BODY_COLORS[k], thickness=-1)
    hand_width = max(1, int(round(2 * scale)))
    for side in ("LEFT", "RIGHT"):
        sl = hand_slice(side)
        hxy, hm = xy[sl], mask[sl]
        for (a, b), color in zip(HAND_EDGES, HAND_COLORS):
            if hm[a] and hm[b]:
                cv2.line(canvas, tuple(int(v) for v in hxy[a]), tuple(int(v) for v in hxy[b]), color, thickness=hand_width)
        for k in np.flatnonzero(hm):
            cv2.circle(canvas, (int(hxy[k, 0]), int(hxy[k, 1])), dot, (0, 0, 255), thickness=-1)
    face_dot = max(1, int(round(3 * scale)))
    for j in face68_indices():
        if mask[j]:
            cv2.circle(canvas, (int(xy[j, 0]), int(xy[j, 1])), face_dot, (255, 255, 255), thickness=-1)
    return canvas


def posemaps(x: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """(T, J, 3), (T, J) -> (T, size, size, 3) uint8 control images."""
    return np.stack([draw_posemap(x[t], mask[t], size) for t in range(len(x))])
