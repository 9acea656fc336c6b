"""The embedding engine under torchrun: 2 CPU processes (gloo) shard the work and share one cache."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from protbench.cache import EmbeddingCache
from protbench.embed import CachedEmbeddings
from protbench.models.esm import ESM2
from protbench.sequences import write_fasta
from protbench.smoke import random_sequences, rng_for


@pytest.mark.slow
def test_torchrun_two_ranks_fill_one_cache(tmp_path):
    seqs = random_sequences(rng_for("dist-test"), 24, 20, 90)
    fasta = tmp_path / "seqs.fasta"
    write_fasta(fasta, [(f"s{i}", s) for i, s in enumerate(seqs)])
    cache = tmp_path / "cache"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PROTBENCH_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "protbench.cli", "embed", "--model", "esm2-tiny", "--fasta", str(fasta), "--token-budget", "600",
           "--cache-dir", str(cache)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    done = {int(r): int(n) for r, n in re.findall(r"rank (\d)/2: \d+ distinct sequences, embedded (\d+) here",
                                                   proc.stdout)}
    assert set(done) == {0, 1} and sum(done.values()) == len(seqs) and min(done.values()) > 0

    model = ESM2("tiny", seed=0)
    served = CachedEmbeddings(model, EmbeddingCache(cache / "embeddings"))
    from_cache = served.proteins(seqs)
    assert served.stats.embedded == 0, "every vector must come from the shared cache"
    direct = model.embed_proteins(seqs)
    assert np.allclose(from_cache, direct, atol=1e-5)
