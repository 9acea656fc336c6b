#!/bin/bash
# usage: run.sh NAME [extra args]
name=$1; shift
cd /work/main && source .venv/bin/activate && export HF_HUB_OFFLINE=1
exec nice -n 10 protbench pretrain --train /tmp/pc6/go/train1000.jsonl --valid-data /tmp/pc6/go/valid96.jsonl \
  --retrieval-data /tmp/pc6/go/human_heldout500_t4.jsonl --output-dir /tmp/pc6/runs/$name --fresh \
  --size tiny --text-model minilm --batch-size 32 --lr 1e-3 --max-steps 400 --time-budget-s 840 \
  --eval-every 50 --save-every 100 --set text_cache_file=/tmp/pc6/textcache.pt --set threads=2 \
  --model-set projection_dim=128 --model-set proto_dim=128 --model-set proto_num=128 \
  --model-set max_protein_length=192 --model-set max_text_length=80 --model-set max_subtext_length=32 "$@"
