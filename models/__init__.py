"""Built-in models: baselines and protein language models (ProtCLIP registers from ``protbench.protclip``).

``MODELS`` lists :class:`~protbench.registry.ModelEntry` objects; factories
import heavy libraries only when a model is built.
"""
from __future__ import annotations

from protbench.registry import ModelEntry
from protbench.spec import Capability

P, R, F = Capability.PROTEIN, Capability.RESIDUE, Capability.FINETUNE


def _feature(feature: str):
    def factory(**_: object):
        from .features import FeatureModel

        return FeatureModel(feature)

    return factory


def _esm2(size: str):
    def factory(weights: str | None = None, dtype: str = "float32", layer: str = "last", seed: int = 0,
                device: str = "cpu"):
        from .esm import ESM2

        return ESM2(size=size, weights=weights, dtype=dtype, layer=layer, seed=seed, device=device,
                    name=f"esm2-{size}" if weights is None else None)

    return factory


def _align_knn(candidates: int = 32, gap_open: int = 11, gap_extend: int = 1, threads: int = 2):
    from .knn import AlignmentKNN

    return AlignmentKNN(candidates=candidates, gap_open=gap_open, gap_extend=gap_extend, threads=threads)


def _cnn(hidden: int = 1024, layers: int = 2, kernel: int = 5, max_length: int = 1000, epochs: int = 100,
         lr: float = 1e-4, batch_size: int = 32, seed: int = 0, device: str = "cpu", max_train: int | None = None):
    from .cnn import PeerCNN

    return PeerCNN(hidden=hidden, layers=layers, kernel=kernel, max_length=max_length, epochs=epochs, lr=lr,
                   batch_size=batch_size, seed=seed, device=device, max_train=max_train)


MODELS = [
    ModelEntry("aac", _feature("aac"), "amino-acid composition (20 fractions), weight-free", frozenset({P})),
    ModelEntry("dpc", _feature("dpc"), "dipeptide composition (400 fractions), weight-free", frozenset({P})),
    ModelEntry("dde", _feature("dde"), "dipeptide deviation from expected mean (400), weight-free", frozenset({P})),
    ModelEntry("moran", _feature("moran"), "Moran autocorrelation, 8 AAindex scales x lags 1-30 (240), weight-free",
               frozenset({P})),
    ModelEntry("ct", _feature("ct"), "conjoint triad (343), weight-free", frozenset({P})),
    ModelEntry("ctd", _feature("ctd"), "composition/transition/distribution, 7 attributes (147), weight-free",
               frozenset({P})),
    ModelEntry("align-knn", _align_knn, "alignment kNN: Smith-Waterman identity to train, label transfer "
               "(protocol alignment-knn)", frozenset({P})),
    ModelEntry("cnn", _cnn, "PEER CNN (2 x Conv1d 1024, kernel 5, max pool) trained from scratch per task "
               "(protocol finetune)", frozenset({P, F})),
    ModelEntry("esm2-tiny", _esm2("tiny"), "ESM-2 architecture, 2 layers, 64-d, random init (tests, smoke runs)",
               frozenset({P, R, F})),
    *[ModelEntry(f"esm2-{s}", _esm2(s), f"ESM-2 {s.upper()} (random init unless --weights PATH)",
                 frozenset({P, R, F}), needs_weights=True) for s in ("8m", "35m", "150m", "650m", "3b")],
]
