#!/usr/bin/env bash
# Train the Go policy preset on a GPU inside a fixed wall-time budget (JAX backend). Run it from the
# repository root (it calls `python -m apps.go_policy`):
#
#   CNNKIT_DATA=../shared/data KERAS_BACKEND=jax RESULTS=runs/gpu bash benchmarks/go_gpu_preset.sh
#   # continue the shipped preset, e.g. on games 1,501-3,000 of each shard, saving the moving average:
#   INIT_MODEL=apps/go_policy/presets/policy_large.keras SKIP=1500 GAMES=1500 LR=5e-4 EMA=0.999 ... (same line)
#
# Steps: a backend smoke test (falls back to KERAS_BACKEND=torch if JAX fails), encoding
# of shards 1-11 with one process per core, `cnnkit go train` for whatever time is left
# before DEADLINE_S, then `cnnkit go evaluate` on 200 games of the held-out shard 12.
# Everything lands in $RESULTS: train.json, evaluate.json, the model, the logs. To bring a run back
# from a rented machine, take run/policy.keras, run/summary.json, run/training_log.csv and the
# top-level .json/.log/.err files: run/checkpoints/ holds whole training states (~15 MB each).
# Back home, `python -m benchmarks.go_gpu_record --results DIR ...` records the run and
# `python -m benchmarks.go_preset --run DIR/run ...` packages its network as a preset.
# Shard 12 is never trained on; `python -m benchmarks.go_accuracy` measures the shipped preset on it.
set -u
start=$(date +%s)
DEADLINE_S=${DEADLINE_S:-540}      # the whole script ends by then (the training gets the rest)
RESERVE_S=${RESERVE_S:-70}         # kept for saving, the test split and the held-out evaluation
GAMES=${GAMES:-1800}               # games per shard
SKIP=${SKIP:-0}                    # games passed over at the start of each shard (those seen before)
INIT_MODEL=${INIT_MODEL:-}         # continue this saved policy (e.g. the shipped preset; set FEATURES to its set)
SHARDS=${SHARDS:-"01 02 03 04 05 06 07 08 09 10 11"}
WORKERS=${WORKERS:-$(nproc)}
DEPTH=${DEPTH:-12}
FILTERS=${FILTERS:-96}
BATCH=${BATCH:-512}
STEPS=${STEPS:-400}
LR=${LR:-2e-3}
EMA=${EMA:-}                       # e.g. 0.999: save the moving average of the weights (--ema-momentum)
LOADERS=${LOADERS:-6}
DEVICE_AUG=${DEVICE_AUG:-1}        # 1: unpack and turn the boards on the GPU (--device-augmentation); 0: in the loaders
FEATURES=${FEATURES:-small}
RESULTS=${RESULTS:-runs/go_gpu}
PY=${PYTHON:-python3}
export KERAS_BACKEND=${KERAS_BACKEND:-jax}
export CNNKIT_DATA=${CNNKIT_DATA:-../shared/data}
mkdir -p "$RESULTS"
log() { echo "[$(( $(date +%s) - start )) s] $*" | tee -a "$RESULTS/steps.log"; }

sources=()
for shard in $SHARDS; do sources+=("$CNNKIT_DATA/go/cwi_pro/cwi_pro_19x19_part$shard.tar.gz"); done
heldout="$CNNKIT_DATA/go/cwi_pro/cwi_pro_19x19_part12.tar.gz"

log "smoke test of the $KERAS_BACKEND backend"
if ! $PY -c "
import numpy as np, keras
from apps.go_policy.model.network import build_policy_network
model = build_policy_network('$FEATURES', depth=2, filters=8)
x = np.zeros((64, 19, 19, model.num_planes), 'float32')
model.fit(x, np.zeros(64, 'int32'), epochs=1, verbose=0)
print('backend', keras.backend.backend(), 'devices', keras.distribution.list_devices() if keras.backend.backend() == 'jax' else '')
" 2>&1 | tee -a "$RESULTS/steps.log"; then
    log "the $KERAS_BACKEND backend failed: falling back to torch"
    export KERAS_BACKEND=torch
fi
if [ "$DEVICE_AUG" = 1 ] && ! $PY -c "
import numpy as np
from apps.go_policy.model.augmentation import SymmetryTrainer
from apps.go_policy.model.network import build_policy_network
trainer = SymmetryTrainer(build_policy_network('$FEATURES', depth=2, filters=8))
planes = trainer.planes
trainer.fit(np.zeros((64, 19, 19, (planes + 7) // 8), 'uint8'), np.zeros(64, 'int32'), epochs=1, verbose=0)
" >> "$RESULTS/steps.log" 2>&1; then
    log "device augmentation failed on $KERAS_BACKEND: the loader threads turn the boards instead"
    DEVICE_AUG=0
fi

log "encoding ${#sources[@]} shards x $GAMES games with $WORKERS processes"
$PY -m apps.go_policy encode --sgf "${sources[@]}" --max-games "$GAMES" --skip-games "$SKIP" --workers "$WORKERS" \
    --features "$FEATURES" --json > "$RESULTS/encode.json" 2> "$RESULTS/encode.err"
log "encoded: $(tail -c 400 "$RESULTS/encode.json")"

minutes=$($PY -c "print(round(max(0.5, ($DEADLINE_S - $(( $(date +%s) - start )) - $RESERVE_S) / 60), 2))")
log "training ${DEPTH}x${FILTERS} for $minutes minutes"
$PY -m apps.go_policy train --sgf "${sources[@]}" --max-games "$GAMES" --skip-games "$SKIP" --workers "$WORKERS" \
    ${INIT_MODEL:+--init-model "$INIT_MODEL"} ${EMA:+--ema-momentum "$EMA"} \
    $([ "$DEVICE_AUG" = 1 ] && echo --device-augmentation) \
    --features "$FEATURES" --depth "$DEPTH" --filters "$FILTERS" --batch-size "$BATCH" \
    --steps-per-epoch "$STEPS" --epochs 100000 --learning-rate "$LR" --max-minutes "$minutes" --anneal \
    --loader-workers "$LOADERS" --out "$RESULTS/run" --json > "$RESULTS/train.json" 2> "$RESULTS/train.err"
log "trained: $(tail -c 600 "$RESULTS/train.json")"

log "evaluating on 200 held-out games of shard 12"
$PY -m apps.go_policy evaluate --model "$RESULTS/run/policy.keras" --sgf "$heldout" --max-games 200 \
    --workers "$WORKERS" --json > "$RESULTS/evaluate.json" 2> "$RESULTS/evaluate.err"
log "held-out: $(tail -c 300 "$RESULTS/evaluate.json")"
log "done"
