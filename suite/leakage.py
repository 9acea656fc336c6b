"""Homology leakage between splits: how many evaluation sequences have a close relative in the training data.

For every query split (by default ``valid`` and ``test``) against a reference (``train``, or a pretraining
corpus) the report gives, per split, the number and fraction of sequences that

* occur **exactly** in the reference (string equality after upper-casing and stripping whitespace, computed
  by hashing; no MMseqs2 needed), with up to 5 example indices into the split; and
* have a best reference hit of **≥ 30 %, ≥ 50 %, ≥ 90 % sequence identity** (configurable), found with
  MMseqs2.

What "identity" means here
--------------------------
``fident`` of MMseqs2 with ``--alignment-mode 3 --seq-id-mode 0``: identical aligned columns divided by the
alignment length (aligned columns, gaps included), over a local Smith–Waterman alignment. A hit only counts if
the alignment covers **≥ 80 % of the query** (the evaluation sequence; ``--cov-mode 2 -c 0.8``), so a short
shared motif does not make a long protein "leaked", while a test sequence found inside a longer training
protein does. Hits must also be significant (``-e 1e-3``, the MMseqs2 default): on short sequences (e.g. the
~43-residue stability designs) a 30 %-identity alignment is often not significant, so the ≥ 30 % count is a
lower bound there (with ``-e 10`` random 50-mers reach 30 % against a few thousand random targets). Exact
copies always count as identity 1.0, whatever MMseqs2 reports. Search: ``mmseqs easy-search`` with
``-s 7.5`` (sensitive prefilter), ``--max-seqs 1000``, ``--min-seq-id`` = the lowest threshold; all
parameters are in :data:`DEFAULT_PARAMS`, recorded in the report and part of the cache key.

Counts are over split members, duplicates included (a sequence listed twice in ``test`` counts twice);
MMseqs2 runs once per distinct sequence. Results are deterministic: the best identity per distinct query is
the maximum over its hits, independent of MMseqs2's output order or thread count.

Caching
-------
With ``cache_dir`` the best identity of every distinct query sequence is stored in
``<cache_dir>/leakage-<key>.json``, where ``key`` hashes (query-set fingerprint, reference-set fingerprint,
MMseqs2 parameters, MMseqs2 version); a fingerprint is the sha256 of the sorted distinct sequences. Files are
written to a temporary name and moved into place with ``os.replace``.

Without MMseqs2
---------------
:func:`find_mmseqs` raises :class:`MmseqsNotFoundError` with install instructions (``apt-get install
mmseqs2``, or ``conda install -c conda-forge -c bioconda mmseqs2``). Exact duplicates need no binary:
``leakage_report(..., exact_only=True)`` (or :func:`corpus_leakage` with ``exact_only=True``) reports them
and sets every threshold entry to ``None``.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from protbench.sequences import SequenceError, check_sequence, read_fasta

DEFAULT_THRESHOLDS = (0.3, 0.5, 0.9)
DEFAULT_PARAMS: dict[str, object] = {
    "sensitivity": 7.5,        # -s
    "evalue": 1e-3,            # -e
    "coverage": 0.8,           # -c
    "cov_mode": 2,             # --cov-mode 2: coverage of the query
    "alignment_mode": 3,       # --alignment-mode 3: exact sequence identity
    "seq_id_mode": 0,          # --seq-id-mode 0: identity over alignment length
    "max_seqs": 1000,          # --max-seqs
}
N_EXAMPLES = 5
IDENTITY_DEFINITION = ("MMseqs2 fident (--alignment-mode 3 --seq-id-mode 0): identical aligned columns / alignment "
                       "length of the best local alignment to any reference sequence; only hits with E <= evalue "
                       "covering >= coverage of the query (--cov-mode 2) count; exact copies count as 1.0")
INSTALL_HINT = ("install MMseqs2 (the Debian package mmseqs2: `apt-get install mmseqs2`, or the bioconda package "
                "mmseqs2: `conda install -c conda-forge -c bioconda mmseqs2`), or set the environment variable "
                "PROTBENCH_MMSEQS to the binary's path (Python API: mmseqs=PATH); exact-copy leakage needs no "
                "MMseqs2: `protbench leakage --exact-only`, `protbench run --leakage exact` "
                "(Python API: exact_only=True)")
FASTA_SUFFIXES = (".fasta", ".fa", ".faa", ".fas")
JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")


class MmseqsNotFoundError(RuntimeError):
    """The MMseqs2 binary is not available; the message says how to install it."""


class MmseqsError(RuntimeError):
    """MMseqs2 ran but failed; the message carries its command line and stderr tail."""


def find_mmseqs(mmseqs: str | os.PathLike | None = None) -> str:
    """Path of the MMseqs2 binary: ``mmseqs`` argument, ``$PROTBENCH_MMSEQS``, or ``mmseqs`` on ``PATH``."""
    candidate = str(mmseqs) if mmseqs else os.environ.get("PROTBENCH_MMSEQS") or "mmseqs"
    found = shutil.which(candidate)
    if not found:
        raise MmseqsNotFoundError(f"MMseqs2 binary {candidate!r} not found; {INSTALL_HINT}")
    return found


def mmseqs_version(binary: str) -> str:
    """``mmseqs version`` output (e.g. ``14-7e284+ds-1+b2`` for the Debian package)."""
    res = subprocess.run([binary, "version"], capture_output=True, text=True)
    if res.returncode != 0:
        raise MmseqsError(f"`{binary} version` failed (exit {res.returncode}): {res.stderr.strip()[-500:]}")
    return res.stdout.strip()


def normalise(seq: str) -> str:
    """The form sequences are compared in: upper case, no whitespace."""
    return "".join(str(seq).split()).upper()


def set_fingerprint(seqs: Iterable[str]) -> str:
    """sha256 of the sorted distinct (normalised) sequences."""
    h = hashlib.sha256()
    for s in sorted({normalise(s) for s in seqs}):
        h.update(s.encode())
        h.update(b"\n")
    return h.hexdigest()


def _digest(seq: str) -> bytes:
    return hashlib.sha1(seq.encode()).digest()


# --------------------------------------------------------------------------- MMseqs2 search

def best_identities(queries: Sequence[str], targets: Sequence[str], *, threads: int = 1,
                    thresholds: Sequence[float] = DEFAULT_THRESHOLDS, params: Mapping[str, object] | None = None,
                    cache_dir: str | os.PathLike | None = None, mmseqs: str | os.PathLike | None = None,
                    workdir: str | os.PathLike | None = None) -> tuple[dict[str, float | None], dict]:
    """Best ``fident`` in ``targets`` for each distinct normalised query (``None``: no hit ≥ min threshold).

    Returns ``(best, info)``; ``info`` holds the MMseqs2 version, the parameters, whether the cache answered
    and the search time in seconds.
    """
    binary = find_mmseqs(mmseqs)
    version = mmseqs_version(binary)
    p = {**DEFAULT_PARAMS, **(params or {}), "min_seq_id": float(min(thresholds))}
    uq = sorted({normalise(s) for s in queries} - {""})
    ut = sorted({normalise(s) for s in targets} - {""})
    key_fields = {"query": set_fingerprint(uq), "target": set_fingerprint(ut), "params": p,
                  "mmseqs_version": version, "format": 1}
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()[:32]
    info = {"tool": "mmseqs2", "version": version, "binary": binary, "params": p, "cache_key": key,
            "cached": False, "search_s": 0.0, "n_query_unique": len(uq), "n_target_unique": len(ut)}
    cache_path = Path(cache_dir) / f"leakage-{key}.json" if cache_dir is not None else None
    if cache_path is not None and cache_path.exists():
        try:
            stored = json.loads(cache_path.read_text())
            if stored.get("key") == key_fields and len(stored["best"]) == len(uq):
                info["cached"] = True
                return dict(zip(uq, stored["best"])), info
        except (ValueError, KeyError, TypeError):
            pass                                    # unreadable cache file: recompute and overwrite
    t0 = time.perf_counter()
    hits = _search(binary, uq, ut, p, threads, workdir) if uq and ut else {}
    info["search_s"] = round(time.perf_counter() - t0, 3)
    best = {s: hits.get(i) for i, s in enumerate(uq)}
    if cache_path is not None:
        _atomic_json(cache_path, {"key": key_fields, "best": [best[s] for s in uq]})
    return best, info


def _search(binary: str, uq: Sequence[str], ut: Sequence[str], p: Mapping[str, object], threads: int,
            workdir: str | os.PathLike | None) -> dict[int, float]:
    with tempfile.TemporaryDirectory(prefix="protbench-mmseqs-", dir=workdir) as tmp:
        tmp = Path(tmp)
        qf, tf, out = tmp / "query.fasta", tmp / "target.fasta", tmp / "hits.tsv"
        qf.write_text("".join(f">q{i}\n{s}\n" for i, s in enumerate(uq)))
        tf.write_text("".join(f">t{i}\n{s}\n" for i, s in enumerate(ut)))
        cmd = [binary, "easy-search", str(qf), str(tf), str(out), str(tmp / "tmp"),
               "-s", str(p["sensitivity"]), "-e", str(p["evalue"]),
               "-c", str(p["coverage"]), "--cov-mode", str(p["cov_mode"]),
               "--alignment-mode", str(p["alignment_mode"]), "--seq-id-mode", str(p["seq_id_mode"]),
               "--min-seq-id", str(p["min_seq_id"]), "--max-seqs", str(p["max_seqs"]),
               "--threads", str(max(1, int(threads))), "--format-output", "query,target,fident",
               "-v", "1"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise MmseqsError(f"MMseqs2 failed (exit {res.returncode}): {' '.join(cmd)}\n"
                              f"{(res.stderr or res.stdout).strip()[-2000:]}")
        best: dict[int, float] = {}
        with open(out) as fh:
            for line in fh:
                q, _t, fident = line.rstrip("\n").split("\t")[:3]
                i, v = int(q[1:]), float(fident)
                if v > best.get(i, -1.0):
                    best[i] = v
        return best


def _atomic_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        from .store import current_umask

        os.chmod(tmp, 0o666 & ~current_umask())     # mkstemp creates 0600; cache files follow the umask
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- reports

def _count(flags: Sequence[bool], n: int) -> dict:
    idx = [i for i, f in enumerate(flags) if f]
    return {"count": len(idx), "fraction": (len(idx) / n) if n else 0.0, "examples": idx[:N_EXAMPLES]}


def leakage_report(splits: Mapping[str, Sequence[str]], reference: str = "train",
                   queries: Sequence[str] = ("valid", "test"), thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                   cache_dir: str | os.PathLike | None = None, threads: int = 1, exact_only: bool = False,
                   mmseqs: str | os.PathLike | None = None, params: Mapping[str, object] | None = None,
                   tmp_dir: str | os.PathLike | None = None) -> dict:
    """Leakage of each query split against ``splits[reference]``.

    Returns ``{"reference", "n_reference", "thresholds", "identity_definition", "method", "splits": {name: {
    "n", "n_unique", "exact": {count, fraction, examples}, "identity": {"0.3": {count, fraction, examples},
    ...} | None}}, "runtime_s"}``. Query splits missing from ``splits`` are skipped. MMseqs2 works in a fresh
    temporary folder under ``tmp_dir`` (default: the system temp dir), removed afterwards. ``exact_only=True`` needs
    no MMseqs2 (``identity`` is then ``None``); otherwise a missing binary raises
    :class:`MmseqsNotFoundError`.
    """
    t0 = time.perf_counter()
    if reference not in splits:
        raise KeyError(f"reference split {reference!r} not in splits {sorted(splits)}")
    thresholds = tuple(sorted(float(t) for t in thresholds))
    if not thresholds or not all(0.0 < t <= 1.0 for t in thresholds):
        raise ValueError(f"thresholds must be fractions in (0, 1], got {thresholds}")
    ref = [normalise(s) for s in splits[reference]]
    ref_digests = {_digest(s) for s in ref if s}
    names = [q for q in queries if q in splits and q != reference]
    norm = {q: [normalise(s) for s in splits[q]] for q in names}
    best: dict[str, float | None] = {}
    method: dict = {"exact": "sha1 of the upper-cased sequence without whitespace, set membership"}
    if not exact_only:
        best, info = best_identities([s for q in names for s in norm[q]], ref, threads=threads,
                                     thresholds=thresholds, params=params, cache_dir=cache_dir, mmseqs=mmseqs,
                                     workdir=tmp_dir)
        method.update(info)
    report_splits = {}
    for q in names:
        seqs = norm[q]
        exact = [bool(s) and _digest(s) in ref_digests for s in seqs]
        entry: dict = {"n": len(seqs), "n_unique": len(set(seqs)), "exact": _count(exact, len(seqs)),
                       "identity": None}
        if not exact_only:
            ident = [1.0 if e else best.get(s) for s, e in zip(seqs, exact)]
            entry["identity"] = {f"{t:g}": _count([v is not None and v >= t for v in ident], len(seqs))
                                 for t in thresholds}
        report_splits[q] = entry
    return {"reference": reference, "n_reference": len(ref), "n_reference_unique": len(set(ref) - {""}),
            "thresholds": list(thresholds), "identity_definition": IDENTITY_DEFINITION, "method": method,
            "splits": report_splits, "runtime_s": round(time.perf_counter() - t0, 3)}


def corpus_leakage(corpus_seqs: Sequence[str], test_seqs: Sequence[str],
                   thresholds: Sequence[float] = DEFAULT_THRESHOLDS, cache_dir: str | os.PathLike | None = None,
                   threads: int = 1, exact_only: bool = False, mmseqs: str | os.PathLike | None = None,
                   params: Mapping[str, object] | None = None, tmp_dir: str | os.PathLike | None = None) -> dict:
    """Leakage of ``test_seqs`` against a pretraining corpus (report with reference ``corpus``, split ``test``)."""
    return leakage_report({"corpus": corpus_seqs, "test": test_seqs}, reference="corpus", queries=("test",),
                          thresholds=thresholds, cache_dir=cache_dir, threads=threads, exact_only=exact_only,
                          mmseqs=mmseqs, params=params, tmp_dir=tmp_dir)


# --------------------------------------------------------------------------- corpus files

def read_corpus_sequences(path: str | os.PathLike) -> list[str]:
    """Sequences of a pretraining corpus: FASTA (``.fasta/.fa/.faa/.fas``) or JSON lines with a ``seq`` field
    (``.jsonl/.json/.ndjson``, e.g. ProtAnno / ProtCLIP ``{"seq": ..., "text": ...}`` lines), each optionally
    gzipped (``.gz``). Other names are recognised by their first character (``>`` FASTA, ``{`` JSON lines).
    A JSON file holding one array of such objects is accepted too. Bad input raises
    :class:`~protbench.sequences.SequenceError` naming the file and line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus file {path} does not exist")
    name = path.name.lower()
    base = name[:-3] if name.endswith(".gz") else name
    if base.endswith(FASTA_SUFFIXES):
        kind = "fasta"
    elif base.endswith(JSON_SUFFIXES):
        kind = "json"
    else:
        kind = {">": "fasta", "{": "json", "[": "json"}.get(_first_char(path), "")
        if not kind:
            raise SequenceError(f"{path}: cannot tell the corpus format; expected FASTA (.fasta/.fa, '>' headers) "
                                "or JSON lines with a 'seq' field (.jsonl)")
    if kind == "fasta":
        return [r.sequence for r in read_fasta(path)]
    return _read_json_corpus(path)


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.name.lower().endswith(".gz") else \
        open(path, encoding="utf-8")


def _first_char(path: Path) -> str:
    try:
        with _open_text(path) as fh:
            for line in fh:
                if line.strip():
                    return line.lstrip()[0]
    except (OSError, UnicodeDecodeError) as exc:
        raise SequenceError(f"{path}: cannot read as text ({exc})") from exc
    return ""


def _record_seq(obj: object, where: str) -> str:
    if not isinstance(obj, dict):
        raise SequenceError(f"{where}: expected a JSON object with a 'seq' field, got {type(obj).__name__}")
    if "seq" not in obj:
        raise SequenceError(f"{where}: no 'seq' field (fields: {', '.join(sorted(map(str, obj))) or 'none'})")
    seq = obj["seq"]
    if not isinstance(seq, str):
        raise SequenceError(f"{where}: 'seq' must be a string, got {type(seq).__name__}")
    return check_sequence(seq, where)


def _read_json_corpus(path: Path) -> list[str]:
    if _first_char(path) == "[":
        try:
            with _open_text(path) as fh:
                data = json.load(fh)
        except ValueError as exc:
            raise SequenceError(f"{path}: invalid JSON ({exc})") from exc
        if not isinstance(data, list):
            raise SequenceError(f"{path}: expected a JSON array of objects or JSON lines")
        return [_record_seq(obj, f"{path} record {i}") for i, obj in enumerate(data)]
    seqs = []
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path} line {lineno}"
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    raise SequenceError(f"{where}: invalid JSON ({exc.args[0] if exc.args else exc})") from None
                seqs.append(_record_seq(obj, where))
    except (OSError, UnicodeDecodeError) as exc:
        raise SequenceError(f"{path}: cannot read as text ({exc})") from exc
    return seqs
