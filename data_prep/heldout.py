"""Held-out fingerspelling evaluation corpus: `signgen data heldout -o corpora/heldout`.

Words, rare words, proper names and phrases that no reader or motion model trains on
(`signgen.backtranslate.spelling.vocabulary`), fingerspelled by real signers through spoken-to-signed's own
public lookup (`FingerspellingPoseLookup().lookup`, its own timing, uncapped; phrases joined with its
`concatenate_poses(max_sign_seconds=None)`), so the reader is measured on compositions it was not trained
from. Each text is written at three speeds; the splits are `<set>@<speed>`: frequent, rare, names, phrases at
1x, 0.5x (half speed, twice the frames) and 2x. Resumable: finished samples are kept.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from data_prep.resumable import finished_records, run_tasks
from signgen.backtranslate.spelling import HELDOUT_SETS, SpellingConfig, vocabulary
from signgen.corpus import Sample, finalize, text_digest
from signgen.eval.baselines import lookup_pose
from signgen.lexicon import Lexicon
from signgen.pose.augment import change_speed
from signgen.pose.io import write_pose
from signgen.pose.tensors import array_to_pose

SPEEDS = {"1x": 1.0, "0.5x": 0.5, "2x": 2.0}  # playback speed: 0.5x is half as fast


def split_names(sets=HELDOUT_SETS, speeds=tuple(SPEEDS)) -> list[str]:
    return [f"{s}@{v}" for s in sets for v in speeds]


def plan(cfg: SpellingConfig) -> list[dict]:
    vocab = vocabulary(Lexicon.builtin(), cfg)
    tasks = []
    for pair, sets in vocab.items():
        for name in HELDOUT_SETS:
            for text in sets[name]:
                tasks.append({"pair": pair, "set": name, "text": text, "id": f"{pair}-{name}-{text_digest(text)}"})
    return tasks


def _build(task: dict, root: str) -> list[dict]:
    spoken, signed = task["pair"].split("-")
    x, mask = lookup_pose(task["text"], spoken, signed)
    rows = []
    for speed, factor in SPEEDS.items():
        xs, ms = change_speed(x, mask, factor) if factor != 1.0 else (x, mask)
        sid = f"{task['id']}@{speed}"
        rel = f"poses/{sid}.pose"
        write_pose(array_to_pose(xs, ms), Path(root) / rel)
        rows.append(asdict(Sample(sid, f"{task['set']}@{speed}", task["text"], spoken, signed, rel, int(len(xs)), 25.0,
                                  "spoken-to-signed-lookup" + ("" if factor == 1.0 else f"@{speed}"))))
    return rows


def build(root: str | Path, cfg: SpellingConfig | None = None, workers: int = 0, progress: bool = True):
    from signgen.progress import progress_bar

    cfg = cfg or SpellingConfig()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tasks = plan(cfg)
    done = finished_records(root)
    todo = [t for t in tasks if not all(f"{t['id']}@{s}" in done for s in SPEEDS)]
    bar = progress_bar(total=len(tasks), initial=len(tasks) - len(todo), desc="held-out corpus", unit="text", disable=not progress)
    run_tasks(root, todo, _build, (str(root),), done, bar, workers)
    samples = [Sample(**done[f"{t['id']}@{s}"]) for t in tasks for s in SPEEDS]
    info = {"builder": "data_prep.heldout", "config": asdict(cfg), "splits": split_names()}
    return finalize(root, samples, info, stats_split=None)
