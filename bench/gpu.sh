#!/usr/bin/env bash
# One short GPU run for the renderer issue, sized for 10 minutes on one H100/H200: builds a small corpus and
# 256 px avatar frames, trains a 256 px diffusion renderer (configs/renderer/gpu-256.yaml), then measures the
# renderer's fps and quality at 256 px (bench/render_quality.py) and the shipped motion model's latency at the
# default steps (bench/motion_sampling.py). Writes $RESULTS/gpu_results.json (default runs/gpu).
#
#     bash bench/gpu.sh                 # on the GPU machine
#     SMOKE=1 bash bench/gpu.sh         # seconds-scale check of the script itself, on a CPU
#
# The corpus and frames need only a CPU: with $WORK/corpus/.built and $WORK/frames/.built present (made by an
# earlier run of this script, e.g. `GPU_PREPARE=1 bash bench/gpu.sh` on the CPU machine) they are reused, so the
# GPU machine needs neither spoken-to-signed nor wordfreq. Without the `signgen` command on PATH (signgen on
# PYTHONPATH only) the CLI runs as `python3 -c "from signgen.cli import main ..."`. Each stage's output is copied
# into $RESULTS as it finishes, so a run cut short still returns what it measured.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${RESULTS:-${OUT:-runs/gpu}}
WORK=${WORK:-/tmp/signgen-gpu}
mkdir -p "$RESULTS" "$WORK"
export PYTHONUNBUFFERED=1
t0=$(date +%s)
stamp() { echo "[gpu.sh $(( $(date +%s) - t0 )) s] $*"; }

if [ -n "${SMOKE:-}" ]; then
  corpus_args=(pairs=[en-ase] words_per_language=6 phrases_per_language=0)
  frames_args=(--size 64 --clips 4)
  train_args=(--config tiny)
  size=64; settings="dpmsolver++:2"
else
  corpus_args=(pairs=[en-ase,de-gsg] words_per_language=60)
  frames_args=(--size 256 --clips 60)
  train_args=(--config gpu-256)
  size=256; settings="dpmsolver++:20,dpmsolver++:10,dpmsolver++:4"
fi
command -v signgen >/dev/null || signgen() { python3 -c 'import sys; from signgen.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
command -v python >/dev/null || python() { python3 "$@"; }
python -c "import torch; print('torch', torch.__version__, 'cuda' if torch.cuda.is_available() else 'NO GPU', torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
if [ ! -f "$WORK/corpus/.built" ]; then
  stamp "corpus"; signgen data starter -o "$WORK/corpus" --quiet "${corpus_args[@]}"; touch "$WORK/corpus/.built"
fi
if [ ! -f "$WORK/frames/.built" ]; then
  stamp "frames"; signgen data frames --corpus "$WORK/corpus" -o "$WORK/frames" --source avatar --quiet "${frames_args[@]}"
  touch "$WORK/frames/.built"
fi
[ -n "${GPU_PREPARE:-}" ] && { stamp "prepared $WORK (corpus, frames)"; exit 0; }
t1=$(date +%s)
stamp "train renderer"; signgen train renderer --frames "$WORK/frames" -o "$WORK/renderer" --quiet "${train_args[@]}" 2>&1 | tee "$RESULTS/train.log"
cp "$WORK"/renderer/*.jsonl "$RESULTS"/ 2>/dev/null || true
train_s=$(( $(date +%s) - t1 ))
stamp "render quality"; python bench/render_quality.py --frames "$WORK/frames" --model "$WORK/renderer/model" \
  --size "$size" --clips 3 --max-frames 50 --json "$WORK/render.json" \
  --sheet "$RESULTS/render_sheet.png" --fps-renderers avatar,diffusion  # skeleton: pose-format's drawing needs PyAV
cp "$WORK/render.json" "$RESULTS/"
stamp "motion latency"; python bench/motion_sampling.py --corpus "$WORK/corpus" --split train --samples 8 \
  --repeats 5 --settings "$settings" --json "$WORK/motion.json"
cp "$WORK/motion.json" "$RESULTS/"
python - "$WORK" "$RESULTS/gpu_results.json" "$train_s" <<'PY'
import json, sys, pathlib
work, out, train_s = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
res = {"renderer": json.loads((work / "render.json").read_text()), "motion": json.loads((work / "motion.json").read_text()),
       "renderer_train_seconds": train_s}
pathlib.Path(out).write_text(json.dumps(res, indent=2))
print(json.dumps(res, indent=2)[:4000])
PY
stamp "done: $RESULTS/gpu_results.json"
