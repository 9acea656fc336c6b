"""Result files: one JSON per model × task, schema-versioned and validated on load.

Layout under a results folder: ``<model>/<task>.json`` (measured) and, for
numbers copied from papers, ``reported/<model>/<task>.json`` with
``"kind": "reported"`` and a ``source``. Optional prediction arrays for paired
statistics live beside a result as ``<model>/<task>.predictions.npz``.

The schema (:data:`SCHEMA`, JSON Schema draft 2020-12) is the contract with
the leaderboard; bump :data:`SCHEMA_VERSION` on incompatible changes.
"""
from __future__ import annotations

import json
import math
import os
import platform
import socket
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

SCHEMA_VERSION = 1

_SCORES = {"type": "object", "additionalProperties": {   # split -> metric -> value
    "type": "object", "additionalProperties": {"type": ["number", "null"]}}}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "protbench result",
    "type": "object",
    "required": ["schema_version", "kind", "status", "task", "model", "created"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "kind": {"enum": ["measured", "reported"]},
        "status": {"enum": ["ok", "failed", "skipped"]},
        "reason": {"type": "string"},
        "error": {"type": "string"},
        "task": {"type": "object", "required": ["id", "family", "main_metric"],
                 "properties": {"id": {"type": "string"}, "family": {"type": "string"},
                                "main_metric": {"type": "string"}, "variant": {"type": "string"}}},
        "model": {"type": "object", "required": ["name"],
                  "properties": {"name": {"type": "string"}, "fingerprint": {"type": "string"}}},
        "profile": {"enum": ["real", "smoke"]},
        "protocol": {"type": "object"},
        "seeds": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["scores"],
            "properties": {"scores": _SCORES, "ci": {"type": "object"}, "info": {"type": "object"}}}},
        "summary": {"type": "object", "additionalProperties": {   # split -> metric -> stats
            "type": "object", "additionalProperties": {
                "type": "object", "required": ["mean", "n"],
                "properties": {"mean": {"type": ["number", "null"]}, "std": {"type": ["number", "null"]},
                               "n": {"type": "integer"},
                               "ci": {"type": "array", "minItems": 2, "maxItems": 2,
                                      "items": {"type": ["number", "null"]}}}}}},
        "dataset": {"type": "object"},
        "environment": {"type": "object"},
        "timings_s": {"type": "object", "additionalProperties": {"type": "number"}},
        "embedding": {"type": "object"},
        "source": {"type": "object"},
        "created": {"type": "string"},
    },
    "allOf": [
        {"if": {"properties": {"status": {"const": "ok"}}}, "then": {"required": ["summary"]}},
        {"if": {"properties": {"status": {"const": "failed"}}}, "then": {"required": ["error"]}},
        {"if": {"properties": {"status": {"const": "skipped"}}}, "then": {"required": ["reason"]}},
        {"if": {"properties": {"kind": {"const": "reported"}}}, "then": {"required": ["source"]}},
    ],
}


class ResultError(ValueError):
    """A result file that does not parse or does not match the schema."""


def validate(result: dict[str, Any], where: str = "result") -> None:
    import jsonschema

    try:
        jsonschema.validate(result, SCHEMA)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ResultError(f"{where}: invalid result at {path}: {exc.message}") from None


