"""Safe, cached unpacking of downloaded archives (.tar.gz, .tgz, .tar, .zip).

Members that would land outside the target folder (absolute paths, ``..``),
links and device files are refused with an error naming the archive and
member. A truncated or corrupt archive gives an error saying to delete and
fetch it again. Extraction goes to a temporary folder renamed into place, under
a file lock, so concurrent runs and crashes never leave a half-unpacked tree.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from filelock import FileLock


class ArchiveError(RuntimeError):
    """Unsafe, truncated or unreadable archive."""


def _check_member(archive: Path, name: str) -> None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{archive}: refusing member {name!r} with an absolute path")
    if ".." in p.parts:
        raise ArchiveError(f"{archive}: refusing member {name!r} that would land outside the target folder")


def safe_members_tar(archive: Path, tf: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for m in tf.getmembers():
        _check_member(archive, m.name)
        if m.issym() or m.islnk():
            raise ArchiveError(f"{archive}: refusing link member {m.name!r} -> {m.linkname!r}")
        if not (m.isfile() or m.isdir()):
            raise ArchiveError(f"{archive}: refusing special member {m.name!r} (device, fifo or other)")
        members.append(m)
    return members


def extract(archive: Path, dest: Path) -> Path:
    """Unpack ``archive`` into ``dest`` (created); returns ``dest``. Idempotent: a finished ``dest`` is reused."""
    archive, dest = Path(archive), Path(dest)
    done = dest / ".protbench-complete"
    if done.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        if done.exists():
            return dest
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
        try:
            _extract_into(archive, tmp)
            (tmp / ".protbench-complete").write_text(archive.name + "\n")
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _extract_into(archive: Path, target: Path) -> None:
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    _check_member(archive, info.filename)
                    mode = (info.external_attr >> 16) & 0o170000
                    if mode == 0o120000:
                        raise ArchiveError(f"{archive}: refusing symlink member {info.filename!r}")
                bad = zf.testzip()
                if bad is not None:
                    raise ArchiveError(f"{archive}: member {bad!r} fails its CRC check; the archive is corrupt")
                zf.extractall(target)
        elif name.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")):
            with tarfile.open(archive) as tf:
                members = safe_members_tar(archive, tf)
                tf.extractall(target, members=members, filter="data")
        else:
            raise ArchiveError(f"{archive}: unknown archive type (expected .zip, .tar, .tar.gz/.tgz)")
    except ArchiveError:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        raise ArchiveError(
            f"{archive}: cannot unpack ({type(exc).__name__}: {exc}); the file is truncated or corrupt. "
            f"Delete it and fetch it again (`protbench prefetch`)."
        ) from exc


def extracted_dir(cache_dir: Path, archive: Path) -> Path:
    """Where an archive is unpacked in the cache: ``<cache>/extracted/<name>-<size>-<mtime>``."""
    st = archive.stat()
    stem = archive.name
    for suffix in (".tar.gz", ".tgz", ".zip", ".tar"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return Path(cache_dir) / "extracted" / f"{stem}-{st.st_size}-{int(st.st_mtime)}"


def unpack(archive: Path, cache_dir: Path) -> Path:
    """Extract ``archive`` into the cache once and return the folder."""
    return extract(archive, extracted_dir(cache_dir, archive))
