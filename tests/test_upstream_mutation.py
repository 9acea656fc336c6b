"""Mutation tasks on fixtures built in the real upstream layouts (FLIP split zips, PEER/TAPE LMDB archives).

Every fixture builder below cites the evidence for its layout. The FLIP zips themselves are not in the repository
snapshot (their blobs are absent), so their layout is taken from the notebooks that wrote them and the loaders that
read them; the PEER/TAPE archives are in the data mirror and their member listings were read with ``tar tvzf``.
"""
from __future__ import annotations

import io
import pickle
import random
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from protbench.fetch import Fetcher, Files
from protbench.formats import flip
from protbench.stages import check_split_sizes
from protbench.tasks.mutation import specs as M

AA = "ACDEFGHIKLMNPQRSTVWY"
UNASSIGNED = "empty set field: row not part of this FLIP split"


def _flip_zip(path: Path, splits: dict[str, list[tuple]]) -> Path:
    """A FLIP splits.zip as torchdrug/ProtST extract it: a ``splits/`` folder entry and ``splits/<name>.csv``
    written like pandas ``to_csv(index=False)``: LF line ends, no quoting, NaN/None as an empty field."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("splits/", "")
        for name, rows in splits.items():
            lines = ["sequence,target,set,validation"]
            lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
            zf.writestr(f"splits/{name}.csv", "\n".join(lines) + "\n")
    return path


def _seq(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(AA) for _ in range(n))


# ------------------------------------------------------------------------------------------------ FLIP AAV
# Evidence: J-SNACKKB/FLIP@d5c35cc716ca93c3c74a0b43eef5b60cbf88521f (the commit ProtST pins)
#   splits/aav/splits.zip — git blob 78434dea713085323bd71f65b9b6f89e1c1b2f02 (byte size unknown: the blob is not in
#   the stored snapshot); written by collect_splits/0_aav_data.ipynb (unchanged since 3231e39, the commit that wrote
#   that blob), cell 21: `split = protein_data[protein_data.notna()]` is a mask, not a row filter, so all 284,009
#   rows go into every split CSV via `split[['sequence','target','set','validation']].to_csv(..., index=False)`;
#   `two_vs_many_split` is set only for the "natural" partitions and printed "31807 train and 50776 test
#   sequences", so 201,426 rows have an empty `set`. `validation` is True on a 10% sample of train rows and NaN
#   (written as an empty field) elsewhere; FLIP's baselines/utils.py load_dataset takes train as
#   `set == 'train' & validation.isnull()`. Sequences are P03135 (735 aa) with residues 561-588 replaced by the
#   upper-cased mutated region, `*` removed (cell 18), so lengths vary around 735. First lines (shape):
#       sequence,target,set,validation
#       MAADGYLPDWLEDTLSEGIRQ…,-0.8851543812023339,,
#       MAADGYLPDWLEDTLSEGIRQ…,1.1285719013214111,train,
#       MAADGYLPDWLEDTLSEGIRQ…,0.4034421443939209,train,True
def _aav_two_vs_many_zip(path: Path, n_train=20, n_valid=5, n_test=15, n_unassigned=60) -> dict:
    rng = random.Random(7)
    parent = _seq(rng, 735)
    kinds = ["train"] * n_train + ["valid"] * n_valid + ["test"] * n_test + ["none"] * n_unassigned
    rng.shuffle(kinds)                           # the file is sorted by sequence, so the kinds interleave
    rows, expect = [], {"train": [], "valid": [], "test": []}
    for kind in kinds:
        region = _seq(rng, rng.randint(24, 34))  # insertions and deletions change the length
        seq = parent[:560] + region + parent[588:]
        target = rng.uniform(-6, 4)
        rows.append((seq, repr(target), {"valid": "train", "none": None}.get(kind, kind),
                     True if kind == "valid" else None))
        if kind != "none":
            expect[kind].append((seq[474:674], target))
    _flip_zip(path, {"one_vs_many": rows[:3], "two_vs_many": rows})
    return expect


def test_aav_rows_with_empty_set_are_left_out_and_counted(tmp_path):
    expect = _aav_two_vs_many_zip(tmp_path / "aav_splits.zip")
    text = zipfile.ZipFile(tmp_path / "aav_splits.zip").read("splits/two_vs_many.csv").decode()
    assert text.startswith("sequence,target,set,validation\n") and ",,\n" in text and ",train,\n" in text
    data = M.aav.load(Files({"aav_splits.zip": tmp_path / "aav_splits.zip"}, tmp_path / "cache"))
    for split in ("train", "valid", "test"):
        assert [(r.sequence, r.label) for r in data.splits[split]] == expect[split]
    assert {len(r.sequence) for recs in data.splits.values() for r in recs} == {200}
    assert data.stats["dropped"] == {"unassigned": {UNASSIGNED: 60}}
    assert "line" in data.stats["drop_examples"][UNASSIGNED][0]


def test_flip_bad_values_still_raise_naming_file_and_line(tmp_path):
    bad = {"holdout": "MKV,1.0,holdout,\n", "validation 'yes'": "MKV,1.0,train,yes\n",
           "validation=True": "MKV,1.0,test,True\n", "target 'n/a'": "MKV,n/a,train,\n"}
    for i, (msg, row) in enumerate(bad.items()):
        z = tmp_path / f"b{i}.zip"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("splits/x.csv", "sequence,target,set,validation\nMKA,2.0,,\n" + row)
        with pytest.raises(flip.FLIPFormatError, match=rf"b{i}\.zip:splits/x\.csv line 3: .*{msg}"):
            flip.read_split(z, "x")


@pytest.mark.parametrize("body,msg", [
    # what github.com/<owner>/<repo>/raw/<commit>/<path> would serve for a file kept in Git LFS (FLIP keeps none:
    # there is no .gitattributes at d5c35cc), and an HTML error page of the kind a proxy or a wrong URL returns
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 1234567\n", "Git LFS pointer"),
    (b"<!DOCTYPE html>\n<html><head><title>Page not found</title></head></html>\n", "HTML/XML page")],
    ids=["lfs-pointer", "html-page"])
def test_flip_non_zip_download_says_what_it_is(tmp_path, body, msg):
    (tmp_path / "aav_splits.zip").write_bytes(body)
    with pytest.raises(flip.FLIPFormatError, match=rf"aav_splits\.zip: not a readable zip .*{msg}"):
        flip.read_split(tmp_path / "aav_splits.zip", "two_vs_many")


# ------------------------------------------------------------------------------------------------ FLIP Meltome
# Evidence: J-SNACKKB/FLIP@d5c35cc716ca93c3c74a0b43eef5b60cbf88521f splits/meltome/splits.zip — git blob
#   6582fe9e28d9fadd3b1b0ddeb2afb8b53abefb93 (written by 29fb0de "new meltome splits"; byte size unknown, blob not in
#   the snapshot). human_cell.csv is written by collect_splits/2_meltome_atlas.ipynb cell 39 from the cluster table
#   of helpers/human_proteome_split.ipynb, whose cell 8 sets `validation` to True/False for every row (so it is
#   written "True"/"False", never empty) and `set` to train/test; cell 39 runs dropna() before to_csv, so no field is
#   empty. ProtST's load_csv (DeepGraphLearning/ProtST protst/data.py) takes valid = `validation == "True"`.
#       sequence,target,set,validation
#       MSGEEEKAADFYVRYYVGHKGKF…,37.96294742,train,False
#       MRICFLLLAFLVAETFANELTRC…,49.45921603,train,True
def test_meltome_human_cell_validation_false_is_train(tmp_path):
    rng = random.Random(3)
    rows = [{"sequence": _seq(rng, rng.randint(80, 400)), "target": round(rng.uniform(35, 70), 8),
             "set": "test" if i % 5 == 0 else "train", "validation": i % 5 != 0 and i % 7 == 0} for i in range(60)]
    z = _flip_zip(tmp_path / "meltome_splits.zip", {
        name: [(r["sequence"], r["target"], r["set"], r["validation"]) for r in rs]
        for name, rs in (("mixed_split", rows[:5]), ("human", rows[:9]), ("human_cell", rows))})
    assert ",train,False\n" in zipfile.ZipFile(z).read("splits/human_cell.csv").decode()
    data = M.thermostability.load(Files({"meltome_splits.zip": z}, tmp_path / "cache"))
    want = {"train": [r for r in rows if r["set"] == "train" and not r["validation"]],
            "valid": [r for r in rows if r["validation"]], "test": [r for r in rows if r["set"] == "test"]}
    for split, rs in want.items():
        assert [(r.sequence, r.label) for r in data.splits[split]] == [(r["sequence"], r["target"]) for r in rs]
    assert data.stats["dropped"] == {}


def test_flip_sources_pin_the_git_blobs_of_the_pinned_commit():
    assert M.AAV_SOURCE.git_blob == "78434dea713085323bd71f65b9b6f89e1c1b2f02"
    assert M.MELTOME_SOURCE.git_blob == "6582fe9e28d9fadd3b1b0ddeb2afb8b53abefb93"
    for s in (M.AAV_SOURCE, M.MELTOME_SOURCE):
        assert M.FLIP_COMMIT in s.url and s.url.startswith("https://github.com/J-SNACKKB/FLIP/raw/")


# ------------------------------------------------------------------------------------------------ PEER / TAPE LMDB
APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "   # AppleDouble header (macOS tar's ._ files)


def _lmdb_files(records: list[dict]) -> dict[str, bytes]:
    """data.mdb / lock.mdb bytes of an LMDB holding ``num_examples`` and "0", "1", … (pickle protocol 3, as in
    the real archives: the first pickle byte pair is 0x80 0x03)."""
    import tempfile

    import lmdb

    with tempfile.TemporaryDirectory() as tmp:
        env = lmdb.open(tmp, map_size=1 << 22)
        with env.begin(write=True) as txn:
            txn.put(b"num_examples", pickle.dumps(len(records), protocol=3))
            for i, r in enumerate(records):
                txn.put(str(i).encode(), pickle.dumps(r, protocol=3))
        env.close()
        return {n: (Path(tmp) / n).read_bytes() for n in ("data.mdb", "lock.mdb")}


def _tar(path: Path, members: list[tuple[str, bytes | None]], owner: str) -> Path:
    """A .tar.gz with the members in the given order (None = directory), owned like the real one."""
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name.rstrip("/"))
            info.uname = info.gname = owner
            info.mtime = 1626339600
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tf.addfile(info, io.BytesIO(data))
    return path


# Evidence: PEER beta_lactamase.tar.gz (torchdrug BetaLactamase.url, md5 65766a3969cc0e94b101d4063d204ba4, 114,480
#   bytes; the mirror's copy has these bytes). `tar tvzf` lists, in this order, owner admin/staff:
#       ._beta_lactamase (220 B)  beta_lactamase/  beta_lactamase/beta_lactamase_train.lmdb/
#       beta_lactamase/._.DS_Store (120 B)  beta_lactamase/.DS_Store (6,148 B)  …_test.lmdb/  …_valid.lmdb/
#       …_valid.lmdb/lock.mdb (8,192 B)  …_valid.lmdb/data.mdb (393,216 B)  … test, train (data.mdb 3,092,480 B)
#   Records: {'primary': str, 'scaled_effect1': 0-d float32 ndarray}; num_examples 4,158 / 520 / 520.
def _beta_lactamase_archive(path: Path, sizes=(12, 3, 3)) -> dict:
    rng = random.Random(11)
    parent = _seq(rng, 286)
    recs, expect = {}, {}
    for split, n in zip(("train", "valid", "test"), sizes):
        rows = []
        for _ in range(n):
            i = rng.randrange(286)
            rows.append({"primary": parent[:i] + rng.choice(AA) + parent[i + 1:],
                         "scaled_effect1": np.array(rng.uniform(0, 1.5), dtype=np.float32)})
        recs[split] = _lmdb_files(rows)
        expect[split] = [(r["primary"], float(r["scaled_effect1"])) for r in _first_copies(rows)]
    d = "beta_lactamase/beta_lactamase"
    members = [("._beta_lactamase", APPLEDOUBLE + bytes(220 - len(APPLEDOUBLE))), ("beta_lactamase/", None),
               (f"{d}_train.lmdb/", None), ("beta_lactamase/._.DS_Store", APPLEDOUBLE + bytes(120 - len(APPLEDOUBLE))),
               ("beta_lactamase/.DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(6140)), (f"{d}_test.lmdb/", None),
               (f"{d}_valid.lmdb/", None)]
    for split in ("valid", "test", "train"):
        members += [(f"{d}_{split}.lmdb/lock.mdb", recs[split]["lock.mdb"]),
                    (f"{d}_{split}.lmdb/data.mdb", recs[split]["data.mdb"])]
    _tar(path, members, "admin")
    return expect


def _first_copies(rows):
    seen, out = set(), []
    for r in rows:
        if r["primary"] not in seen:
            seen.add(r["primary"])
            out.append(r)
    return out


def test_beta_lactamase_real_member_layout(tmp_path):
    expect = _beta_lactamase_archive(tmp_path / "beta_lactamase.tar.gz")
    data = M.beta_lactamase.load(Files({"beta_lactamase.tar.gz": tmp_path / "beta_lactamase.tar.gz"},
                                       tmp_path / "cache"))
    for split in ("train", "valid", "test"):
        assert [(r.sequence, r.label) for r in data.splits[split]] == expect[split]


# Evidence: TAPE fluorescence.tar.gz / stability.tar.gz (torchdrug Fluorescence.url / Stability.url
#   http://s3.amazonaws.com/songlabdata/proteindata/data_pytorch/<name>.tar.gz; md5 d63d1d51ec8c20ff0d981e4cbd67457a,
#   1,635,678 bytes / aa1e06eb5a59e0ecdae581e9ea029675, 3,116,829 bytes; the mirror's copies). `tar tvzf`, owner
#   rmrao/rmrao, no macOS entries, in this order:
#       fluorescence/  fluorescence/fluorescence_valid.lmdb/  …_valid.lmdb/data.mdb (3,989,504 B)  …/lock.mdb (8,192 B)
#       …_train.lmdb/ data.mdb lock.mdb  …_test.lmdb/ data.mdb lock.mdb
#       stability/  stability/stability_test.lmdb/ data.mdb (7,761,920 B) lock.mdb  …_train.lmdb/ …  …_valid.lmdb/ …
#   Records: fluorescence {'primary', 'protein_length': int, 'log_fluorescence': float32 ndarray shape (1,),
#   'num_mutations': int}; stability {'id': bytes b'EEHEE_rd1_0001.pdb', 'primary', 'protein_length': int,
#   'topology': bytes, 'parent': bytes, 'stability_score': float32 ndarray shape (1,)}; the stability train split
#   holds 53,614 records of which 43 repeat an earlier sequence.
def _tape_archive(path: Path, name: str, order: tuple[str, ...], make) -> dict:
    rng = random.Random(name)
    members, expect = [(f"{name}/", None)], {}
    for split in order:
        rows = [make(rng, i) for i in range(10)]
        if split == "train":
            rows.append(dict(rows[2], **{k: v for k, v in make(rng, 99).items() if k != "primary"}))  # a repeat
        f = _lmdb_files(rows)
        members += [(f"{name}/{name}_{split}.lmdb/", None), (f"{name}/{name}_{split}.lmdb/data.mdb", f["data.mdb"]),
                    (f"{name}/{name}_{split}.lmdb/lock.mdb", f["lock.mdb"])]
        target = "log_fluorescence" if name == "fluorescence" else "stability_score"
        expect[split] = [(r["primary"], float(r[target][0])) for r in _first_copies(rows)]
    _tar(path, members, "rmrao")
    return expect


def _gfp(rng, i):
    return {"primary": _seq(rng, 237), "protein_length": 237,
            "log_fluorescence": np.array([rng.uniform(1, 4)], dtype=np.float32), "num_mutations": rng.randint(1, 6)}


def _mini(rng, i):
    topo = rng.choice(["EEHEE", "HHH", "HEEH", "EHEE"])
    seq = _seq(rng, 43)
    return {"id": f"{topo}_rd1_{i:04d}.pdb".encode(), "primary": seq, "protein_length": 43,
            "topology": topo.encode(), "parent": f"{topo}_rd1_{i:04d}".encode(),
            "stability_score": np.array([round(rng.uniform(-1, 2), 2)], dtype=np.float32)}


@pytest.mark.parametrize("task,name,order,make", [
    (M.fluorescence, "fluorescence", ("valid", "train", "test"), _gfp),
    (M.stability, "stability", ("test", "train", "valid"), _mini)], ids=["fluorescence", "stability"])
def test_tape_real_member_layout(task, name, order, make, tmp_path):
    expect = _tape_archive(tmp_path / f"{name}.tar.gz", name, order, make)
    data = task.load(Files({f"{name}.tar.gz": tmp_path / f"{name}.tar.gz"}, tmp_path / "cache"))
    for split in ("train", "valid", "test"):
        assert [(r.sequence, r.label) for r in data.splits[split]] == expect[split]
    assert data.stats["dropped"] == {"train": {"duplicate sequence in split": 1}}


@pytest.mark.slow
@pytest.mark.parametrize("name,first", [
    ("beta_lactamase", ["._beta_lactamase", "beta_lactamase", "beta_lactamase/beta_lactamase_train.lmdb",
                        "beta_lactamase/._.DS_Store", "beta_lactamase/.DS_Store"]),
    ("fluorescence", ["fluorescence", "fluorescence/fluorescence_valid.lmdb",
                      "fluorescence/fluorescence_valid.lmdb/data.mdb"]),
    ("stability", ["stability", "stability/stability_test.lmdb", "stability/stability_test.lmdb/data.mdb"])])
def test_real_archives_have_the_cited_member_layout(name, first, mirror):
    path = mirror / "peer" / f"{name}.tar.gz"
    if not path.exists():
        pytest.skip(f"{path} not in the mirror")
    with tarfile.open(path) as tf:
        names = tf.getnames()
    assert names[:len(first)] == first
    assert sorted(n for n in names if n.endswith(".mdb")) == sorted(
        f"{name}/{name}_{s}.lmdb/{f}" for s in ("train", "valid", "test") for f in ("data.mdb", "lock.mdb"))


def test_flip_split_sizes_are_not_declared_but_reported_sizes_are_recorded():
    # the FLIP zips are not reachable here, so their split sizes could not be counted: none is declared (a wrong
    # number would fail the first real run) and the published numbers are kept as parameters for comparison
    for task in (M.aav, M.thermostability):
        assert set(task.spec.splits.values()) == {None}
        assert len(task.spec.parameters["peer_reported_sizes"]) == 3


@pytest.mark.slow
def test_real_peer_archives_still_load_with_declared_sizes(mirror, private_cache):
    f = Fetcher(cache_dir=private_cache, mirrors=[mirror], offline=True)
    data = M.beta_lactamase.load(Files(f.fetch_all(M.beta_lactamase.spec.sources), private_cache))
    check_split_sizes(M.beta_lactamase.spec, data)
