import csv
import json

import pytest

from signgen.cli import main
from signgen.pose import write_pose
from signgen.pose.tensors import array_to_pose


@pytest.fixture(scope="module")
def models(small_corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-models")
    assert main(["train", "backtranslator", "--corpus", str(small_corpus.root), "--config", "tiny",
                 "-o", str(root / "bt"), "--quiet"]) == 0
    assert main(["train", "motion", "--corpus", str(small_corpus.root), "--config", "tiny",
                 "-o", str(root / "motion"), "--quiet"]) == 0
    return root / "motion" / "model", root / "bt" / "model"


def _eval(corpus, bt, out, *extra):
    return main(["eval", "--corpus", str(corpus), "--backtranslator", str(bt), "-o", str(out), "--quiet", *extra])


ROWS = ["ground truth", "signgen (model)", "spoken-to-signed (capped)", "spoken-to-signed (lookup)",
        "control: frozen first frame", "control: shuffled texts"]


def test_eval_writes_every_row_and_is_reproducible(small_corpus, models, tmp_path):
    motion, bt = models
    for name in ("a", "b"):
        assert _eval(small_corpus.root, bt, tmp_path / name, "--model", str(motion), "split=train", "limit=4") == 0
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    results = a["splits"]["train"]["results"]
    assert list(results) == ROWS
    for row in results.values():
        assert set(row) >= {"bleu1", "bleu4", "chrf", "rougeL", "wer", "cer", "dtw_mje", "duration_error", "exact"}
    drop = lambda r: {k: {m: v for m, v in x.items() if m != "generation_seconds"} for k, x in r["splits"]["train"]["results"].items()}
    assert drop(a) == drop(b)  # same seed, same numbers
    gt = results["ground truth"]
    assert gt["dtw_mje"] == 0.0 and gt["duration_error"] == 0.0  # the ceiling row is the reference itself
    assert results["signgen (model)"]["dtw_mje"] > 0
    assert results["control: frozen first frame"]["duration_error"] == 0.0 and results["control: frozen first frame"]["dtw_mje"] > 0
    assert set(a["splits"]["train"]["cer_by_language"]["ground truth"]) == {s.signed_language for s in small_corpus.split("train")[:4]}
    rows = list(csv.DictReader(open(tmp_path / "a" / "per_sample.csv")))
    assert len(rows) == 4 * len(ROWS) and {r["system"] for r in rows} == set(results)
    shuffled = [r for r in rows if r["system"] == "control: shuffled texts"]
    truth = [r for r in rows if r["system"] == "ground truth"]
    assert [r["prediction"] for r in shuffled] == [r["prediction"] for r in truth]  # the same reads ...
    assert all(s["text"] != t["text"] for s, t in zip(shuffled, truth))  # ... against other samples' texts
    table = (tmp_path / "a" / "metrics.md").read_text()
    assert "## train (4 samples)" in table and "| ground truth |" in table and "| control: shuffled texts |" in table


def test_eval_takes_several_splits(small_corpus, models, tmp_path):
    _, bt = models
    assert _eval(small_corpus.root, bt, tmp_path / "o", "--no-model", "split=train,test", "limit=2", "baseline=false") == 0
    report = json.loads((tmp_path / "o" / "metrics.json").read_text())
    expected = min(2, len(small_corpus.split("train"))) + min(2, len(small_corpus.split("test")))
    assert list(report["splits"]) == ["train", "test"] and report["samples"] == expected
    assert list(report["splits"]["train"]["results"]) == ["ground truth", "control: frozen first frame", "control: shuffled texts"]
    lang = small_corpus.split("train")[0].signed_language
    assert _eval(small_corpus.root, bt, tmp_path / "l", "--no-model", "split=train", f"languages=[{lang}]", "baseline=false") == 0
    by_lang = json.loads((tmp_path / "l" / "metrics.json").read_text())["splits"]["train"]["cer_by_language"]
    assert set(by_lang["ground truth"]) == {lang}
    assert _eval(small_corpus.root, bt, tmp_path / "x", "--no-model", "split=train", "languages=[xyz]") == 2


def test_scores_a_directory_of_outside_poses_and_converts_fps(small_corpus, models, tmp_path, capsys):
    _, bt = models
    poses = tmp_path / "poses"
    samples = small_corpus.split("train")[:3]
    for s in samples:
        x, m = small_corpus.load(s)
        pose = array_to_pose(x, m)
        pose.body.fps = 50.0  # an outside system at another frame rate: converted, and the note says so
        write_pose(pose, poses / f"{s.id}.pose")
    assert _eval(small_corpus.root, bt, tmp_path / "out", "--no-model", "--poses", str(poses), "split=train", "limit=3", "baseline=false") == 0
    assert "converted to the canonical" in capsys.readouterr().err
    res = json.loads((tmp_path / "out" / "metrics.json").read_text())["splits"]["train"]["results"]
    assert list(res)[:2] == ["ground truth", "poses (poses)"]
    assert res["poses (poses)"]["duration_error"] == pytest.approx(0.5, abs=0.05)  # 50 fps read as 25: half the frames


@pytest.mark.parametrize("case", ["missing-split", "missing-file", "empty-pose", "other-language"])
def test_bad_inputs_get_one_line_and_exit_2(small_corpus, models, tmp_path, capsys, case):
    _, bt = models
    args, overrides = ["--no-model"], ["baseline=false", "controls=false"]
    corpus = small_corpus.root
    if case == "missing-split":
        overrides += ["split=dev"]
    elif case in ("missing-file", "empty-pose"):
        poses = tmp_path / "p"
        poses.mkdir()
        s = small_corpus.split("test")[0]
        if case == "empty-pose":
            x, m = small_corpus.load(s)
            write_pose(array_to_pose(x[:0], m[:0]), poses / f"{s.id}.pose")
        args += ["--poses", str(poses)]
        overrides += ["limit=1"]
    else:
        import shutil

        corpus = tmp_path / "c"
        shutil.copytree(small_corpus.root, corpus)
        text = (corpus / "manifest.csv").read_text().replace(",gsg,", ",bfi,")
        (corpus / "manifest.csv").write_text(text)
    assert _eval(corpus, bt, tmp_path / "out", *args, *overrides) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("signgen: error:")
    expected = {"missing-split": "dev", "missing-file": "no file", "empty-pose": "0 frames", "other-language": "bfi"}[case]
    assert expected in err[0]


def test_texts_outside_the_motion_models_alphabet_are_named_before_generating(small_corpus, models, tmp_path, capsys,
                                                                               monkeypatch):
    """A split with letters the model never saw stops before any generation, in any split, naming the languages
    they are in and the `languages=` that evaluates the others."""
    import shutil

    from signgen.corpus import read_manifest, write_manifest
    from signgen.eval import evaluate as evaluate_module

    generated = []
    real = evaluate_module.generate_model_poses
    monkeypatch.setattr(evaluate_module, "generate_model_poses", lambda *a, **k: generated.append(1) or real(*a, **k))

    motion, bt = models
    corpus = tmp_path / "c"
    shutil.copytree(small_corpus.root, corpus)
    samples = read_manifest(corpus / "manifest.csv")
    k = next(i for i, s in enumerate(samples) if s.split == "train" and s.signed_language == "gsg")
    samples[k].text, samples[k].durations = "жук", ""
    write_manifest(corpus, samples)
    assert _eval(corpus, bt, tmp_path / "out", "--model", str(motion), "split=val,train", "baseline=false",
                 "controls=false") == 2  # the bad text is in the second split: the first is not generated either
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("signgen: error:")]  # the reader's note on the new letters may come first
    assert len(errors) == 1 and "'жук'" in errors[0] and "['gsg']" in errors[0] and "languages=[ase]" in errors[0]
    assert "skip_misfits=true" in errors[0]
    assert not (tmp_path / "out").exists() and not generated
    # skip_misfits=true leaves that one text out of every row and evaluates the rest, saying so
    assert _eval(corpus, bt, tmp_path / "skip", "--model", str(motion), "split=train", "baseline=false",
                 "controls=false", "skip_misfits=true") == 0  # (the tiny reader only knows the train split's words)
    report = json.loads((tmp_path / "skip" / "metrics.json").read_text())
    assert report["skipped_misfits"] == [{"split": "train", "id": samples[k].id, "text": "жук"}]
    assert report["splits"]["train"]["samples"] == sum(s.split == "train" for s in samples) - 1


