"""DeepFRI annotation TSVs, test-identity CSVs, torchdrug zips and the PDB chain reader."""
from __future__ import annotations

import pytest

from protbench.formats import deepfri, pdb

# block order as DeepFRI writes it (terms then names per ontology; see tests/test_upstream_deepfri.py for the
# byte-exact layout with CRLF line ends)
GO_TSV = """### GO-terms (molecular_function)
GO:0001\tGO:0002
### GO-names (molecular_function)
binding\tcatalysis
### GO-terms (biological_process)
GO:0101
### GO-names (biological_process)
process
### GO-terms (cellular_component)
GO:0201\tGO:0202
### GO-names (cellular_component)
membrane\tnucleus
### PDB-chain\tGO-terms (molecular_function)\tGO-terms (biological_process)\tGO-terms (cellular_component)
1ABC-A\tGO:0001,GO:0002\t\tGO:0202
2XYZ-B\t\tGO:0101
"""


def test_go_annotations_three_branches(tmp_path):
    p = tmp_path / "nrPDB-GO_annot.tsv"
    p.write_text(GO_TSV)
    ann = deepfri.read_annotations(p)
    assert ann.classes == {"mf": ["GO:0001", "GO:0002"], "bp": ["GO:0101"], "cc": ["GO:0201", "GO:0202"]}
    assert ann.names["cc"] == ["membrane", "nucleus"]
    assert ann.labels["1ABC-A"] == {"mf": ["GO:0001", "GO:0002"], "bp": [], "cc": ["GO:0202"]}
    assert ann.labels["2XYZ-B"] == {"mf": [], "bp": ["GO:0101"], "cc": []}


def test_label_outside_list_is_an_error(tmp_path):
    p = tmp_path / "a.tsv"
    p.write_text("### EC-numbers\n1.1.1.1\t2.-.-.-\n### PDB-chain\tEC-numbers\n1ABC-A\t1.1.1.1,9.9.9.9\n")
    with pytest.raises(deepfri.DeepFRIFormatError, match=r"line 4 \(1ABC-A\): labels \['9.9.9.9'\]"):
        deepfri.read_annotations(p)


def test_roundtrip_and_cutoffs(tmp_path):
    p = deepfri.write_annotations(tmp_path / "a.tsv", {"ec": ["1.1.1.1", "2.7.-.-"]},
                                  {"1ABC-A": {"ec": ["2.7.-.-"]}, "1ABC-B": {"ec": []}})
    ann = deepfri.read_annotations(p)
    assert ann.labels == {"1ABC-A": {"ec": ["2.7.-.-"]}, "1ABC-B": {"ec": []}}
    c = deepfri.write_test_csv(tmp_path / "t.csv", {"1ABC-A": (0, 0, 0, 1, 1), "1ABC-B": (0, 0, 0, 0, 0)})
    assert deepfri.read_test_cutoffs(c, 0.95) == {"1ABC-A": True, "1ABC-B": False}
    assert deepfri.read_test_cutoffs(c, 0.5) == {"1ABC-A": False, "1ABC-B": False}
    with pytest.raises(ValueError, match="not one of"):
        deepfri.read_test_cutoffs(c, 0.9)


def test_pdb_chain_reader(tmp_path):
    p = pdb.write_ca_chain(tmp_path / "1ABC-A.pdb", "MKVLAX", "A")
    assert pdb.read_chain(p, "A") == "MKVLAX"
    lines = p.read_text().splitlines()
    # a second atom of residue 2 must not add a residue; HETATM MSE reads as M; a second model is ignored
    extra = [lines[1].replace(" CA ", " CB "), "HETATM   99  CA  MSE B   1       0.000   0.000   0.000  1.00  0.00           C",
             "ENDMDL", "ATOM    100  CA  GLY A  99       0.000   0.000   0.000  1.00  0.00           C"]
    q = tmp_path / "two.pdb"
    q.write_text("\n".join(lines[:2] + extra[:1] + lines[2:6] + extra[1:]) + "\n")
    assert pdb.chain_sequences(q.read_text().splitlines()) == {"A": "MKVLAX", "B": "M"}
    with pytest.raises(pdb.PDBFormatError, match="chain 'C' not present"):
        pdb.read_chain(q, "C")
    (tmp_path / "empty.pdb").write_text("HEADER\nEND\n")
    with pytest.raises(pdb.PDBFormatError, match="no amino-acid residues"):
        pdb.read_chain(tmp_path / "empty.pdb")


def test_torchdrug_zip_roundtrip(tmp_path):
    tsv = deepfri.write_annotations(tmp_path / "a.tsv", {"ec": ["1.1.1.1", "2.7.-.-"]},
                                    {"1AAA-A": {"ec": ["1.1.1.1"]}, "2BBB-B": {"ec": ["2.7.-.-"]},
                                     "3CCC-A": {"ec": ["1.1.1.1", "2.7.-.-"]}})
    csv = deepfri.write_test_csv(tmp_path / "t.csv", {"3CCC-A": (0, 0, 0, 0, 0)})
    z = deepfri.write_torchdrug_zip(tmp_path / "EnzymeCommission.zip", "EnzymeCommission", "EC", tsv, csv,
                                    {"train": {"1AAA-A": "MKVL"}, "valid": {"2BBB-B": "GGHW"}, "test": {"3CCC-A": "PPQ"}})
    ann, chains, passes = deepfri.read_torchdrug_zip(z, tmp_path / "cache", "EnzymeCommission", "EC")
    assert chains == {"train": {"1AAA-A": "MKVL"}, "valid": {"2BBB-B": "GGHW"}, "test": {"3CCC-A": "PPQ"}}
    assert passes == {"3CCC-A": False} and ann.labels["3CCC-A"]["ec"] == ["1.1.1.1", "2.7.-.-"]
    assert deepfri.chain_of_pdb_name("101M-A_1234.pdb") == "101M-A"


@pytest.mark.slow
def test_mirror_ec_annotations(mirror):
    ann = deepfri.read_annotations(mirror / "deepfri" / "nrPDB-EC_2020.04_annot.tsv")
    assert len(ann.classes["ec"]) == 538 and len(ann.labels) == 19201
    passes = deepfri.read_test_cutoffs(mirror / "deepfri" / "nrPDB-EC_2020.04_test.csv")
    assert len(passes) == 1919 and all(passes.values())
    assert sum(deepfri.read_test_cutoffs(mirror / "deepfri" / "nrPDB-EC_2020.04_test.csv", 0.3).values()) == 720
