"""Function family: smoke data — small deterministic files in the exact upstream formats, with planted signal."""
from __future__ import annotations

from pathlib import Path

from protbench.formats import deepfri, peer_csv, peer_lmdb
from protbench.sequences import write_fasta
from protbench.smoke import class_sequence, multilabel_sequence, rng_for

from .readers import SPLITS


def _class_smoke_rows(key: str, n: int, n_classes: int) -> list[dict]:
    rng = rng_for("smoke", key)
    labels = rng.integers(0, n_classes, size=n)
    return [{"primary": class_sequence(rng, int(c), 40, 160), "localization": int(c)} for c in labels]


def localization_smoke(archive: str, name: str, n_classes: int, sizes=(200, 50, 50)):
    def write(folder: Path) -> dict[str, Path]:
        splits = {s: _class_smoke_rows(f"{name}/{s}", n, n_classes) for s, n in zip(SPLITS, sizes)}
        return {archive: peer_lmdb.write_archive(Path(folder) / archive, name, splits)}

    return write


def subloc_partial_smoke(valid_csv: str, test_csv: str, n_classes: int):
    def write(folder: Path) -> dict[str, Path]:
        return {valid_csv: peer_csv.write_csv(Path(folder) / valid_csv, _class_smoke_rows("subloc-p/valid", 250, n_classes)),
                test_csv: peer_csv.write_csv(Path(folder) / test_csv, _class_smoke_rows("subloc-p/test", 60, n_classes))}

    return write


def _smoke_annotations(key: str, branches: tuple[str, ...], n_labels: int, sizes=(200, 50, 50)):
    """Synthetic chains with planted label motifs: classes, labels and sequences per split."""
    rng = rng_for("smoke", key)
    classes = {b: [f"{b.upper()}:{j:04d}" if b != "ec" else f"{1 + j % 6}.{j // 6 + 1}.1.-" for j in range(n_labels)]
               for b in branches}
    labels: dict[str, dict[str, list[str]]] = {}
    chains: dict[str, dict[str, str]] = {}
    k = 0
    for split, n in zip(SPLITS, sizes):
        chains[split] = {}
        for _ in range(n):
            k += 1
            cid = f"{k:03d}{'ABCD'[k % 4]}-{'AB'[k % 2]}"
            per = {b: sorted(set(rng.choice(n_labels, size=int(rng.integers(1, 4)), replace=False).tolist()))
                   for b in branches}
            motif_ids = sorted({j + n_labels * bi for bi, b in enumerate(branches) for j in per[b]})
            chains[split][cid] = multilabel_sequence(rng, motif_ids, 60, 150)
            labels[cid] = {b: [classes[b][j] for j in per[b]] for b in branches}
    return classes, labels, chains


def deepfri_zip_smoke(filename: str, name: str, kind: str, branches: tuple[str, ...], n_labels: int = 12):
    def write(folder: Path) -> dict[str, Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        classes, labels, chains = _smoke_annotations(name, branches, n_labels)
        tsv = deepfri.write_annotations(folder / f"nrPDB-{kind}_annot.tsv", classes, labels)
        # two test chains are flagged as ≥ 95% identical to train and must be excluded by the loader
        flags = {c: ((0, 0, 0, 0, 0) if i < 2 else (0, 1, 1, 1, 1)) for i, c in enumerate(chains["test"])}
        csv = deepfri.write_test_csv(folder / f"nrPDB-{kind}_test.csv", flags)
        out = deepfri.write_torchdrug_zip(folder / filename, name, kind, tsv, csv, chains)
        tsv.unlink()
        csv.unlink()
        return {filename: out}

    return write


def ec_partial_smoke(prefix: str, n_labels: int = 12):
    def write(folder: Path) -> dict[str, Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        classes, labels, chains = _smoke_annotations("ec-partial", ("ec",), n_labels, sizes=(0, 0, 300))
        test = chains["test"]
        out = {f"{prefix}_annot.tsv": deepfri.write_annotations(folder / f"{prefix}_annot.tsv", classes, labels)}
        flags = {c: ((0, 0, 0, 0, 0) if i < 3 else (1, 1, 1, 1, 1)) for i, c in enumerate(test)}
        out[f"{prefix}_test.csv"] = deepfri.write_test_csv(folder / f"{prefix}_test.csv", flags)
        (folder / f"{prefix}_test.txt").write_text("\n".join(test) + "\n")
        out[f"{prefix}_test.txt"] = folder / f"{prefix}_test.txt"
        write_fasta(folder / f"{prefix}_test_sequences.fasta", ((f"{c} nrPDB_test", s) for c, s in test.items()))
        out[f"{prefix}_test_sequences.fasta"] = folder / f"{prefix}_test_sequences.fasta"
        return out

    return write
