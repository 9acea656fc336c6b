"""Family 3, cross-modal transformation (BioBridge): retrieve the tail nodes linked to a head node.

Tasks (docs/BENCHMARKS.md rows 12–16), on PrimeKG (Chandak et al. 2023) with
BioBridge's protein sequences:

* ``prot2bp`` / ``prot2mf`` / ``prot2cc`` — protein → GO biological process /
  molecular function / cellular component (PrimeKG relations
  ``bioprocess_protein``, ``molfunc_protein``, ``cellcomp_protein``);
* ``prot2drug`` — protein → drug (``drug_protein``);
* ``disease2prot`` — disease → protein (``disease_protein``).

Real-data variants reachable offline: ``prot2{bp,mf,cc}-goa`` — human Swiss-Prot
proteins → GO terms from org.Hs.eg.db gene annotations (every evidence code
except IEA and ND, direct annotations, not propagated), GO text from go-basic.

**Split** (mimicking BioBridge): the head nodes of the task (those with ≥ 1
edge), sorted by id, 10% drawn as test with ``numpy.random.default_rng(42)``;
10% of the remaining heads drawn by the same generator as validation (used only
for the bridge's early stopping); the rest train. Every edge of a head goes
with its head, so test heads are never seen in training.

**Candidates**: every node of the tail type (PrimeKG ``nodes.csv``; for the
``-goa`` variants, every GO term of the aspect annotated to at least one
protein, or all terms of the aspect with ``--param candidates=all``).

**Node vectors**: proteins through the evaluated model (``emb.proteins``); text
nodes — GO terms (``name: definition``; PrimeKG GO nodes carry names only),
drugs (PrimeKG ``drug_features.csv`` ``description``, else the name; the
drug's own embedding source is this text, not its structure), diseases
(name + MONDO/UMLS/Orphanet definition from ``disease_features.csv``) —
through the evaluated model's text tower for zero-shot, and for the bridge
through the model's text tower if it has one, else the reference text encoder
all-MiniLM-L6-v2 (:mod:`protbench.protocols.algorithms.reference_text`, 128 tokens).

**Protocols**: ``bridge`` (default; :mod:`protbench.protocols.algorithms.bridge`) and
``zero-shot`` (cosine in a shared protein–text space, no training; needs a
model with TEXT + SHARED_SPACE). **Metrics**: filtered MRR (main), Hits@1/3/10,
pessimistic ties (:mod:`protbench.metrics.ranking`), on ``valid`` and ``test``.
"""
from .specs import TASKS

__all__ = ["TASKS"]
