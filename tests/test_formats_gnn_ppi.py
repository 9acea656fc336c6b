"""GNN-PPI sequence dictionary and STRING actions: parsing, unordered-pair merging, round trips, errors."""
import gzip

import numpy as np
import pytest

from protbench.formats import gnn_ppi
from protbench.formats.gnn_ppi import MODES, Action, GnnPpiFormatError

HEADER = "item_id_a\titem_id_b\tmode\taction\tis_directional\ta_is_acting\tscore\n"


def test_actions_merge_into_unordered_pairs_with_seven_modes(tmp_path):
    p = tmp_path / "protein.actions.X.STRING.txt"
    p.write_text(HEADER
                 + "9606.B\t9606.A\treaction\t\tt\tt\t900\n"
                 + "9606.A\t9606.B\tbinding\t\tf\tf\t500\n"      # same pair, other orientation
                 + "9606.A\t9606.B\treaction\t\tt\tf\t900\n"     # repeated mode: still one label
                 + "9606.C\t9606.A\texpression\tinhibition\tt\tf\t444\n")
    inter = gnn_ppi.read_interactions(p)
    assert inter.proteins == ["9606.B", "9606.A", "9606.C"]          # first appearance
    assert inter.rows == 4
    # GNN-PPI orientation: the id that sorts first comes first
    assert inter.pair_ids() == ["9606.A__9606.B", "9606.A__9606.C"]
    np.testing.assert_array_equal(inter.pairs, [[1, 0], [1, 2]])
    want = np.zeros((2, 7), dtype=np.uint8)
    want[0, MODES.index("reaction")] = want[0, MODES.index("binding")] = 1
    want[1, MODES.index("expression")] = 1
    np.testing.assert_array_equal(inter.labels, want)


def test_round_trip_plain_and_gzip(tmp_path):
    rows = [Action("9606.P1", "9606.P2", "catalysis", "catalysis", "t", "t", 700),
            Action("9606.P3", "9606.P1", "ptmod", "", "f", "f", 150)]
    for name in ("a.txt", "a.txt.gz"):
        path = gnn_ppi.write_actions(tmp_path / name, rows)
        assert list(gnn_ppi.read_actions(path)) == rows
    with gzip.open(tmp_path / "a.txt.gz", "rt") as fh:
        assert fh.readline() == HEADER
    seqs = {"9606.P1": "MKT", "9606.P2": "ACDW"}
    path = gnn_ppi.write_sequence_dictionary(tmp_path / "d.tsv", seqs)
    assert path.read_text() == "9606.P1\tMKT\n9606.P2\tACDW\n"
    assert gnn_ppi.read_sequence_dictionary(path) == seqs


@pytest.mark.parametrize("body, match", [
    ("9606.A\t9606.B\tbinding\t\tf\tf\n", "expected 7 tab-separated fields"),
    ("9606.A\t9606.B\tdancing\t\tf\tf\t900\n", "unknown mode 'dancing'"),
    ("9606.A\t9606.B\tbinding\t\tf\tf\thigh\n", "score 'high' is not an integer"),
])
def test_bad_action_lines_name_file_and_line(tmp_path, body, match):
    p = tmp_path / "bad.txt"
    p.write_text(HEADER + "9606.A\t9606.B\tbinding\t\tf\tf\t900\n" + body)
    with pytest.raises(GnnPpiFormatError, match=match) as err:
        list(gnn_ppi.read_actions(p))
    assert f"{p}:3" in str(err.value)


def test_wrong_header_and_bad_dictionary(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("protein1 protein2 combined_score\n")
    with pytest.raises(GnnPpiFormatError, match="not the STRING actions header"):
        list(gnn_ppi.read_actions(p))
    d = tmp_path / "d.tsv"
    d.write_text("9606.A MKT\n")
    with pytest.raises(GnnPpiFormatError, match=r"d.tsv:1: expected 'STRING_ID<TAB>SEQUENCE'"):
        gnn_ppi.read_sequence_dictionary(d)
    d.write_text("9606.A\tMKT\n9606.A\tMKV\n")
    with pytest.raises(GnnPpiFormatError, match="appears twice with different sequences"):
        gnn_ppi.read_sequence_dictionary(d)


@pytest.mark.realdata
def test_real_shs27k_counts(mirror):
    folder = mirror / "gnn_ppi"
    inter = gnn_ppi.read_interactions(folder / "protein.actions.SHS27k.STRING.txt")
    seqs = gnn_ppi.read_sequence_dictionary(folder / "protein.SHS27k.sequences.dictionary.tsv")
    assert (len(inter.proteins), len(inter.pairs), inter.rows, len(seqs)) == (1690, 7624, 63408, 1690)
    assert set(inter.proteins) == set(seqs)
    assert inter.labels.sum(axis=1).min() >= 1
    assert len(gnn_ppi.read_sequence_dictionary(folder / "protein.SHS148k.sequences.dictionary.tsv")) == 5189
