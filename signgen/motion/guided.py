"""Lexicon-guided generation: the model times and moves, real signers' clips fix the handshapes.

The motion model predicts how many frames the text takes and, for letter_durations models, how many each
character takes. Each lexicon unit of the text (a fingerspelled letter, a multi-character letter such as
"sch", or a whole word from a user lexicon) gets the frames of its characters as its slot. The lexicon clips
are joined by the lexicon's composer (`signgen.lexicon.compose`) with every clip resampled to its slot, so
the composition runs frame for frame with the model's timing. Sampling then holds (`motion.inpaint`), in
the middle of each slot:

- for a one-handed letter: the signing hand's finger joints, as offsets from its wrist: the handshape, its
  orientation and the hand's own movement (the twist of J, the turns of Z); at weight `WRIST` (0.3) where the
  hand is, a pull towards the recording's place that keeps a generated slide out of a single letter; and the
  other hand's visibility: hidden where the recording does not show it (real signers' resting hand is out
  of view; a generated one in view reads as part of the letter);
- for a two-handed letter (both hands seen in most of its clip, as in the Czech, Croatian and Turkish
  alphabets) and for a whole sign: both hands (fingers and where they are), both wrists and elbows.

Everything else (the rest of the arm path, transitions, body, face, the slide of a doubled letter) is generated. The hold
fades in and out over the first and last `(1 - core) / 2` of each slot, so the generated transitions blend
into the held handshapes. The model changes one handshape into the next within those few fade frames, faster
than real signers do; `smooth_joins` then spreads each change over its neighbouring frames, leaving the frames
held at least half as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import SigngenError
from ..lexicon import Clip, Lexicon, compose
from ..pose.skeleton import component_slices, joint_index, most_seen_hand, num_joints, two_handed
from .inpaint import Known

CORE = 0.8  # fraction of each unit's slot held at full weight (centred); the rest ramps to 0 at the slot's edges
MAX_SPEED = 1.0  # a letter's clip plays at most this many times faster than recorded
WRIST = 0.3  # weight of a letter's hand position (a blend: the model's arm path, pulled 30% towards the recording's)
MAX_FINGER_SPEED = 0.0  # >0 (shoulder widths per frame): a join's fade widens until the fingers' change fits it; off (docs/evaluation.md)
SMOOTH = 1.0  # frames: the fingers' changes where a letter is held less than half are Gaussian-smoothed over time (0: off)
MOVES = 0.35  # a letter whose hand root spans more than this (shoulder widths) in its clip's middle 60% travels
HANDS = ("RIGHT", "LEFT")


@dataclass
class Unit:
    """One lexicon clip placed on the text: characters [start, end) of the normalized text."""

    clip: Clip
    start: int
    end: int
    whole_sign: bool  # a word from a user lexicon (True) or a letter (False)


@dataclass
class LexiconGuide:
    """Which lexicons guide generation: an optional user lexicon (whole words) and the built-in fingerspelling one."""

    user: Lexicon | None = None
    builtin: Lexicon | None = field(default_factory=Lexicon.builtin)
    core: float = CORE
    max_speed: float = MAX_SPEED
    two_handed: bool = True  # a two-handed letter (both hands seen in most of its clip) holds both hands, as a whole sign does
    hide_other: bool = True  # a one-handed letter holds the other hand hidden where its recording hides it
    hold_wrist: float = WRIST  # how strongly a letter holds where the hand is (its root and the body wrist): 0 leaves it to the model
    max_finger_speed: float = MAX_FINGER_SPEED  # fades at a join widen so the fingers need move no faster (0: off)
    follow_moves: bool = False  # a letter whose hand travels (`moves`) holds that path relative to where the model puts it
    move_speed: float | None = None  # max_speed for a letter whose hand travels (None: max_speed)
    smooth: float = SMOOTH  # sigma (frames) of `smooth_joins` on the output; 0 leaves the sampled fingers as they are

    def _speed(self, clip: Clip) -> float:
        if self.move_speed is None or two_handed(clip.mask) or not moves(clip):
            return self.max_speed
        return self.move_speed

    @classmethod
    def load(cls, user_dir: str | Path | None = None, builtin: bool = True) -> "LexiconGuide":
        return cls(Lexicon.from_dir(user_dir) if user_dir else None, Lexicon.builtin() if builtin else None)

    @staticmethod
    def _spoken(lexicon: Lexicon | None, signed: str) -> str | None:
        """The spoken language of `lexicon`'s pair for sign language `signed` (None if it has none)."""
        if lexicon is None:
            return None
        pairs = sorted(s for s, g in lexicon.index if g == signed)
        return pairs[0] if pairs else None

    def covers(self, signed: str) -> bool:
        """True if any of the lexicons has an entry for sign language `signed`."""
        return self._spoken(self.user, signed) is not None or self._spoken(self.builtin, signed) is not None

    def check(self, signed: str) -> None:
        """One-line SigngenError for a user lexicon that has nothing for sign language `signed`."""
        if self.user is not None and self._spoken(self.user, signed) is None:
            raise SigngenError(f"lexicon {self.user.root}: its entries are for {', '.join(self.user.pairs)}, none for "
                               f"sign language {signed!r}; pass a lexicon for {signed} or a matching --lang")

    def units(self, text: str, signed: str) -> list[list[Unit]]:
        """The lexicon units of normalized `text`, word by word: whole words from the user lexicon, the rest
        fingerspelled (with the built-in lexicon, or the user one's letters where the built-in has no pair)."""
        self.check(signed)
        user_spoken, builtin_spoken = self._spoken(self.user, signed), self._spoken(self.builtin, signed)
        speller = (self.builtin, builtin_spoken) if builtin_spoken is not None else (self.user, user_spoken)
        out, pos = [], 0
        for word in text.split(" "):
            if user_spoken is not None and word in self.user.index[(user_spoken, signed)]:
                out.append([Unit(self.user.clip(word, user_spoken, signed), pos, pos + len(word), True)])
            else:
                lexicon, spoken = speller
                if spoken is None:
                    raise SigngenError(f"'{word}': no lexicon covers sign language {signed!r}; use --no-lexicon")
                out.append([Unit(lexicon.clip(key, spoken, signed), a, b, False)
                            for key, a, b in _spelling(lexicon, word, pos, spoken, signed)])
            pos += len(word) + 1
        return out

    def token_frames(self, text: str, signed: str, per_token: torch.Tensor) -> torch.Tensor:
        """per_token (L,) frames per character with each whole sign's characters sharing its recording's frames."""
        out = per_token.clone()
        for word in self.units(text, signed):
            for u in word:
                if u.whole_sign:
                    out[u.start : u.end] = len(u.clip) / (u.end - u.start)
        return out

    def known(self, model, text: str, signed: str, frames: int, per_token: torch.Tensor | None) -> Known:
        """Held values for sampling `text` over `frames` frames; per_token (L,) is the model's relative frames
        per character (None for models without letter durations: characters share the frames evenly)."""
        units = [word for word in self.units(text, signed) if word]  # a word with no lexicon letter is not held
        bounds = char_bounds(per_token, len(text), frames)
        x = np.zeros((frames, num_joints(), 3), np.float32)
        mask = np.zeros((frames, num_joints()), bool)
        weight = np.zeros((frames, num_joints()), np.float32)
        hide = np.zeros((frames, num_joints()), np.float32)
        rel = np.zeros((frames, num_joints()), np.float32)
        slot = np.zeros(frames, np.int64)
        if not units:
            return Known.from_canonical(model, x, mask, weight)
        slots = [[(int(round(bounds[u.start])), int(round(bounds[u.end]))) for u in word] for word in units]
        unit_frames = [[max(1, b - a) for a, b in word] for word in slots]
        gap_frames = [[max(0, word[k + 1][0] - word[k][1]) for k in range(len(word) - 1)] for word in slots]
        word_gap = [max(0, slots[w + 1][0][0] - slots[w][-1][1]) for w in range(len(slots) - 1)]
        # a letter shows the middle of its clip at no more than `max_speed` times the signer's pace (its slot is
        # often shorter than the clip, which also holds the hand's approach); a whole sign shows all of its clip
        clips = [[u.clip if u.whole_sign else centre_window(u.clip, n, self._speed(u.clip)) for u, n in zip(word, frames_w)]
                 for word, frames_w in zip(units, unit_frames)]
        comp = compose(clips, unit_frames, gap_frames, word_gap, cut=False)
        first = slots[0][0][0]  # the composition starts with the first held unit
        n = max(0, min(frames - first, len(comp.x)))
        x[first : first + n], mask[first : first + n] = comp.x[:n], comp.mask[:n]
        flat = [u for word in units for u in word]
        edges = fade_edges(comp, self.core, self.max_finger_speed)
        for k, (unit, (a, b)) in enumerate(zip(flat, comp.spans)):
            a, b = a + first, min(b + first, frames)
            ramp = slot_weights(a, b, self.core, *edges[k])
            two = unit.whole_sign or (self.two_handed and two_handed(unit.clip.mask))
            joints = held_joints(unit.clip, two, model.cfg.hand_relative, self.hold_wrist)
            weight[a : a + len(ramp)] = np.maximum(weight[a : a + len(ramp)], ramp[:, None] * joints[None])
            if self.follow_moves and not two and moves(unit.clip):  # the hand's path, placed by the model
                place = place_joints(unit.clip)
                rel[a : a + len(ramp)] = np.maximum(rel[a : a + len(ramp)], ramp[:, None] * place[None])
                slot[a : a + len(ramp)] = np.where(ramp > 0, k + 1, slot[a : a + len(ramp)])
            if self.hide_other and not two:  # a one-handed letter: the other hand stays hidden where its clip hides it
                rest = other_hand(unit.clip)
                hide[a : a + len(ramp)] = np.maximum(hide[a : a + len(ramp)], ramp[:, None] * rest[None])
        if not rel.any():
            return Known.from_canonical(model, x, mask, weight, hide)
        return Known.from_canonical(model, x, mask, weight, hide, rel, slot)


