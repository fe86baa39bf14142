import csv
import os

import pytest

from data_prep import starter
from data_prep.starter import build, plan
from signgen.corpus import MANIFEST_COLUMNS, Corpus
from signgen.errors import SigngenError

from .conftest import small_config


def test_manifest_layout(small_corpus):
    with open(small_corpus.root / "manifest.csv", encoding="utf-8") as f:
        assert next(csv.reader(f)) == MANIFEST_COLUMNS
    assert (small_corpus.root / "stats.safetensors").exists()
    assert set(small_corpus.signed_languages) == {"ase", "gsg"}
    for s in small_corpus.samples:
        assert small_corpus.pose_file(s).exists()
        assert s.fps == 25.0 and s.frames > 10


def test_splits_are_disjoint_by_word(small_corpus):
    def words(split):
        return {w for s in small_corpus.samples if s.split == split for w in s.text.split()}

    assert words("test") and words("train")
    assert not words("test") & words("train")
    assert not words("val") & words("train")
    assert any(" " in s.text for s in small_corpus.samples)  # multi-word phrases exist


def test_plan_is_deterministic_from_seed():
    assert plan(small_config()) == plan(small_config())
    assert plan(small_config()) != plan(small_config(seed=1))


def test_interrupted_build_resumes_without_redoing(tmp_path, monkeypatch):
    cfg = small_config(words_per_language=5, phrases_per_language=0)
    real = starter._build_task
    calls = []

    def flaky(task, root, cfg):
        if len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(task["text"])
        return real(task, root, cfg)

    monkeypatch.setattr(starter, "_build_task", flaky)
    with pytest.raises(KeyboardInterrupt):
        build(cfg, tmp_path, progress=False)
    finished = {p: p.stat().st_mtime_ns for p in (tmp_path / "poses").glob("*.pose")}
    assert len(finished) == 4
    calls.clear()
    monkeypatch.setattr(starter, "_build_task", lambda t, r, c: (calls.append(t["text"]), real(t, r, c))[1])
    corpus = build(cfg, tmp_path, progress=False)
    assert len(calls) == len(plan(cfg)) - 4  # only the unfinished ones
    assert all(p.stat().st_mtime_ns == m for p, m in finished.items())
    assert len(corpus.samples) == len(plan(cfg))
    assert not [p for p in os.listdir(tmp_path / "poses") if p.endswith(".tmp")]


def test_augmented_copies_only_for_train(tmp_path):
    corpus = build(small_config(pairs=["en-ase"], words_per_language=6, phrases_per_language=0, augment_copies=1), tmp_path, progress=False)
    aug = [s for s in corpus.samples if "augment" in s.source]
    assert aug and all(s.split == "train" for s in aug)


def test_bad_inputs(tmp_path):
    with pytest.raises(SigngenError, match="unknown language pair 'xx-yyy'"):
        plan(small_config(pairs=["xx-yyy"]))
    with pytest.raises(SigngenError, match="empty"):
        plan(small_config(words_per_language=0))
    words = tmp_path / "words.txt"
    words.write_text("hello\nna\u00efve\n", encoding="utf-8")
    with pytest.raises(SigngenError, match=r"words.txt:2: 'na\u00efve' has letters \['\u00ef'\]"):
        plan(small_config(pairs=["en-ase"], words_file=str(words)))
    build(small_config(pairs=["en-ase"], words_per_language=3, phrases_per_language=0), tmp_path / "c", progress=False)
    with pytest.raises(SigngenError, match="different config"):
        build(small_config(pairs=["en-ase"], words_per_language=4, phrases_per_language=0), tmp_path / "c", progress=False)
    with pytest.raises(SigngenError, match="no 'dev' split"):
        Corpus(tmp_path / "c").split("dev")
