"""DeepFRI annotation files and torchdrug's ``EnzymeCommission.zip`` / ``GeneOntology.zip``.

**Annotation TSV** (``nrPDB-EC_2020.04_annot.tsv``, ``nrPDB-GO_2019.06.18_annot.tsv``, and the same content as
``nrPDB-EC_annot.tsv`` / ``nrPDB-GO_annot.tsv`` in the zips), written by Python's ``csv.writer`` with a tab
delimiter (flatironinstitute/DeepFRI ``preprocessing/create_nrPDB_{EC,GO}_annot.py``), so lines end in CRLF and
a cell holding a double quote is quoted. Header blocks are a ``### <title>`` line, then one tab-separated line:

* EC: ``### EC-numbers`` (538 classes), no names block;
* GO: six blocks, per ontology in the order molecular_function, biological_process, cellular_component:
  ``### GO-terms (<ontology>)`` then ``### GO-names (<ontology>)`` (torchdrug reads the branch's terms at
  row ``4 * branch + 1`` of these twelve lines).

Then ``### PDB-chain<TAB><column titles>`` and one ``CHAIN<TAB>comma,separated,labels...`` row per chain
(one label column per branch, in the title order; empty cells allowed).

**Split lists** ``*_{train,valid,test}.txt``: one chain id per line (LF). A chain id is ``PDBID-CHAIN`` where
CHAIN is the mmCIF author chain id, possibly of several characters (``6KMX-aA``, ``4V7E-CV``).
**Test CSV** ``*_test.csv`` (CRLF): ``PDB-chain,<30%,<40%,<50%,<70%,<95%`` with 1 where the chain's identity to
the training set is below the cutoff; a test chain is kept at cutoff ``c`` unless its row has 0 in column
``<{100c}%`` (torchdrug's rule; at 0.95 every DeepFRI test chain is kept).

**torchdrug zips**: ``<Name>/nrPDB-{EC,GO}_annot.tsv``, ``<Name>/nrPDB-{EC,GO}_test.csv`` and
``<Name>/{train,valid,test}.zip``, each holding ``<split>/<CHAIN>[_suffix].pdb``, one extracted chain per file;
the split of a chain is the folder its PDB file is in, its sequence the chain's residues
(:mod:`protbench.formats.pdb`). A file without residues is logged as a drop, not fatal (torchdrug skips the
files RDKit cannot read).
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

BRANCHES = {"molecular_function": "mf", "biological_process": "bp", "cellular_component": "cc"}
CUTOFFS = (0.3, 0.4, 0.5, 0.7, 0.95)


class DeepFRIFormatError(ValueError):
    """A DeepFRI file that does not follow the layout described in this module."""


@dataclass
class Annotations:
    """Label lists per branch (``"ec"`` or ``"mf"``/``"bp"``/``"cc"``) and each chain's labels per branch."""

    classes: dict[str, list[str]]
    labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)   # chain -> branch -> labels
    names: dict[str, list[str]] = field(default_factory=dict)


def _branch(title: str, where: str) -> str:
    for long, short in BRANCHES.items():
        if long in title:
            return short
    if title.startswith("EC"):
        return "ec"
    raise DeepFRIFormatError(f"{where}: cannot tell the branch (EC, or GO molecular_function / "
                             f"biological_process / cellular_component) of header block {title!r}")


