#!/usr/bin/env bash
# One training session of the default bundle's cleaner and VAE (docs/training.md): every
# step is idempotent and every run resumes, so the same command continues where the last
# session stopped. WORK (default ~/.cache/diffrestore-train) holds photos, data and runs.
# Usage: tools/train/session.sh [minutes per run, default 150]; afterwards
# tools/train/save_checkpoints.sh copies the state into the repository for the next session.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${WORK:-$HOME/.cache/diffrestore-train}
MINUTES=${1:-150}
PY=tools/.venv/bin/python
bash tools/setup-venv.sh
mkdir -p "$WORK/data" "$WORK/runs"
[ -f "$WORK/photos/manifest.json" ] || $PY -m tools.train.fetch_photos --out "$WORK/photos"
[ -f "$WORK/data/hq.npz" ] || $PY -m tools.train.data hq --images "$WORK/photos/train" --out "$WORK/data/hq.npz" \
  --patch 256 --per-image 64 --scales 1.0,0.5
if [ ! -f "$WORK/data/pairs.npz" ]; then
  [ -f packages/node/dist/cli.js ] || npx tsup --silent
  node packages/node/dist/cli.js degrade "$WORK/photos/train" -o "$WORK/pairs" --preset realesrgan --scale 4 \
    --crop 512 --per-image 16 --seed 0
  $PY -m tools.train.data pairs --pairs "$WORK/pairs" --out "$WORK/data/pairs.npz" --patch 256 --per-pair 4
fi
# A fresh machine continues from the checkpoints committed by save_checkpoints.sh.
for run in cleaner vae; do
  if [ ! -f "$WORK/runs/$run/state.pt" ] && [ -f "tools/train/checkpoints/$run/state.pt" ]; then
    mkdir -p "$WORK/runs/$run"
    cp "tools/train/checkpoints/$run/state.pt" "tools/train/checkpoints/$run/log.jsonl" "$WORK/runs/$run/"
  fi
done
# The two runs are independent: one core each.
$PY -m tools.train.train_vae --data "$WORK/data/hq.npz" --out "$WORK/runs/vae" --threads 1 --steps 15000 \
  --batch-size 16 --crop 64 --max-minutes "$MINUTES" --resume > "$WORK/runs/vae.out" 2>&1 &
$PY -m tools.train.train_cleaner --data "$WORK/data/pairs.npz" --out "$WORK/runs/cleaner" --threads 1 --steps 20000 \
  --batch-size 16 --crop 128 --max-minutes "$MINUTES" --resume > "$WORK/runs/cleaner.out" 2>&1 &
wait
