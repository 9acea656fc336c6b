"""Rebuild the corpora of the bounded CPU pretraining runs (written to /tmp/pc6/go; nothing here is committed data).

1. `protbench protanno build-go --max-terms 4` on the mirror's non-human 60k and human Swiss-Prot+GO tables
   (GO term names as the property texts; mapping in protbench.protclip.data).
2. train: 1,000 non-human records, valid: the next 96 (numpy default_rng(1) permutation);
   retrieval: 500 human proteins (default_rng(0) permutation) whose sequence is not in the non-human table.
"""
import os
import subprocess
from pathlib import Path

import numpy as np

from protbench.protclip.data import read_protanno, write_protanno

M = Path(os.environ.get("PROTBENCH_MIRROR", "../shared/data"))
OUT = Path("/tmp/pc6/go")
OUT.mkdir(parents=True, exist_ok=True)
for name, table in (("nonhuman_t4", "swissprot_go_201401_nonhuman_sample60k.tsv.gz"),
                    ("human_t4", "swissprot_go_201401_human.tsv.gz")):
    subprocess.run(["protbench", "protanno", "build-go", "--table", str(M / "uniprot_go" / table),
                    "--obo", str(M / "go" / "go-basic.obo.gz"), "--counts", str(M / "go" / "frequency_counts_uniprot.json"),
                    "--max-terms", "4", "--out", str(OUT / f"{name}.jsonl")], check=True, stdout=subprocess.DEVNULL)
nh = read_protanno(OUT / "nonhuman_t4.jsonl")
hu = read_protanno(OUT / "human_t4.jsonl")
seen = {r.seq for r in nh}
perm = np.random.default_rng(0).permutation(len(hu))
write_protanno([hu[i] for i in perm if hu[i].seq not in seen][:500], OUT / "human_heldout500_t4.jsonl")
p = np.random.default_rng(1).permutation(len(nh))
write_protanno([nh[i] for i in p[:1000]], OUT / "train1000.jsonl")
write_protanno([nh[i] for i in p[1500:1596]], OUT / "valid96.jsonl")