def test_guided_rows_take_the_guide_settings(monkeypatch):
    import signgen.motion.generate as generate
    from signgen.eval.evaluate import EvalConfig, generate_model_poses
    from signgen.motion.guided import CORE, MAX_FINGER_SPEED, SMOOTH

    seen = []
    monkeypatch.setattr(generate, "generate_arrays", lambda model, texts, langs, guide=None, **kw: seen.append(guide) or [])
    generate_model_poses(None, [], EvalConfig(), guided=True)
    generate_model_poses(None, [], EvalConfig(guide_core=0.7, max_finger_speed=0.07, guide_smooth=0), guided=True)
    generate_model_poses(None, [], EvalConfig(guide_core=0.7), guided=False)
    assert (seen[0].core, seen[0].max_finger_speed, seen[0].smooth) == (CORE, MAX_FINGER_SPEED, SMOOTH)
    assert (seen[1].core, seen[1].max_finger_speed, seen[1].smooth) == (0.7, 0.07, 0)
    assert seen[2] is None  # pure rows have no guide


@pytest.mark.parametrize("override, named", [("guide_core=1.5", "guide_core=1.5"), ("max_finger_speed=-1", "max_finger_speed=-1"),
                                             ("guide_smooth=-2", "guide_smooth=-2")])
def test_bad_guide_settings_get_one_line_before_anything_is_generated(small_corpus, models, tmp_path, capsys, override, named):
    motion, bt = models
    assert _eval(small_corpus.root, bt, tmp_path / "out", "--model", str(motion), "split=train", "limit=2", override) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0] and not (tmp_path / "out" / "metrics.json").exists()
