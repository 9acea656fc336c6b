"""EC / GO (DeepFRI chains, torchdrug archives) read from fixtures built here in the real upstream layout.

Evidence for each layout is cited beside its builder. Sources read for it:

* flatironinstitute/DeepFRI@3bd6c7eae67894ccedbe1117e33b3abe544bca71 (``git ls-tree -r -l``):
  ``preprocessing/data/nrPDB-EC_2020.04_annot.tsv`` 442,511 bytes, blob 14473c46f05b…, CRLF lines;
  ``nrPDB-EC_2020.04_{train,valid,test}.txt`` 108,900 / 12,109 / 13,439 bytes (15,551 / 1,729 / 1,919 ids);
  ``nrPDB-GO_2019.06.18_{train,valid,test}.txt`` 210,233 / 23,361 / 24,066 bytes (29,902 / 3,323 / 3,416 ids);
  ``nrPDB-GO_2019.06.18_annot.tsv`` is stored there but its bytes were not in the snapshot (too large here);
  its layout is read from the code that wrote it, ``preprocessing/create_nrPDB_GO_annot.py``
  (``write_output_files``: ``csv.writer(out_file, delimiter='\\t')``; ``for ont in onts`` with
  onts = molecular_function, biological_process, cellular_component: row ``### GO-terms (ont)``, the terms,
  row ``### GO-names (ont)``, the names; then ``### PDB-chain``, three ``GO-terms (...)`` titles).
* DeepGraphLearning/torchdrug@6066fbd82360abb5f270cba1eca560af01b8cc90 ``torchdrug/datasets/gene_ontology.py``
  (``load_annotation`` skips 12 header rows and takes the terms at row ``4 * branch + 1``) and
  ``enzyme_commission.py`` (3 header rows; ``<split>.zip`` holding ``<split>/*.pdb``; chain = file name
  before the first ``_``; documented sizes 15,011 / 1,664 / 1,840 and 27,496 / 3,053 / 2,991).
"""
from __future__ import annotations

import csv
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from protbench.fetch import Files
from protbench.formats import deepfri, pdb
from protbench.spec import Record, TaskData
from protbench.stages import SplitSizeError, check_split_sizes
from protbench.tasks.function.readers import deepfri_zip_reader
from protbench.tasks.function.specs import ec, go_bp, go_cc, go_mf


# -- GO annotation TSV -----------------------------------------------------------------------------------
# Built with Python's csv.writer exactly as create_nrPDB_GO_annot.py writes it (see the module docstring):
# six interleaved blocks, CRLF line ends (csv.writer's default lineterminator), QUOTE_MINIMAL (a name with a
# double quote is quoted and the quote doubled), four cells per chain row (empty strings for branches without
# a term). Real GO names carry commas and apostrophes ("5'-3' exonuclease activity"); the double-quoted name is
# the csv quirk, not seen in a real file here (the GO annotation file is not reachable).
GO_TERMS = {"mf": ["GO:0003677", "GO:0008409"], "bp": ["GO:0006281"], "cc": ["GO:0005634", "GO:0005737"]}
GO_NAMES = {"mf": ["DNA binding", "5'-3' exonuclease activity"], "bp": ['repair of "damaged", DNA'],
            "cc": ["nucleus", "cytoplasm"]}
ONTS = (("mf", "molecular_function"), ("bp", "biological_process"), ("cc", "cellular_component"))


def write_go_annot(path: Path) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t")
        for b, ont in ONTS:
            w.writerow([f"### GO-terms ({ont})"])
            w.writerow(GO_TERMS[b])
            w.writerow([f"### GO-names ({ont})"])
            w.writerow(GO_NAMES[b])
        w.writerow(["### PDB-chain", "GO-terms (molecular_function)", "GO-terms (biological_process)",
                    "GO-terms (cellular_component)"])
        w.writerow(["1ABC-A", "GO:0003677,GO:0008409", "", "GO:0005634"])
        w.writerow(["6KMX-aA", "", "GO:0006281", ""])
    return path


