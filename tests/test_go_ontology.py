"""GO DAG, propagation (is_a + part_of), IC, Resnik/Lin and BMA against hand-worked values and goatools."""
import math

import numpy as np
import pytest

from protbench import ontology as O

BP = "biological_process"
ROOT = "GO:0008150"
A, B, C, D = "GO:0000010", "GO:0000011", "GO:0000012", "GO:0000013"


@pytest.fixture
def obo(tmp_path):
    path = O.write_obo(tmp_path / "tiny.obo.gz", [
        (ROOT, "biological_process", BP, "Any process.", [], []),
        (A, "alpha process", BP, "An alpha.", [ROOT], []),
        (B, "beta process", BP, "A beta.", [ROOT], []),
        (C, "gamma process", BP, "A gamma.", [A], []),
        (D, "delta process", BP, 'A "quoted" delta.', [A], [B]),
    ])
    text = path.read_bytes()
    import gzip
    extra = b"\n[Term]\nid: GO:0000014\nname: old\nnamespace: biological_process\nis_obsolete: true\n"
    raw = gzip.decompress(text).replace(b"id: GO:0000012\n", b"id: GO:0000012\nalt_id: GO:0000099\n") + extra
    path.write_bytes(gzip.compress(raw))
    return path


ANN = {"p1": {C}, "p2": {D}, "p3": {B}, "p4": {C, B}}


def test_dag_parse_alt_ids_obsolete_and_text(obo):
    onto = O.load_ontology(obo)
    assert set(onto.terms) == {ROOT, A, B, C, D}          # obsolete GO:0000014 not loaded
    assert onto.canonical("GO:0000099") == C
    assert onto.canonical("GO:0000014") is None
    assert onto.terms[D].definition == 'A "quoted" delta.'
    assert onto.terms[C].text() == "gamma process: A gamma."
    assert onto.release == "smoke"


def test_propagation_follows_is_a_and_part_of(obo):
    onto = O.load_ontology(obo)
    assert onto.ancestors(D) == {D, A, B, ROOT}
    isa_only = O.load_ontology(obo, relations=("is_a",))
    assert isa_only.ancestors(D) == {D, A, ROOT}


def test_counts_ic_resnik_lin_hand_worked(obo):
    onto = O.load_ontology(obo)
    counts = O.annotation_counts(onto, ANN)
    assert dict(counts) == {ROOT: 4, A: 3, B: 3, C: 2, D: 1}
    ic = O.information_content(onto, counts, "bp")
    assert ic[ROOT] == 0.0
    assert ic[C] == pytest.approx(math.log(2)) and ic[D] == pytest.approx(math.log(4))
    assert O.resnik(onto, C, D, ic) == pytest.approx(math.log(4 / 3))          # MICA = A
    assert O.lin(onto, C, D, ic) == pytest.approx(2 * math.log(4 / 3) / (math.log(2) + math.log(4)))
    assert O.resnik(onto, D, B, ic) == pytest.approx(math.log(4 / 3))          # via part_of
    assert O.lin(onto, C, B, ic) == 0.0                                        # MICA = root
    assert O.lin(onto, ROOT, ROOT, ic) == 1.0


def test_vectorised_term_similarity_matches_reference(obo):
    onto = O.load_ontology(obo)
    ic = O.information_content(onto, O.annotation_counts(onto, ANN), "bp")
    index = O.term_index(onto, ic.keys(), ic)
    for measure, ref in (("resnik", O.resnik), ("lin", O.lin)):
        m = O.term_similarity_rows(index, range(len(index.terms)), measure)
        want = [[ref(onto, a, b, ic) for b in index.terms] for a in index.terms]
        np.testing.assert_allclose(m, want, rtol=1e-6, atol=1e-7)


def test_bma_hand_worked(obo):
    onto = O.load_ontology(obo)
    ic = O.information_content(onto, O.annotation_counts(onto, ANN), "bp")
    sets = [ANN[p] for p in ("p1", "p2", "p3", "p4")]
    s = O.bma_matrix(onto, sets, ic, "lin")
    lin = lambda a, b: O.lin(onto, a, b, ic)   # noqa: E731
    assert s[0, 1] == pytest.approx(lin(C, D), rel=1e-6)
    # p2={D} vs p4={C,B}: D→best of (C,B); C→D, B→D averaged
    want = 0.5 * (max(lin(D, C), lin(D, B)) + 0.5 * (lin(C, D) + lin(B, D)))
    assert s[1, 3] == pytest.approx(want, rel=1e-6)
    np.testing.assert_allclose(np.diag(s), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(s, s.T)
    with pytest.raises(ValueError, match="at least one"):
        O.bma_matrix(onto, [set(), {C}], ic)


def test_agrees_with_goatools_is_a_only(obo):
    """goatools propagates along is_a only; with the same rule our Resnik/Lin equal its resnik_sim/lin_sim."""
    from goatools.obo_parser import GODag
    from goatools.semantic import TermCounts, lin_sim, resnik_sim

    onto = O.load_ontology(obo, relations=("is_a",))
    ic = O.information_content(onto, O.annotation_counts(onto, ANN), "bp")
    dag = GODag(str(O._plain_obo(obo)), prt=None)
    tc = TermCounts(dag, ANN)
    for a in (A, B, C, D):
        for b in (A, B, C, D):
            assert O.resnik(onto, a, b, ic) == pytest.approx(resnik_sim(a, b, dag, tc))
            if a != b:
                assert O.lin(onto, a, b, ic) == pytest.approx(lin_sim(a, b, dag, tc))


def test_information_content_needs_root_count(obo):
    onto = O.load_ontology(obo)
    with pytest.raises(ValueError, match="root"):
        O.information_content(onto, {C: 3}, "bp")


def test_human_go_parsed_once_per_files_and_again_when_a_file_changes(tmp_path):
    """The six GO tasks of a run share one parse of the four files; a changed file is parsed anew."""
    import gzip
    import os

    from protbench.tasks.go_data import load_human_go, smoke_go_files

    files, accs, _ = smoke_go_files(tmp_path, "mf")
    first = load_human_go(files)
    assert load_human_go(dict(files)) is first                  # same files: the same parsed object
    assert set(first.annotations["mf"]) <= set(accs) and first.annotations["mf"]
    gene_go = files["orgHs_gene_go.tsv.gz"]
    with gzip.open(gene_go, "rt") as fh:
        lines = fh.read().splitlines(keepends=True)
    header, rows = lines[0], [r for r in lines[1:] if r.strip()]
    with gzip.open(gene_go, "wt") as fh:                        # the first annotated gene's rows removed
        fh.writelines([header] + [r for r in rows if not r.startswith("1000\t")])
    os.utime(gene_go, ns=(1, 1))                                # another stamp even within one clock tick
    second = load_human_go(files)
    assert second is not first
    assert accs[0] not in second.annotations["mf"] and accs[0] in first.annotations["mf"]


def test_decompressing_the_obo_leaves_numpy_global_rng_alone(tmp_path):
    """The plain-text copy for goatools is written through a temp file of its own, without drawing from numpy's
    global RNG (which a user's or a plugin's seeded code may rely on)."""
    import gzip

    raw = f"format-version: 1.2\n! unique to {tmp_path}\n".encode()
    path = tmp_path / "unique.obo.gz"
    path.write_bytes(gzip.compress(raw))
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    plain = O._plain_obo(path)
    try:
        assert plain.read_bytes() == raw
        assert np.array_equal(np.random.get_state()[1], before)
        assert not list(plain.parent.glob(f".{plain.name}.*.tmp"))
    finally:
        plain.unlink(missing_ok=True)
