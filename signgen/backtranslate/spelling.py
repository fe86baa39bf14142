"""Fingerspelling training data for the letter reader, composed on the fly from a lexicon.

Vocabulary, per language pair of the lexicon:
- `frequent`: wordfreq's frequent words; those in the starter corpus's val/test splits are never trained on,
  and the starter test words are the held-out `frequent` set;
- `rare`: wordfreq's long tail (ranks `rare_ranks`), a hash-chosen share held out as the `rare` set;
- `pseudo`: random letter strings drawn uniformly over the pair's lexicon entries (multi-character letters
  such as "sch" and doubled letters included), so every letter is frequent in every language;
- `names`: the held-out proper names of `signgen/data/heldout_names.json` (evaluation only);
- `phrases`: held-out phrases of two or three held-out words (evaluation only).

Every training sample is composed anew with `augment`: letter and word timing from `letter_speed`, holds and
pauses, spoken-to-signed's capped timing (a whole word in 0.8 s), signer scale, rotation, hand size, shift and
a left-handed mirror, keypoint jitter, dropped frames and dropped hands.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..corpus import hash_split, hash_unit
from ..errors import SigngenError
from ..lexicon import LOOKUP_CUT_FRAMES, Clip, Composition, Lexicon, capped_clips, compose, natural_frames, resample, spell_text
from ..pose.augment import mirror
from ..pose.skeleton import component_slices, two_handed

HELDOUT_SETS = ("frequent", "rare", "names", "phrases")
NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "heldout_names.json"


@dataclass
class SpellingConfig:
    """Which texts the reader trains on and which are held out."""

    pairs: list[str] = field(default_factory=lambda: ["all"])  # "en-ase", ...; all = every lexicon pair
    frequent_candidates: int = 5000  # wordfreq's most frequent words scanned
    rare_ranks: list[int] = field(default_factory=lambda: [15000, 60000])  # wordfreq ranks of the long tail
    rare_per_pair: int = 600  # rare words kept per pair (trained + held out)
    rare_heldout: float = 0.1  # share of rare words held out
    pseudo_per_pair: int = 500  # pseudo-words per pair
    pseudo_double_prob: float = 0.25  # share of pseudo-words with a doubled letter
    two_handed_prob: float = 0.0  # in alphabets with both kinds: share of pseudo-words two-handed, 1-3 one-handed, two-handed letter
    min_letters: int = 2
    max_letters: int = 12
    val_per_pair: int = 10  # training-vocabulary words kept aside for validation
    phrase_prob: float = 0.15  # share of training samples that are 2-3 word phrases
    heldout_per_set: int = 10  # texts per pair in each held-out set
    seed: int = 0
    # The starter corpus's word split (data_prep.starter): its val and test words are never trained on.
    starter_seed: int = 0
    starter_val_fraction: float = 0.1
    starter_test_fraction: float = 0.1


@dataclass
class SpellingAugment:
    """How much composed training samples vary. Ranges are (low, high); speeds are factors on frames (>1 slower)."""

    word_speed: list[float] = field(default_factory=lambda: [0.4, 2.5])  # log-uniform, whole word
    letter_speed: list[float] = field(default_factory=lambda: [0.7, 1.4])  # log-uniform, each letter on top
    hold_prob: float = 0.1  # a letter frozen for `hold_frames`
    hold_frames: list[int] = field(default_factory=lambda: [3, 12])
    letter_gap: list[int] = field(default_factory=lambda: [0, 5])  # interpolated frames between letters
    word_gap: list[int] = field(default_factory=lambda: [2, 14])
    capped_prob: float = 0.2  # spoken-to-signed's default: each word squeezed into `capped_frames`
    capped_frames: int = 20
    scale: list[float] = field(default_factory=lambda: [0.85, 1.15])
    rotate_degrees: float = 12.0  # in-plane roll, and the same range of yaw
    hand_scale: list[float] = field(default_factory=lambda: [0.85, 1.2])  # hand size against the shoulders
    shift: float = 0.1
    mirror_prob: float = 0.3
    jitter: float = 0.01  # max std of Gaussian keypoint noise, shoulder widths
    drop_frames: float = 0.08  # max share of frames removed
    drop_hand_prob: float = 0.3  # a sample with hand detections missing in short runs
    onset_prob: float = 0.5  # keep the recorded rise into the first letter and the lowering after the last
    smooth_prob: float = 0.5  # low-pass the trajectories (spoken-to-signed smooths its joins with a Butterworth filter)
    smooth_hz: list[float] = field(default_factory=lambda: [3.0, 8.0])  # cut-off range, at 25 fps
    hide_low_hands_prob: float = 0.5  # hide a hand whose wrist is low (spoken-to-signed hides hands at rest)
    # the arm's path low-passed, the handshapes kept (`smooth_arm`): a reader that must read handshapes, not the
    # approach of each recorded letter clip (docs/evaluation.md, "What is left between guided output and the truth")
    arm_smooth_prob: float = 0.0
    arm_smooth_sigma: list[float] = field(default_factory=lambda: [2.0, 8.0])  # Gaussian sigma range, frames
    # spoken-to-signed's lookup, step by step (bench/composer_gap.py; the spelling preset sets 0.3 and 0.5):
    lookup_order_prob: float = 0.0  # letters capped before their joins are cut, 1-frame joins (lexicon.capped_clips)
    fill_hand_gaps_prob: float = 0.0  # undetected hand frames filled by interpolation, as its concatenation does
    prob: float = 0.9  # share of samples augmented at all


def starter_split(word: str, cfg: SpellingConfig) -> str:
    """The split `data_prep.starter` gives a word with cfg's starter settings."""
    return hash_split(word, cfg.starter_seed, cfg.starter_val_fraction, cfg.starter_test_fraction)