def summarize(seeds: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Mean, sample std (ddof=1; 0 for one seed) and count per split and metric over seeds."""
    values: dict[str, dict[str, list[float]]] = {}
    for seed_res in seeds.values():
        for split, metrics in seed_res["scores"].items():
            for metric, v in metrics.items():
                values.setdefault(split, {}).setdefault(metric, []).append(v)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for split, metrics in values.items():
        for metric, vs in metrics.items():
            finite = [float(v) for v in vs if v is not None and math.isfinite(v)]
            mean = float(np.mean(finite)) if finite else None
            std = float(np.std(finite, ddof=1)) if len(finite) > 1 else None   # one seed: no spread measured
            out.setdefault(split, {})[metric] = {"mean": mean, "std": std, "n": len(finite)}
    return out


def environment() -> dict[str, Any]:
    """Versions and host facts recorded with every result."""
    from importlib import metadata

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    env = {
        "protbench": version("protbench"),
        "git": git_revision(),
        "python": platform.python_version(),
        "torch": version("torch"),
        "numpy": version("numpy"),
        "scikit-learn": version("scikit-learn"),
        "scipy": version("scipy"),
        "parasail": version("parasail"),          # alignment kNN's Smith-Waterman (None where not installed)
        "transformers": version("transformers"),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        env["torch_threads"] = torch.get_num_threads()
        env["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # pragma: no cover
        pass
    try:   # numpy/scipy's BLAS threads: a reduction's rounding can depend on them
        from threadpoolctl import threadpool_info

        env["blas_threads"] = {i["internal_api"]: i["num_threads"] for i in threadpool_info()
                               if i.get("user_api") == "blas"}
    except Exception:  # pragma: no cover
        pass
    env["numeric_platform"] = numeric_platform()
    return env


# Instruction sets that select floating-point kernels (OpenBLAS's core type, oneDNN's and torch's CPU dispatch)
KERNEL_ISA = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16",
              "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")
# Where two results were computed on different numeric platforms, their scores agree within this relative
# tolerance, not bit for bit. Measured: aac beta-lactamase MAE/RMSE differ in the 9th significant digit between
# an AVX-512 CPU without AMX and one with AMX, and by 4e-8 (relative) between two AMX hosts that agreed on
# instruction sets, BLAS core type and torch dispatch (so ``cpu``, ``caches`` and ``torch_kernels`` are now
# recorded too: MKL and oneDNN choose code paths and block sizes, and so summation order, by CPU and cache).
CROSS_PLATFORM_RTOL = 1e-6
# The numeric_platform fields that must be equal, and the environment fields beside them, for a bit-exact claim
PLATFORM_KEYS = ("blas", "torch_cpu_capability", "isa", "cpu", "caches", "torch_kernels")
PLATFORM_ENV_KEYS = ("torch", "numpy", "torch_threads", "blas_threads")


def numeric_platform() -> dict[str, Any]:
    """What decides which floating-point kernels run, and how they block their sums, and so a result's last
    digits: each BLAS library's kernel architecture as threadpoolctl reports it (OpenBLAS's core type, e.g.
    ``SkylakeX``), torch's CPU dispatch level (``torch.backends.cpu.get_cpu_capability()``, e.g. ``AVX512``),
    the math libraries built into torch (``torch_kernels``: MKL and oneDNN versions), the CPU's identity
    (``cpu``: vendor, family, model, stepping; ``cpu_model`` is only the name, often generic under a
    hypervisor), its cache sizes (``caches``, e.g. ``L2 1024K``) and its kernel-relevant instruction sets
    (:data:`KERNEL_ISA`), from ``/proc/cpuinfo`` and ``/sys`` where they exist.

    Two runs with equal platforms (and equal versions and threads, recorded beside) reproduce bit for bit;
    across platforms, numbers agree within :data:`CROSS_PLATFORM_RTOL` (see :func:`same_numeric_platform`).
    """
    out: dict[str, Any] = {"cpu_model": None, "cpu": None, "caches": cache_sizes(), "isa": None,
                           "torch_cpu_capability": None, "torch_kernels": None, "blas": []}
    try:
        from threadpoolctl import threadpool_info

        out["blas"] = sorted({(i.get("internal_api") or "", i.get("architecture") or "", i.get("version") or "")
                              for i in threadpool_info() if i.get("user_api") == "blas"})
        out["blas"] = [{"internal_api": a, "architecture": b, "version": v} for a, b, v in out["blas"]]
    except Exception:  # pragma: no cover
        pass
    try:
        import torch

        out["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        out["torch_kernels"] = torch_math_libraries(torch.__config__.show())
    except Exception:  # pragma: no cover
        pass
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        out["cpu_model"] = platform.processor() or None
        return out
    ident: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if not key:      # the first processor's block ends at the first blank line
            if ident or out["isa"] is not None:
                break
            continue
        if key == "model name":
            out["cpu_model"] = value.strip()
        elif key in ("vendor_id", "cpu family", "model", "stepping", "CPU implementer", "CPU part",
                     "CPU variant", "CPU revision"):
            ident[key.replace(" ", "_")] = value.strip()
        elif key in ("flags", "Features") and out["isa"] is None:
            flags = set(value.split())
            out["isa"] = [f for f in KERNEL_ISA if f in flags]
    out["cpu"] = ident or None
    return out


def cache_sizes(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> list[str] | None:
    """CPU 0's caches as ``"L<level> <type> <size>"`` (e.g. ``"L2 Unified 1024K"``), or None where not exposed."""
    try:
        found = []
        for index in sorted(root.glob("index*")):
            level, kind, size = ((index / f).read_text().strip() for f in ("level", "type", "size"))
            found.append(f"L{level} {kind} {size}")
        return found or None
    except OSError:
        return None