def centre_window(clip: Clip, frames: int, max_speed: float) -> Clip:
    """The middle min(len, frames * max_speed) frames of a clip (what `frames` frames show at that pace at most)."""
    n = len(clip)
    w = min(n, max(1, int(round(frames * max_speed))))
    a = (n - w) // 2
    return Clip(clip.key, clip.x[a : a + w], clip.mask[a : a + w])


def _spelling(lexicon: Lexicon, word: str, pos: int, spoken: str, signed: str) -> list[tuple[str, int, int]]:
    """(entry, first, end character) of each lexicon letter of `word` (which starts at character `pos`). A
    character the lexicon has no letter for (the model's alphabet has it, or sampling would have refused the
    text) gets no entry: the model generates it unguided, and the other letters are still held."""
    try:
        keys = lexicon.spell(word, spoken, signed)
    except SigngenError:
        letters = lexicon.letters(spoken, signed)
        return [(c, pos + i, pos + i + 1) for i, c in enumerate(word) if c in letters]
    out, i = [], pos
    for key in keys:
        out.append((key, i, i + len(key)))
        i += len(key)
    return out


def char_bounds(per_token: torch.Tensor | None, chars: int, frames: int) -> np.ndarray:
    """(chars + 1,) frame boundaries of every character, as `MotionModel.token_positions` places them."""
    if per_token is None:
        d = np.ones(chars)
    else:
        d = per_token[:chars].detach().cpu().double().clamp(min=1e-3).numpy()
    ends = np.cumsum(d) * frames / d.sum()
    return np.concatenate([[0.0], ends])


