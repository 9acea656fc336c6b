#!/bin/bash
# Downstream evaluation of the ProtCLIP-over-UniRep runs of run.sh (issue 28) and of run (5), no alignment.
#   evaluate.sh RUN...            (folder names under $PROTCLIP_RUNS, default ~/protclip-runs; `none`: run (5))
# Each run's best checkpoint (lowest validation loss, best/; the official Trainer's load_best_model_at_end, and
# the final one when the run kept no best) is evaluated as protclip-unirep<size>-minilm:RUN (the name says which encoders;
# the leaderboard marks its cells as weights trained here), proteins cropped to $CROP residues (default 256;
# the runs trained on 128), 3 seeds where a protocol is seeded:
#   encoder space (UniRep's mean hidden state): probes on binloc and beta-lactamase (does alignment keep what
#     UniRep knows?), semantic similarity on simsem-{bp,mf,cc}-human;
#   shared space: the bridge and zero-shot retrieval on prot2{bp,mf,cc}-goa, and ProtST's zero-shot
#     classifier (zero-shot-labels, its template/name class descriptions) on subloc-partial.
# Run (5), the name `none`, is the published UniRep and MiniLM with no alignment: the same probes and semsim on the published
# UniRep of the runs' size ($UNIREP_SIZE as in run.sh, default 256: `unirep-256`; 1900: `unirep`) cropped
# the same way, and the bridge (whose text side is MiniLM for a model without a text tower) on the GO tasks.
# Result files go to results/pretraining/unirep/suite and zero-shot/ (no weights), kept out of the main
# leaderboard by benchmarks/reproduce.sh; or under $PROTCLIP_RESULTS (e.g. outside the checkout, so that files
# written during a long grid do not make the checkout dirty for the results written after them). Threads: $THREADS (default: all cores), as run.sh.
set -eo pipefail
runs=${PROTCLIP_RUNS:-$HOME/protclip-runs}
CROP=${CROP:-256}
th=(); [ -z "$THREADS" ] || th=(--threads "$THREADS")
cd "$(dirname "$0")/../../.." && export HF_HUB_OFFLINE=1
out=${PROTCLIP_RESULTS:-results/pretraining/unirep}
ev="$runs/eval-unirep"; mkdir -p -m 700 "$ev"
probes=(binloc beta-lactamase); semsim=(simsem-bp-human simsem-mf-human simsem-cc-human)
goa=(prot2bp-goa prot2mf-goa prot2cc-goa)
for run in "$@"; do
  if [ "$run" = none ]; then
    base=unirep; [ "${UNIREP_SIZE:-256}" = 1900 ] || base=unirep-${UNIREP_SIZE:-256}     # the size the runs trained
    protbench run --model "$base" --model-opt max_length="$CROP" --output-dir "$out/suite" --offline "${th[@]}" \
      --seeds 0 1 2 --tasks "${probes[@]}" "${semsim[@]}" "${goa[@]}"
    continue
  fi
  ckpt="$runs/$run/best"
  [ -f "$ckpt/model.safetensors" ] || \
    ckpt=$(python -c "import json,sys; print(json.load(open(sys.argv[1]))['checkpoint'])" "$runs/$run/summary.json")
  mkdir -p "$ev/$run" && cp "$ckpt/model.safetensors" "$ckpt/protclip_config.json" "$ckpt/training.json" "$ev/$run/"
  m=(--model protclip --weights "$ev/$run" --model-opt max_length="$CROP" --offline "${th[@]}")
  protbench run "${m[@]}" --output-dir "$out/suite" --seeds 0 1 2 --tasks "${probes[@]}" "${semsim[@]}"
  protbench run "${m[@]}" --output-dir "$out/suite" --model-opt space=shared --seeds 0 1 2 --tasks "${goa[@]}"
  protbench run "${m[@]}" --output-dir "$out/zero-shot" --model-opt space=shared --protocol zero-shot \
    --tasks "${goa[@]}"
  protbench run "${m[@]}" --output-dir "$out/zero-shot" --model-opt space=shared --protocol zero-shot-labels \
    --tasks subloc-partial
done
