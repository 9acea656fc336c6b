"""Localization tasks (subloc, subloc-partial, binloc) on fixtures built in the real upstream layouts.

The PEER LMDB archives for localization are not reachable here; the data mirror holds the same splits converted
to CSV. The fixtures below reproduce those files' shape (row counts, repeated sequences, class counts, letters,
line ends, gzip header) with made-up sequences, so the declared split sizes are tested against what the real
files give.
"""
from __future__ import annotations

import csv
import gzip
import io
import pickle
import random
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from protbench.fetch import Files
from protbench.formats import peer_csv
from protbench.stages import check_split_sizes
from protbench.tasks.function import specs as F

AA = "ACDEFGHIKLMNPQRSTVWY"


def _rows(key: str, classes: dict[int, int], repeats: int, odd_letters: str) -> list[tuple[str, int]]:
    """``sum(classes.values())`` rows with the given class counts; the last ``repeats`` rows repeat an earlier
    row's sequence and label (later copies, as in the real files, never with a different label); a few
    sequences carry the non-standard letters the real split holds (X, U, B, Z); lengths 40-1000 as in PEER."""
    rng = random.Random(key)
    labels = [c for c, n in classes.items() for _ in range(n)]
    rng.shuffle(labels)
    rows = []
    for i, c in enumerate(labels[:len(labels) - repeats]):
        seq = "".join(rng.choice(AA) for _ in range(rng.choice([40, 41, 60, 120, 1000])))
        if i < len(odd_letters):
            seq = seq[:10] + odd_letters[i] + seq[11:]
        rows.append((seq, c))
    for j in range(repeats):
        rows.append(rows[7 * j + 3])
    return rows


def _csv_gz(path: Path, rows: list[tuple[str, int]]) -> Path:
    """The converted CSV as in the mirror: gzip with the original file name in its header (FNAME flag set),
    header ``primary,localization``, CRLF line ends (Python csv's default), integer class ids."""
    buf = io.StringIO()
    w = csv.writer(buf)                 # lineterminator "\r\n"
    w.writerow(["primary", "localization"])
    w.writerows(rows)
    with open(path, "wb") as raw, gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buf.getvalue().encode())
    return path


# Evidence (converted CSVs, data mirror peer/): first bytes of every file "primary,localization\r\n"; gzip header
#   flags 0x08 (FNAME = the .csv name). Per file: bytes, md5, rows, distinct sequences, class counts:
#   subcellular_localization_valid.csv.gz 769,658 B, md5 71d627bc3d5b69ab5cd5423d5bfc36cf, 2,811 rows, 2,807
#     distinct (4 later repeats, same label), lengths 40-1000, letters X (29) and U (6);
#     classes 0:267 1:545 2:173 3:72 4:65 5:302 6:809 7:31 8:152 9:395
#   subcellular_localization_test.csv.gz 775,386 B, md5 d1745b1ed573fb0db360de9da479434a, 2,773 rows, 2,768
#     distinct (5 repeats), letters B, Z, X; classes 0:273 1:508 2:173 3:70 4:64 5:302 6:808 7:30 8:152 9:393
#   subcellular_localization_2_{train,valid,test}.csv.gz 1,369,821 / 463,475 / 468,859 B, md5 88cd5763… /
#     a8e77329… / 6ea4505d…, 5,184 / 1,729 / 1,749 rows, 5,161 / 1,727 / 1,746 distinct (23 / 2 / 3 repeats);
#     classes train 0:2107 1:3077, valid 0:703 1:1026, test 0:743 1:1006
#   First data line of subcellular_localization_valid: "MLTLSKFHVILIPILFFITLLSPLFSIALPINIWPKPRFLSWPQHK…,<class>".
SUBLOC_VALID = {0: 267, 1: 545, 2: 173, 3: 72, 4: 65, 5: 302, 6: 809, 7: 31, 8: 152, 9: 395}
SUBLOC_TEST = {0: 273, 1: 508, 2: 173, 3: 70, 4: 64, 5: 302, 6: 808, 7: 30, 8: 152, 9: 393}
BINLOC = {"train": ({0: 2107, 1: 3077}, 23), "valid": ({0: 703, 1: 1026}, 2), "test": ({0: 743, 1: 1006}, 3)}