def torch_math_libraries(config: str) -> list[str]:
    """The MKL and oneDNN lines of ``torch.__config__.show()`` (their versions), e.g.
    ``["Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 …", "oneDNN v3.7.1 …"]``."""
    keep = ("math kernel library", "mkl-dnn", "onednn", "openblas")
    return [line.strip(" -") for line in config.splitlines()
            if any(k in line.lower() for k in keep) and not line.strip(" -").lower().startswith("build settings")]


def same_numeric_platform(env_a: dict[str, Any] | None, env_b: dict[str, Any] | None) -> bool:
    """True when two results' environments ran the same kernels the same way: equal :data:`PLATFORM_KEYS`
    (BLAS library, kernel architecture and version; torch CPU dispatch level and math libraries; CPU identity,
    caches and instruction sets) and equal torch/numpy versions and thread counts. A result without a recorded
    platform, or with an older record that lacks a field, counts as a different platform."""
    pa, pb = (env_a or {}).get("numeric_platform"), (env_b or {}).get("numeric_platform")
    if not pa or not pb or any(k not in pa or k not in pb for k in PLATFORM_KEYS):
        return False
    return all(pa[k] == pb[k] for k in PLATFORM_KEYS) and all(
        (env_a or {}).get(v) == (env_b or {}).get(v) for v in PLATFORM_ENV_KEYS)


def seed_origin(env: dict[str, Any] | None = None) -> dict[str, Any]:
    """Where one seed ran, as a finished seed's partial file keeps it: the revision, the numeric platform and the
    versions and threads :func:`same_numeric_platform` compares, and when (``env`` defaults to this process's)."""
    env = environment() if env is None else env
    return {"git": env.get("git"), "numeric_platform": env.get("numeric_platform"),
            **{k: env.get(k) for k in PLATFORM_ENV_KEYS}, "created": now_iso()}


# What must match for two seeds to count as run alike: the BLAS list and BLAS thread counts are left out because
# they depend on which libraries a process had loaded when it looked (numpy's OpenBLAS alone, or scipy's too),
# which differs between two processes of one run (--shard, --jobs)
ORIGIN_PLATFORM_KEYS = tuple(k for k in PLATFORM_KEYS if k != "blas")
ORIGIN_ENV_KEYS = ("git", "torch", "numpy", "torch_threads")


