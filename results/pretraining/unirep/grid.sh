#!/bin/bash
# The whole grid of issue 28 (README "Runs"): runs (1)-(4), 8 recipes x 3 seeds, each trained by run.sh and then
# evaluated by evaluate.sh, and run (5) (evaluate.sh none), spread over LANES lanes that run side by side.
#   grid.sh [LANES]        default 2 lanes of $THREADS = cores / LANES threads each
#   SEEDS="0" RECIPES="full gc" grid.sh 1     a part of it
# On 2 cores, two 1-thread lanes train 1.4x as many steps per hour as one 2-thread lane (50 UniRep-256 steps
# with one validation: 156 s alone at 2 threads, 227 s each for two side by side at 1 thread; AMD EPYC Zen 2).
# Each run's recipe records its thread count (pretrain_config.json, and every result's environment).
# Kill it at any moment and start it again: it goes on. A finished training (summary.json) is kept, a killed one
# resumes from its last checkpoint (run.sh), and finished evaluation cells are kept by the result store.
# Progress: $PROTCLIP_RUNS/grid.log; each job's output: $PROTCLIP_RUNS/NAME.log and NAME.eval.log. Each trained
# run's small files (summary, log, configuration, leakage report, training.json of its best checkpoint) are
# copied to runs/NAME, the result files to suite/ and zero-shot/, beside this script or under $PROTCLIP_RESULTS
# (evaluate.sh): results record the checkout's revision, "+dirty" once a tracked file changed, so a grid that
# replaces committed results should write them outside the checkout and copy them in when it is done.
set -o pipefail
lanes=${1:-2}
here=$(cd "$(dirname "$0")" && pwd)
runs=${PROTCLIP_RUNS:-$HOME/protclip-runs}
results=${PROTCLIP_RESULTS:-$here}
case $results in /*) ;; *) results=$(cd "$here/../../.." && pwd)/$results ;; esac   # evaluate.sh: from the root
export PROTCLIP_RESULTS=$results
: "${SEEDS:=0 1 2}" "${RECIPES:=full gc no-mlm no-bsr no-pda no-terms scratch clip}"
cores=$(nproc); per=$(( cores / lanes )); [ "$per" -ge 1 ] || per=1
export THREADS=${THREADS:-$per} PROTCLIP_RUNS=$runs
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
mkdir -p -m 700 "$runs"

recipe_args() {      # the run.sh options of a recipe (README table)
  case $1 in
    full) ;;
    gc) echo --without mlm --without bsr --without pda ;;
    clip) echo --without mlm --without bsr --without pda --without terms ;;
    no-mlm | no-bsr | no-pda | no-terms) echo --without "${1#no-}" ;;
    scratch) echo --unirep-init random ;;
    *) echo "grid.sh: unknown recipe '$1' (full gc no-mlm no-bsr no-pda no-terms scratch clip)" >&2; return 2 ;;
  esac
}
for r in $RECIPES; do recipe_args "$r" > /dev/null || exit 2; done

jobs=(none)
for s in $SEEDS; do for r in $RECIPES; do jobs+=("$r-s$s"); done; done
say() { echo "$(date -u +%FT%TZ) lane $1: $2" >> "$runs/grid.log"; }

lane() {
  local i=$1 k name r s
  for ((k = i; k < ${#jobs[@]}; k += lanes)); do
    name=${jobs[k]}
    if [ "$name" != none ]; then
      r=${name%-s*}; s=${name##*-s}
      if [ ! -f "$runs/$name/summary.json" ]; then
        say "$i" "train $name"
        # shellcheck disable=SC2046  # recipe_args gives separate words
        if ! bash "$here/run.sh" "$name" --seed "$s" $(recipe_args "$r") > "$runs/$name.log" 2>&1; then
          say "$i" "FAILED train $name (see $runs/$name.log)"; continue
        fi
      fi
      mkdir -p "$results/runs/$name"
      cp "$runs/$name"/{summary.json,log.jsonl,pretrain_config.json,leakage.json} "$results/runs/$name/"
      [ ! -f "$runs/$name/best/training.json" ] || cp "$runs/$name/best/training.json" "$results/runs/$name/"
    fi
    say "$i" "evaluate $name"
    if ! bash "$here/evaluate.sh" "$name" >> "$runs/$name.eval.log" 2>&1; then
      say "$i" "FAILED evaluate $name (see $runs/$name.eval.log)"; continue
    fi
    say "$i" "done $name"
  done
}

say - "start: ${#jobs[@]} jobs, $lanes lanes of $THREADS threads, revision $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"
for ((i = 0; i < lanes; i++)); do lane "$i" & done
wait
say - "end"
