"""Starter corpus: real signers' fingerspelling (spoken-to-signed's lexicon) composed into words and phrases.

Words come from wordfreq's frequency lists, filtered to those the language pair's alphabet covers.
Train/val/test are disjoint by word: a word's split is a hash of (seed, word), the same in every pair,
and a phrase only uses words of its own split. The build is parallel and resumable.

Two composers (`composer`):
- `lookup`: spoken-to-signed's own `FingerspellingPoseLookup` and `concatenate_poses` (the v1 corpus);
- `signgen`: signgen's numpy composer (`signgen.lexicon.compose`, at the lookup's pace), milliseconds a sample,
  with every character's frames known exactly.

The v2 corpus (`configs/corpus/starter-v2.yaml`) also covers every letter often: the letter reader's rare words
and pseudo-words (`signgen.backtranslate.spelling.vocabulary`) join the train split, and its held-out rare words
and proper names are two more test splits, `rare` and `names`, that no signgen model trains on.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from data_prep.resumable import finished_records, run_tasks
from signgen.corpus import Corpus, Sample, finalize, format_durations, hash_seed, hash_split, text_digest
from signgen.errors import SigngenError
from signgen.lexicon import Lexicon
from signgen.pose.augment import AugmentConfig, random_augment
from signgen.pose.io import write_pose
from signgen.pose.skeleton import component_slices, joint_index, most_seen_hand, to_canonical
from signgen.pose.tensors import array_to_pose, pose_to_array

BUILD = "build.json"


@dataclass
class StarterConfig:
    pairs: list[str] = field(default_factory=lambda: ["all"])  # "en-ase", ...; "all" = every pair with a word list
    words_per_language: int = 100  # distinct words per pair, before the split
    candidate_words: int = 5000  # size of the frequency list scanned for covered words
    min_letters: int = 2
    max_letters: int = 8
    phrases_per_language: int = 15  # multi-word phrases per pair, drawn within each split
    phrase_words: list[int] = field(default_factory=lambda: [2, 3])  # min and max words per phrase
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0
    words_file: Optional[str] = None  # one word or phrase per line, instead of wordfreq (one pair only)
    composer: str = "lookup"  # lookup (spoken-to-signed's) | signgen (signgen.lexicon.compose, milliseconds)
    # v2 coverage, from the letter reader's vocabulary (signgen.backtranslate.spelling.vocabulary):
    rare_per_language: int = 0  # wordfreq long-tail words added to train
    pseudo_per_language: int = 0  # random letter strings over the pair's lexicon entries added to train
    heldout_splits: bool = False  # add the reader's held-out rare words and names as splits `rare` and `names`
    # A doubled letter (the "ll" of "hello") is signed as the letter held while the hand slides a little to the
    # signer's dominant side, as in ASL and most one-handed manual alphabets. The lexicon has one clip per letter,
    # so spoken-to-signed composes "ll" as one long L; the build adds the slide (in shoulder widths; 0 = off).
    double_letter_slide: float = 0.25
    augment_copies: int = 0  # extra augmented copies of each train sample
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    workers: int = 0  # processes; 0 = all cores


@lru_cache(maxsize=1)
def _lookup():
    from spoken_to_signed.gloss_to_pose.lookup.fingerspelling_lookup import FingerspellingPoseLookup

    return FingerspellingPoseLookup()


def available_pairs() -> dict[str, set[str]]:
    """Every spoken-signed pair of the installed lexicon, with its single-character alphabet."""
    out = {}
    for spoken, by_signed in _lookup().words_index.items():
        for signed, letters in by_signed.items():
            out[f"{spoken}-{signed}"] = {k for k in letters if len(k) == 1}
    return out


def _split_of(word: str, cfg: StarterConfig) -> str:
    return hash_split(word, cfg.seed, cfg.val_fraction, cfg.test_fraction)


def _has_wordlist(spoken: str) -> bool:
    import wordfreq

    return spoken in wordfreq.available_languages() or spoken == "hr"  # wordfreq serves hr as 'sh'


def _candidate_words(spoken: str, alphabet: set[str], cfg: StarterConfig) -> list[str]:
    import wordfreq

    words = []
    with contextlib.redirect_stderr(io.StringIO()):  # wordfreq warns about language fallbacks
        ranked = wordfreq.top_n_list(spoken, cfg.candidate_words)
    for w in ranked:
        if len(words) >= cfg.words_per_language:
            break
        w = w.lower()
        if w.isalpha() and cfg.min_letters <= len(w) <= cfg.max_letters and set(w) <= alphabet and w not in words:
            words.append(w)
    return words


def _read_words_file(path: str, pair: str, alphabet: set[str]) -> list[str]:
    p = Path(path)
    if not p.exists():
        raise SigngenError(f"{p}: words file not found")
    texts = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        text = " ".join(line.lower().split())
        if not text:
            continue
        missing = sorted({c for c in text.replace(" ", "") if c not in alphabet})
        if missing:
            raise SigngenError(f"{p}:{n}: '{text}' has letters {missing} with no {pair} fingerspelling entry; remove or respell it")
        texts.append(text)
    return texts


def plan(cfg: StarterConfig) -> list[dict]:
    """The deterministic list of (pair, text, split) tasks the build makes."""
    pairs = available_pairs()
    wanted = sorted(pairs) if cfg.pairs == ["all"] else cfg.pairs
    if cfg.pairs == ["all"]:
        wanted = [p for p in wanted if _has_wordlist(p.split("-")[0]) or cfg.words_file or cfg.pseudo_per_language]
    unknown = [p for p in wanted if p not in pairs]
    if unknown:
        raise SigngenError(f"unknown language pair {unknown[0]!r}; available: {', '.join(sorted(pairs))}")
    if cfg.words_file and len(wanted) != 1:
        raise SigngenError("words_file needs exactly one pair, e.g. pairs=[en-ase]")
    if cfg.composer not in ("lookup", "signgen"):
        raise SigngenError(f"composer={cfg.composer}: choose lookup or signgen")
    extra = _coverage(cfg, wanted)
    tasks = []
    for pair in wanted:
        spoken, signed = pair.split("-")
        if cfg.words_file:
            words = _read_words_file(cfg.words_file, pair, pairs[pair])
        elif not _has_wordlist(spoken):
            if pair not in extra:
                raise SigngenError(f"pair {pair}: wordfreq has no word list for '{spoken}'; pass words_file=PATH")
            words = []
        else:
            words = _candidate_words(spoken, pairs[pair], cfg)
        if not words and not extra.get(pair, {}).get("train"):
            raise SigngenError(f"pair {pair}: the word list is empty after filtering; raise words_per_language or candidate_words")
        by_split: dict[str, list[str]] = {}
        for w in words:
            split = _split_of(w, cfg)
            by_split.setdefault(split, []).append(w)
            tasks.append({"pair": pair, "text": w, "split": split, "kind": "w"})
        taken = set(words)
        for split, texts in extra.get(pair, {}).items():
            for w in texts:
                if w not in taken:
                    taken.add(w)
                    tasks.append({"pair": pair, "text": w, "split": split, "kind": "w"})
        rng = random.Random(f"{cfg.seed}-{pair}-phrases")
        lo, hi = cfg.phrase_words
        for i in range(cfg.phrases_per_language):
            split = rng.choices(list(_split_weights(cfg)), weights=list(_split_weights(cfg).values()))[0]
            pool = [w for w in by_split.get(split, []) if " " not in w]
            n = rng.randint(lo, hi)
            if len(pool) < n:
                continue
            text = " ".join(rng.sample(pool, n))
            tasks.append({"pair": pair, "text": text, "split": split, "kind": "p"})
    # no word of a held-out split is trained on in any pair (the v2 splits come from another hash)
    held = {w for t in tasks if t["split"] != "train" for w in t["text"].split()} if extra else set()
    # de-duplicate (a phrase can be drawn twice) while keeping order
    seen, unique = set(), []
    for t in tasks:
        key = (t["pair"], t["text"])
        if t["split"] == "train" and held & set(t["text"].split()):
            continue
        if key not in seen:
            seen.add(key)
            unique.append(t)
    return unique


def _coverage(cfg: StarterConfig, pairs: list[str]) -> dict[str, dict[str, list[str]]]:
    """{pair: {split: texts}} of the v2 additions: rare words and pseudo-words for train, the letter reader's
    held-out rare words and names as splits `rare` and `names`. Word splits follow this corpus's own seed and
    fractions, so the reader's held-out words are this corpus's test words."""
    if not (cfg.rare_per_language or cfg.pseudo_per_language or cfg.heldout_splits):
        return {}
    from signgen.backtranslate.spelling import SpellingConfig, vocabulary

    spelling = SpellingConfig(pairs=pairs, max_letters=max(cfg.max_letters, 12), starter_seed=cfg.seed,
                              starter_val_fraction=cfg.val_fraction, starter_test_fraction=cfg.test_fraction,
                              pseudo_per_pair=max(2 * cfg.pseudo_per_language, 1))
    out = {}
    with contextlib.redirect_stderr(io.StringIO()):
        vocab = vocabulary(Lexicon.builtin(), spelling)
    for pair, v in vocab.items():
        short = lambda ws: [w for w in ws if cfg.min_letters <= len(w) <= cfg.max_letters]  # noqa: E731
        pseudo = [w for w in short(v["pseudo"]) if _split_of(w, cfg) == "train"]  # splits are by word, in every pair
        sets = {"train": short(v["rare_train"])[: cfg.rare_per_language] + pseudo[: cfg.pseudo_per_language]}
        if cfg.heldout_splits:
            sets.update(rare=v["rare"], names=v["names"])
        out[pair] = {k: t for k, t in sets.items() if t}
    return out


def _split_weights(cfg: StarterConfig) -> dict[str, float]:
    return {"train": 1 - cfg.val_fraction - cfg.test_fraction, "val": cfg.val_fraction, "test": cfg.test_fraction}


def _sample_id(task: dict, copy: int = 0) -> str:
    base = f"{task['pair']}-{task['kind']}-{text_digest(task['text'])}"
    return base if copy == 0 else f"{base}-aug{copy}"


def compose(text: str, spoken: str, signed: str):
    """Fingerspell `text` with spoken-to-signed (letters -> words -> phrase); returns its reduced Holistic Pose."""
    return compose_timed(text, spoken, signed)[0]


def compose_timed(text: str, spoken: str, signed: str):
    """`compose`, plus the frames each character of `text` takes in the result (None if they can't be told).

    spoken-to-signed cuts each letter clip at its best connection point and joins the pieces with a few
    interpolated frames, and returns neither. `_pieces` works them out with its public functions, on the same
    clips, before they are concatenated. A letter's frames are its cut clip plus half of each join; a
    multi-character lexicon entry (Spanish "ll") shares its frames between its characters; in a phrase, each
    word's letters are scaled to the word's trimmed length and the space gets the join between words."""
    from spoken_to_signed.gloss_to_pose import concatenate_poses

    words = text.split()
    with contextlib.redirect_stdout(io.StringIO()):  # spoken-to-signed prints progress
        poses, pieces = [], []
        for w in words:
            letters = _letter_poses(w, spoken, signed)
            pieces.append(_pieces(letters))
            poses.append(concatenate_poses(letters))
        # Words are already trimmed and capped per letter; don't squeeze whole words into 0.8 s again.
        phrase = _pieces(poses, max_sign_seconds=None) if len(poses) > 1 else None
        pose = poses[0] if len(poses) == 1 else concatenate_poses(poses, max_sign_seconds=None)
    try:
        per_word = [_spread(lengths, pad, [len(k) for k in Lexicon.builtin().spell(w, spoken, signed)]) for w, (lengths, pad) in zip(words, pieces)]
        durations = list(per_word[0])
        if phrase is not None:  # each word's letters scaled to its trimmed piece; the space gets the join
            lengths, pad = phrase
            durations = []
            for d, n in zip(per_word, lengths):
                durations += [v * n / sum(d) for v in d] + [pad]
            durations.pop()
    except (ValueError, IndexError, SigngenError):
        return pose, None
    if len(durations) != len(" ".join(words)) or abs(sum(durations) - len(pose.body.data)) > 0.5:
        return pose, None
    return pose, durations


def _letter_poses(word: str, spoken: str, signed: str) -> list:
    """The letter clips spoken-to-signed's fingerspelling lookup concatenates for `word`, the last one held twice
    as long: its `FingerspellingPoseLookup.lookup` up to the concatenation, through the lookup's public methods."""
    lookup = _lookup()
    if signed not in lookup.words_index.get(spoken, {}):
        raise FileNotFoundError(f"Language pair {spoken} -> {signed} not supported for fingerspelling")
    poses = list(lookup.characters_lookup(word.lower(), spoken, signed))
    poses[-1] = lookup.stretch_pose(poses[-1], 2)
    return poses


def _pieces(poses: list, max_sign_seconds: float | None = 0.8) -> tuple[list[int], int]:
    """(frames of each cut piece, frames of each join) that spoken-to-signed's `concatenate_poses(poses,
    max_sign_seconds=...)` makes: its reduce, normalize, trim and best-connection-point steps, run on copies."""
    from pose_format.utils.generic import reduce_holistic
    from spoken_to_signed.gloss_to_pose.concatenate import ConcatenationSettings, normalize_pose, process_sign
    from spoken_to_signed.gloss_to_pose.smoothing import create_padding, find_best_connection_point

    if ConcatenationSettings.is_reduce_holistic:
        poses = [reduce_holistic(p) for p in poses]
    poses = [normalize_pose(p) for p in poses]
    last = len(poses) - 1
    poses = [process_sign(p, keep_onset=i == 0, keep_offset=i == last, max_sign_seconds=max_sign_seconds) for i, p in enumerate(poses)]
    if len(poses) == 1:
        return [len(poses[0].body.data)], 0
    lengths, start = [], 0
    for i, p in enumerate(poses):
        end, next_start = find_best_connection_point(p, poses[i + 1]) if i < last else (len(p.body.data), None)
        lengths.append(len(p.body.data[start:end]))
        start = next_start
    return lengths, len(create_padding(0.07, poses[0]).data)


def _spread(lengths: list[int], pad: int, key_chars: list[int]) -> list[float]:
    """Frames per character of one word: each piece plus half of the joins beside it, shared by the key's characters."""
    if len(lengths) != len(key_chars):
        raise ValueError("pieces and lexicon entries differ")
    out = []
    for i, (n, chars) in enumerate(zip(lengths, key_chars)):
        frames = n + pad / 2 * ((i > 0) + (i < len(lengths) - 1))
        out += [frames / chars] * chars
    return out


def slide_double_letters(x: np.ndarray, mask: np.ndarray, doubles: list[int], durations: np.ndarray, slide: float) -> np.ndarray:
    """Mark each doubled letter (character positions from `Lexicon.double_letters`) by sliding the signing arm sideways,
    away from the body, by `slide` shoulder widths: the hand moves over the change from the first to the second
    letter, holds there, and comes back while the next character forms. x: canonical (T, J, 3) poses;
    durations: frames of each character of the text."""
    slices = component_slices()
    hands = {"RIGHT": slices["RIGHT_HAND_LANDMARKS"], "LEFT": slices["LEFT_HAND_LANDMARKS"]}
    side = most_seen_hand(mask)
    if not mask[:, hands[side]].any():
        return x
    wrist, elbow = joint_index("POSE_LANDMARKS", f"{side}_WRIST"), joint_index("POSE_LANDMARKS", f"{side}_ELBOW")
    seen = mask[:, hands[side].start]
    direction = np.sign(np.mean(x[seen, hands[side].start, 0]) - np.mean(x[:, :2, 0])) or (-1.0 if side == "RIGHT" else 1.0)
    ends = np.cumsum(durations)
    starts = ends - durations
    t = np.arange(len(x)) + 0.5
    offset = np.zeros(len(x))
    for i in doubles:
        a, b = ends[i] - 0.3 * durations[i], starts[i + 1] + 0.3 * durations[i + 1]  # the slide, around the change
        ramp = np.clip((t - a) / max(b - a, 1.0), 0, 1)
        if i + 2 < len(durations):  # back while the next character forms
            c = ends[i + 1] + 0.5 * durations[i + 2]
            ramp = ramp * (1 - np.clip((t - ends[i + 1]) / max(c - ends[i + 1], 1.0), 0, 1))
        offset += ramp
    if not offset.any():
        return x
    x = x.copy()
    shift = (direction * slide * offset).astype(x.dtype)
    arm = np.zeros(x.shape[1], x.dtype)
    arm[hands[side]], arm[wrist], arm[elbow] = 1.0, 1.0, 0.5  # the elbow follows half way
    moved = mask & (arm[None] > 0)
    x[..., 0] += np.where(moved, shift[:, None] * arm[None], 0)
    return x


def compose_signgen(text: str, spoken: str, signed: str) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """`text` fingerspelled by signgen's composer at the lookup's pace, with the first letter's rise into signing
    and the last one's lowering: canonical (x, mask) and the frames of every character."""
    from signgen.lexicon import compose as compose_clips
    from signgen.lexicon import natural_frames, spell_text

    units = spell_text(Lexicon.builtin(), text, spoken, signed)
    comp = compose_clips(units, natural_frames(units), onset=True, offset=True)
    return comp.x, comp.mask, comp.durations


def _build_task(task: dict, root: str, cfg: StarterConfig) -> list[dict]:
    spoken, signed = task["pair"].split("-")
    if cfg.composer == "signgen":
        x, mask, durations = compose_signgen(task["text"], spoken, signed)
        raw_frames = len(x)
    else:
        pose, durations = compose_timed(task["text"], spoken, signed)
        raw_frames = len(pose.body.data)
        x, mask = pose_to_array(to_canonical(pose))
    if durations is not None and cfg.double_letter_slide > 0:
        doubles = Lexicon.builtin().double_letters(task["text"], spoken, signed)
        x = slide_double_letters(x, mask, doubles, np.asarray(durations) * len(x) / raw_frames, cfg.double_letter_slide)
    copies = [(x, mask)]
    if task["split"] == "train" and cfg.augment_copies > 0:
        rng = np.random.default_rng(hash_seed(cfg.seed, _sample_id(task)))
        copies += [random_augment(x, mask, cfg.augment, rng) for _ in range(cfg.augment_copies)]
    rows = []
    for k, (xa, ma) in enumerate(copies):
        sid = _sample_id(task, k)
        rel = f"poses/{sid}.pose"
        write_pose(array_to_pose(xa, ma), Path(root) / rel)
        source = ("signgen-composer" if cfg.composer == "signgen" else "spoken-to-signed-fingerspelling") + ("" if k == 0 else f"+augment{k}")
        timing = "" if durations is None else format_durations(np.asarray(durations) * len(xa) / raw_frames)  # resampled
        rows.append(asdict(Sample(sid, task["split"], task["text"], spoken, signed, rel, int(len(xa)), 25.0, source, timing)))
    return rows


def build(cfg: StarterConfig, root: str | Path, progress: bool = True) -> Corpus:
    from signgen.progress import progress_bar

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    settings = json.dumps({k: v for k, v in asdict(cfg).items() if k != "workers"}, sort_keys=True)
    build_file = root / BUILD
    if build_file.exists() and build_file.read_text(encoding="utf-8") != settings:
        raise SigngenError(f"{root}: holds a build with a different config; use a new output directory or delete it")
    build_file.write_text(settings, encoding="utf-8")

    tasks = plan(cfg)
    done = finished_records(root)
    copies = lambda t: 1 + (cfg.augment_copies if t["split"] == "train" else 0)  # noqa: E731
    todo = [t for t in tasks if not all(_sample_id(t, k) in done for k in range(copies(t)))]
    bar = progress_bar(total=len(tasks), initial=len(tasks) - len(todo), desc="starter corpus", unit="sample", disable=not progress)
    run_tasks(root, todo, _build_task, (str(root), cfg), done, bar, cfg.workers)
    wanted = {_sample_id(t, k) for t in tasks for k in range(copies(t))}
    samples = [Sample(**done[i]) for i in sorted(wanted)]
    info = {"builder": "data_prep.starter", "config": asdict(cfg), "pairs": sorted({t["pair"] for t in tasks})}
    return finalize(root, samples, info)
