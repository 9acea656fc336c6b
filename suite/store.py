"""The result store: every path a run writes, written atomically, read defensively.

Layout under a results folder (``--output-dir``, default ``results/``)::

    <model>/<task>.json                  the result (profile real)
    <model>/<task>.predictions.npz       per-seed prediction arrays for paired tests
    <model>/.partial/<task>/seed<N>.json a finished seed (identity + scores), until the result is written
    <model>/.partial/<task>/seed<N>.npz  that seed's predictions
    <model>/.splits/<task>/              files a protocol writes beside the result (PPI split files)
    <model>/smoke/...                    the same for the smoke profile

Writes go to a temporary file in the same folder, are flushed and fsync'ed, then renamed over the
target, so a kill at any moment leaves either the old file or the new one. A partial that does not
parse is reported with its path, removed and recomputed — never a permanent failure. Nothing else in
protbench builds these paths.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from . import results as R

log = logging.getLogger("protbench")

_UNSAFE = re.compile(r"[^A-Za-z0-9._@:+=-]")


def safe_component(name: str) -> str:
    """``name`` as one path component: ``/`` and other unsafe characters become ``_``; never ``.``/``..``."""
    cleaned = _UNSAFE.sub("_", name).strip(".") or "_"
    return cleaned


def current_umask() -> int:
    """The process umask (read by setting it and back: there is no other portable way)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via temp file + fsync + rename (the folder is created). The file's mode is
    ``0666 & ~umask``, as for any file the user creates (``umask 002``: group-readable and writable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())      # mkstemp makes 0600; a shared results folder needs the umask's
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: Path, obj: Any) -> Path:
    text = json.dumps(R.clean(obj), indent=1, sort_keys=True, default=R.json_default) + "\n"
    return atomic_write_bytes(path, text.encode())


def save_arrays(path: Path, arrays: dict[str, dict[str, Any]]) -> Path:
    """``{seed: {name: array}}`` as one compressed npz (keys ``<seed>/<name>``), atomically."""
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **{f"{seed}/{name}": np.asarray(a) for seed, arrs in arrays.items()
                                for name, a in arrs.items()})
    return atomic_write_bytes(path, buf.getvalue())


def load_arrays(path: Path) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as z:
        for key in z.files:
            seed, name = key.split("/", 1)
            out.setdefault(seed, {})[name] = z[key]
    return out


class ResultStore:
    """The files of one model (by its recorded name) and profile under a results folder."""

    def __init__(self, root: Path, model: str, profile: str = "real", kind: str = "measured"):
        self.root = Path(root)
        self.model = model
        self.profile = profile
        d = (self.root / "reported" if kind == "reported" else self.root) / safe_component(model)
        self.model_dir = d / "smoke" if profile == "smoke" else d

    # -- paths -----------------------------------------------------------------------------------
    def result_path(self, task: str) -> Path:
        return self.model_dir / f"{safe_component(task)}.json"

    def predictions_path(self, task: str) -> Path:
        return self.model_dir / f"{safe_component(task)}.predictions.npz"

    def partial_dir(self, task: str) -> Path:
        return self.model_dir / ".partial" / safe_component(task)

    def artefact_dir(self, task: str) -> tuple[Path, str]:
        """``(folder, how a result refers to it)`` for files a protocol writes beside the result."""
        rel = f".splits/{safe_component(task)}"
        return self.model_dir / rel, rel

    # -- results ---------------------------------------------------------------------------------
    def read_result(self, task: str) -> dict[str, Any] | None:
        """The stored result, None when absent; :class:`results.ResultError` when it is invalid."""
        path = self.result_path(task)
        return R.read_result(path) if path.exists() else None

    def write_result(self, task: str, result: dict[str, Any]) -> Path:
        result = R.clean(json.loads(json.dumps(result, default=R.json_default)))
        path = self.result_path(task)
        R.validate(result, str(path))
        return atomic_write_json(path, result)

    def write_predictions(self, task: str, predictions: dict[str, dict[str, Any]]) -> Path:
        return save_arrays(self.predictions_path(task), predictions)

    # -- per-seed partials -----------------------------------------------------------------------
    def save_seed(self, task: str, seed: int, identity_hash: str, entry: dict[str, Any],
                  predictions: dict[str, Any] | None, origin: dict[str, Any] | None = None) -> None:
        """A finished seed: predictions first, then the JSON that marks the seed done (with ``origin``, where it
        ran: :func:`protbench.results.seed_origin`)."""
        d = self.partial_dir(task)
        if predictions:
            save_arrays(d / f"seed{seed}.npz", {str(seed): predictions})
        else:
            (d / f"seed{seed}.npz").unlink(missing_ok=True)
        atomic_write_json(d / f"seed{seed}.json", {"identity": identity_hash, "result": entry,
                                                    "predictions": bool(predictions), "origin": origin})

    def seed_origin(self, task: str, seed: int) -> dict[str, Any] | None:
        """Where a finished seed of ``task`` ran (its partial file's ``origin``), or None when not recorded."""
        try:
            origin = json.loads((self.partial_dir(task) / f"seed{seed}.json").read_text()).get("origin")
        except (OSError, ValueError, AttributeError):
            return None
        return origin if isinstance(origin, dict) else None

    def load_seed(self, task: str, seed: int, identity_hash: str
                  ) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """A finished seed of the same identity, or None (absent, other identity, or corrupt: then removed
        with a warning naming the file, and recomputed)."""
        d = self.partial_dir(task)
        path = d / f"seed{seed}.json"
        if not path.exists():
            return None
        try:
            saved = json.loads(path.read_text())
            entry = saved["result"]
            if not isinstance(entry, dict) or "scores" not in entry:
                raise ValueError("no scores")
            preds = None
            if saved.get("predictions"):
                preds = load_arrays(d / f"seed{seed}.npz").get(str(seed), {})
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            log.warning("%s: unreadable partial result (%s: %s); removed, seed %d is recomputed",
                        path, type(exc).__name__, exc, seed)
            path.unlink(missing_ok=True)
            (d / f"seed{seed}.npz").unlink(missing_ok=True)
            return None
        except Exception as exc:  # a corrupt npz raises zipfile/pickle-free errors of several kinds
            log.warning("%s: unreadable partial predictions (%s: %s); removed, seed %d is recomputed",
                        path, type(exc).__name__, exc, seed)
            path.unlink(missing_ok=True)
            (d / f"seed{seed}.npz").unlink(missing_ok=True)
            return None
        if saved.get("identity") != identity_hash:
            return None
        return entry, preds

    def clear_partials(self, task: str) -> None:
        shutil.rmtree(self.partial_dir(task), ignore_errors=True)
        try:
            self.partial_dir(task).parent.rmdir()      # .partial/ itself once no task has partials left
        except OSError:
            pass

    def check_writable(self) -> None:
        """Fail before any work when the results folder cannot be written (a file, read-only, ...)."""
        for parent in (self.model_dir, *self.model_dir.parents):
            if parent.exists():
                if not parent.is_dir():
                    raise NotADirectoryError(f"--output-dir: {parent} is a file, not a folder; choose another "
                                             f"--output-dir")
                if not os.access(parent, os.W_OK | os.X_OK):
                    raise PermissionError(f"--output-dir: {parent} is not writable; choose another --output-dir")
                return
