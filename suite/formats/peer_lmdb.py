"""PEER / TAPE LMDB splits: ``<name>/<name>_{train,valid,test}.lmdb`` inside a ``.tar.gz``.

Each LMDB holds ``num_examples`` → pickled int and ``"0"``, ``"1"``, … → a
pickled dict with the sequence under ``primary`` and the targets under
task-specific fields (a 1-element numpy array counts as a scalar). Archives
also carry macOS ``._*`` / ``.DS_Store`` entries, which are ignored.

Pickles are decoded by :class:`SafeUnpickler`, which only builds plain
containers, strings, numbers and numpy arrays — any other global in a record
is refused, so nothing in a data file can run code.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

SPLITS = ("train", "valid", "test")


class LMDBFormatError(ValueError):
    """A PEER LMDB that is missing, truncated or holds unexpected records."""


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("builtins", "set"), ("builtins", "frozenset"), ("collections", "OrderedDict"),
}


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy array reconstruction and builtin containers."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name} from a data file")


def safe_loads(data: bytes) -> Any:
    return SafeUnpickler(io.BytesIO(data)).load()


def scalar(value: Any) -> Any:
    """A 1-element numpy array (or numpy scalar) as a Python number; other values unchanged."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return value.tolist()
        return value.reshape(()).item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_lmdb(path: Path) -> list[dict[str, Any]]:
    """All records of one LMDB folder, in key order ``0 … num_examples-1``; numpy scalars unwrapped."""
    import lmdb

    path = Path(path)
    if not (path / "data.mdb").is_file():
        raise LMDBFormatError(f"{path}: no data.mdb here; expected a PEER LMDB folder (…_train.lmdb)")
    try:
        env = lmdb.open(str(path), readonly=True, lock=False, readahead=False, subdir=True)
    except lmdb.Error as exc:
        raise LMDBFormatError(f"{path}: cannot open LMDB ({exc}); the file is truncated or corrupt, "
                              f"delete the extracted folder and fetch the archive again") from exc
    # a truncated data.mdb would crash the process (SIGBUS) when LMDB touches a page past the end of the
    # memory-mapped file, so compare the file size with the last page the meta page says is in use
    size = (path / "data.mdb").stat().st_size
    needed = (env.info()["last_pgno"] + 1) * env.stat()["psize"]
    if size < needed:
        env.close()
        raise LMDBFormatError(f"{path}: data.mdb holds {size} bytes but its header says {needed}; the LMDB is "
                              f"truncated. Delete the extracted folder and fetch the archive again")
    records = []
    try:
        with env.begin() as txn:
            raw_n = txn.get(b"num_examples")
            if raw_n is None:
                raise LMDBFormatError(f"{path}: key 'num_examples' missing; not a PEER/TAPE LMDB")
            try:
                n = scalar(safe_loads(raw_n))
            except Exception as exc:
                raise LMDBFormatError(f"{path}: 'num_examples' cannot be decoded ({type(exc).__name__}: {exc}); "
                                      f"the LMDB is corrupt") from exc
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise LMDBFormatError(f"{path}: 'num_examples' is {n!r}; expected a non-negative whole number")
            for i in range(n):
                raw = txn.get(str(i).encode())
                if raw is None:
                    raise LMDBFormatError(f"{path}: record {i} of {n} missing; the LMDB is truncated")
                try:
                    rec = safe_loads(raw)
                except Exception as exc:
                    raise LMDBFormatError(f"{path}: record {i} cannot be decoded ({exc})") from exc
                if not isinstance(rec, dict) or "primary" not in rec:
                    raise LMDBFormatError(f"{path}: record {i} has no 'primary' sequence field")
                if not isinstance(rec["primary"], str):
                    raise LMDBFormatError(f"{path}: record {i}: 'primary' is a {type(rec['primary']).__name__} "
                                          f"({rec['primary']!r:.40}), expected the sequence as a string")
                records.append({k: scalar(v) for k, v in rec.items()})
    except lmdb.Error as exc:
        raise LMDBFormatError(f"{path}: reading failed ({exc}); the LMDB is truncated or corrupt") from exc
    finally:
        env.close()
    return records


def find_splits(root: Path, name: str) -> dict[str, Path]:
    """Locate ``<name>_{train,valid,test}.lmdb`` folders under an extracted archive."""
    found = {}
    for split in SPLITS:
        hits = [p for p in Path(root).rglob(f"{name}_{split}.lmdb") if p.is_dir() and not p.name.startswith("._")]
        if not hits:
            raise LMDBFormatError(f"{root}: no {name}_{split}.lmdb folder in the archive")
        found[split] = hits[0]
    return found


def write_lmdb(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Write records in PEER's layout (``num_examples`` + ``"0"``, ``"1"``, …; pickle protocol 4)."""
    import lmdb

    records = list(records)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    size = max(1 << 20, 4 * sum(len(pickle.dumps(dict(r))) for r in records) + (1 << 16))
    env = lmdb.open(str(path), map_size=size, subdir=True)
    with env.begin(write=True) as txn:
        txn.put(b"num_examples", pickle.dumps(len(records), protocol=4))
        for i, r in enumerate(records):
            txn.put(str(i).encode(), pickle.dumps(dict(r), protocol=4))
    env.close()


def write_archive(archive: Path, name: str, splits: Mapping[str, Iterable[Mapping[str, Any]]]) -> Path:
    """Write ``<name>.tar.gz`` holding ``<name>/<name>_<split>.lmdb`` folders (as PEER ships them)."""
    import tarfile
    import tempfile

    archive = Path(archive)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / name
        for split, recs in splits.items():
            write_lmdb(root / f"{name}_{split}.lmdb", recs)
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "w:gz") as tf:
            tf.add(root, arcname=name)
    return archive


def read_archive(archive: Path, cache_dir: Path, name: str) -> dict[str, list[dict[str, Any]]]:
    """Unpack a PEER ``<name>.tar.gz`` into the cache (once) and read its three splits."""
    from protbench.archive import unpack

    root = unpack(Path(archive), Path(cache_dir))
    return {split: read_lmdb(path) for split, path in find_splits(root, name).items()}