def _wordlist_language(spoken: str) -> str | None:
    import wordfreq

    code = "sh" if spoken == "hr" else spoken
    return code if code in wordfreq.available_languages() else None


def _top_words(spoken: str, n: int) -> list[str]:
    import wordfreq

    code = _wordlist_language(spoken)
    if code is None:
        return []
    with contextlib.redirect_stderr(io.StringIO()):  # wordfreq warns about language fallbacks
        return [w.lower() for w in wordfreq.top_n_list(code, n)]


@lru_cache(maxsize=1)
def heldout_names() -> dict[str, list[str]]:
    return {k: v for k, v in json.loads(NAMES_FILE.read_text(encoding="utf-8")).items() if not k.startswith("_")}


def _spellable(lexicon: Lexicon, word: str, spoken: str, signed: str) -> bool:
    return set(word) <= lexicon.letters(spoken, signed) and _spells(lexicon, word, spoken, signed)


def _spells(lexicon: Lexicon, word: str, spoken: str, signed: str) -> bool:
    try:
        lexicon.spell(word, spoken, signed)
        return True
    except SigngenError:
        return False


def vocabulary(lexicon: Lexicon, cfg: SpellingConfig) -> dict[str, dict[str, list[str]]]:
    """{pair: {"train", "val", "frequent", "rare", "names", "phrases": texts}}; held-out sets share no word with
    "train" or "val", nor with the starter corpus's train split. "rare_train" and "pseudo" are the rare words and
    pseudo-words within "train" (the starter corpus v2 draws from them)."""
    pairs = lexicon.pairs if cfg.pairs == ["all"] else cfg.pairs
    names = heldout_names()
    all_names = {n for v in names.values() for n in v}
    out = {}
    for pair in pairs:
        spoken, signed = pair.split("-")
        ok = lambda w: (cfg.min_letters <= len(w) <= cfg.max_letters and w.isalpha()  # noqa: E731
                        and _spellable(lexicon, w, spoken, signed) and w not in all_names)
        frequent = list(dict.fromkeys(w for w in _top_words(spoken, cfg.frequent_candidates) if ok(w)))
        lo, hi = cfg.rare_ranks
        rare = list(dict.fromkeys(w for w in _top_words(spoken, hi)[lo:] if ok(w) and len(w) >= 4))[: cfg.rare_per_pair]
        held_frequent = [w for w in frequent if starter_split(w, cfg) == "test"]
        held_rare = [w for w in rare if hash_unit(cfg.seed, "rare", w) < cfg.rare_heldout and starter_split(w, cfg) == "train"]
        held = set(held_frequent) | set(held_rare)
        trainable = [w for w in frequent + rare if w not in held and starter_split(w, cfg) == "train"]
        trainable = list(dict.fromkeys(trainable))
        rng = np.random.default_rng(int(hash_unit(cfg.seed, "pseudo", pair) * 2**32))
        pseudo = [pseudo_word(lexicon, spoken, signed, rng, cfg) for _ in range(cfg.pseudo_per_pair)]
        pseudo = [w for w in dict.fromkeys(pseudo) if w not in held]
        val = [w for w in trainable if hash_unit(cfg.seed, "val", w) < 0.03][: cfg.val_per_pair]
        kept = set(val)
        train = [w for w in trainable if w not in kept] + pseudo
        trained = set(train)
        pair_names = [n for n in names.get(spoken, []) if _spells(lexicon, n, spoken, signed)]
        prng = np.random.default_rng(int(hash_unit(cfg.seed, "phrases", pair) * 2**32))
        pool = held_frequent[: cfg.heldout_per_set] + held_rare[: cfg.heldout_per_set]
        phrases = []
        for _ in range(cfg.heldout_per_set if len(pool) >= 3 else 0):
            phrases.append(" ".join(prng.choice(pool, size=int(prng.integers(2, 4)), replace=False)))
        out[pair] = {"train": train, "val": val, "rare_train": [w for w in rare if w in trained], "pseudo": pseudo,
                     "frequent": held_frequent[: cfg.heldout_per_set],
                     "rare": held_rare[: cfg.heldout_per_set], "names": pair_names[: cfg.heldout_per_set],
                     "phrases": list(dict.fromkeys(phrases))}
    return out