def test_go_annotation_six_interleaved_blocks(tmp_path):
    p = write_go_annot(tmp_path / "nrPDB-GO_annot.tsv")
    raw = p.read_bytes()
    assert raw.startswith(b"### GO-terms (molecular_function)\r\nGO:0003677\tGO:0008409\r\n### GO-names (molecular")
    ann = deepfri.read_annotations(p)
    assert ann.classes == GO_TERMS
    assert ann.names == GO_NAMES          # csv quoting undone, names aligned with their branch's terms
    assert ann.labels["1ABC-A"] == {"mf": ["GO:0003677", "GO:0008409"], "bp": [], "cc": ["GO:0005634"]}
    assert ann.labels["6KMX-aA"] == {"mf": [], "bp": ["GO:0006281"], "cc": []}


def test_go_writer_matches_deepfri_layout_read_by_position(tmp_path):
    """Our writer (smoke data) must produce the layout torchdrug reads by position: terms of branch i at row
    4 i + 1 of twelve header rows, then the PDB-chain title row."""
    p = deepfri.write_annotations(tmp_path / "w.tsv", GO_TERMS, {"1ABC-A": {"mf": ["GO:0003677"]}}, GO_NAMES)
    assert p.read_bytes() == write_go_annot(tmp_path / "ref.tsv").read_bytes().split(b"1ABC-A")[0] + \
        b"1ABC-A\tGO:0003677\t\t\r\n"
    with open(p, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    for i, (b, _) in enumerate(ONTS):
        assert rows[4 * i + 1] == GO_TERMS[b] and rows[4 * i + 3] == GO_NAMES[b]
    assert rows[12][0] == "### PDB-chain"


# -- EC annotation TSV, test CSV ---------------------------------------------------------------------------
# Real first lines (DeepFRI@3bd6c7e preprocessing/data/nrPDB-EC_2020.04_annot.tsv, 442,511 bytes, CRLF):
#   "### EC-numbers\r\n" + 538 tab-separated EC numbers ("1.4.3.-\t4.2.1.1\t2.7.6.-\t...") + "\r\n"
#   "### PDB-chain\tEC-numbers\r\n" "4PR3-A\t3.2.2.9,3.2.2.-\r\n" ... (19,201 chain rows, none empty; no names block)
# nrPDB-EC_2020.04_test.csv (34,584 bytes, CRLF): "PDB-chain,<30%,<40%,<50%,<70%,<95%\r\n2FOR-A,0,0,1,1,1\r\n"
def write_ec_annot(path: Path, rows: dict[str, str]) -> Path:
    text = "### EC-numbers\r\n1.4.3.-\t4.2.1.1\t2.7.6.-\t3.5.1.88\r\n### PDB-chain\tEC-numbers\r\n"
    path.write_bytes((text + "".join(f"{c}\t{v}\r\n" for c, v in rows.items())).encode())
    return path


def write_test_csv(path: Path, flags: dict[str, str]) -> Path:
    path.write_bytes(("PDB-chain,<30%,<40%,<50%,<70%,<95%\r\n" +
                      "".join(f"{c},{f}\r\n" for c, f in flags.items())).encode())
    return path


# -- PDB chain files ---------------------------------------------------------------------------------------
# Columns of the PDB format v3.3 coordinate section (wwPDB "Atomic Coordinate Entry Format Description"):
# record 1-6, serial 7-11, atom name 13-16, altLoc 17, resName 18-20, chainID 22, resSeq 23-26, iCode 27,
# x/y/z 31-54, occupancy 55-60, tempFactor 61-66, segID 73-76, element 77-78, charge 79-80. Layout of an
# extracted chain file as DeepFRI ships them (DeepFRI@3bd6c7e examples/pdb_files/1S3P-A.pdb, 67,160 bytes,
# first line "ATOM      1  N   SER A   1      27.816  23.786   0.752  1.00 18.33      A    N  "; no header,
# serials from 1, "TER", "END"). torchdrug's archive files carry HETATM groups too: loading
# EnzymeCommission.zip warns "Unknown residue `PT`" / "`COB`. Treat as glycine" (DeepGraphLearning/GearNet
# issue #1, progress bar over 19,198 files; same count in torchdrug issue #182).
def atom(rec: str, serial: int, name: str, resn: str, chain: str, num: int, icode: str = " ", alt: str = " ",
         elem: str = "C") -> str:
    return (f"{rec:<6}{serial:5d} {name:<4}{alt}{resn:>3} {chain}{num:4d}{icode}   "
            f"{1.0 * serial:8.3f}{0.0:8.3f}{0.0:8.3f}{1.0:6.2f}{20.0:6.2f}      {chain:<4}{elem:>2}  ")


def quirky_chain(chain: str = "A") -> str:
    """ATOM residues, HETATM MSE and SEP (modified residues), altLoc A/B of one residue, microheterogeneity
    (ARG/LYS at one number), an insertion code, and HETATM calcium ("CA  " atom name), a sugar and a water."""
    rows = [("ATOM", " N  ", "MET", 1, " ", " "), ("ATOM", " CA ", "MET", 1, " ", " "),
            ("HETATM", " N  ", "MSE", 2, " ", " "), ("HETATM", " CA ", "MSE", 2, " ", " "),
            ("HETATM", " SE ", "MSE", 2, " ", " "),
            ("HETATM", " N  ", "SEP", 3, " ", " "), ("HETATM", " CA ", "SEP", 3, " ", " "),
            ("HETATM", " P  ", "SEP", 3, " ", " "),
            ("ATOM", " CA ", "SER", 4, " ", "A"), ("ATOM", " CA ", "SER", 4, " ", "B"),
            ("ATOM", " CA ", "GLY", 52, " ", " "), ("ATOM", " CA ", "GLY", 52, "A", " "),
            ("ATOM", " CA ", "ARG", 60, " ", "A"), ("ATOM", " CA ", "LYS", 60, " ", "B"),
            ("HETATM", "CA  ", " CA", 401, " ", " "), ("HETATM", " C1 ", "NAG", 402, " ", " "),
            ("HETATM", " O  ", "HOH", 501, " ", " ")]
    lines = [atom(r, i, n, res, chain, num, ic, alt) for i, (r, n, res, num, ic, alt) in enumerate(rows, 1)]
    return "\n".join(lines + ["TER", "END"]) + "\n"


QUIRKY_SEQ = "MMSSGGR"     # M, MSE->M, SEP->S, S (altlocs), G, G (52A), R (first of ARG/LYS); Ca, NAG, HOH out
# torchdrug's rule on the same file (RDKit 2026.9.1 Chem.MolFromPDBBlock, residues split on (number, icode,
# name), non-standard names read as glycine; computed once with RDKit, not a test dependency): "MGGSGGRGGG"
# (MSE, SEP, Ca, NAG, HOH each a G; RDKit keeps altLoc A only).


def rdkit_rejected_chain() -> str:
    """The quirky chain plus a ligand whose oxygen lies within bonding distance of three carbons: RDKit's
    proximity bonding gives it valence 3 and sanitization fails ("Explicit valence for atom # 15 O, 3, is
    greater than permitted", the message torchdrug users report: DeepGraphLearning/torchdrug issues #150, #157),
    so torchdrug skips such a file; its chain residues are fine."""
    lig = [("O1", "O", 0.0, 0.0), ("C1", "C", 1.3, 0.0), ("C2", "C", -1.3, 0.0), ("C3", "C", 0.0, 1.3)]
    lines = [f"HETATM{90 + i:5d}  {n:<3} OXY A 403    {50 + x:8.3f}{50 + y:8.3f}{50.0:8.3f}  1.00 20.00"
             f"          {e:>2}  " for i, (n, e, x, y) in enumerate(lig)]
    return quirky_chain().replace("TER\nEND\n", "\n".join(lines) + "\nTER\nEND\n")


def test_pdb_sequence_rules(tmp_path):
    p = tmp_path / "1ABC-A.pdb"
    p.write_text(quirky_chain())
    assert pdb.read_chain(p, "A") == QUIRKY_SEQ
    # water only: no residues -> a clear error naming the file
    w = tmp_path / "3DEF-A.pdb"
    w.write_text(atom("HETATM", 1, " O  ", "HOH", "A", 501) + "\nEND\n")
    with pytest.raises(pdb.PDBFormatError, match="3DEF-A.pdb: no amino-acid residues"):
        pdb.read_chain(w, "A")


# -- torchdrug zip -----------------------------------------------------------------------------------------
# EnzymeCommission.zip as torchdrug's enzyme_commission.py reads it: EnzymeCommission/nrPDB-EC_annot.tsv,
# EnzymeCommission/nrPDB-EC_test.csv, EnzymeCommission/{train,valid,test}.zip each holding <split>/*.pdb; the
# chain id is the file name up to the first "_" (torchdrug: basename.split("_")[0]); one chain per file
# (GearNet issue #39: "the A stands for chain A of 2FOR, which I have extracted from the original PDB file").
# Chain ids of DeepFRI's lists may have several characters (6KMX-aA in nrPDB-EC_2020.04_train.txt), which the
# one-column PDB chainID cannot hold; the file's only chain is read then.
def build_ec_zip(tmp_path: Path) -> Path:
    pdbs = {"train": {"1ABC-A_1.pdb": quirky_chain("A"), "6KMX-aA.pdb": quirky_chain("A"),
                      "5REJ-A.pdb": rdkit_rejected_chain()},
            "valid": {"2XYZ-B.pdb": quirky_chain("B")},
            "test": {"4PR3-A.pdb": quirky_chain("A"),
                     "3DEF-A.pdb": atom("HETATM", 1, " O  ", "HOH", "A", 501) + "\nEND\n"}}
    tsv = write_ec_annot(tmp_path / "annot.tsv", {"1ABC-A": "1.4.3.-", "6KMX-aA": "4.2.1.1,2.7.6.-",
                                                  "2XYZ-B": "3.5.1.88", "4PR3-A": "1.4.3.-", "3DEF-A": "4.2.1.1",
                                                  "5REJ-A": "3.5.1.88"})
    tcsv = write_test_csv(tmp_path / "test.csv", {"4PR3-A": "0,0,1,1,1", "3DEF-A": "1,1,1,1,1"})
    archive = tmp_path / "EnzymeCommission.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(tsv, "EnzymeCommission/nrPDB-EC_annot.tsv")
        zf.write(tcsv, "EnzymeCommission/nrPDB-EC_test.csv")
        for split, members in pdbs.items():
            inner = tmp_path / f"{split}.zip"
            with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as iz:
                for name, text in members.items():
                    iz.writestr(f"{split}/{name}", text)
            zf.write(inner, f"EnzymeCommission/{split}.zip")
    return archive


def test_torchdrug_zip_reader_logs_unreadable_chain(tmp_path):
    archive = build_ec_zip(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    data = deepfri_zip_reader("EnzymeCommission.zip", "EnzymeCommission", "EC", "ec")(
        Files({"EnzymeCommission.zip": archive}, cache))
    seqs = {s: {r.id: r.sequence for r in recs} for s, recs in data.splits.items()}
    assert seqs == {"train": {"1ABC-A": QUIRKY_SEQ, "5REJ-A": QUIRKY_SEQ, "6KMX-aA": QUIRKY_SEQ},
                    "valid": {"2XYZ-B": QUIRKY_SEQ},
                    "test": {"4PR3-A": QUIRKY_SEQ}}
    assert {r.id: r.label for r in data.splits["train"]} == {"1ABC-A": (0,), "5REJ-A": (3,), "6KMX-aA": (1, 2)}
    assert data.stats["dropped"] == {"test": {"PDB file without amino-acid residues of its chain": 1}}
    assert "3DEF-A.pdb" in data.stats["drop_examples"]["PDB file without amino-acid residues of its chain"][0]


# -- split sizes --------------------------------------------------------------------------------------------
def _data(sizes: dict[str, int]) -> TaskData:
    return TaskData(splits={s: [Record(id=f"{s}{i}", sequence="M", label=()) for i in range(n)]
                            for s, n in sizes.items()})


RAW = {"ec": {"train": 15551, "valid": 1729, "test": 1919}, "go": {"train": 29902, "valid": 3323, "test": 3416}}
TORCHDRUG = {"ec": {"train": 15011, "valid": 1664, "test": 1840}, "go": {"train": 27496, "valid": 3053, "test": 2991}}


@pytest.mark.parametrize("task,kind", [(ec, "ec"), (go_bp, "go"), (go_mf, "go"), (go_cc, "go")])
def test_every_listed_chain_parsed_passes(task, kind):
    check_split_sizes(task.spec, _data(RAW[kind]))           # raises SplitSizeError on the old spec


@pytest.mark.parametrize("task,kind", [(ec, "ec"), (go_bp, "go")])
def test_torchdrug_documented_sizes_pass_with_shortfall_recorded(task, kind):
    data = _data(TORCHDRUG[kind])
    check_split_sizes(task.spec, data)
    assert data.stats["split_shortfall"] == {s: RAW[kind][s] - TORCHDRUG[kind][s] for s in RAW[kind]}


@pytest.mark.parametrize("task,kind", [(ec, "ec"), (go_cc, "go")])
def test_wrong_sizes_still_fail(task, kind):
    below = {**TORCHDRUG[kind], "valid": TORCHDRUG[kind]["valid"] - 1}
    with pytest.raises(SplitSizeError, match=rf"valid: expected {RAW[kind]['valid']} \(at least "
                                             rf"{TORCHDRUG[kind]['valid']}\), parsed {below['valid']}"):
        check_split_sizes(task.spec, _data(below))
    with pytest.raises(SplitSizeError, match="test: expected"):
        check_split_sizes(task.spec, _data({**RAW[kind], "test": RAW[kind]["test"] + 1}))


def test_size_check_without_floor_is_exact():
    spec = replace(ec.spec, parameters={"branch": "ec"})
    with pytest.raises(SplitSizeError):
        check_split_sizes(spec, _data(TORCHDRUG["ec"]))


# -- the real DeepFRI files (mirror) ------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("task,prefix", [(ec, "nrPDB-EC_2020.04"), (go_bp, "nrPDB-GO_2019.06.18")])
def test_spec_sizes_are_the_split_list_counts(mirror, task, prefix):
    d = mirror / "deepfri"
    counts = {s: len(deepfri.read_split_list(d / f"{prefix}_{s}.txt")) for s in ("train", "valid", "test")}
    assert dict(task.spec.splits) == counts
    passes = deepfri.read_test_cutoffs(d / f"{prefix}_test.csv", 0.95)
    assert set(passes) == set(deepfri.read_split_list(d / f"{prefix}_test.txt")) and all(passes.values())


@pytest.mark.slow
def test_real_ec_annotation_covers_the_lists(mirror):
    d = mirror / "deepfri"
    assert (d / "nrPDB-EC_2020.04_annot.tsv").read_bytes()[:16] == b"### EC-numbers\r\n"
    ann = deepfri.read_annotations(d / "nrPDB-EC_2020.04_annot.tsv")
    listed = set()
    for s in ("train", "valid", "test"):
        listed |= set(deepfri.read_split_list(d / f"nrPDB-EC_2020.04_{s}.txt"))
    assert listed <= set(ann.labels) and sorted(set(ann.labels) - listed) == ["4UDF-1A", "4UDF-1B"]
