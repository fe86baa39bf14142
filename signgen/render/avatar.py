"""`avatar` backend: a procedural, deterministic cartoon signer drawn with OpenCV.

Filled torso and limbs, palms with four jointed fingers and a thumb, and a head whose eye, brow and mouth
shapes are the face points' own contours (so blinks, raised brows and mouth shapes show). Joints that are
missing are not drawn: a missing hand leaves just the forearm, a missing face leaves a plain head.

`hand_zoom=True` adds a close-up of the signing hand in the top-right corner (`closeup`): the same avatar
drawn again, magnified around that hand, with outlined fingers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pose_format import Pose

from .closeup import FIELD, add_close_up
from .frames import pose_arrays
from .layout import SHOULDER_FRAC, body_index, face_group, group_center, hand_slice, to_pixels

FINGERS = [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20)]
PALM = [0, 1, 5, 9, 13, 17]


@dataclass(frozen=True)
class AvatarStyle:
    background: tuple = (222, 228, 236)
    shirt: tuple = (40, 70, 120)
    sleeve: tuple = (52, 86, 140)
    skin: tuple = (232, 190, 160)
    skin_shade: tuple = (206, 160, 130)
    hair: tuple = (60, 40, 30)
    eye: tuple = (250, 250, 250)
    pupil: tuple = (30, 30, 40)
    brow: tuple = (60, 40, 30)
    lips: tuple = (170, 70, 80)
    mouth: tuple = (70, 20, 30)
    outline: tuple = (140, 95, 75)  # finger outlines (hand close-up only)


@dataclass
class AvatarConfig:
    size: int = 256  # frame size in pixels
    hand_zoom: bool = False  # add a close-up of the signing hand in the top-right corner


class AvatarRenderer:
    @classmethod
    def from_config(cls, cfg: AvatarConfig) -> "AvatarRenderer":
        return cls(size=cfg.size, hand_zoom=cfg.hand_zoom)

    def __init__(self, size: int = 256, fps: float = 25.0, style: AvatarStyle = AvatarStyle(), hand_zoom: bool = False):
        self.size, self.fps, self.style, self.hand_zoom = size, fps, style, hand_zoom
        self.unit = size * SHOULDER_FRAC  # shoulder width in pixels
        self.outline = False  # outlined fingers: the hand close-up draws them

    def render(self, pose: Pose, progress: bool = False) -> np.ndarray:
        x, mask = pose_arrays(pose)
        self.fps = float(pose.body.fps)
        return self.render_arrays(x, mask)

    def render_arrays(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(T, J, 3), (T, J) -> (T, size, size, 3) uint8 RGB."""
        frames = np.stack([self.draw(x[t], mask[t]) for t in range(len(x))])
        if self.hand_zoom:
            self._add_hand_zoom(frames, x, mask)
        return frames

    def _w(self, k: float) -> int:
        return max(1, int(round(k * self.unit)))

    def _add_hand_zoom(self, frames: np.ndarray, x: np.ndarray, mask: np.ndarray) -> None:
        """Paste a magnified view of the signing hand into the top-right corner of every frame (in place)."""
        add_close_up(frames, x, mask, self.close_up_tiles)

    def close_up_tiles(self, zoomed: np.ndarray, mask: np.ndarray, side: int) -> np.ndarray:
        """(T, side, side, 3) close-up tiles of poses already magnified by `closeup.magnify`."""
        close = AvatarRenderer(side, self.fps, self.style)
        close.unit = side / FIELD  # line widths grow with the magnification
        close.outline = True
        return np.stack([close.draw(zoomed[t], mask[t]) for t in range(len(zoomed))])

    def draw(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import cv2

        s, size = self.style, self.size
        img = np.empty((size, size, 3), np.uint8)
        img[:] = s.background
        xy = to_pixels(x, size)
        b = body_index()
        P = lambda name: (xy[b[name]], bool(mask[b[name]]))  # noqa: E731
        aa = cv2.LINE_AA

        def seg(p, q, width, color):
            cv2.line(img, _pt(p), _pt(q), color, width, aa)
            cv2.circle(img, _pt(p), width // 2, color, -1, aa)
            cv2.circle(img, _pt(q), width // 2, color, -1, aa)

        (ls, lok), (rs, rok) = P("LEFT_SHOULDER"), P("RIGHT_SHOULDER")
        (lh, lhok), (rh, rhok) = P("LEFT_HIP"), P("RIGHT_HIP")
        # torso: shoulders to hips (or straight down if hips are missing)
        if lok and rok:
            down = np.array([0.0, 1.6 * self.unit])
            lh_ = lh if lhok else ls + down
            rh_ = rh if rhok else rs + down
            cv2.fillPoly(img, [np.array([_pt(ls), _pt(rs), _pt(rh_), _pt(lh_)])], s.shirt, aa)
            seg(ls, rs, self._w(0.22), s.shirt)
            neck = (ls + rs) / 2
            seg(neck, neck - np.array([0, 0.35 * self.unit]), self._w(0.2), s.skin_shade)
        # head: filled face oval, else a plain ellipse above the neck
        oval = face_group("oval")
        head_ok = mask[oval].sum() >= len(oval) // 2
        if head_ok:
            pts = xy[oval][mask[oval]]
            hull = cv2.convexHull(np.round(pts * 16).astype(np.int32))
            top = pts[:, 1].min()
            cx = pts[:, 0].mean()
            hw = (pts[:, 0].max() - pts[:, 0].min()) / 2
            cv2.ellipse(img, (int(cx * 16), int((top + 0.1 * hw) * 16)), (int(hw * 1.08 * 16), int(hw * 0.6 * 16)), 0, 180, 360, s.hair, -1, aa, 4)
            cv2.fillPoly(img, [hull], s.skin, aa, 4)
        elif lok and rok:
            c = (ls + rs) / 2 - np.array([0, 0.75 * self.unit])
            cv2.ellipse(img, _pt(c), (self._w(0.3), self._w(0.38)), 0, 0, 360, s.skin, -1, aa)
        if head_ok:
            self._face(img, xy, mask)
        # arms, then hands on top
        for side in ("LEFT", "RIGHT"):
            (sh, sok), (el, eok), (wr, wok) = P(f"{side}_SHOULDER"), P(f"{side}_ELBOW"), P(f"{side}_WRIST")
            if sok and eok:
                seg(sh, el, self._w(0.2), s.sleeve)
            if eok and wok:
                seg(el, wr, self._w(0.15), s.sleeve)
        for side in ("LEFT", "RIGHT"):
            self._hand(img, xy[hand_slice(side)], mask[hand_slice(side)], seg)
        return img

    def _face(self, img, xy, mask):
        import cv2

        s, aa = self.style, cv2.LINE_AA
        for eye in ("left_eye", "right_eye"):
            idx = face_group(eye)
            if mask[idx].all():
                poly = np.round(xy[idx] * 16).astype(np.int32)
                cv2.fillPoly(img, [poly], s.eye, aa, 4)
                c, _ = group_center(xy, mask, idx)
                h = xy[idx][:, 1].max() - xy[idx][:, 1].min()
                cv2.circle(img, (int(c[0] * 16), int(c[1] * 16)), max(16, int(h * 0.45 * 16)), s.pupil, -1, aa, 4)
        for brow in ("left_brow", "right_brow"):
            idx = face_group(brow)[:5]  # upper edge of the brow
            if mask[idx].all():
                cv2.polylines(img, [np.round(xy[idx] * 16).astype(np.int32)], False, s.brow, self._w(0.03), aa, 4)
        outer, inner = face_group("lips_outer"), face_group("lips_inner")
        if mask[outer].all():
            cv2.fillPoly(img, [np.round(xy[outer] * 16).astype(np.int32)], s.lips, aa, 4)
        if mask[inner].all():
            cv2.fillPoly(img, [np.round(xy[inner] * 16).astype(np.int32)], s.mouth, aa, 4)

    def _hand(self, img, hxy, hm, seg):
        import cv2

        s = self.style
        palm = np.linalg.norm(hxy[9] - hxy[0]) if hm[0] and hm[9] else 0.25 * self.unit
        width = max(1, int(round(0.22 * palm)))
        edge = max(1, width // 6) if self.outline else 0
        if hm[PALM].all():
            hull = cv2.convexHull(np.round(hxy[PALM] * 16).astype(np.int32))
            cv2.fillConvexPoly(img, hull, s.skin, cv2.LINE_AA, 4)
            if edge:
                cv2.polylines(img, [hull], True, s.outline, edge, cv2.LINE_AA, 4)
        for chain in FINGERS:
            base = 0 if chain[0] == 1 else chain[0]
            joints = ([0] if chain[0] == 1 else []) + list(chain)
            if edge:  # each finger outlined, so a finger folded over the palm or another finger stays visible
                for a, b in zip(joints[:-1], joints[1:]):
                    if hm[a] and hm[b]:
                        seg(hxy[a], hxy[b], width + 2 * edge, s.outline)
            for a, b in zip(joints[:-1], joints[1:]):
                if hm[a] and hm[b]:
                    seg(hxy[a], hxy[b], width, s.skin_shade if a == base else s.skin)
            for a, b in zip(joints[1:-1], joints[2:]):  # outline-free knuckle shading for readable fingers
                if hm[a] and hm[b]:
                    cv2.line(img, _pt(hxy[a]), _pt(hxy[b]), s.skin, max(1, width - 2), cv2.LINE_AA)


def _pt(p) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))
