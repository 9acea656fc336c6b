"""SHS148k and STRING (GNN-PPI) in their real upstream layout: pinned sources, git blob ids, the reader.

Evidence (`git ls-tree -r -l cd1843ebec574577aacdd65b38e3a49c545f3541` of lvguofeng/GNN_PPI, data/):

    blob 9441d94bd2393481f66cc8856315316ff7eb8988  3209563  data/protein.SHS148k.sequences.dictionary.tsv
    blob 68f66f0cec588a1338fe87770f431b6906e31b39  1002278  data/protein.SHS27k.sequences.dictionary.tsv
    blob 6145720829c176a6955d4a164935c0177fe6c0d5  (size not in the stored snapshot)
                                                            data/protein.STRING_all_connected.sequences.dictionary.tsv
    blob 244a49e9f76f9f916d49ca8841532d3a45165397  (size not in the stored snapshot)
                                                            data/protein.actions.SHS148k.STRING.txt
    blob 5d372657bbbb9f10667d3e5960ea690476dc54e7  3958672  data/protein.actions.SHS27k.STRING.txt
    blob 6fd5b9813687ea1d15a894d47b3033e9e0fbf562     2335  data/vec5_CTC.txt

No .gitattributes, so none is a Git LFS pointer; there is no STRING actions file
(9606.protein.actions.all_connected.txt) in the repository.
"""
from __future__ import annotations

import dataclasses
import hashlib
import shutil
import subprocess

import pytest

from protbench.fetch import ChecksumError, Fetcher, file_hash
from protbench.tasks.ppi.specs import GNN_PPI_RAW, SHS27K_SOURCES, SHS148K_SOURCES, STRING_SOURCES, TASKS

COMMIT = "cd1843ebec574577aacdd65b38e3a49c545f3541"


def write_shs148k_actions(path):
    """An actions file in GNN-PPI's layout.

    Evidence: lvguofeng/GNN_PPI@cd1843e data/protein.actions.SHS27k.STRING.txt (3,958,672 bytes, the
    sibling of the SHS148k file, same STRING actions export) starts
        item_id_a<TAB>item_id_b<TAB>mode<TAB>action<TAB>is_directional<TAB>a_is_acting<TAB>score
        9606.ENSP00000000233<TAB>9606.ENSP00000250971<TAB>reaction<TAB><TAB>t<TAB>t<TAB>900
        9606.ENSP00000000233<TAB>9606.ENSP00000250971<TAB>reaction<TAB><TAB>t<TAB>f<TAB>900
    — 7 tab-separated fields, an empty ``action`` for most modes, the same typed action repeated with
    a_is_acting t/f, directional modes listed from both ends, and no newline after the last row. GNN-PPI's
    gnn_data.py (same commit) reads the SHS148k file the same way: skips one header line, splits on tabs,
    columns 0, 1, 2.
    """
    rows = [
        "item_id_a\titem_id_b\tmode\taction\tis_directional\ta_is_acting\tscore",
        "9606.ENSP00000000233\t9606.ENSP00000250971\treaction\t\tt\tt\t900",
        "9606.ENSP00000000233\t9606.ENSP00000250971\treaction\t\tt\tf\t900",
        "9606.ENSP00000250971\t9606.ENSP00000000233\treaction\t\tt\tt\t900",     # the same pair, other end
        "9606.ENSP00000250971\t9606.ENSP00000000233\tactivation\tactivation\tt\tt\t800",
        "9606.ENSP00000000233\t9606.ENSP00000263025\tbinding\t\tf\tf\t700",
        "9606.ENSP00000263025\t9606.ENSP00000000233\tbinding\t\tf\tf\t700",
        "9606.ENSP00000263025\t9606.ENSP00000999999\tcatalysis\t\tt\tt\t400",     # no sequence: dropped
        "9606.ENSP00000263025\t9606.ENSP00000250971\tinhibition\tinhibition\tt\tf\t900",
    ]
    path.write_bytes("\n".join(rows).encode())          # no newline at the end, like upstream
    return path


def write_shs148k_dictionary(path):
    """``STRING_ID<TAB>SEQUENCE`` lines, no header, no newline after the last line.

    Evidence: lvguofeng/GNN_PPI@cd1843e data/protein.SHS148k.sequences.dictionary.tsv (3,209,563 bytes,
    git blob 9441d94b…, 5,189 lines) starts ``9606.ENSP00000000233<TAB>MGLTVSALFSRIFGKKQMRILMVGLDAAGKTT…``
    and ends ``…SRYVLARP`` without a newline.
    """
    path.write_bytes(b"9606.ENSP00000000233\tMGLTVSALFSRIFGKKQMRILMVGLDAAGKTTILYKLK\n"
                     b"9606.ENSP00000263025\tMAAAAAQGGGGGEPRRTEGVGPGVPGEVEMVKGQPFDV\n"
                     b"9606.ENSP00000250971\tMSTLKEVQDNITLHEQRLVTTRQKLKDAEKAVEVDPDDVNKSSSRYVLARP")
    return path


