"""bench/gpu.sh, the renderer issue's one GPU run, must not rot between the sessions that are lent a GPU: its
SMOKE mode (tiny renderer, 64 px, seconds on a CPU) runs every stage and writes the results file. The numbers
it measures on a CPU mean nothing; only that every stage runs and reports."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_script_smoke_runs_every_stage_and_reuses_a_prepared_corpus(tmp_path):
    env = dict(os.environ, SMOKE="1", WORK=str(tmp_path / "work"), RESULTS=str(tmp_path / "results"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", OMP_NUM_THREADS="1")
    prep = subprocess.run(["bash", "bench/gpu.sh"], cwd=ROOT, env=dict(env, GPU_PREPARE="1"), capture_output=True, text=True, timeout=600)
    assert prep.returncode == 0, prep.stdout[-2000:] + prep.stderr[-2000:]
    assert (tmp_path / "work/corpus/.built").exists() and (tmp_path / "work/frames/.built").exists()
    assert not (tmp_path / "results/gpu_results.json").exists()  # GPU_PREPARE stops before training
    run = subprocess.run(["bash", "bench/gpu.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert '"corpus"' not in run.stdout and "] corpus" not in run.stdout  # the prepared corpus was reused
    res = json.loads((tmp_path / "results/gpu_results.json").read_text())
    assert set(res) == {"renderer", "motion", "renderer_train_seconds"}
    assert set(res["renderer"]["fps"]) == {"avatar", "diffusion"} and all(v > 0 for v in res["renderer"]["fps"].values())
    assert 0 <= res["renderer"]["quality"]["ssim"] <= 1
    assert [r["steps"] for r in res["motion"]["rows"]] == [2] and res["motion"]["rows"][0]["latency_s"] > 0
    assert (tmp_path / "results/render_sheet.png").stat().st_size > 0
