"""ProtAnno I/O, the 4-property split, the GO builder and the property-driven sampler."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from protbench.protclip.data import (PROPERTIES, ProtAnnoRecord, build_from_go_table, collate, coverage,
                                     join_properties, read_obo, read_protanno, split_properties, write_protanno)
from protbench.protclip.sampler import (SamplingRule, distribution, parse_existence, read_uniprot_table, sample,
                                        sampling_report)


def test_split_properties_all_and_missing():
    text = ("PROTEIN NAME: Cutinase (EC 3.1.1.74). FUNCTION: Hydrolyses cutin. "
            "SUBCELLULAR LOCATION: Secreted. SIMILARITY: Belongs to the cutinase family.")
    assert split_properties(text) == ["Cutinase (EC 3.1.1.74).", "Hydrolyses cutin.", "Secreted.",
                                      "Belongs to the cutinase family."]
    assert split_properties("PROTEIN NAME: X. SIMILARITY: Y.") == ["X.", "", "", "Y."]
    assert split_properties("no headers at all") == ["", "", "", ""]
    # a header word inside content (not after whitespace, or out of order) is plain text
    t = "PROTEIN NAME: A. FUNCTION: binds X-FUNCTION: Y. PROTEIN NAME: again."
    assert split_properties(t) == ["A.", "binds X-FUNCTION: Y. PROTEIN NAME: again.", "", ""]


def test_join_inverts_split_and_coverage():
    subs = ["Kinase", "", "Cytoplasm.", ""]
    text = join_properties(subs)
    assert text == "PROTEIN NAME: Kinase. SUBCELLULAR LOCATION: Cytoplasm."
    assert split_properties(text) == ["Kinase.", "", "Cytoplasm.", ""]
    assert coverage(subs) == 0.5


def test_protanno_roundtrip_and_errors(tmp_path):
    recs = [ProtAnnoRecord("MKTAYIAK", "PROTEIN NAME: A.", {"id": "P1", "confidence": 1}),
            ProtAnnoRecord("GGG", "FUNCTION: b.")]
    for name in ("a.jsonl", "a.jsonl.gz"):
        assert write_protanno(recs, tmp_path / name) == 2
        back = read_protanno(tmp_path / name)
        assert [(r.seq, r.text, r.extra) for r in back] == [(r.seq, r.text, r.extra) for r in recs]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"seq": "MK", "text": "x"}\n{"seq": "M1K", "text": "y"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: sequence has invalid residues \['1'\]"):
        read_protanno(bad)
    bad.write_text('{"sequence": "MK"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1: record lacks 'seq' or 'text'"):
        read_protanno(bad)


@pytest.mark.realdata
def test_real_protanno_sample_parses(mirror):
    recs = read_protanno(mirror / "protclip" / "aligned_data_sample.json")
    assert len(recs) == 10
    subs = [r.properties() for r in recs]
    assert [sum(bool(s) for s in row) for row in subs] == [2] + [4] * 9
    assert subs[0][0].startswith("2' cyclic ADP-D-ribose synthase AbTIR")
    assert all(row[0] and row[1] for row in subs)


OBO = """format-version: 1.2

[Term]
id: GO:0000001
name: kinase activity
namespace: molecular_function
alt_id: GO:0000009

[Term]
id: GO:0000002
name: ATP binding
namespace: molecular_function

[Term]
id: GO:0000003
name: glycolysis
namespace: biological_process

[Term]
id: GO:0000004
name: cytoplasm
namespace: cellular_component

[Term]
id: GO:0000005
name: old term
namespace: biological_process
is_obsolete: true

