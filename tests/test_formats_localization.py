"""PEER converted-CSV and DeepLoc FASTA readers/writers."""
from __future__ import annotations

import gzip

import pytest

from protbench.formats import deeploc_fasta, peer_csv


def test_peer_csv_roundtrip_gz(tmp_path):
    rows = [{"primary": "MKV", "localization": 1}, {"primary": "AAAC", "localization": 0}]
    p = peer_csv.write_csv(tmp_path / "x_train.csv.gz", rows)
    with gzip.open(p, "rt") as fh:
        assert fh.readline().strip() == "primary,localization"
    assert peer_csv.read_csv(p) == rows


def test_peer_csv_errors_name_file_and_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("primary,localization\nMKV,1\nAAA,membrane\n")
    with pytest.raises(peer_csv.PeerCSVFormatError, match=r"bad.csv line 3: label 'membrane'"):
        peer_csv.read_csv(p)
    q = tmp_path / "nocol.csv"
    q.write_text("sequence,label\nMKV,1\n")
    with pytest.raises(peer_csv.PeerCSVFormatError, match="column 'primary' missing"):
        peer_csv.read_csv(q)
    r = tmp_path / "frac.csv"
    r.write_text("primary,localization\nMKV,1.5\n")
    with pytest.raises(peer_csv.PeerCSVFormatError, match="not an integer"):
        peer_csv.read_csv(r)


def test_deeploc_header_parsing_and_roundtrip(tmp_path):
    p = deeploc_fasta.write_deeploc(tmp_path / "d.fasta", [("Q9H400", "MKVL", "Cell.membrane", "M", True),
                                                          ("P1", "AAAA", "Lysosome/Vacuole", "U", False)])
    recs = list(deeploc_fasta.read_deeploc(p))
    assert [(r.accession, r.location, r.membrane, r.test) for r in recs] == [
        ("Q9H400", "Cell.membrane", "M", True), ("P1", "Lysosome/Vacuole", "U", False)]
    assert p.read_text().startswith(">Q9H400 Cell.membrane-M test\n")


def test_deeploc_bad_location(tmp_path):
    p = tmp_path / "d.fasta"
    p.write_text(">X1 Moon-M\nMKV\n")
    with pytest.raises(deeploc_fasta.DeepLocFormatError, match="line 1: location 'Moon'"):
        list(deeploc_fasta.read_deeploc(p))


@pytest.mark.slow
def test_deeploc_mirror_files(mirror):
    recs = list(deeploc_fasta.read_deeploc(mirror / "deeploc" / "deeploc_test_set.fasta"))
    assert len(recs) == 2768 and all(r.test for r in recs)
    assert recs[0].class_id == deeploc_fasta.LOCATIONS.index(recs[0].location)
    assert len(list(deeploc_fasta.read_deeploc(mirror / "deeploc" / "deeploc_our_val_set.fasta"))) == 1678


@pytest.mark.slow
def test_location_order_matches_peer_class_ids(mirror):
    rows = peer_csv.read_csv(mirror / "peer" / "subcellular_localization_test.csv.gz")
    peer = {r["primary"]: r["localization"] for r in rows}
    pairs = [(r.class_id, peer[r.sequence]) for r in deeploc_fasta.read_deeploc(mirror / "deeploc" / "deeploc_test_set.fasta")
             if r.sequence in peer]
    assert len(pairs) > 2000 and all(a == b for a, b in pairs)