def slot_weights(a: int, b: int, core: float, left: float | None = None, right: float | None = None) -> np.ndarray:
    """(b - a,) hold weights over a slot: 1 in its middle `core` fraction, falling linearly to 0 at its edges
    (or over its first `left` and last `right` fractions, where given)."""
    length = max(b - a, 0)
    if length == 0:
        return np.zeros(0, np.float32)
    u = (np.arange(length) + 0.5) / length  # frame centres along the slot, 0..1
    edge = (1 - core) / 2
    left, right = max(edge if left is None else left, 1e-6), max(edge if right is None else right, 1e-6)
    return np.clip(np.minimum(u / left, (1 - u) / right), 0, 1).astype(np.float32)


def fade_edges(comp, core: float, max_speed: float, widest: float = 0.35) -> list[tuple[float, float]]:
    """(left, right) fade fractions of each unit's slot: (1 - core) / 2, widened on both sides of a join (up to
    `widest`) where the fingers (as offsets from their wrist) change between the two letters' held frames by
    more than `max_speed` per frame of the join (the frames between their full holds)."""
    edge = (1 - core) / 2
    out = [[edge, edge] for _ in comp.spans]
    if max_speed <= 0:
        return [tuple(e) for e in out]
    from ..pose.tensors import hands_to_wrist

    x, mask = hands_to_wrist(comp.x, comp.mask)
    fingers = finger_joints()
    for k in range(len(comp.spans) - 1):
        (a0, b0), (a1, b1) = comp.spans[k], comp.spans[k + 1]
        la, lb = max(b0 - a0, 1), max(b1 - a1, 1)
        i, j = int(b0 - 1 - round(edge * la)), int(a1 + round(edge * lb))  # the last and first fully held frames
        if not (0 <= i < len(x) and 0 <= j < len(x)):
            continue
        seen = mask[i, fingers] & mask[j, fingers]
        if not seen.any():
            continue
        d = float(np.linalg.norm(x[j, fingers] - x[i, fingers], axis=-1)[seen].max())
        need = d / max_speed - (a1 - b0)  # join frames needed beyond the gap between the slots
        e = float(np.clip(need / (la + lb), edge, widest))
        out[k][1], out[k + 1][0] = e, e
    return [tuple(e) for e in out]