_HANDEDNESS: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}


def two_handed_letters(lexicon: Lexicon, spoken: str, signed: str) -> tuple[list[str], list[str]]:
    """(two-handed, one-handed) letters of a pair: two-handed when both hands are seen in most of its clip."""
    key = (str(lexicon.root), spoken, signed)  # a lexicon is its directory; id() could be reused after garbage collection
    if key not in _HANDEDNESS:
        two, one = [], []
        for k in (k for k in lexicon.keys(spoken, signed) if k.isalpha()):
            clip = spell_text(lexicon, k, spoken, signed)[0][0]
            (two if two_handed(clip.mask) else one).append(k)
        _HANDEDNESS[key] = (two, one)
    return _HANDEDNESS[key]


def two_handed_pattern(lexicon: Lexicon, spoken: str, signed: str, rng: np.random.Generator) -> list[str] | None:
    """Letters two-handed, 1-3 one-handed, two-handed, one-handed: where spoken-to-signed's lookup interpolates the
    second hand through one-handed letters (bench/two_handed.py). None if the alphabet lacks either kind, or if the
    joined letters would spell back as other entries (s+c+h read as "sch")."""
    two, one = two_handed_letters(lexicon, spoken, signed)
    if not two or not one:
        return None
    pick = lambda keys: keys[int(rng.integers(len(keys)))]  # noqa: E731
    letters = [pick(two)] + [pick(one) for _ in range(int(rng.integers(1, 4)))] + [pick(two), pick(one)]
    return letters if lexicon.spell("".join(letters), spoken, signed) == letters else None


