#!/usr/bin/env bash
# One bounded training call on a lent GPU machine (docs/training.md, "On a lent GPU").
# The machine starts bare and takes at most 64 MiB of files, so the data travels as a
# compact pack (tools/train/pack.py) and the results come back as <= 15 MiB tar chunks.
#
# Usage: tools/train/gpu_session.sh PACK[,PACK...] RESULTS_DIR
# The first pack is the pair archive of the VAE and of the latents; the cleaner trains on all
# of them (e.g. x4 and x1 pairs), drawing each batch from one.
# Environment (defaults in brackets):
#   STAGES        which stages run, in order ["base latents diffusion"]; "export" re-exports
#                 the cleaner and VAE from their checkpoints without training; "cleaner" trains
#                 the cleaner alone; "cleaner+diffusion" trains the cleaner and the denoiser
#                 side by side (both are host-bound at these sizes, so they share the GPU well)
#   DEVICE        torch device [cuda]
#   WORK          run folders; kept between calls while the machine stays warm [out/gpu-train]
#   BASE_MINUTES  budget of the cleaner and the VAE, trained side by side [3]
#   CLEANER_RUN   run folder of the cleaner [cleaner]; CLEANER_ARGS extra flags (e.g. --config)
#   CLEANER_BATCH, CLEANER_MINUTES  its batch [32] and budget [BASE_MINUTES]
#   LATENT_CLEANER  run folder of the cleaner whose outputs condition the latents [$WORK/runs/$CLEANER_RUN]
#   VAE_FROM      a folder of exported vae.pt/vae.json used when runs/vae has none
#   DIFF_MINUTES  budget of the denoiser [4]; DIFF_ARGS extra flags for it
#   AUGMENT       flipped copies per patch in the latent archive [4]
# Every run fits its step count to its budget (--fit-steps) and decays the learning rate
# to zero along a cosine from where the call starts, so each call ends on a decayed model.
#   DIFF_INIT     a folder of exported unet/controlnet/context.pt to start from (no state.pt)
set -euo pipefail
cd "$(dirname "$0")/../.."
PACKS=$1
RESULTS=$2
PY=${PY:-python3}
WORK=${WORK:-out/gpu-train}
DEVICE=${DEVICE:-cuda}
CLEANER_RUN=${CLEANER_RUN:-cleaner}
STAGES=${STAGES:-base latents diffusion}
export PYTHONUNBUFFERED=1
mkdir -p "$WORK/data" "$WORK/runs" "$RESULTS"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
CLEANER_DATA=""
i=0
IFS=, read -r -a pack_list <<<"$PACKS"
for pack in "${pack_list[@]}"; do
  archive="$WORK/data/pairs.npz"
  [ "$i" -gt 0 ] && archive="$WORK/data/pairs$i.npz"
  [ -f "$archive" ] || $PY -m tools.train.pack unpack --pack "$pack" --out "$archive"
  CLEANER_DATA="${CLEANER_DATA:+$CLEANER_DATA,}$archive"
  i=$((i + 1))
done
if [ -n "${VAE_FROM:-}" ] && [ ! -f "$WORK/runs/vae/vae.pt" ]; then
  mkdir -p "$WORK/runs/vae"
  cp "$VAE_FROM"/vae.pt "$VAE_FROM"/vae.json "$WORK/runs/vae/"
fi

for run in cleaner vae; do
  if [ ! -f "$WORK/runs/$run/state.pt" ] && [ -f "tools/train/checkpoints/$run/state.pt" ]; then
    mkdir -p "$WORK/runs/$run"
    cp "tools/train/checkpoints/$run/state.pt" "tools/train/checkpoints/$run/log.jsonl" "$WORK/runs/$run/"
  fi
done

train_cleaner() {
  # shellcheck disable=SC2086
  $PY -m tools.train.train_cleaner --data "$CLEANER_DATA" --out "$WORK/runs/$CLEANER_RUN" --device "$DEVICE" ${CLEANER_ARGS:-} \
    --batch-size "${CLEANER_BATCH:-32}" --crop 128 --lr-decay cosine --decay-start -1 --fit-steps \
    --log-every 50 --ckpt-every 2000 --max-minutes "${CLEANER_MINUTES:-${BASE_MINUTES:-3}}" --resume
}

train_denoiser() {
  init=()
  [ -n "${DIFF_INIT:-}" ] && [ ! -f "$WORK/runs/diffusion/state.pt" ] && init=(--init "$DIFF_INIT")
  # shellcheck disable=SC2086
  $PY -m tools.train.train_diffusion train --data "$WORK/data/latents.npz" --out "$WORK/runs/diffusion" --device "$DEVICE" \
    --batch-size "${DIFF_BATCH:-256}" --amp "${DIFF_AMP:-bf16}" --lr 2e-4 --lr-decay cosine --decay-start -1 --fit-steps \
    --log-every 50 --ckpt-every 2000 --max-minutes "${DIFF_MINUTES:-4}" --resume "${init[@]}" ${DIFF_ARGS:-}
}

# Runs commands side by side and fails if any of them fails (a bare `wait` returns 0 even
# when a background job died, which would ship a half-trained run as if it had finished).
side_by_side() {
  local pids=() status=0
  for cmd in "$@"; do
    $cmd &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  return "$status"
}

train_vae() {
  $PY -m tools.train.train_vae --data "$WORK/data/pairs.npz" --out "$WORK/runs/vae" --device "$DEVICE" \
    --batch-size 16 --crop 128 --lr-decay cosine --decay-start -1 --fit-steps \
    --log-every 50 --ckpt-every 2000 --max-minutes "${BASE_MINUTES:-3}" --resume
}

for stage in $STAGES; do
  case $stage in
  cleaner) train_cleaner ;;
  cleaner+diffusion) side_by_side train_cleaner train_denoiser ;;
  base) side_by_side train_cleaner train_vae ;;
  export)
    # Re-export the cleaner and the VAE from their (restored) checkpoints without training.
    $PY -m tools.train.train_cleaner --data "$WORK/data/pairs.npz" --out "$WORK/runs/cleaner" --device "$DEVICE" --steps 0 --resume
    $PY -m tools.train.train_vae --data "$WORK/data/pairs.npz" --out "$WORK/runs/vae" --device "$DEVICE" --steps 0 --resume
    ;;
  latents)
    $PY -m tools.train.train_diffusion latents --pairs "$WORK/data/pairs.npz" --vae "$WORK/runs/vae" \
      --cleaner "${LATENT_CLEANER:-$WORK/runs/$CLEANER_RUN}" --out "$WORK/data/latents.npz" --device "$DEVICE" --batch-size 64 --augment "${AUGMENT:-4}"
    ;;
  diffusion) train_denoiser ;;
  *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
done

# Everything but the denoiser's optimiser state (74 MB, over the transfer limit): the
# cleaner and VAE resume exactly; the denoiser continues from its weights with --init.
tar -C "$WORK/runs" -cf "$WORK/results.tar" \
  $(cd "$WORK/runs" && ls -d cleaner*/* vae/* diffusion/*.pt diffusion/*.json diffusion/log.jsonl 2>/dev/null | grep -v '^diffusion/state.pt$')
split -b 15M -d "$WORK/results.tar" "$RESULTS/results.tar."
ls -la "$RESULTS"
