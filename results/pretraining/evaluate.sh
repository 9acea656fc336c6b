#!/bin/bash
# Downstream evaluation of the bounded pretraining runs (results/pretraining/README.md, "8M runs").
# usage: evaluate.sh FULL_RUN MLM_RUN   (folder names under $PROTCLIP_RUNS, default ~/protclip-runs)
# Writes results/pretraining/suite/ (result files, no weights) and prints the table of the README.
set -eo pipefail
full=${1:-full8m}; mlm=${2:-mlm8m}
runs=${PROTCLIP_RUNS:-$HOME/protclip-runs}
cd "$(dirname "$0")/../.." && export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
out=results/pretraining/suite
ev="$runs/eval"; mkdir -p -m 700 "$ev"
# the three encoders as checkpoint folders (their names become the model names in the result folders)
for pair in "protclip-8m-full:$full" "protclip-8m-mlm:$mlm"; do
  name=${pair%%:*}; run=${pair#*:}
  ckpt=$(python -c "import json,sys; print(json.load(open(sys.argv[1]))['checkpoint'])" "$runs/$run/summary.json")
  mkdir -p "$ev/$name" && cp "$ckpt/model.safetensors" "$ckpt/protclip_config.json" "$ev/$name/"
done
python -m protbench.protclip.initial "$runs/$full" "$ev/protclip-8m-init" >/dev/null
# bf16 lean engine, proteins cropped to 256 residues (trained at 128): same settings for all three
opts=(--model-opt dtype=bfloat16 --model-opt max_length=256 --output-dir "$out" --offline)
tasks=(binloc beta-lactamase prot2bp-goa prot2mf-goa prot2cc-goa simsem-bp-human simsem-mf-human simsem-cc-human)
for name in protclip-8m-full protclip-8m-mlm protclip-8m-init; do
  protbench run --model protclip --weights "$ev/$name" "${opts[@]}" --tasks "${tasks[@]}" --seeds 0 1 2
  protbench run --model protclip --weights "$ev/$name" "${opts[@]}" --model-opt space=shared \
    --protocol zero-shot --tasks prot2bp-goa prot2mf-goa prot2cc-goa
done
protbench run --model aac --output-dir "$out" --offline --tasks "${tasks[@]}" --seeds 0 1 2
# held-out proteins vs the pretraining corpus: exact copies and MMseqs2 identity bins
protbench leakage --corpus "$runs/go/train6000.jsonl" --offline --json "$out/corpus_leakage.json" binloc beta-lactamase prot2bp-goa prot2mf-goa prot2cc-goa \
  > "$out/corpus_leakage.txt"
python -m protbench.protclip.suite_table "$out" --baseline aac \
  --runs full=protclip:protclip-8m-full mlm=protclip:protclip-8m-mlm init=protclip:protclip-8m-init
