"""Family 5, protein–protein interaction: multi-type PPI on SHS27k, SHS148k and STRING (GNN-PPI).

Each dataset is a STRING ``actions`` table plus a sequence dictionary (GNN-PPI files); the target
of an unordered protein pair is the set of its interaction modes (7 types, multi-label). No split
is shipped upstream: each run generates one (random / BFS / DFS, 20 % of the pairs as test, see
:mod:`protbench.protocols.algorithms.ppi_splits`), writes it beside the result and records its sha256.

Task ids: ``shs27k`` / ``shs148k`` / ``string`` use the BFS split (the main one, docs/BENCHMARKS.md);
``<id>-dfs`` and ``<id>-random`` are the same data with the other split methods. Each split method
is its own task id so a result file always says which split produced it (the runner names result
files by task id only).

Protocols: ``gnn`` (default; GIN over the training graph on frozen embeddings) and ``pair-mlp``
(the same network without message passing). Parameters (``--param``): ``split_seed`` (default:
the run's seed, so every seed draws its own split; fix it to vary only the model's seed),
``split_file`` (reuse a saved split JSON), ``test_fraction`` (0.2), ``valid_fraction`` (0.1),
and the fields of :class:`~protbench.protocols.algorithms.ppi_gnn.PpiConfig` (``hidden``, ``max_epochs``,
``patience``, ``batch_size``, ``lr``, ``layers``...).
"""
from .specs import TASKS

__all__ = ["TASKS"]
