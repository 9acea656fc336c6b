"""Fetcher: cache → mirror → download (local HTTP server), offline reports, checksum mismatch; safe unpacking."""
from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

from protbench.archive import ArchiveError, extract
from protbench.fetch import ChecksumError, Fetcher, MissingFilesError
from protbench.spec import DataSource

PAYLOAD = b"num_examples\t3\nACDEFGHIK\n"
MD5 = hashlib.md5(PAYLOAD).hexdigest()


def source(url="http://127.0.0.1:9/data.txt", md5=MD5, **kw) -> DataSource:
    return DataSource("data.txt", url, md5=md5, **kw)


@pytest.fixture
def http_root(tmp_path):
    """A loopback HTTP server serving tmp_path/www; yields (folder, base URL, request log)."""
    www = tmp_path / "www"
    www.mkdir()
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_mirror_is_found_by_file_name_and_verified(tmp_path):
    mirror = tmp_path / "mirror" / "nested"
    mirror.mkdir(parents=True)
    (mirror / "data.txt").write_bytes(PAYLOAD)
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path / "mirror"], offline=True)
    assert f.fetch(source()) == mirror / "data.txt"
    # prefetch copies into the cache; afterwards the mirror is not needed
    f.prefetch([source()])
    (mirror / "data.txt").unlink()
    g = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path / "mirror"], offline=True)
    assert g.fetch(source()) == tmp_path / "cache" / "downloads" / "data.txt"


def test_checksum_mismatch_names_file_hashes_and_fix(tmp_path):
    (tmp_path / "data.txt").write_bytes(PAYLOAD + b"x")
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path], offline=True)
    with pytest.raises(ChecksumError) as exc:
        f.fetch(source())
    msg = str(exc.value)
    assert "data.txt" in msg and MD5 in msg and hashlib.md5(PAYLOAD + b"x").hexdigest() in msg
    assert "Delete it" in msg


def test_sha256_is_checked_too(tmp_path):
    (tmp_path / "data.txt").write_bytes(PAYLOAD)
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path], offline=True)
    with pytest.raises(ChecksumError, match="sha256"):
        f.fetch(source(sha256="0" * 64))


def test_offline_lists_every_missing_file(tmp_path):
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path / "nowhere"], offline=True)
    other = DataSource("other.bin", "https://example.org/other.bin", sha256="ab" * 32)
    with pytest.raises(MissingFilesError) as exc:
        f.fetch_all([source(), other])
    msg = str(exc.value)
    assert "data.txt" in msg and "other.bin" in msg and "https://example.org/other.bin" in msg
    assert "--mirror" in msg and "offline" in msg


def test_download_verifies_and_caches(tmp_path, http_root):
    www, base, hits = http_root
    (www / "data.txt").write_bytes(PAYLOAD)
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], progress=False)
    path = f.fetch(source(url=f"{base}/data.txt"))
    assert path.read_bytes() == PAYLOAD and path.parent == tmp_path / "cache" / "downloads"
    n = len(hits)
    assert f.fetch(source(url=f"{base}/data.txt")) == path
    assert len(hits) == n, "second fetch must be served from the cache"


def test_download_with_wrong_content_is_rejected(tmp_path, http_root):
    www, base, _ = http_root
    (www / "data.txt").write_bytes(b"tampered")
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], progress=False)
    with pytest.raises(ChecksumError):
        f.fetch(source(url=f"{base}/data.txt"))
    assert not (tmp_path / "cache" / "downloads" / "data.txt").exists()


def test_unreachable_download_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], progress=False)
    with pytest.raises(MissingFilesError, match=r"could not download data.txt .* after 3 tries"):
        f.fetch(source(url="http://127.0.0.1:9/data.txt"))


# -- archives -----------------------------------------------------------------------------------
def _tar_with(tmp_path: Path, name: str, add) -> Path:
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tf:
        add(tf)
    return path


def _add_bytes(tf: tarfile.TarFile, name: str, data: bytes = b"x", **kw) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for k, v in kw.items():
        setattr(info, k, v)
    tf.addfile(info, io.BytesIO(data))


def test_extract_tar_and_reuse(tmp_path):
    arc = _tar_with(tmp_path, "ok.tar.gz", lambda tf: _add_bytes(tf, "ok/a.txt", b"hello"))
    out = extract(arc, tmp_path / "out")
    assert (out / "ok" / "a.txt").read_bytes() == b"hello"
    (out / "ok" / "a.txt").write_bytes(b"changed")
    assert extract(arc, tmp_path / "out") == out and (out / "ok" / "a.txt").read_bytes() == b"changed"


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt"])
def test_tar_path_traversal_refused(tmp_path, member):
    arc = _tar_with(tmp_path, "bad.tar.gz", lambda tf: _add_bytes(tf, member))
    with pytest.raises(ArchiveError, match="refusing member"):
        extract(arc, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_tar_links_refused(tmp_path):
    def add(tf):
        info = tarfile.TarInfo("link")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)

    with pytest.raises(ArchiveError, match="refusing link"):
        extract(_tar_with(tmp_path, "link.tar.gz", add), tmp_path / "out")


def test_zip_traversal_refused(tmp_path):
    arc = tmp_path / "bad.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("../evil.txt", "x")
    with pytest.raises(ArchiveError, match="outside the target folder"):
        extract(arc, tmp_path / "out")


def test_truncated_archive_has_clear_error(tmp_path):
    arc = _tar_with(tmp_path, "t.tar.gz", lambda tf: _add_bytes(tf, "big.bin", bytes(range(256)) * 4000))
    data = arc.read_bytes()
    arc.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="truncated or corrupt"):
        extract(arc, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "no half-unpacked folder may be left behind"


def test_git_blob_checksum_and_size_are_verified(tmp_path):
    """A source checked by its git blob id (SHA-1 of b"blob <size>\\0" + bytes, as `git hash-object` prints it)
    and its size: the right bytes pass, a changed byte or a truncated copy is refused naming the file."""
    import hashlib

    from protbench.fetch import ChecksumError, Fetcher, file_hash, verify
    from protbench.spec import DataSource

    body = b"item_id_a\titem_id_b\tmode\n9606.A\t9606.B\tbinding\n"
    blob = hashlib.sha1(b"blob %d\x00" % len(body) + body).hexdigest()
    path = tmp_path / "actions.txt"
    path.write_bytes(body)
    assert file_hash(path, "git_blob") == blob
    # the id git itself prints for the empty file, a fixed point anyone can check
    (tmp_path / "empty").write_bytes(b"")
    assert file_hash(tmp_path / "empty", "git_blob") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    src = DataSource("actions.txt", "https://example.org/actions.txt", git_blob=blob, size=len(body))
    verify(path, src)
    assert Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path], offline=True).locate(src) == path
    path.write_bytes(body.replace(b"binding", b"bindinG"))
    with pytest.raises(ChecksumError, match="git_blob"):
        verify(path, src)
    path.write_bytes(body[:-5])
    with pytest.raises(ChecksumError, match="size mismatch for actions.txt"):
        verify(path, src)
