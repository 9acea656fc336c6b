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
import logging
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

log = logging.getLogger("protbench")


class CorruptShardError(RuntimeError):
    """A cache shard that cannot be read or does not hold what a shard must; it has been evicted."""


def read_shard(path: Path) -> dict[str, np.ndarray]:
    """All arrays of one shard, checked for the shard layout; any damage raises :class:`CorruptShardError`
    naming the path (a missing file raises ``FileNotFoundError``: removed by a concurrent compaction)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise
    except Exception as exc:   # zero bytes, truncated, flipped bytes: EOFError, BadZipFile, zlib/CRC, ValueError
        raise CorruptShardError(f"{path}: unreadable cache shard ({type(exc).__name__}: {exc})") from exc
    problem = _layout_problem(arrays)
    if problem:
        raise CorruptShardError(f"{path}: not a valid cache shard ({problem})")
    return arrays


def _layout_problem(a: Mapping[str, np.ndarray]) -> str:
    if "keys" not in a or "vectors" not in a:
        return f"arrays {sorted(a)}; expected keys and vectors"
    keys, vecs = a["keys"], a["vectors"]
    if keys.ndim != 1 or keys.dtype.kind != "S":
        return f"keys of dtype {keys.dtype} and shape {keys.shape}"
    if vecs.ndim != 2 or vecs.dtype != np.float32:
        return f"vectors of dtype {vecs.dtype} and shape {vecs.shape}"
    if "offsets" in a:
        offs = a["offsets"]
        if offs.shape != (len(keys) + 1,) or offs[0] != 0 or offs[-1] != len(vecs) or np.any(np.diff(offs) < 0):
            return "offsets do not partition the vectors"
    elif len(vecs) != len(keys):
        return f"{len(keys)} keys but {len(vecs)} vectors"
    return ""


def read_key_file(path: Path) -> "CacheKey":
    """The :class:`CacheKey` a namespace's ``key.json`` records; ``ValueError`` naming the path if unreadable."""
    try:
        return CacheKey(**json.loads(Path(path).read_text()))
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise ValueError(f"{path}: unreadable cache key file ({type(exc).__name__}: {exc})") from exc


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
                with np.load(shard, allow_pickle=False) as z:
                    keys = z["keys"]
                if keys.ndim != 1 or keys.dtype.kind != "S":
                    raise ValueError(f"keys of dtype {keys.dtype} and shape {keys.shape}")
            except FileNotFoundError:   # removed by a concurrent compaction; its content is in the merged shard
                continue
            except Exception as exc:    # damaged: evicted, its vectors are recomputed
                self.evict(shard.name, f"{type(exc).__name__}: {exc}")
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
            try:
                arrays = read_shard(self.dir / name)
            except CorruptShardError as exc:
                self.evict(name, str(exc).split(": ", 1)[-1])
                raise
            self._loaded[name] = arrays
        return arrays

    def evict(self, name: str, why: str) -> None:
        """Delete a damaged shard and forget its vectors (they are missing again, so they get recomputed)."""
        path = self.dir / name
        log.warning("%s: corrupt embedding cache shard (%s); deleted, its vectors are recomputed", path, why)
        path.unlink(missing_ok=True)
        self._loaded.pop(name, None)
        self._seen_shards.discard(name)
        self._index = {h: loc for h, loc in self._index.items() if loc[0] != name}

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
        try:
            ok = read_key_file(key_file) == self.key
        except (FileNotFoundError, ValueError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("%s; rewritten", exc)
            ok = False
        if not ok:
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
        write_shard(self.dir / name, arrays)
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
                try:
                    a = read_shard(s)
                except FileNotFoundError:
                    continue
                except CorruptShardError as exc:
                    self.evict(s.name, str(exc).split(": ", 1)[-1])
                    continue
                keys, vecs, offs = a["keys"], a["vectors"], a.get("offsets")
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

    def namespace(self, key: CacheKey, model_name: str | None = None) -> Namespace:
        """The namespace of ``key``; ``model_name`` (display only, not part of the key) is remembered in
        ``<namespace>/model_name.txt`` so ``protbench cache ls`` can say whose vectors these are."""
        ns = self._namespaces.get(key)
        if ns is None:
            ns = self._namespaces[key] = Namespace(self.root, key)
            if model_name:
                label = ns.dir / "model_name.txt"
                try:
                    if not label.exists():
                        label.parent.mkdir(parents=True, exist_ok=True)
                        _atomic_write_bytes(label, model_name.encode())
                except OSError:
                    pass     # a label is a courtesy; the vectors do not depend on it
        return ns

    def _namespace_dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [d for d in sorted(self.root.iterdir())
                if d.is_dir() and ((d / "key.json").exists() or any(d.glob("shard-*.npz")))]

    def entries(self) -> list[dict]:
        """One row per namespace: its key fields, vector count, size in bytes, last write time.

        A namespace whose ``key.json`` is unreadable is listed with ``problem`` set (and ``?`` fields);
        damaged shards are not counted (``corrupt_shards``) — nothing here raises on bad content."""
        rows = []
        for d in self._namespace_dirs():
            kf = d / "key.json"
            problem = ""
            try:
                key = read_key_file(kf)
                fields = dict(key.__dict__)
            except (FileNotFoundError, ValueError) as exc:
                key = None
                problem = "no key.json" if isinstance(exc, FileNotFoundError) else "unreadable key.json"
                fields = {f: "?" for f in ("model_fingerprint", "layer", "pooling", "max_length", "policy", "kind")}
            try:
                fields["model_name"] = (d / "model_name.txt").read_text()[:80]
            except (OSError, UnicodeDecodeError):
                fields["model_name"] = ""
            shards = sorted(d.glob("shard-*.npz"))
            vectors, corrupt, size, mtimes = 0, 0, 0, []
            for sh in shards:
                try:
                    st = sh.stat()
                    size += st.st_size
                    mtimes.append(st.st_mtime)
                    with np.load(sh, allow_pickle=False) as z:
                        vectors += len(z["keys"])
                except FileNotFoundError:
                    continue
                except Exception:
                    corrupt += 1
            if corrupt:
                problem = ", ".join(filter(None, [problem, f"{corrupt} corrupt shard(s)"]))
            try:
                mtimes.append(kf.stat().st_mtime)
            except OSError:
                pass
            rows.append({"namespace": d.name, **fields, "vectors": vectors, "shards": len(shards), "bytes": size,
                         "modified": max(mtimes, default=0.0), "corrupt_shards": corrupt, "problem": problem})
        return rows

    def prune(self, *, model_fingerprint: str | None = None, older_than_days: float | None = None,
              everything: bool = False) -> list[str]:
        """Delete namespaces matching the filters; returns the removed namespace ids."""
        removed = []
        now = time.time()
        for row in self.entries():
            hit = everything
            if model_fingerprint and str(row["model_fingerprint"]).startswith(model_fingerprint):
                hit = True
            if older_than_days is not None and now - row["modified"] > older_than_days * 86400:
                hit = True
            if hit:
                shutil.rmtree(self.root / row["namespace"], ignore_errors=True)
                removed.append(row["namespace"])
        return removed

    def verify(self, fix: bool = False) -> list[dict]:
        """Read every shard of every namespace; returns one ``{"path", "problem", "fixed"}`` per damage.

        With ``fix``: corrupt shards are deleted (their vectors are recomputed on the next run); a
        namespace whose ``key.json`` is unreadable or belongs to another namespace is deleted whole."""
        problems = []
        for d in self._namespace_dirs():
            kf = d / "key.json"
            try:
                key = read_key_file(kf)
                bad_key = "" if key.namespace() == d.name else f"key.json describes namespace {key.namespace()}"
            except FileNotFoundError:
                bad_key = "no key.json"
            except (ValueError, TypeError) as exc:
                bad_key = str(exc).split(": ", 1)[-1]
            if bad_key:
                if fix:
                    shutil.rmtree(d, ignore_errors=True)
                problems.append({"path": str(kf), "problem": bad_key, "fixed": fix})
                continue
            for sh in sorted(d.glob("shard-*.npz")):
                try:
                    read_shard(sh)
                except FileNotFoundError:
                    continue
                except CorruptShardError as exc:
                    if fix:
                        sh.unlink(missing_ok=True)
                    problems.append({"path": str(sh), "problem": str(exc).split(": ", 1)[-1], "fixed": fix})
        return problems


def write_shard(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write one shard: temporary file in the same folder, fsync, rename (readers never see half a shard)."""
    from .store import current_umask

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())    # mkstemp makes 0600; a cache shared by a lab needs the umask's
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    from .store import atomic_write_bytes

    atomic_write_bytes(path, data)
