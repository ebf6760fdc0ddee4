#!/usr/bin/env bash
# Copies the resumable state of the default bundle's training runs from WORK into the
# repository (tools/train/checkpoints/<run>/), so a later session on a fresh machine
# continues instead of starting over (session.sh restores them). Commit the folder after.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${WORK:-$HOME/.cache/diffrestore-train}
for run in cleaner vae diffusion; do
  src="$WORK/runs/$run"
  [ -f "$src/state.pt" ] || continue
  dst="tools/train/checkpoints/$run"
  mkdir -p "$dst"
  cp "$src/state.pt" "$src/log.jsonl" "$dst/"
  echo "saved $run: step $(tail -1 "$src/log.jsonl" | sed -n 's/.*"step": \([0-9]*\).*/\1/p')"
done