def same_origin(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """True when two seeds ran at the same revision on the same CPU and kernels, with the same versions and torch
    threads (:data:`ORIGIN_PLATFORM_KEYS`, :data:`ORIGIN_ENV_KEYS`; ``created`` aside)."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    pa, pb = a.get("numeric_platform"), b.get("numeric_platform")
    if not isinstance(pa, dict) or not isinstance(pb, dict):     # absent or malformed: not known to match
        return False
    return all(a.get(k) == b.get(k) for k in ORIGIN_ENV_KEYS) and \
        all(k in pa and pa.get(k) == pb.get(k) for k in ORIGIN_PLATFORM_KEYS)


def git_revision() -> str | None:
    """``HEAD`` of the checkout protbench runs from (with ``+dirty``), or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return sorted(o) if isinstance(o, (set, frozenset)) else list(o)
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "value"):
        return o.value
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def clean(o: Any) -> Any:
    """NaN/inf become null so files are strict JSON."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean(v) for v in o]
    return o


MAX_RESULT_BYTES = 256 * 2**20      # a result is kilobytes; a larger "result" is not read into memory
MAX_INT_DIGITS = 19                 # every integer a result records (counts, seeds, sizes) fits in 64 bits


def _number_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number (a score must be finite; protbench writes null for none)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} overflows a float")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS} are read)")
    return int(text)


def parse_result_text(raw: bytes, where: str) -> Any:
    """Strict JSON of a result file: UTF-8, finite numbers only (``NaN``/``Infinity`` literals and overflowing
    floats refused), integers of at most :data:`MAX_INT_DIGITS` digits, bounded nesting. Any problem is a
    :class:`ResultError` naming ``where``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResultError(f"{where}: not UTF-8 text (byte {exc.start}); a result file is JSON written by "
                          f"protbench: restore or delete it") from None
    try:
        return json.loads(text, parse_constant=_number_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except RecursionError:
        raise ResultError(f"{where}: JSON nested too deeply to be a result file; delete or restore it") from None
    except json.JSONDecodeError as exc:
        raise ResultError(f"{where}: not valid JSON ({exc})") from None
    except ValueError as exc:     # NaN/Infinity, an overflowing float, an integer of too many digits
        raise ResultError(f"{where}: not a valid result file ({exc}); delete or restore it") from None


def read_result(path: Path) -> dict[str, Any]:
    """Load and validate one result file (:class:`ResultError` names the file on any problem).

    Refused, never read into a crash or a hang: anything but a regular file (a FIFO, a device, a folder), a
    file over :data:`MAX_RESULT_BYTES`, bytes that are not UTF-8, JSON that does not parse or is nested too
    deeply, ``NaN``/``Infinity`` or overflowing numbers, integers of more than :data:`MAX_INT_DIGITS` digits,
    and anything the schema does not allow (e.g. a ``ci`` that is not ``[low, high]``).
    """
    path = Path(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ResultError(f"{path}: not a regular file (a folder, FIFO or device); move it out of the "
                              f"results folder")
        if st.st_size > MAX_RESULT_BYTES:
            raise ResultError(f"{path}: {st.st_size} bytes, larger than any result file "
                              f"({MAX_RESULT_BYTES} bytes at most); move it out of the results folder")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_RESULT_BYTES + 1)
    except OSError as exc:
        raise ResultError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    data = parse_result_text(raw, str(path))
    if not isinstance(data, dict):
        raise ResultError(f"{path}: not a result (a JSON {type(data).__name__}, not an object)")
    if data.get("schema_version") not in (None, SCHEMA_VERSION):
        raise ResultError(f"{path}: schema version {str(data.get('schema_version'))[:40]} is not supported "
                          f"(this protbench reads version {SCHEMA_VERSION})")
    try:
        validate(data, str(path))
    except RecursionError:
        raise ResultError(f"{path}: JSON nested too deeply to be a result file; delete or restore it") from None
    return data


def result_files(root: Path) -> Iterator[Path]:
    """Result JSONs under ``root`` (or ``root`` itself when it is a file).

    Hidden files and folders (``.partial/`` seed checkpoints, ``.splits/``) are skipped, and so are JSON
    files of other tools kept beside results (e.g. pretraining summaries): a result file is a JSON object
    with a ``schema_version`` key. Files that cannot be read as JSON (special files, non-UTF-8 bytes, bad or
    too deeply nested JSON, oversized files) are still yielded, so that :func:`read_result` names them.
    """
    root = Path(root)
    if not root.is_dir():
        yield root
        return
    for p in sorted(root.rglob("*.json")):
        if any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        try:
            st = p.stat()
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_RESULT_BYTES:
                yield p
                continue
            raw = p.read_bytes()
            data = parse_result_text(raw, str(p))
        except OSError:
            yield p
            continue
        except ResultError:     # a result (named by read_result), or another tool's lax JSON (skipped)
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError):
                data = {"schema_version": None}
        if isinstance(data, dict) and "schema_version" in data:
            yield p
