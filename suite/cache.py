"""Content-addressed on-disk cache of embeddings.

Layout: ``<root>/<namespace>/shard-*.npz`` plus ``<root>/<namespace>/key.json``.
A *namespace* is the hash of everything that determines a vector except the
sequence — (model fingerprint, layer, pooling, max length, long-sequence
policy, kind) — and ``key.json`` records those fields in clear. Inside, each
vector is addressed by the sha256 of its sequence (or text).

Each shard holds ``keys`` (``(n,)`` bytes, hex sha256), ``vectors`` (``(n, d)``
float32, pooled) or, for residue-level entries, ``vectors`` ``(sum L, d)`` plus
``offsets`` ``(n + 1,)``. Shards are written to a temporary file and renamed
into place, so readers never see half a shard; two runs (or torchrun ranks)
write different shards and never block each other; a crash loses only the
shard being written. Many small shards are merged by :meth:`Namespace.compact`
under a file lock.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
from filelock import FileLock


def content_hash(text: str) -> str:
    """sha256 hex of a sequence or text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheKey:
    """The fields that decide a vector, apart from the sequence itself."""

    model_fingerprint: str
    layer: str
    pooling: str
    max_length: int
    policy: str
    kind: str = "protein"   # "protein" | "text" | "residue"

    def namespace(self) -> str:
        blob = json.dumps(self.__dict__, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:32]


class Namespace:
    """All cached vectors of one :class:`CacheKey`."""

    def __init__(self, root: Path, key: CacheKey):
        self.key = key
        self.dir = Path(root) / key.namespace()
        self._index: dict[str, tuple[str, int]] = {}
        self._seen_shards: set[str] = set()
        self._loaded: dict[str, dict[str, np.ndarray]] = {}

    # -- reading -------------------------------------------------------------
    def _shards(self) -> list[Path]:
        if not self.dir.is_dir():
            return []
        return sorted(p for p in self.dir.glob("shard-*.npz"))

    def refresh(self) -> None:
        """Index shards written since the last look (by this or another process)."""
        for shard in self._shards():
            name = shard.name
            if name in self._seen_shards:
                continue
            try:
                with np.load(shard) as z:
                    keys = z["keys"]
            except FileNotFoundError:   # removed by a concurrent compaction; its content is in the merged shard
                continue
            for row, k in enumerate(keys):
                self._index.setdefault(k.decode() if isinstance(k, bytes) else str(k), (name, row))
            self._seen_shards.add(name)

    def __contains__(self, h: str) -> bool:
        return h in self._index

    def missing(self, hashes: Iterable[str]) -> list[str]:
        self.refresh()
        return [h for h in hashes if h not in self._index]

    def _shard_arrays(self, name: str) -> dict[str, np.ndarray]:
        arrays = self._loaded.get(name)
        if arrays is None:
            with np.load(self.dir / name) as z:
                arrays = {k: z[k] for k in z.files}
            self._loaded[name] = arrays
        return arrays

    def get(self, hashes: Sequence[str]) -> list[np.ndarray]:
        """Vectors for ``hashes`` (all must be cached): pooled ``(d,)`` or residue ``(L, d)`` arrays."""
        self.refresh()
        out = []
        for h in hashes:
            try:
                name, row = self._index[h]
            except KeyError:
                raise KeyError(f"embedding {h[:12]}… not in cache {self.dir}") from None
            try:
                a = self._shard_arrays(name)
            except FileNotFoundError:  # compacted meanwhile: re-index and retry once
                self._index.clear()
                self._seen_shards.clear()
                self._loaded.clear()
                return self.get(hashes)
            if "offsets" in a:
                out.append(a["vectors"][a["offsets"][row]:a["offsets"][row + 1]])
            else:
                out.append(a["vectors"][row])
        return out

    def get_matrix(self, hashes: Sequence[str]) -> np.ndarray:
        """Pooled vectors stacked into ``(len(hashes), d)`` float32."""
        vecs = self.get(hashes)
        if not vecs:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(vecs).astype(np.float32, copy=False)

    # -- writing -------------------------------------------------------------
    def put(self, items: Mapping[str, np.ndarray]) -> None:
        """Write one shard with ``items`` (hash -> pooled ``(d,)`` or residue ``(L, d)``), atomically."""
        if not items:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        key_file = self.dir / "key.json"
        if not key_file.exists():
            _atomic_write_bytes(key_file, json.dumps(self.key.__dict__, indent=1, sort_keys=True).encode())
        keys = np.array([h.encode() for h in items], dtype="S64")
        vals = [np.asarray(v, dtype=np.float32) for v in items.values()]
        if self.key.kind == "residue":
            lengths = [v.shape[0] for v in vals]
            arrays = {"keys": keys, "vectors": np.concatenate(vals, axis=0),
                      "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)}
        else:
            arrays = {"keys": keys, "vectors": np.stack(vals)}
        name = f"shard-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.npz"
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.dir / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for row, h in enumerate(items):
            self._index.setdefault(h, (name, row))
        self._seen_shards.add(name)
        self._loaded[name] = arrays

    def compact(self, min_shards: int = 2) -> int:
        """Merge all shards into one (under a lock); returns how many shards were merged."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.dir / ".compact.lock")):
            shards = self._shards()
            if len(shards) < min_shards:
                return 0
            merged: dict[str, np.ndarray] = {}
            for s in shards:
                with np.load(s) as z:
                    keys = z["keys"]
                    vecs = z["vectors"]
                    offs = z["offsets"] if "offsets" in z.files else None
                for row, k in enumerate(keys):
                    h = k.decode()
                    if h not in merged:
                        merged[h] = vecs[offs[row]:offs[row + 1]] if offs is not None else vecs[row]
            self._index.clear()
            self._seen_shards.clear()
            self._loaded.clear()
            self.put(merged)
            for s in shards:
                s.unlink(missing_ok=True)
            return len(shards)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self._shards())

    def count(self) -> int:
        self.refresh()
        return len(self._index)


class EmbeddingCache:
    """The cache root (``<cache>/embeddings``) holding one :class:`Namespace` per :class:`CacheKey`."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._namespaces: dict[CacheKey, Namespace] = {}

    def namespace(self, key: CacheKey) -> Namespace:
        ns = self._namespaces.get(key)
        if ns is None:
            ns = self._namespaces[key] = Namespace(self.root, key)
        return ns

    def entries(self) -> list[dict]:
        """One row per namespace: its key fields, vector count, size in bytes, last write time."""
        rows = []
        if not self.root.is_dir():
            return rows
        for d in sorted(self.root.iterdir()):
            kf = d / "key.json"
            if not kf.is_file():
                continue
            key = CacheKey(**json.loads(kf.read_text()))
            ns = Namespace(self.root, key)
            shards = ns._shards()
            rows.append({
                "namespace": d.name, **key.__dict__, "vectors": ns.count(), "shards": len(shards),
                "bytes": ns.size_bytes(),
                "modified": max((s.stat().st_mtime for s in shards), default=kf.stat().st_mtime),
            })
        return rows

    def prune(self, *, model_fingerprint: str | None = None, older_than_days: float | None = None,
              everything: bool = False) -> list[str]:
        """Delete namespaces matching the filters; returns the removed namespace ids."""
        removed = []
        now = time.time()
        for row in self.entries():
            hit = everything
            if model_fingerprint and row["model_fingerprint"].startswith(model_fingerprint):
                hit = True
            if older_than_days is not None and now - row["modified"] > older_than_days * 86400:
                hit = True
            if hit:
                shutil.rmtree(self.root / row["namespace"], ignore_errors=True)
                removed.append(row["namespace"])
        return removed


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
