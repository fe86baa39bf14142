import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from signgen.cli import main
from signgen.corpus import Corpus, write_manifest
from signgen.errors import SigngenError
from signgen.pose.io import write_pose
from signgen.pose.tensors import array_to_pose
from signgen.store import PARTIAL_DIR, STORE_DIR, VERSION, build_store

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def corpus_copy(small_corpus, tmp_path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(small_corpus.root, root, ignore=shutil.ignore_patterns(STORE_DIR, ".store*"))
    return root


def assert_store_matches_pose_files(root: Path) -> None:
    corpus = Corpus(root)
    store = corpus.store()
    assert len(store) == len(corpus.samples)
    for i, s in enumerate(corpus.samples):
        x, mask = corpus.load(s)
        xs, ms = store.arrays(i)
        assert xs.dtype == np.float32 and ms.dtype == bool
        np.testing.assert_array_equal(xs, x)
        np.testing.assert_array_equal(ms, mask)


def test_store_holds_exactly_the_pose_files_arrays_and_is_reused(corpus_copy):
    assert_store_matches_pose_files(corpus_copy)
    header = json.loads((corpus_copy / STORE_DIR / "store.json").read_text())
    assert header["version"] == VERSION and header["samples"] == len(Corpus(corpus_copy).samples)
    built = (corpus_copy / STORE_DIR / "x.bin").stat().st_mtime_ns
    split = Corpus(corpus_copy).split_arrays("train")  # a second open: no rebuild
    assert (corpus_copy / STORE_DIR / "x.bin").stat().st_mtime_ns == built
    assert split.texts == [s.text for s in Corpus(corpus_copy).split("train")] == [t for t, *_ in split]


def test_stale_store_is_rebuilt_when_a_pose_file_or_the_manifest_changes(corpus_copy):
    corpus = Corpus(corpus_copy)
    corpus.store()
    s = corpus.samples[3]
    x, mask = corpus.load(s)
    write_pose(array_to_pose(x * 2, mask), corpus.pose_file(s))
    assert_store_matches_pose_files(corpus_copy)
    write_manifest(corpus_copy, corpus.samples[::2])  # rows dropped: every row moves
    assert_store_matches_pose_files(corpus_copy)


@pytest.mark.parametrize("damage", ["truncate", "header", "offsets"])
def test_corrupt_store_is_rebuilt(corpus_copy, damage):
    Corpus(corpus_copy).store()
    d = corpus_copy / STORE_DIR
    if damage == "truncate":
        with open(d / "x.bin", "r+b") as f:
            f.truncate(1000)
    elif damage == "header":
        (d / "store.json").write_text("{not json")
    else:
        np.save(d / "offsets.npy", np.arange(5))
    assert_store_matches_pose_files(corpus_copy)


def test_interrupted_build_resumes_and_is_never_taken_as_a_store(corpus_copy):
    corpus = Corpus(corpus_copy)
    assert build_store(corpus, limit=5) is False
    assert not (corpus_copy / STORE_DIR).exists()  # only a complete build becomes the store
    with open(corpus_copy / PARTIAL_DIR / "x.bin", "ab") as f:
        f.write(b"\x00" * 1234)  # bytes an interrupted run wrote after its last progress record
    assert build_store(corpus, limit=5) is False
    assert json.loads((corpus_copy / PARTIAL_DIR / "progress.json").read_text())["done"] == 10  # resumed, not restarted
    assert_store_matches_pose_files(corpus_copy)
    assert not (corpus_copy / PARTIAL_DIR).exists()


def test_unreadable_pose_file_is_named_in_one_line_and_exit_2(corpus_copy, capsys):
    corpus = Corpus(corpus_copy)
    bad = corpus.pose_file(corpus.split("train")[2])
    bad.write_bytes(b"not a pose")
    code = main(["train", "motion", "--corpus", str(corpus_copy), "--config", "tiny", "-o", str(corpus_copy.parent / "run"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and str(bad) in err[0]
    assert not (corpus_copy / STORE_DIR).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only directory")
def test_stale_store_of_a_read_only_corpus_is_named(corpus_copy):
    Corpus(corpus_copy).store()
    os.utime(Corpus(corpus_copy).pose_file(Corpus(corpus_copy).samples[0]), ns=(1, 1))
    os.chmod(corpus_copy, 0o555)
    try:
        with pytest.raises(SigngenError, match=r"store: stale .* not writable"):
            Corpus(corpus_copy).store()
    finally:
        os.chmod(corpus_copy, 0o755)


def test_motion_batches_read_the_store_and_workers_change_nothing(small_corpus, tmp_path):
    from signgen.config import load_config
    from signgen.motion.model import MotionModel
    from signgen.motion.train import MotionData, MotionTrainConfig, train_motion

    cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=["model.text.alphabet=abc"])
    data = MotionData(small_corpus, "train", MotionModel(cfg.model))
    for (text, _, x, mask), s in zip(data.items, small_corpus.split("train")):
        x0, m0 = small_corpus.load(s)
        assert text == s.text and np.array_equal(x, x0) and np.array_equal(mask, m0)
    histories = []
    for workers in (0, 2):
        cfg = load_config(MotionTrainConfig, "tiny", group="motion", overrides=[f"train.workers={workers}", "train.log_every=1"])
        train_motion(small_corpus.root, cfg, tmp_path / f"w{workers}", progress=False)
        histories.append((tmp_path / f"w{workers}" / "history.jsonl").read_text())
    assert _losses(histories[0]) == _losses(histories[1]) and len(_losses(histories[0])) > 6


class _Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def forward(self, batch):
        loss = ((self.w * batch["x"]) ** 2).mean()
        return loss, {"loss": loss.item()}


def test_a_user_error_while_a_worker_assembles_a_batch_stays_one_line(tmp_path):
    from signgen.train import Task, TrainConfig, run

    def batch(step: int, rank: int) -> dict:
        if step == 3:
            raise SigngenError("sample h2s-7: 400 frames; raise max_frames")
        return {"x": torch.ones(2)}

    task = Task(_Scale(), batch, lambda raw, o, step: {}, lambda raw, d: None, {})
    with pytest.raises(SigngenError) as e:
        run(task, TrainConfig(steps=6, warmup=1, val_every=100, ckpt_every=100, workers=2), tmp_path / "run", progress=False)
    assert str(e.value) == "sample h2s-7: 400 frames; raise max_frames"


def _losses(history: str) -> list:
    return [{k: v for k, v in json.loads(line).items() if k != "sec_per_step"} for line in history.splitlines()]


def test_processes_split_one_global_batch(small_corpus):
    from signgen.config import load_config
    from signgen.motion.model import MotionModel
    from signgen.motion.train import MotionData, MotionTrainConfig, global_batch_share

    one = load_config(MotionTrainConfig, "tiny", group="motion", overrides=["train.batch_size=8", "model.text.alphabet=abc"])
    two = load_config(MotionTrainConfig, "tiny", group="motion", overrides=["train.batch_size=4"])
    data = MotionData(small_corpus, "train", MotionModel(one.model))
    for step in range(20):
        whole, rng = global_batch_share(data, one, step, 0, 1)
        shares = [global_batch_share(data, two, step, rank, 2) for rank in (0, 1)]
        np.testing.assert_array_equal(np.concatenate([idx for idx, _ in shares]), whole)
        assert rng.random() == shares[0][1].random() != shares[1][1].random()  # rank 0 augments as one process does


def _train(kind: str, processes: int, out: Path, *args: str) -> list[dict]:
    cmd = [sys.executable, "-m", "tests.multiprocess_train", kind, str(processes), str(out), *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]


def test_two_processes_follow_one_process_at_the_same_global_batch(tmp_path):
    """A noise-free regression under DDP: each of 2 CPU processes reads its half of every global batch; the
    logged loss (mean over processes) and the weights follow the 1-process run."""
    from safetensors.torch import load_file

    one = _train("linear", 1, tmp_path / "one")
    two = _train("linear", 2, tmp_path / "two")
    assert [h["step"] for h in one] == [h["step"] for h in two] and len(one) >= 12
    np.testing.assert_allclose([h["loss"] for h in two if "loss" in h], [h["loss"] for h in one if "loss" in h], rtol=1e-4)
    w1, w2 = (load_file(str(tmp_path / d / "model" / "model.safetensors")) for d in ("one", "two"))
    for k in w1:
        np.testing.assert_allclose(w2[k].numpy(), w1[k].numpy(), rtol=1e-4, atol=1e-6)


def test_motion_on_two_processes_follows_one_process(small_corpus, tmp_path):
    """The motion model on the store, 2 CPU processes x 4 samples against 1 x 8: the same global batches; the
    diffusion noise and dropout are drawn per process, so the curves agree closely, not exactly."""
    args = ["train.steps=6", "train.log_every=1", "train.val_every=100", "augment_prob=0", "val_samples=1"]
    one = _train("motion", 1, tmp_path / "one", str(small_corpus.root), *args, "train.batch_size=8")
    two = _train("motion", 2, tmp_path / "two", str(small_corpus.root), *args, "train.batch_size=4")
    loss1, loss2 = ([h["loss"] for h in h_ if "loss" in h] for h_ in (one, two))
    assert len(loss1) == len(loss2) == 6
    np.testing.assert_allclose(loss2, loss1, rtol=0.03)
    np.testing.assert_allclose(two[-1]["val_loss"], one[-1]["val_loss"], rtol=0.02)
