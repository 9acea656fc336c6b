"""Family 4, semantic similarity inference (PROBE): does embedding similarity follow GO similarity?

Two kinds of task per GO aspect, both zero-shot on frozen pooled embeddings
(:mod:`protbench.protocols.algorithms.semsim`):

* ``simsem-{mf,bp,cc}`` — PROBE's own files (Unsal et al. 2022): the GO
  similarity matrices of the 500 and 200 best-annotated human proteins and the
  "Sparse" pair subset of the 500. Sequences come from the human Swiss-Prot
  table of the mirror (PROBE ships accessions only); accessions without a
  sequence there are dropped and counted.
* ``simsem-{mf,bp,cc}-human`` — the ground truth computed here
  (:mod:`protbench.ontology`): human Swiss-Prot proteins with org.Hs.eg.db gene
  annotations (every evidence code except IEA and ND), GO DAG from go-basic
  2021-12-15, annotations propagated along is_a + part_of, IC from the
  propagated annotation counts of all those human proteins in the aspect, Lin
  term similarity, best-match average. The 500 / 200 best-annotated proteins
  are those with the most distinct direct terms in the aspect (ties: accession
  order). There is no Sparse set (PROBE's sparsification is not reproduced).

Scores: split ``test`` = the 500 set (main), ``200`` and (PROBE files only)
``sparse``. Metrics: Spearman of Manhattan (main), cosine and Euclidean
similarity against GO similarity over the upper triangle.
"""
from .specs import TASKS

__all__ = ["TASKS"]