def pseudo_word(lexicon: Lexicon, spoken: str, signed: str, rng: np.random.Generator, cfg: SpellingConfig) -> str:
    """A random string of the pair's lexicon entries, uniform over entries, sometimes with a doubled letter, or
    (`two_handed_prob`) around two-handed letters."""
    if cfg.two_handed_prob > 0 and rng.random() < cfg.two_handed_prob:
        letters = two_handed_pattern(lexicon, spoken, signed, rng)
        if letters is not None:
            if rng.random() >= cfg.pseudo_double_prob:
                return "".join(letters)  # two_handed_pattern checked that it spells back
            i = int(rng.integers(len(letters)))  # doubled letters as often as in the other pseudo-words
            letters.insert(i, letters[i])
            word = "".join(letters)
            if lexicon.spell(word, spoken, signed) == letters:
                return word
    keys = [k for k in lexicon.keys(spoken, signed) if k.isalpha()]
    n = int(rng.integers(max(cfg.min_letters, 3), min(cfg.max_letters, 9) + 1))
    picks = [keys[int(rng.integers(len(keys)))] for _ in range(n)]
    if rng.random() < cfg.pseudo_double_prob and n >= 2:
        i = int(rng.integers(n - 1))
        picks[i + 1] = picks[i]
    word = "".join(picks)
    if lexicon.spell(word, spoken, signed) != picks:  # e.g. s+c+h read back as the one letter "sch"
        return pseudo_word(lexicon, spoken, signed, rng, cfg)
    return word


# ---- composing one augmented sample ----------------------------------------------------------------
def _log_uniform(rng: np.random.Generator, lo_hi) -> float:
    lo, hi = lo_hi
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def compose_sample(lexicon: Lexicon, text: str, spoken: str, signed: str, aug: SpellingAugment | None,
                   rng: np.random.Generator | None) -> Composition:
    """`text` fingerspelled at the lexicon's pace (aug None) or with random timing from `aug`."""
    units = spell_text(lexicon, text, spoken, signed)
    base = natural_frames(units)
    if aug is None or rng is None:
        return compose(units, base)
    if rng.random() < aug.capped_prob:
        return _capped(units, base, aug, rng)
    if rng.random() < aug.lookup_order_prob:
        return _lookup_order(units, aug, rng)
    frames = []
    for word in base:
        w = _log_uniform(rng, aug.word_speed)
        frames.append([max(2, int(round(f * w * _log_uniform(rng, aug.letter_speed)))) for f in word])
    gaps = [[int(rng.integers(aug.letter_gap[0], aug.letter_gap[1] + 1)) for _ in word[1:]] for word in units]
    word_gaps = [int(rng.integers(aug.word_gap[0], aug.word_gap[1] + 1)) for _ in units[1:]]
    ends = rng.random() < aug.onset_prob
    comp = compose(units, frames, gaps, word_gaps, onset=ends, offset=ends)
    return _holds(comp, aug, rng)


def _capped(units: list[list[Clip]], base: list[list[int]], aug: SpellingAugment, rng) -> Composition:
    """Each word composed, then squeezed into at most `capped_frames` (spoken-to-signed's gloss_to_pose)."""
    words = [compose([w], [f]) for w, f in zip(units, base)]
    squeezed = []
    for c in words:
        n = min(len(c.x), aug.capped_frames)
        x, m = resample(c.x, c.mask, n)
        squeezed.append(Clip(" ", x, m))
    gap = int(rng.integers(aug.word_gap[0], aug.word_gap[1] + 1))
    whole = compose([[c] for c in squeezed], None, None, [gap] * (len(squeezed) - 1), cut=False)
    return whole


def _lookup_order(units: list[list[Clip]], aug: SpellingAugment, rng) -> Composition:
    """The lookup's own order (`lexicon.capped_clips`: cap, then cut within 8 frames, 1-frame joins), the whole
    composition then played at a random word speed."""
    capped = capped_clips(units)
    comp = compose(capped, None, [[1] * (len(w) - 1) for w in capped], [1] * (len(capped) - 1),
                   cut_max_frames=LOOKUP_CUT_FRAMES, onset=True, offset=True)
    n = max(2, int(round(len(comp.x) * _log_uniform(rng, aug.word_speed))))
    x, m = resample(comp.x, comp.mask, n)
    f = n / len(comp.x)
    return Composition(x, m, [(int(a * f), max(int(a * f) + 1, int(b * f))) for a, b in comp.spans],
                       [d * f for d in comp.durations])