def _subloc_valid_test():
    return (_rows("subloc/valid", SUBLOC_VALID, 4, "XXXU"), _rows("subloc/test", SUBLOC_TEST, 5, "BZXZ"))


# Evidence (LMDB archive): torchdrug SubcellularLocalization (DeepGraphLearning/torchdrug@6066fbd
#   torchdrug/datasets/subcellular_localization.py): url .../peerdata/subcellular_localization.tar.gz, md5
#   37cb6138b8d4603512530458b7c8a77d, members subcellular_localization/subcellular_localization_{split}.lmdb, read
#   by load_lmdbs: key "num_examples" and "0".."n-1" → pickled {"primary": str, "localization": class id}. The
#   archive itself is not reachable here, so its member quirks are unknown; PEER's other archive in this bucket
#   (beta_lactamase.tar.gz) carries macOS "._<name>", "<name>/._.DS_Store" and "<name>/.DS_Store" entries and
#   lock.mdb beside data.mdb, so this fixture has them too.
def _subloc_archive(path: Path, splits: dict[str, list[tuple[str, int]]]) -> Path:
    import tempfile

    import lmdb

    name = "subcellular_localization"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / f"._{name}").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(196))
        (root / name).mkdir()
        (root / name / "._.DS_Store").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(96))
        (root / name / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(6140))
        for split, rows in splits.items():
            env = lmdb.open(str(root / name / f"{name}_{split}.lmdb"), map_size=1 << 26)
            with env.begin(write=True) as txn:
                txn.put(b"num_examples", pickle.dumps(len(rows), protocol=3))
                for i, (seq, c) in enumerate(rows):
                    txn.put(str(i).encode(), pickle.dumps({"primary": seq, "localization": c}, protocol=3))
            env.close()
        with tarfile.open(path, "w:gz") as tf:
            tf.add(root / f"._{name}", arcname=f"._{name}")
            tf.add(root / name, arcname=name)
    return path


def test_subloc_declared_sizes_are_those_of_the_served_valid_and_test(tmp_path):
    valid, test = _subloc_valid_test()
    train = _rows("subloc/train", {c: 4 for c in range(10)}, 1, "")
    archive = _subloc_archive(tmp_path / "subcellular_localization.tar.gz",
                              {"train": train, "valid": valid, "test": test})
    data = F.subloc.load(Files({"subcellular_localization.tar.gz": archive}, tmp_path / "cache"))
    assert data.split_sizes() == {"train": 39, "valid": 2807, "test": 2768}
    check_split_sizes(F.subloc.spec, data)     # raises SplitSizeError if the spec disagrees with the served files
    assert data.stats["dropped"] == {"train": {"duplicate sequence in split": 1},
                                     "valid": {"duplicate sequence in split": 4},
                                     "test": {"duplicate sequence in split": 5}}
    assert Counter(r.label for r in data.splits["test"]) == Counter(c for _, c in test[:2768])


def test_subloc_spec_records_the_documented_sizes_and_why_they_differ():
    p = F.subloc.spec.parameters
    assert p["torchdrug_documented_sizes"] == [8945, 2248, 2768]
    assert p["raw_rows"] == {"valid": 2811, "test": 2773}
    assert F.subloc.spec.splits["train"] is None and "2,248" in F.subloc.spec.description


def test_subloc_partial_on_the_converted_csv_layout(tmp_path):
    valid, test = _subloc_valid_test()
    files = {"subcellular_localization_valid.csv.gz": _csv_gz(tmp_path / "subcellular_localization_valid.csv.gz",
                                                               valid),
             "subcellular_localization_test.csv.gz": _csv_gz(tmp_path / "subcellular_localization_test.csv.gz", test)}
    assert gzip.open(files["subcellular_localization_test.csv.gz"]).read(22) == b"primary,localization\r\n"
    data = F.subloc_partial.load(Files(files, tmp_path / "cache"))
    check_split_sizes(F.subloc_partial.spec, data)
    assert data.split_sizes() == {"train": 2246, "valid": 561, "test": 2768}
    assert {r.sequence for r in data.splits["train"]} | {r.sequence for r in data.splits["valid"]} == \
        {s for s, _ in valid}


