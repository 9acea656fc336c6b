#!/bin/bash
# usage: run.sh NAME [extra args]
# Runs go to $PROTCLIP_RUNS/NAME (default ~/protclip-runs/NAME). The shared frozen-text cache lives in that
# runs folder, which must belong to you (created mode 700): never at a fixed path under /tmp, where any local
# user could plant the file first.
set -eo pipefail
name=$1; shift
runs=${PROTCLIP_RUNS:-$HOME/protclip-runs}
mkdir -p -m 700 "$runs"
if [ ! -O "$runs" ]; then echo "run.sh: $runs is not owned by you; set PROTCLIP_RUNS to a folder of yours" >&2; exit 2; fi
cd "$(dirname "$0")/../.." && export HF_HUB_OFFLINE=1
data="$runs/go"        # the corpora (protclip/swissprot_corpus.py), built once from the data mirror
[ -f "$data/train1000.jsonl" ] || python -m protbench.protclip.swissprot_corpus --out "$data"
# The cached frozen-text states are deterministic, so the frozen MiniLM runs in eval mode (freeze_text_mode=eval).
exec nice -n 10 protbench pretrain --train $data/train1000.jsonl --valid-data $data/valid96.jsonl \
  --retrieval-data $data/human_heldout500_t4.jsonl --output-dir "$runs/$name" --fresh \
  --size tiny --text-model minilm --batch-size 32 --lr 1e-3 --max-steps 400 --time-budget-s 840 \
  --eval-every 50 --save-every 100 --set text_cache_file="$runs/textcache.pt" --set threads=2 \
  --model-set freeze_text_mode=eval --model-set projection_dim=128 --model-set proto_dim=128 --model-set proto_num=128 \
  --model-set max_protein_length=192 --model-set max_text_length=80 --model-set max_subtext_length=32 "$@"
