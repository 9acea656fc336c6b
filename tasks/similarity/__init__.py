"""Family 4, semantic similarity inference (PROBE): does embedding similarity follow GO similarity?

Two kinds of task per GO aspect, both zero-shot on frozen pooled embeddings
(:mod:`protbench.protocols.algorithms.semsim`):

* ``simsem-{mf,bp,cc}`` — PROBE's own files (Unsal et al. 2022; HUBioDataLab/PROBE, formerly kansil/PROBE):
  the GO similarity matrices of the "500" (497 MF / 497 BP / 495 CC proteins) and 200 best-annotated human
  proteins, inside PROBE's Google Drive ``datasets.zip``, and the "Sparse" pair rows of the 500 from its
  repository (:mod:`protbench.formats.probe_sim` has the layouts and the evidence). Sequences come from the
  human Swiss-Prot table of the mirror (PROBE's own human FASTA is another Drive file without a checksum);
  accessions without a sequence there are dropped, with their pairs, and counted.
* ``simsem-{mf,bp,cc}-human`` — the ground truth computed here
  (:mod:`protbench.ontology`): human Swiss-Prot proteins with org.Hs.eg.db gene
  annotations (every evidence code except IEA and ND), GO DAG from go-basic
  2021-12-15, annotations propagated along is_a + part_of, IC from the
  propagated annotation counts of all those human proteins in the aspect, Lin
  term similarity, best-match average. The 500 / 200 best-annotated proteins
  are those with the most distinct direct terms in the aspect, ties by accession in reverse as PROBE's
  ``calculateHighestAnnotatedProteins.ipynb`` (cell 5) orders them. There is no Sparse set (PROBE's
  sparsification is not reproduced).

PROBE's evaluator (HUBioDataLab/PROBE @ 9ff8219c, ``bin/semantic_similarity_infer.py``), which ours follows:
for each set, every protein pair (i, j) with j > i of the matrix's header order — the Sparse set: the .npy
rows with j > i — whose two proteins both have a representation (lines 37-40) gets cosine similarity,
Manhattan similarity 1 - |a-b|_1 / (|a|_1 + |b|_1) and Euclidean similarity 1 - |a-b|_2 / (|a|_2 + |b|_2),
the last two 1.0 when both vectors have L1 norm 0 (lines 44-58); Spearman's rho (scipy, average ranks) of each
against the matrix value over all those pairs pooled is the score (lines 133-135), with no per-protein
averaging. PROBE's published p-values fit those pair counts: APAAC's in
``paper_reproduction_scripts/semantic_similarity_inference/Similarity_Table.csv`` give 497·496/2 = 123,256 pairs
for the MF "500" and 19,900 for the MF "200"; AAC's in ``results/Semantic_sim_inference_Sparse_AAC.csv`` give
246 / 247 / 245 Sparse pairs (MF / BP / CC).

Scores: split ``test`` = the 500 set (main), ``200`` and (PROBE files only)
``sparse``. Metrics: Spearman of Manhattan (main), cosine and Euclidean
similarity against GO similarity over the upper triangle.
"""
from .specs import TASKS

__all__ = ["TASKS"]
