"""Family 1, function classification: localization (accuracy) and EC / GO (Fmax, micro-AUPR).

Upstream formats (one loader each, in :mod:`protbench.formats`): PEER LMDB archives
(``subcellular_localization{,_2}.tar.gz``, field ``localization``), the same records
converted to CSV (``primary,localization``; a second accepted input for ``binloc``),
torchdrug's DeepFRI zips (``EnzymeCommission.zip`` / ``GeneOntology.zip``: PDB chain
files per split, annotation TSV, test CSV with identity cutoffs), and DeepFRI's native
files (annotation TSV, split lists, test CSV, test-sequence FASTA).

Cleaning: invalid residues / empty sequences / labels outside the label space are
dropped and counted; later copies of a sequence within a split are dropped (torchdrug's
documented sizes count distinct sequences: the converted binloc CSVs hold
5,184 / 1,729 / 1,749 rows = 5,161 / 1,727 / 1,746 distinct sequences).

Partial variants (own ids, ``variant="partial: ..."``) cover what is reachable
without the full upstream files; they never pass as the full task.
"""
from .specs import TASKS

__all__ = ["TASKS"]