def fill_hand_gaps(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each hand linearly interpolated through the frames where it is undetected between its first and last
    detection, as spoken-to-signed's concatenation does (`NumPyPoseBody.interpolate` over zero confidence)."""
    x, mask = x.copy(), mask.copy()
    t = np.arange(len(x))
    for side in ("LEFT", "RIGHT"):
        sl = component_slices()[f"{side}_HAND_LANDMARKS"]
        seen = mask[:, sl].all(1)
        if seen.sum() < 2 or seen.all():
            continue
        gap = (t > t[seen][0]) & (t < t[seen][-1]) & ~seen
        if not gap.any():
            continue
        for j in range(sl.start, sl.stop):
            for d in range(3):
                x[gap, j, d] = np.interp(t[gap], t[seen], x[seen, j, d])
        mask[gap, sl] = True
    return x, mask


def _holds(comp: Composition, aug: SpellingAugment, rng) -> Composition:
    x, m = comp.x, comp.mask
    inserts = []
    for a, b in comp.spans:
        if rng.random() < aug.hold_prob and b > a:
            inserts.append((int(rng.integers(a, b)), int(rng.integers(aug.hold_frames[0], aug.hold_frames[1] + 1))))
    if not inserts:
        return comp
    idx = np.arange(len(x))
    reps = np.ones(len(x), int)
    for t, k in inserts:
        reps[t] += k
    idx = np.repeat(idx, reps)
    return Composition(x[idx], m[idx], comp.spans, comp.durations)


def bridge_unseen(x: np.ndarray, mask: np.ndarray, joints) -> np.ndarray:
    """A copy of x with each of `joints`' unseen frames filled by linear interpolation between its seen ones (a
    joint never or always seen is left as it is), so a filter over time does not read unseen zeros."""
    t = np.arange(len(x))
    filled = x.copy()
    for j in joints:
        seen = mask[:, j]
        if seen.any() and not seen.all():
            for d in range(3):
                filled[:, j, d] = np.interp(t, t[seen], x[seen, j, d])
    return filled


def smooth(x: np.ndarray, mask: np.ndarray, cutoff_hz: float, fps: float = 25.0) -> np.ndarray:
    """Zero-phase Butterworth low-pass of every joint's trajectory (scipy); unseen frames are bridged linearly
    for the filter and stay unseen."""
    from scipy.signal import butter, filtfilt

    if len(x) <= 15:
        return x
    face = component_slices()["FACE_LANDMARKS"]
    moving = np.ones(x.shape[1], bool)
    moving[face] = False  # the face is not read, and spoken-to-signed leaves it unsmoothed
    filled = bridge_unseen(x, mask, np.flatnonzero(moving))
    b, a = butter(4, min(cutoff_hz / (fps / 2), 0.99), btype="low")
    filled[:, moving] = filtfilt(b, a, filled[:, moving], axis=0)
    return (filled * mask[..., None]).astype(np.float32)


def smooth_arm(x: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Low-pass the arm's path and keep the handshapes: the body joints are smoothed over time (Gaussian, `sigma`
    frames) and each hand moves rigidly with its smoothed root; fingers relative to the root are unchanged. Unseen
    frames are bridged linearly for the filter and stay unseen."""
    from scipy.ndimage import gaussian_filter1d

    if sigma <= 0 or len(x) < 2:
        return x
    slices = component_slices()
    body = range(slices["POSE_LANDMARKS"].start, slices["POSE_LANDMARKS"].stop)
    roots = [slices[f"{side}_HAND_LANDMARKS"].start for side in ("LEFT", "RIGHT")]
    filled = bridge_unseen(x, mask, [*body, *roots])

    def lowpass(j: int) -> np.ndarray:
        return gaussian_filter1d(filled[:, j], sigma, axis=0, mode="nearest") if mask[:, j].any() else x[:, j]

    out = x.copy()
    for j in body:
        out[:, j] = lowpass(j)
    for side in ("LEFT", "RIGHT"):
        sl = slices[f"{side}_HAND_LANDMARKS"]
        out[:, sl] = x[:, sl] - x[:, sl.start : sl.start + 1] + lowpass(sl.start)[:, None]
    return (out * mask[..., None]).astype(np.float32)


def hide_low_hands(x: np.ndarray, mask: np.ndarray, threshold: float = 0.15) -> np.ndarray:
    """Hide a hand in frames where its wrist hangs below `threshold` of the hip-to-shoulder height."""
    from ..pose.skeleton import joint_index

    mask = mask.copy()
    slices = component_slices()
    for side in ("LEFT", "RIGHT"):
        w, s, h = (joint_index("POSE_LANDMARKS", f"{side}_{p}") for p in ("WRIST", "SHOULDER", "HIP"))
        torso = np.median(x[:, h, 1] - x[:, s, 1])
        if torso <= 0:
            continue
        low = (x[:, h, 1] - x[:, w, 1]) / torso < threshold
        mask[low, slices[f"{side}_HAND_LANDMARKS"]] = False
    return mask


def augment_signer(x: np.ndarray, mask: np.ndarray, aug: SpellingAugment, rng: np.random.Generator):
    """Signer and capture variation on canonical arrays (see SpellingAugment)."""
    x = x.copy()
    mask = mask.copy()
    if rng.random() < aug.fill_hand_gaps_prob:
        x, mask = fill_hand_gaps(x, mask)
    if rng.random() < aug.smooth_prob:
        x = smooth(x, mask, rng.uniform(*aug.smooth_hz))
    if rng.random() < aug.arm_smooth_prob:
        x = smooth_arm(x, mask, rng.uniform(*aug.arm_smooth_sigma))
    if rng.random() < aug.hide_low_hands_prob:
        mask = hide_low_hands(x, mask)
    hands = [sl for name, sl in component_slices().items() if name.endswith("HAND_LANDMARKS")]
    for sl in hands:  # hand size against the body
        s = rng.uniform(*aug.hand_scale)
        x[:, sl.start + 1 : sl.stop] = x[:, sl.start : sl.start + 1] + s * (x[:, sl.start + 1 : sl.stop] - x[:, sl.start : sl.start + 1])
    roll, yaw = np.radians(rng.uniform(-aug.rotate_degrees, aug.rotate_degrees, 2))
    rz = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]], np.float32)
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]], np.float32)
    x = x @ (rz @ ry).T.astype(np.float32) * rng.uniform(*aug.scale)
    shift = np.zeros(3, np.float32)
    shift[:2] = rng.uniform(-aug.shift, aug.shift, 2)
    x = x + shift
    if rng.random() < aug.mirror_prob:
        x, mask = mirror(x, mask)
    body_hands = np.r_[component_slices()["POSE_LANDMARKS"], hands[0], hands[1]]  # the face is not read
    x[:, body_hands] += rng.uniform(0, aug.jitter) * rng.standard_normal((len(x), len(body_hands), 3), dtype=np.float32)
    if aug.drop_frames > 0 and len(x) > 8:
        keep = rng.random(len(x)) >= rng.uniform(0, aug.drop_frames)
        x, mask = x[keep], mask[keep]
    if rng.random() < aug.drop_hand_prob:
        for _ in range(int(rng.integers(1, 4))):
            sl = hands[int(rng.integers(2))]
            a = int(rng.integers(len(x)))
            mask[a : a + int(rng.integers(1, 5)), sl] = False
    return np.where(mask[..., None], x, 0.0).astype(np.float32), mask


def training_sample(lexicon: Lexicon, vocab: dict[str, dict[str, list[str]]], cfg: SpellingConfig,
                    aug: SpellingAugment, rng: np.random.Generator) -> tuple[str, str, np.ndarray, np.ndarray]:
    """(text, signed language, x, mask): a random pair, a random training text (or phrase), composed and augmented."""
    pair = list(vocab)[int(rng.integers(len(vocab)))]
    words = vocab[pair]["train"]
    n = int(rng.integers(2, 4)) if rng.random() < cfg.phrase_prob else 1
    text = " ".join(words[int(rng.integers(len(words)))] for _ in range(n))
    spoken, signed = pair.split("-")
    augmented = rng.random() < aug.prob
    comp = compose_sample(lexicon, text, spoken, signed, aug if augmented else None, rng)
    x, mask = comp.x, comp.mask
    if augmented:
        x, mask = augment_signer(x, mask, aug, rng)
    return text, signed, x, mask
