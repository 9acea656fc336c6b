#!/usr/bin/env bash
# Baseline rows of issue 7 on the real data: DDE and Moran (probe on frozen features, PEER-style MLP head),
# alignment kNN (parasail Smith-Waterman identity) and PEER's CNN (trained per task), 3 seeds each.
#
#   PROTBENCH_MIRROR=../shared/data bash benchmarks/run_baselines.sh            # all four baselines
#   MODELS="dde moran" TASKS=beta-lactamase bash benchmarks/run_baselines.sh      # a subset
#
# Results: results/<model>/<task>.json (mean ± std over seeds in "summary"); wall time per model and task is
# printed and appended to results/baselines_timings.tsv.
#
# Feature baselines use the probe with PEER's 2-layer MLP head only (--param probe_heads=mlp).
# CNN restriction (2 shared CPU cores): PEER trains 2 x 1024-channel convolutions for 100 epochs on a GPU; on 2
# CPU cores that runs at ~1.7k residues/s (idle machine), i.e. ~50 min per epoch on fluorescence alone. The CNN
# row therefore runs narrower (CNN_OPTS: 128 channels), for 3 epochs at lr 1e-3, on a seeded subset of at most
# CNN_LIMIT records per split (runner --limit, recorded as dataset.limit in each result). For PEER's setting on a
# GPU: CNN_OPTS="--param ft_epochs=100 --param ft_lr=1e-4 --param ft_lr_ratio=1 --param ft_batch_size=32
# --param ft_patience=100" CNN_LIMIT="" DEVICE=cuda.
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS="${TASKS:-beta-lactamase fluorescence stability binloc}"
MODELS="${MODELS:-dde moran align-knn cnn}"
SEEDS="${SEEDS:-0 1 2}"
OUT="${OUT:-results}"
CNN_OPTS="${CNN_OPTS---model-opt hidden=128 --param ft_epochs=3 --param ft_lr=0.001 --param ft_lr_ratio=1 --param ft_batch_size=32 --param ft_patience=3}"
CNN_LIMIT="${CNN_LIMIT-1000}"
FEATURE_PARAMS="${FEATURE_PARAMS---param probe_heads=mlp}"
DEVICE="${DEVICE:-cpu}"
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"
status=0
for model in $MODELS; do
  for task in $TASKS; do
    extra=()
    case "$model" in
      dde|moran) extra=($FEATURE_PARAMS) ;;
      cnn) extra=($CNN_OPTS); [ -n "$CNN_LIMIT" ] && extra+=(--limit "$CNN_LIMIT") ;;
    esac
    start=$(date +%s)
    protbench run --model "$model" --tasks "$task" --seeds $SEEDS --output-dir "$OUT" --offline --device "$DEVICE" "${extra[@]}" \
      || status=1
    end=$(date +%s)
    printf '%s\t%s\t%s\t%d\t%s\n' "$(date -u +%FT%TZ)" "$model" "$task" $((end - start)) "$(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)" \
      | tee -a "$OUT/baselines_timings.tsv"
  done
done
exit $status