def test_shs148k_and_string_come_from_the_pinned_gnn_ppi_commit_by_git_blob():
    """The spec's Zenodo/Baidu URLs are replaced by the files that are in the repository at cd1843e."""
    assert COMMIT in GNN_PPI_RAW
    actions, dictionary = SHS148K_SOURCES
    assert actions.url == f"{GNN_PPI_RAW}/protein.actions.SHS148k.STRING.txt"
    assert actions.git_blob == "244a49e9f76f9f916d49ca8841532d3a45165397" and not actions.unverified
    assert dictionary.git_blob == "9441d94bd2393481f66cc8856315316ff7eb8988" and dictionary.size == 3209563
    string_actions, string_dictionary = STRING_SOURCES
    assert string_dictionary.url == f"{GNN_PPI_RAW}/protein.STRING_all_connected.sequences.dictionary.tsv"
    assert string_dictionary.git_blob == "6145720829c176a6955d4a164935c0177fe6c0d5"
    # the STRING actions file is not in the repository: it stays unverified, saying so
    assert not string_actions.git_blob and "not in the GNN-PPI repository" in string_actions.unverified


def test_shs27k_sources_carry_their_git_blob_ids_too():
    assert [s.git_blob for s in SHS27K_SOURCES] == ["5d372657bbbb9f10667d3e5960ea690476dc54e7",
                                                    "68f66f0cec588a1338fe87770f431b6906e31b39"]


def test_git_blob_id_is_what_git_itself_computes(tmp_path):
    """file_hash(..., "git_blob") against `git hash-object` on the fixture (an independent implementation)."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    path = write_shs148k_actions(tmp_path / "protein.actions.SHS148k.STRING.txt")
    expected = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True,
                              check=True).stdout.strip()
    assert file_hash(path, "git_blob") == expected


def test_real_layout_reads_through_the_task_reader(tmp_path):
    """Pairs are unordered, every action row of a pair adds its mode, a pair with a protein missing from the
    dictionary is dropped and counted; hand-worked from the fixture rows above."""
    files = {"protein.actions.SHS148k.STRING.txt": write_shs148k_actions(tmp_path / "a.txt"),
             "protein.SHS148k.sequences.dictionary.tsv": write_shs148k_dictionary(tmp_path / "d.tsv")}
    task = next(t for t in TASKS if t.spec.id == "shs148k")
    data = task.read(files)
    ids = [r.id for r in data.splits["proteins"]]
    assert ids == ["9606.ENSP00000000233", "9606.ENSP00000250971", "9606.ENSP00000263025"]
    labels = {data.extra["pair_ids"][k]: {m for m, v in zip(data.extra["modes"], row) if v}
              for k, row in enumerate(data.extra["labels"].tolist())}
    assert labels == {
        "9606.ENSP00000000233__9606.ENSP00000250971": {"reaction", "activation"},
        "9606.ENSP00000000233__9606.ENSP00000263025": {"binding"},
        "9606.ENSP00000250971__9606.ENSP00000263025": {"inhibition"},
    }
    assert data.stats["action_rows"] == 8
    assert data.stats["dropped"]["pairs"] == {"protein without a valid sequence": 1}


def test_html_page_under_the_actions_name_never_shadows_a_good_mirror_copy(tmp_path):
    """A download that stored an error page under the file's name is refused even for a source without a
    checksum (as SHS148k's actions file was), and the good mirror copy is used instead."""
    cache = tmp_path / "cache" / "downloads"
    cache.mkdir(parents=True)
    (cache / "protein.actions.SHS148k.STRING.txt").write_text(
        "<!DOCTYPE html>\n<html><head><title>404: Not Found</title></head><body>404</body></html>\n")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    good = write_shs148k_actions(mirror / "protein.actions.SHS148k.STRING.txt")
    unchecked = dataclasses.replace(SHS148K_SOURCES[0], git_blob=None, unverified="as before this change")
    fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[mirror], offline=True)
    assert fetcher.fetch(unchecked) == good
    # with the pinned blob id, the same good bytes pass only if they are the real file
    blob = hashlib.sha1(b"blob %d\x00" % good.stat().st_size + good.read_bytes()).hexdigest()
    assert fetcher.fetch(dataclasses.replace(SHS148K_SOURCES[0], git_blob=blob)) == good
    with pytest.raises(ChecksumError, match="git_blob"):
        fetcher.fetch(SHS148K_SOURCES[0])      # the fixture is not upstream's file


def test_html_page_alone_is_refused_naming_the_file_and_the_fix(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "protein.actions.SHS148k.STRING.txt").write_text("<html><body>Baidu</body></html>")
    unchecked = dataclasses.replace(SHS148K_SOURCES[0], git_blob=None, unverified="as before this change")
    fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[mirror], offline=True)
    with pytest.raises(ChecksumError, match=r"protein.actions.SHS148k.STRING.txt at .* is an HTML page"):
        fetcher.fetch(unchecked)