def test_binloc_sizes_are_the_distinct_sequences_of_the_converted_csvs(tmp_path):
    files = {f"subcellular_localization_2_{s}.csv.gz": _csv_gz(tmp_path / f"subcellular_localization_2_{s}.csv.gz",
                                                               _rows(f"binloc/{s}", classes, rep, "XUB"))
             for s, (classes, rep) in BINLOC.items()}
    data = F.binloc.load(Files(files, tmp_path / "cache"))
    check_split_sizes(F.binloc.spec, data)
    assert data.split_sizes() == {"train": 5161, "valid": 1727, "test": 1746}
    assert data.stats["input_format"] == "peer-csv"


@pytest.mark.parametrize("body,msg", [
    (b"<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n", "HTML/XML page"),   # an error page saved as .gz
    (gzip.compress(b"primary,localization\r\n" + b"MKV,1\r\n" * 50)[:-12], "EOFError"),   # a truncated download
    (gzip.compress("primary,localization\r\nMK\xe9V,1\r\n".encode("latin-1")), "UnicodeDecodeError")],
    ids=["html", "truncated", "latin-1"])
def test_converted_csv_that_is_not_gzipped_utf8_names_the_file(tmp_path, body, msg):
    path = tmp_path / "subcellular_localization_2_valid.csv.gz"
    path.write_bytes(body)
    with pytest.raises(peer_csv.PeerCSVFormatError, match=rf"subcellular_localization_2_valid\.csv\.gz: not a "
                                                          rf"readable gzipped UTF-8 CSV .*{msg}"):
        peer_csv.read_csv(path)


@pytest.mark.slow
@pytest.mark.parametrize("name,rows,distinct,classes", [
    ("subcellular_localization_valid", 2811, 2807, SUBLOC_VALID), ("subcellular_localization_test", 2773, 2768,
                                                                   SUBLOC_TEST),
    ("subcellular_localization_2_train", 5184, 5161, BINLOC["train"][0]),
    ("subcellular_localization_2_valid", 1729, 1727, BINLOC["valid"][0]),
    ("subcellular_localization_2_test", 1749, 1746, BINLOC["test"][0])])
def test_real_converted_csvs_match_the_cited_evidence(name, rows, distinct, classes, mirror):
    path = mirror / "peer" / f"{name}.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} not in the mirror")
    assert path.read_bytes()[3] & 0x08                      # FNAME flag
    text = gzip.open(path).read().decode()
    assert text.startswith("primary,localization\r\n")
    body = list(csv.reader(io.StringIO(text)))[1:]
    assert len(body) == rows and len({r[0] for r in body}) == distinct
    assert Counter(int(r[1]) for r in body) == classes
    assert len({r[0]: r[1] for r in body}) == len({(r[0], r[1]) for r in body})   # repeats never relabel


@pytest.mark.slow
def test_real_peer_test_split_is_deeplocs_test_set_with_long_sequences_cut(mirror):
    """Where torchdrug's 2,768 comes from: the distinct sequences of PEER's test split are DeepLoc's 2,768 test
    sequences (HannesStark/protein-localization copy, one record per sequence), the 327 over 1,000 residues cut
    to their first and last 500."""
    from protbench.formats import deeploc_fasta

    peer = mirror / "peer" / "subcellular_localization_test.csv.gz"
    fasta = mirror / "deeploc" / "deeploc_test_set.fasta"
    if not (peer.exists() and fasta.exists()):
        pytest.skip("PEER test CSV or DeepLoc test FASTA not in the mirror")
    rows = list(csv.reader(io.StringIO(gzip.open(peer).read().decode())))[1:]
    deeploc = [r.sequence for r in deeploc_fasta.read_deeploc(fasta)]
    cut = [s if len(s) <= 1000 else s[:500] + s[-500:] for s in deeploc]
    assert len(rows) == 2773 and len(set(deeploc)) == 2768 and sum(len(s) > 1000 for s in deeploc) == 327
    assert {r[0] for r in rows} == set(cut)