def moves(clip: Clip) -> bool:
    """True if a one-handed letter's hand travels: its root spans more than `MOVES` shoulder widths over the
    middle 60% of its clip (the median letter spans about 0.12; J, Z and most diacritic strokes 0.4-1.3)."""
    root = hand_place(most_seen_hand(clip.mask))[0]
    n = len(clip)
    a, b = int(0.2 * n), int(0.8 * n)
    r = clip.x[a:b, root][clip.mask[a:b, root]]
    return len(r) >= 3 and float(np.linalg.norm(r.max(0) - r.min(0))) > MOVES


def hand_place(side: str) -> tuple[int, int]:
    """The joints that say where a hand is: its root (the hand's wrist landmark) and the body's wrist."""
    return component_slices()[f"{side}_HAND_LANDMARKS"].start, joint_index("POSE_LANDMARKS", f"{side}_WRIST")


def place_joints(clip: Clip) -> np.ndarray:
    """(J,) 1 for where a one-handed letter's signing hand is: its root and the body wrist."""
    out = np.zeros(num_joints(), np.float32)
    out[list(hand_place(most_seen_hand(clip.mask)))] = 1
    return out


def other_hand(clip: Clip) -> np.ndarray:
    """(J,) 1 for the joints of the hand that does not sign a one-handed letter's clip."""
    side = "LEFT" if most_seen_hand(clip.mask) == "RIGHT" else "RIGHT"
    out = np.zeros(num_joints(), np.float32)
    out[component_slices()[f"{side}_HAND_LANDMARKS"]] = 1
    return out


def held_joints(clip: Clip, both_hands: bool, hand_relative: bool = True, wrist: float = 0.0) -> np.ndarray:
    """(J,) how strongly a unit holds each joint: a letter the signing hand's fingers (offsets from its wrist in
    hand-relative models; the whole hand otherwise) at 1 and where the hand is (its root and the body wrist)
    at `wrist`; a whole sign or a two-handed letter (`both_hands`) both hands, wrists and elbows at 1."""
    slices = component_slices()
    out = np.zeros(num_joints(), np.float32)
    sides = HANDS if both_hands else (most_seen_hand(clip.mask),)
    place = 1.0 if both_hands else float(wrist)
    for side in sides:
        sl = slices[f"{side}_HAND_LANDMARKS"]
        out[sl.start + (1 if hand_relative and not both_hands else 0) : sl.stop] = 1
        for j in hand_place(side):
            out[j] = max(out[j], place)
        if both_hands:
            out[joint_index("POSE_LANDMARKS", f"{side}_ELBOW")] = 1
    return out


def finger_joints() -> np.ndarray:
    """Both hands' landmarks without their roots: the joints whose offsets from the hand's root are its shape."""
    hands = [component_slices()[f"{side}_HAND_LANDMARKS"] for side in HANDS]
    return np.concatenate([np.arange(sl.start + 1, sl.stop) for sl in hands])


def smooth_joins(x: np.ndarray, mask: np.ndarray, held: np.ndarray, sigma: float) -> np.ndarray:
    """Canonical x (T, J, 3) with the handshapes' changes smoothed where the guide holds less than half.

    The finger joints, as offsets from their hand's root, are Gaussian-smoothed over time (`sigma` frames; frames
    where a joint is unseen are left out of its average), and each frame keeps `held` (T,) in [0, 1] of its own
    handshape: a frame held at least half is unchanged, a generated one takes the smoothed handshape, and the
    share in between grows linearly. Where the hands are and everything else are unchanged."""
    from scipy.ndimage import gaussian_filter1d

    from ..pose.tensors import hands_from_wrist, hands_to_wrist

    if sigma <= 0 or len(x) < 2:
        return x
    rel, seen = hands_to_wrist(x, mask)
    f = finger_joints()
    w = seen[:, f, None].astype(np.float32)
    total = gaussian_filter1d(rel[:, f] * w, sigma, axis=0, mode="nearest")
    count = gaussian_filter1d(w, sigma, axis=0, mode="nearest")
    smoothed = np.where(count > 1e-3, total / np.maximum(count, 1e-3), rel[:, f])
    keep = np.clip(2 * held, 0, 1)[:, None, None]
    rel[:, f] = np.where(w > 0, keep * rel[:, f] + (1 - keep) * smoothed, rel[:, f])
    out = hands_from_wrist(rel)
    return np.where(seen[..., None], out, x).astype(x.dtype)  # unseen joints, or fingers of an unseen root: as given
