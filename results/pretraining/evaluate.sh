#!/bin/bash
# Downstream evaluation of the bounded pretraining runs (results/pretraining/README.md, "8M runs").
# usage: evaluate.sh FULL_RUN MLM_RUN   (folder names under $PROTCLIP_RUNS, default ~/protclip-runs)
# Writes results/pretraining/suite/ and zero-shot/ (result files, no weights; kept out of the main leaderboard
# by benchmarks/reproduce.sh) and prints the table of the README.
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
  if [ -f "$ckpt/training.json" ]; then cp "$ckpt/training.json" "$ev/$name/"; fi
done
python -m protbench.protclip.initial "$runs/$full" "$ev/protclip-8m-init" >/dev/null
# bf16 lean engine, proteins cropped to 256 residues (trained at 128): the same settings for all three.
# Encoder space (the ESM-2 mean, what the paper carries downstream) for the probes and semantic similarity;
# the shared space (its linear projection, L2-normalised) for protein -> GO text, where one embedding pass
# serves both the bridge (trained on the task's train split) and zero-shot retrieval.
opts=(--model-opt dtype=bfloat16 --model-opt max_length=256 --output-dir "$out" --offline)
goa=(prot2bp-goa prot2mf-goa prot2cc-goa)
for name in protclip-8m-full protclip-8m-mlm protclip-8m-init; do
  protbench run --model protclip --weights "$ev/$name" "${opts[@]}" --seeds 0 1 2 \
    --tasks binloc beta-lactamase simsem-bp-human simsem-mf-human simsem-cc-human
  protbench run --model protclip --weights "$ev/$name" "${opts[@]}" --model-opt space=shared --seeds 0 1 2 \
    --tasks "${goa[@]}"
  protbench run --model protclip --weights "$ev/$name" "${opts[@]}" --model-opt space=shared \
    --protocol zero-shot --output-dir results/pretraining/zero-shot --tasks "${goa[@]}"
done
protbench run --model aac --output-dir "$out" --offline --seeds 0 1 2 \
  --tasks binloc beta-lactamase simsem-bp-human simsem-mf-human simsem-cc-human "${goa[@]}"
# held-out proteins vs the pretraining corpus: exact copies and MMseqs2 identity bins
protbench leakage --corpus "$runs/go/train6000.jsonl" --offline --json "$out/corpus_leakage.json" \
  binloc beta-lactamase "${goa[@]}" > "$out/corpus_leakage.txt"
python -m protbench.protclip.suite_table "$out" --zero-shot results/pretraining/zero-shot --baseline aac \
  --runs full=protclip-esm2-8m-minilm:protclip-8m-full mlm=protclip-esm2-8m-minilm:protclip-8m-mlm \
  init=protclip-esm2-8m-minilm:protclip-8m-init
# (result folders written before checkpoints were named for their encoders are protclip:protclip-8m-*)
