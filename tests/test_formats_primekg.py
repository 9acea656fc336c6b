"""PrimeKG / BioBridge readers on small files written in the upstream layout."""
import pytest

from protbench.formats import primekg as K


def _row(rel, x, xt, y, yt):
    return {"relation": rel, "display_relation": rel, "x_index": x, "x_id": str(x), "x_type": xt,
            "x_name": f"n{x}", "x_source": "s", "y_index": y, "y_id": str(y), "y_type": yt, "y_name": f"n{y}",
            "y_source": "s"}


def test_read_edges_filters_types_relation_and_duplicates(tmp_path):
    P, BP = "gene/protein", "biological_process"
    rows = [_row("bioprocess_protein", 1, P, 10, BP), _row("bioprocess_protein", 10, BP, 1, P),
            _row("bioprocess_protein", 1, P, 10, BP),                      # duplicate
            _row("bioprocess_protein", 2, P, 11, BP), _row("protein_protein", 1, P, 2, P),
            _row("other_rel", 3, P, 12, BP)]
    path = K.write_kg(tmp_path / "kg.csv", rows)
    e = K.read_edges(path, P, BP, {"bioprocess_protein"}, chunksize=2)
    assert list(zip(e.head, e.tail)) == [(1, 10), (2, 11)]
    assert e.relations == {"bioprocess_protein": 2} and e.tail_names[10] == "n10"
    assert len(K.read_edges(path, P, BP).head) == 3                        # no relation filter


def test_html_and_missing_columns_are_named(tmp_path):
    (tmp_path / "kg.csv").write_text("<!DOCTYPE html><html>login</html>\n")
    with pytest.raises(K.PrimeKGFormatError, match="HTML page"):
        K.read_edges(tmp_path / "kg.csv", "a", "b")
    (tmp_path / "nodes.csv").write_text("node_index,node_name\n1,x\n")
    with pytest.raises(K.PrimeKGFormatError, match="missing columns.*node_type"):
        K.read_nodes(tmp_path / "nodes.csv")


def test_feature_texts_and_sequences(tmp_path):
    path = K.write_features(tmp_path / "disease_features.csv", [
        {"node_index": 5, "mondo_definition": "A disease.", "umls_description": ""},
        {"node_index": 5, "mondo_definition": "A disease.", "umls_description": "More."},
        {"node_index": 6, "mondo_definition": "", "umls_description": ""}], ["mondo_definition", "umls_description"])
    assert K.read_feature_texts(path, K.DISEASE_TEXT_FIELDS) == {5: "A disease. A disease. More."}
    p = K.write_proteins(tmp_path / "protein.csv", [
        {"node_index": 1, "node_id": "1", "node_name": "A", "node_type": "gene/protein", "node_source": "NCBI",
         "sequence": "MKV"},
        {"node_index": 2, "node_id": "2", "node_name": "B", "node_type": "gene/protein", "node_source": "NCBI",
         "sequence": None}])
    assert K.read_protein_sequences(p) == {1: "MKV"}
