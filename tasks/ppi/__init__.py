"""Family 5, protein–protein interaction: multi-type PPI on SHS27k, SHS148k and STRING (GNN-PPI).

Each dataset is a STRING ``actions`` table plus a sequence dictionary (GNN-PPI files); the target
of an unordered protein pair is the set of its interaction modes (7 types, multi-label). No split
is shipped upstream: each run generates one (random / BFS / DFS, 20 % of the pairs as test, see
:mod:`protbench.protocols.algorithms.ppi_splits`), writes it beside the result and records its sha256.

Task ids: ``shs27k`` / ``shs148k`` / ``string`` use the BFS split (the main one, docs/BENCHMARKS.md);
``<id>-dfs`` and ``<id>-random`` are the same data with the other split methods. Each split method
is its own task id so a result file always says which split produced it (the runner names result
files by task id only).

Protocols: ``ppi-gnn`` (default; GIN over the training graph on frozen embeddings) and ``pair-mlp``
(the same network without message passing); their settings (``--param ppi-gnn.<field>``, e.g.
``split_seed`` — default 0, one split shared by every model seed; ``none`` draws one per seed —
``split_file``, ``test_fraction``, ``hidden``, ``aggregation``) are the fields of
:class:`~protbench.protocols.ppi_gnn.PpiGnnConfig`; ``--preset gnn-ppi`` runs the GNN-PPI paper's
protocol as its code does (every pair in the graph, epoch chosen on the held-out test pairs).
"""
from .specs import TASKS

__all__ = ["TASKS"]
