"""Family 2, mutation effects: regression of fitness-like targets (Spearman main; MAE, RMSE).

Each task is a declarative :class:`~protbench.tasks.base.ProbeTask`: the upstream file
(URL, checksum), the target field, the expected split sizes, and a smoke-data writer
that emits the same format with planted, learnable targets. Two upstream formats:
PEER/TAPE LMDB archives (β-lactamase, fluorescence, stability) and FLIP split zips
(AAV, thermostability).

Split sizes: torchdrug documents the number of *distinct* sequences per split
(TAPE stability train holds 53,614 LMDB records but 53,571 distinct sequences), so
the LMDB tasks drop later copies of a sequence within a split (first kept; counted
in the drop log as "duplicate sequence in split"). Only stability has such copies.
"""
from .specs import TASKS

__all__ = ["TASKS"]
