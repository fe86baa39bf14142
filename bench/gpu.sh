#!/usr/bin/env bash
# One short GPU run for the renderer issue, sized for 10 minutes on one H100/H200: builds a small corpus and
# 256 px avatar frames, trains a 256 px diffusion renderer (configs/renderer/gpu-256.yaml), then measures the
# renderer's fps and quality at 256 px (bench/render_quality.py) and the shipped motion model's latency at the
# default steps (bench/motion_sampling.py). Writes $RESULTS/gpu_results.json (default runs/gpu).
#
#     bash bench/gpu.sh                 # on the GPU machine
#     SMOKE=1 bash bench/gpu.sh         # seconds-scale check of the script itself, on a CPU
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
python -c "import torch; print('torch', torch.__version__, 'cuda' if torch.cuda.is_available() else 'NO GPU', torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
stamp "corpus"; signgen data starter -o "$WORK/corpus" --quiet "${corpus_args[@]}"
stamp "frames"; signgen data frames --corpus "$WORK/corpus" -o "$WORK/frames" --source avatar --quiet "${frames_args[@]}"
stamp "train renderer"; signgen train renderer --frames "$WORK/frames" -o "$WORK/renderer" --quiet "${train_args[@]}"
train_s=$(( $(date +%s) - t0 ))
stamp "render quality"; python bench/render_quality.py --frames "$WORK/frames" --model "$WORK/renderer/model" \
  --size "$size" --clips 3 --max-frames 50 --json "$WORK/render.json"
stamp "motion latency"; python bench/motion_sampling.py --corpus "$WORK/corpus" --split train --samples 8 \
  --repeats 5 --settings "$settings" --json "$WORK/motion.json"
python - "$WORK" "$RESULTS/gpu_results.json" "$train_s" <<'PY'
import json, sys, pathlib
work, out, train_s = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
res = {"renderer": json.loads((work / "render.json").read_text()), "motion": json.loads((work / "motion.json").read_text()),
       "seconds_to_trained_renderer": train_s}
pathlib.Path(out).write_text(json.dumps(res, indent=2))
print(json.dumps(res, indent=2)[:4000])
PY
stamp "done: $RESULTS/gpu_results.json"