[Typedef]
id: part_of
name: part of
"""


def test_go_builder_maps_aspects_and_orders_by_specificity(tmp_path):
    obo = tmp_path / "go.obo.gz"
    with gzip.open(obo, "wt") as fh:
        fh.write(OBO)
    terms, alt = read_obo(obo)
    assert set(terms) == {f"GO:000000{i}" for i in range(1, 6)} and alt == {"GO:0000009": "GO:0000001"}
    table = tmp_path / "t.tsv"
    table.write_text("uniprot_id\tsequence\tgo_mf\tgo_bp\tgo_cc\n"
                     "P1\tMKV\tGO:0000002;GO:0000009\tGO:0000003;GO:0000005\tGO:0000004\n"
                     "P2\tMKW\t\tGO:0000005\t\n"
                     "P3\tMK1\tGO:0000001\t\t\n"
                     "P4\tAAA\tGO:0000001;GO:9999999\t\t\n")
    counts = tmp_path / "c.json"
    counts.write_text(json.dumps({"GO:0000001": 10, "GO:0000002": 500}))
    recs, report = build_from_go_table(table, obo, counts)
    assert [r.extra["id"] for r in recs] == ["P1", "P4"]
    assert recs[0].text == ("PROTEIN NAME: kinase activity; ATP binding. FUNCTION: glycolysis. "
                            "SUBCELLULAR LOCATION: cytoplasm.")
    assert recs[0].extra["coverage"] == 0.75
    # every usable id per aspect, primary ids, most specific first, not capped (the GO-term objective's targets)
    assert recs[0].extra["go"] == {"mf": ["GO:0000001", "GO:0000002"], "bp": ["GO:0000003"], "cc": ["GO:0000004"]}
    assert recs[1].extra["go"] == {"mf": ["GO:0000001"], "bp": [], "cc": []}
    assert report["dropped: no usable GO term"] == 1 and report["dropped: invalid sequence"] == 1
    assert report["go ids dropped"] == {"obsolete": 2, "unknown id": 1}
    recs, _ = build_from_go_table(table, obo, None, max_terms=1)
    assert recs[0].properties()[0] == "kinase activity."      # GO id order without counts
    assert recs[0].extra["go"]["mf"] == ["GO:0000001", "GO:0000002"]     # the cap applies to the text only


@pytest.mark.realdata
def test_go_builder_on_real_tables(mirror):
    recs, report = build_from_go_table(mirror / "uniprot_go" / "swissprot_go_201401_human.tsv.gz",
                                       mirror / "go" / "go-basic.obo.gz",
                                       mirror / "go" / "frequency_counts_uniprot.json", limit=200)
    assert len(recs) == 200 and report["rows"] >= 200
    assert recs[0].extra["id"] == "P30613" and "pyruvate kinase activity" in recs[0].properties()[0]


def test_collate_is_deterministic_and_counts_global_labels():
    import torch

    from protbench.protclip.config import named_config

    cfg = named_config("tiny")
    recs = [ProtAnnoRecord("MKTAYIAKQRQISFVKSHFSRQ" * 2, "PROTEIN NAME: a. FUNCTION: b."),
            ProtAnnoRecord("MSTNPKPQRKTKRNTNRRPQDVKFPGG", "PROTEIN NAME: c.")]
    a = collate(recs, cfg, torch.Generator().manual_seed(5))
    b = collate(recs, cfg, torch.Generator().manual_seed(5))
    assert torch.equal(a["mlm_ids"], b["mlm_ids"]) and torch.equal(a["gumbel"], b["gumbel"])
    assert a["denominators"]["mlm"] == int((a["mlm_labels"] != -100).sum())
    assert a["present"].tolist() == [[True, True, False, False], [True, False, False, False]]
    assert a["gumbel"].shape == (2 * len(PROPERTIES), cfg.proto_num)
    # official: every protein enters PDA with all 4 subtexts, headers kept, absent ones as the bare header
    assert a["denominators"]["pda"] == 2
    assert a["subtexts"][0] == ["PROTEIN NAME: a.", "FUNCTION: b.", "SUBCELLULAR LOCATION:", "SIMILARITY:"]
    # options: absent properties masked (only proteins with >= 2 present count), headers stripped
    c = collate(recs, named_config("tiny", pda_mask_absent=True, pda_subtext_headers=False),
                torch.Generator().manual_seed(5))
    assert c["denominators"]["pda"] == 1 and c["subtexts"][1] == ["c.", "", "", ""]


def test_pda_subtexts_match_the_official_split():
    from protbench.protclip.data import pda_subtexts

    text = "PROTEIN NAME: Cutinase. SUBCELLULAR LOCATION: Secreted. SIMILARITY: Belongs to the cutinase family."
    assert pda_subtexts(text) == ["PROTEIN NAME: Cutinase.", "FUNCTION:", "SUBCELLULAR LOCATION: Secreted.",
                                  "SIMILARITY: Belongs to the cutinase family."]
    assert pda_subtexts(text, headers=False) == ["Cutinase.", "", "Secreted.", "Belongs to the cutinase family."]


def test_crop_keeps_the_first_residues_by_default():
    import torch

    from protbench.protclip.data import crop

    seq = "ACDEFGHIKLMNPQRSTVWY"
    assert crop(seq, 5, torch.Generator().manual_seed(0)) == "ACDEF"          # official: tokenizer truncation
    windows = {crop(seq, 5, torch.Generator().manual_seed(s), "random") for s in range(20)}
    assert len(windows) > 3 and all(w in seq and len(w) == 5 for w in windows)
    with pytest.raises(ValueError, match="protein crop"):
        crop(seq, 5, None, "middle")


# -- property-driven sampling ----------------------------------------------------------------------
def _uniprot_table(path, n_per_cell: int):
    rows = ["Entry\tSequence\tProtein existence\tProtein names\tFunction [CC]\tSubcellular location [CC]\t"
            "Sequence similarities"]
    pe = ["Evidence at protein level", "Evidence at transcript level", "Inferred from homology", "Predicted",
          "Uncertain"]
    i = 0
    for c in range(1, 6):
        for k in range(1, 5):                 # 1..4 present properties (name always present)
            for _ in range(n_per_cell):
                props = ["Name", "FUNCTION: does x.", "SUBCELLULAR LOCATION: Nucleus.",
                         "SIMILARITY: Belongs to y."][:k] + [""] * (4 - k)
                rows.append(f"E{i}\tMKV\t{pe[c - 1]}\t" + "\t".join(props))
                i += 1
    path.write_text("\n".join(rows) + "\n")


def test_rule_probabilities():
    r = SamplingRule()
    assert r.probability(1, 1.0) == 1.0
    assert r.probability(2, 0.75) == pytest.approx(0.75 ** 0.5 / 8)
    assert r.probability(3, 1.0) == pytest.approx(1 / 27)
    assert r.probability(4, 1.0) == 0.0 and r.probability(1, 0.5) == 0.0
    assert SamplingRule(a=1, b=1, max_confidence=5, min_coverage=0).probability(5, 0.5) == pytest.approx(0.1)
    assert parse_existence("1: Evidence at protein level") == 1 and parse_existence("Predicted") == 4
    with pytest.raises(ValueError, match="unknown protein existence"):
        parse_existence("maybe")


def test_sampler_statistics_match_the_rule(tmp_path):
    n = 3000
    _uniprot_table(tmp_path / "u.tsv", n)
    recs = read_uniprot_table(tmp_path / "u.tsv")
    assert recs[0].text == "PROTEIN NAME: Name."
    assert recs[-1].properties()[3] == "Belongs to y."
    rule = SamplingRule()
    kept = sample(recs, rule, seed=0)
    rep = sampling_report(recs, kept, rule)
    before, after = np.array(rep["before"]["counts"]), np.array(rep["after"]["counts"])
    assert before[:, 1:].tolist() == [[n] * 4] * 5 and before[:, 0].sum() == 0
    for c in range(1, 6):
        for k in range(1, 5):
            p = rule.probability(c, k / 4)
            got = after[c - 1, k]
            if p == 0:
                assert got == 0
            else:                                     # binomial, 4.5 sigma
                sd = (n * p * (1 - p)) ** 0.5
                assert abs(got - n * p) <= 4.5 * sd + 1, (c, k, got, n * p)
    assert [r.extra["id"] for r in sample(recs, rule, seed=0)] == [r.extra["id"] for r in kept]
    assert [r.extra["id"] for r in sample(recs, rule, seed=1)] != [r.extra["id"] for r in kept]
    shares = distribution(kept)["confidence_share"]
    assert shares[3] == shares[4] == 0.0 and shares[0] > shares[1] > shares[2] > 0


def test_protanno_cli_sample_and_build_go(tmp_path, capsys):
    from protbench.cli import main

    _uniprot_table(tmp_path / "u.tsv", 50)
    rc = main(["protanno", "sample", "--uniprot", str(tmp_path / "u.tsv"), "--out", str(tmp_path / "p.jsonl"),
               "--report", str(tmp_path / "r.json"), "--seed", "3"])
    assert rc == 0
    rep = json.loads((tmp_path / "r.json").read_text())
    kept = read_protanno(tmp_path / "p.jsonl")
    assert rep["after"]["total"] == len(kept) > 0 and rep["before"]["total"] == 1000
    assert all(r.extra["confidence"] <= 3 and r.extra["coverage"] >= 0.75 for r in kept)
    capsys.readouterr()
    obo = tmp_path / "go.obo"
    obo.write_text(OBO)
    (tmp_path / "t.tsv").write_text("uniprot_id\tsequence\tgo_mf\tgo_bp\tgo_cc\nP1\tMKV\tGO:0000002\t\tGO:0000004\n")
    assert main(["protanno", "build-go", "--table", str(tmp_path / "t.tsv"), "--obo", str(obo),
                 "--out", str(tmp_path / "g.jsonl")]) == 0
    assert read_protanno(tmp_path / "g.jsonl")[0].text == "PROTEIN NAME: ATP binding. SUBCELLULAR LOCATION: cytoplasm."


def test_sampler_keeps_swissprot_whole_and_samples_trembl(tmp_path):
    # official ProtAnno-D: the rule samples the TrEMBL export; every Swiss-Prot pair is kept
    rows = ["Entry\tReviewed\tSequence\tProtein existence\tProtein names\tFunction [CC]\t"
            "Subcellular location [CC]\tSequence similarities"]
    for i in range(400):
        sp = i % 2 == 0
        rows.append(f"E{i}\t{'reviewed' if sp else 'unreviewed'}\tMKV\tPredicted\tName\t\t\t")   # C=4, R=1/4
    for i in range(400, 800):
        rows.append(f"E{i}\tunreviewed\tMKV\tInferred from homology\tName\tFUNCTION: x.\t"
                    f"SUBCELLULAR LOCATION: y.\tSIMILARITY: z.")                                  # C=3, R=1
    (tmp_path / "u.tsv").write_text("\n".join(rows) + "\n")
    recs = read_uniprot_table(tmp_path / "u.tsv")
    assert recs[0].extra["reviewed"] is True and recs[1].extra["reviewed"] is False
    rule = SamplingRule()
    kept = sample(recs, rule, seed=0)
    ids = {r.extra["id"] for r in kept}
    assert {f"E{i}" for i in range(0, 400, 2)} <= ids                     # all Swiss-Prot, though C=4, R=1/4
    assert not any(f"E{i}" in ids for i in range(1, 400, 2))              # TrEMBL at C=4: dropped by the rule
    n_tr = sum(1 for i in range(400, 800) if f"E{i}" in ids)
    p = 1 / 27
    assert abs(n_tr - 400 * p) <= 4.5 * (400 * p * (1 - p)) ** 0.5 + 1
    rep = sampling_report(recs, kept, rule)
    assert rep["swissprot"]["records"] == 200 and rep["swissprot"]["kept"] == 200
    # the rule on everything when asked, or when the data does not say
    assert not any(f"E{i}" in {r.extra["id"] for r in sample(recs, SamplingRule(keep_reviewed=False))}
                   for i in range(0, 400, 2))
    for r in recs:
        r.extra.pop("reviewed")
    assert len(sample(recs, rule, seed=0)) == n_tr
    assert "no record says" in sampling_report(recs, [], rule)["swissprot"]["note"]


def test_is_reviewed_reads_protanno_keys():
    from protbench.protclip.sampler import is_reviewed

    assert is_reviewed(ProtAnnoRecord("MK", "x", {"reviewed": True})) is True
    assert is_reviewed(ProtAnnoRecord("MK", "x", {"source": "Swiss-Prot"})) is True
    assert is_reviewed(ProtAnnoRecord("MK", "x", {"source": "trembl"})) is False
    assert is_reviewed(ProtAnnoRecord("MK", "x", {})) is None


@pytest.mark.realdata
def test_swissprot_corpus_drops_evaluation_copies_and_keeps_the_rest_in_order(mirror, tmp_path):
    """Without exclusion the files are the 8M runs' (first ids read from that corpus); with it, the records that
    copy an evaluation sequence are gone and every other record keeps its place in the same permutation."""
    from protbench.protclip.swissprot_corpus import build

    plain = build(mirror, tmp_path / "plain", train_size=1600)
    train = read_protanno(plain["train"])
    valid = read_protanno(plain["valid"])
    assert (train[0].extra["id"], train[1499].extra["id"], train[1500].extra["id"], valid[0].extra["id"]) == \
        ("B0RU60", "Q90773", "Q23424", "P64219")
    gone = [train[3], train[1550], valid[5]]
    evaluation = {"task-a": {"test": [gone[0].seq.lower(), "MKVLAAGIVG"]},
                  "task-b": {"train": [gone[1].seq, gone[2].seq]}}
    files = build(mirror, tmp_path / "clean", train_size=1600, exclude_eval="task-a,task-b", evaluation=evaluation)
    t2, v2 = read_protanno(files["train"]), read_protanno(files["valid"])
    ids = [r.extra["id"] for r in t2 + v2]
    assert len(t2) == 1600 and len(v2) == 96 and not {r.extra["id"] for r in gone} & set(ids)
    assert [r.extra["id"] for r in t2[:1499]] == [r.extra["id"] for r in train[:1500] if r is not gone[0]]
    # the permutation minus the three: the first validation record moves into training, two old training
    # records move into validation
    assert t2[1499].extra["id"] == valid[0].extra["id"]
    assert [r.extra["id"] for r in v2] == [r.extra["id"] for r in valid[1:] if r is not gone[2]] + \
        [train[1500].extra["id"], train[1501].extra["id"]]
    manifest = json.loads(files["manifest"].read_text())
    assert manifest["exclude_eval"] == ["task-a", "task-b"] and manifest["excluded"] == 3
    assert manifest["excluded_records"][gone[0].extra["id"]] == ["task-a/test"]