def read_annotations(path: Path) -> Annotations:
    """Parse an annotation TSV; a label that is not in its branch's class list raises naming the line."""
    path = Path(path)
    lines = path.read_text().splitlines()
    classes: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    i, columns = 0, None
    while i < len(lines):
        line = lines[i]
        if not line.startswith("###"):
            raise DeepFRIFormatError(f"{path} line {i + 1}: expected a '### ...' header block, got {line[:60]!r}")
        title = line[3:].strip()
        if title.startswith("PDB-chain"):
            columns = [_branch(t.strip(), f"{path} line {i + 1}") for t in title.split("\t")[1:]]
            i += 1
            break
        values = next(csv.reader([lines[i + 1]], delimiter="\t")) if i + 1 < len(lines) else []
        values = [v.strip() for v in values if v.strip()]
        target = names if "names" in title.lower() else classes
        target[_branch(title, f"{path} line {i + 1}")] = values
        i += 2
    if columns is None:
        raise DeepFRIFormatError(f"{path}: no '### PDB-chain' header line; not a DeepFRI annotation file")
    missing = [b for b in columns if b not in classes]
    if missing:
        raise DeepFRIFormatError(f"{path}: label columns {missing} have no class list block")
    index = {b: set(v) for b, v in classes.items()}
    labels: dict[str, dict[str, list[str]]] = {}
    for lineno, line in enumerate(lines[i:], i + 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        chain = parts[0].strip()
        entry = {}
        for b, cell in zip(columns, parts[1:] + [""] * (len(columns) - len(parts) + 1)):
            labs = [x.strip() for x in cell.split(",") if x.strip()]
            bad = [x for x in labs if x not in index[b]]
            if bad:
                raise DeepFRIFormatError(f"{path} line {lineno} ({chain}): labels {bad} are not in the "
                                         f"{b} label list; the file is inconsistent or truncated")
            entry[b] = labs
        labels[chain] = entry
    return Annotations(classes=classes, labels=labels, names=names)


def read_split_list(path: Path) -> list[str]:
    """Chain ids, one per line (blank lines ignored)."""
    return [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip()]


def read_test_cutoffs(text_or_path: str | Path, cutoff: float = 0.95) -> dict[str, bool]:
    """``{chain: passes}`` from a ``*_test.csv``: passes is False where the ``<{100c}%`` column is 0."""
    if cutoff not in CUTOFFS:
        raise ValueError(f"test identity cutoff {cutoff} is not one of {CUTOFFS}")
    text = Path(text_or_path).read_text() if isinstance(text_or_path, Path) else text_or_path
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    col = f"<{int(round(cutoff * 100))}%"
    if not header or col not in header:
        raise DeepFRIFormatError(f"test CSV header {header} lacks column {col!r}")
    j = header.index(col)
    return {row[0].strip(): row[j].strip() != "0" for row in reader if row}


def chain_of_pdb_name(name: str) -> str:
    """Chain id of a torchdrug PDB file name: ``1ABC-A_xxx.pdb`` or ``1ABC-A.pdb`` → ``1ABC-A``."""
    stem = Path(name).name
    if stem.endswith(".pdb"):
        stem = stem[:-4]
    return stem.split("_")[0]


def read_torchdrug_zip(archive: Path, cache_dir: Path, name: str, kind: str, cutoff: float = 0.95,
                       log=None) -> tuple[Annotations, dict[str, dict[str, str]], dict[str, bool]]:
    """Unpack ``<name>.zip`` (e.g. EnzymeCommission, kind "EC") and read annotations, chains, test cutoffs.

    Returns ``(annotations, {split: {chain: sequence}}, {test chain: passes cutoff})``. A PDB file without
    residues for its chain is dropped into ``log`` (a :class:`protbench.sequences.DropLog`) with the reason;
    without a log it raises.
    """
    from protbench.archive import extract, unpack
    from protbench.formats.pdb import PDBFormatError, read_chain

    root = unpack(Path(archive), Path(cache_dir))
    base = next((p for p in [root / name, root] if (p / f"nrPDB-{kind}_annot.tsv").is_file()), None)
    if base is None:
        raise DeepFRIFormatError(f"{archive}: no {name}/nrPDB-{kind}_annot.tsv inside; not torchdrug's {name}.zip")
    ann = read_annotations(base / f"nrPDB-{kind}_annot.tsv")
    test_csv = base / f"nrPDB-{kind}_test.csv"
    if not test_csv.is_file():
        raise DeepFRIFormatError(f"{archive}: {name}/nrPDB-{kind}_test.csv missing")
    chains: dict[str, dict[str, str]] = {}
    for split in ("train", "valid", "test"):
        nested = base / f"{split}.zip"
        folder = base / split
        if nested.is_file():
            folder = extract(nested, base / "_unzipped" / split) / split
        if not folder.is_dir():
            raise DeepFRIFormatError(f"{archive}: no {split}.zip / {split}/ folder of PDB files under {name}/")
        chains[split] = {}
        for pdb in sorted(folder.glob("*.pdb")):
            cid = chain_of_pdb_name(pdb.name)
            try:
                chains[split][cid] = read_chain(pdb, cid.split("-", 1)[1] if "-" in cid else None)
            except PDBFormatError as err:
                if log is None:
                    raise
                log.drop(split, "PDB file without amino-acid residues of its chain",
                         f"{archive}:{split}/{pdb.name}: {err}")
    return ann, chains, read_test_cutoffs(test_csv.read_text(), cutoff)


def write_annotations(path: Path, classes: Mapping[str, list[str]], labels: Mapping[str, Mapping[str, Iterable[str]]],
                      names: Mapping[str, list[str]] | None = None) -> Path:
    """Write an annotation TSV as DeepFRI does (``csv.writer``, tab, CRLF): branch ``"ec"`` (one block), or
    ``"mf"``/``"bp"``/``"cc"`` (terms and names blocks per ontology, in that order; names default to the ids)."""
    long = {v: k for k, v in BRANCHES.items()}
    branches = list(classes)
    titles = ["EC-numbers" if b == "ec" else f"GO-terms ({long[b]})" for b in branches]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t")
        for b, title in zip(branches, titles):
            w.writerow([f"### {title}"])
            w.writerow(classes[b])
            if b != "ec":
                w.writerow([f"### GO-names ({long[b]})"])
                w.writerow((names or {}).get(b, classes[b]))
        w.writerow(["### PDB-chain", *titles])
        for chain, labs in labels.items():
            w.writerow([chain, *(",".join(labs.get(b, ())) for b in branches)])
    return Path(path)


def write_test_csv(path: Path, identity_flags: Mapping[str, Iterable[int]]) -> Path:
    """Write ``PDB-chain,<30%,...,<95%`` rows (CRLF) from ``{chain: (5 flags)}``."""
    with open(path, "w", newline="") as fh:      # csv.writer: CRLF, as DeepFRI's file
        w = csv.writer(fh)
        w.writerow(["PDB-chain", *(f"<{int(c * 100)}%" for c in CUTOFFS)])
        w.writerows([c, *(str(int(x)) for x in flags)] for c, flags in identity_flags.items())
    return Path(path)


def write_torchdrug_zip(archive: Path, name: str, kind: str, annot_tsv: Path, test_csv: Path,
                        chains: Mapping[str, Mapping[str, str]]) -> Path:
    """Write ``<name>.zip`` as torchdrug ships it: annotation TSV, test CSV, ``{split}.zip`` of PDB chain files."""
    import tempfile

    from protbench.formats.pdb import write_ca_chain

    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(annot_tsv, f"{name}/nrPDB-{kind}_annot.tsv")
        zf.write(test_csv, f"{name}/nrPDB-{kind}_test.csv")
        for split, seqs in chains.items():
            inner = Path(tmp) / f"{split}.zip"
            with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as iz:
                for cid, seq in seqs.items():
                    pdb = write_ca_chain(Path(tmp) / f"{cid}.pdb", seq, cid.split("-")[-1][:1] or "A")
                    iz.write(pdb, f"{split}/{cid}.pdb")
            zf.write(inner, f"{name}/{split}.zip")
    return archive
