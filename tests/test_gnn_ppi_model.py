"""GNN-PPI's own encoder (models/gnn_ppi.py) and the ppi-gnn-finetune protocol: the fast formulations compute the
same function as GNN-PPI's modules (nn.GRU, Conv1d over vec5 features), the vec5 table is read as upstream
writes it, and the end-to-end protocol runs and records what it selected."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
from protbench.formats import vec5_ctc
from protbench.models.gnn_ppi import VEC5_SOURCE, GnnPpiTrainable, ScalarBiGRU


def vec5_fixture(path, letters="ACBEDGFIHKJMLONQPSRUTWVYXZ"):
    """A table in the layout of GNN-PPI's data/vec5_CTC.txt (lvguofeng/GNN_PPI @ cd1843ebec57, 2,335 bytes, git
    blob 6fd5b981…): one line per letter, in the file's own letter order (A C B E D G F I H K J M L O N Q P S R U
    T W V Y X Z), '<letter>\\t' then 13 space-separated numbers, 5 continuous values then an 8-way one-hot
    class code, e.g. 'A\\t-0.17691335 -0.19057421 0.045527875 -0.175985 1.1090639 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0'.
    Values here are drawn at random (not the upstream numbers)."""
    rng = np.random.default_rng(0)
    lines = []
    for i, a in enumerate(letters):
        cont = rng.normal(size=5)
        onehot = np.eye(8)[i % 8]
        lines.append(a + "\t" + " ".join(repr(float(v)) for v in np.concatenate([cont, onehot])))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_scalar_bigru_is_nn_gru():
    """Outputs and every gradient (input and all 8 parameters) equal nn.GRU(1, 1, bidirectional) in float64."""
    torch.manual_seed(3)
    m = ScalarBiGRU().double()
    x = torch.randn(9, 37, 1, dtype=torch.float64, requires_grad=True)
    ref, _ = m.gru(x)
    out = m(x)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-13)
    g = torch.randn_like(out)
    params = [x, *m.gru.parameters()]
    want = torch.autograd.grad((ref * g).sum(), params)
    got = torch.autograd.grad((out * g).sum(), params)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_encoder_lookup_conv_is_the_conv1d_over_vec5_features(tmp_path):
    """The lookup convolution equals Conv1d over the (N, 13, 2000) vec5 features, outputs and gradients."""
    table = vec5_ctc.read_vec5(vec5_fixture(tmp_path / "vec5_CTC.txt"))
    tr = GnnPpiTrainable(table, in_len=60)
    seqs = ["ACDXZ" * 20, "M", "BJUO" * 3, ""]
    tok = tr.features(seqs)
    assert tok.shape == (4, 60) and int(tok[1, 1]) == len(table)          # padding row after the residues
    torch.manual_seed(0)
    enc = tr.build().double()
    enc.train()
    a = enc(tok)
    b = enc.reference(tok)
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    ga = torch.autograd.grad(a.sum(), list(enc.parameters()))
    gb = torch.autograd.grad(b.sum(), list(enc.parameters()))
    for x, y in zip(ga, gb):
        torch.testing.assert_close(x, y, rtol=1e-9, atol=1e-10)
    # features as GNN-PPI builds them: first in_len residues, the letter's row, zero rows after
    feat = vec5_ctc.featurize("ACD", table, 5)
    np.testing.assert_array_equal(feat[:3], np.stack([table[c] for c in "ACD"]))
    assert not feat[3:].any()


def test_vec5_reader_refuses_bad_lines(tmp_path):
    good = vec5_fixture(tmp_path / "vec5_CTC.txt")
    assert len(vec5_ctc.read_vec5(good)) == 26
    bad = tmp_path / "bad.txt"
    bad.write_text(good.read_text().replace("\t", " ", 1))
    with pytest.raises(vec5_ctc.Vec5FormatError, match=r"bad.txt line 1"):
        vec5_ctc.read_vec5(bad)
    short = tmp_path / "short.txt"
    short.write_text("A\t1 2 3\n")
    with pytest.raises(vec5_ctc.Vec5FormatError, match="13 numbers"):
        vec5_ctc.read_vec5(short)
    html = tmp_path / "page.txt"
    html.write_text("<!DOCTYPE html><html><body>404</body></html>\n")
    with pytest.raises(vec5_ctc.Vec5FormatError, match="page.txt line 1"):
        vec5_ctc.read_vec5(html)


def test_gnn_ppi_model_refuses_another_table(tmp_path):
    """A vec5 file other than GNN-PPI's (by git blob id) would be another model: refused, naming the file."""
    from protbench.fetch import ChecksumError
    from protbench.models.gnn_ppi import GnnPpiModel

    path = vec5_fixture(tmp_path / "vec5_CTC.txt")
    with pytest.raises(ChecksumError, match="vec5_CTC.txt"):
        GnnPpiModel(vec5=str(path))
    assert VEC5_SOURCE.git_blob == "6fd5b9813687ea1d15a894d47b3033e9e0fbf562" and VEC5_SOURCE.size == 2335


@pytest.mark.realdata
def test_gnn_ppi_finetune_runs_end_to_end(tmp_path, mirror):
    """protbench run --model gnn-ppi on the SHS27k smoke data: the encoder trains with the GIN, the last epoch's
    test scores are recorded beside the selected epoch's, and the vec5 file's hash is in the model meta."""
    import subprocess
    import sys

    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "protbench.cli", "run", "--model", "gnn-ppi", "--tasks", "shs27k", "--profile",
           "smoke", "--offline", "--output-dir", str(out), "--cache-dir", str(tmp_path / "c"),
           "--param", "ppi-gnn-finetune.max_epochs=3", "--param", "ppi-gnn-finetune.patience=1"]
    env = {**__import__("os").environ, "PROTBENCH_MIRROR": str(mirror)}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    res = json.loads((out / "gnn-ppi" / "smoke" / "shs27k.json").read_text())
    assert res["status"] == "ok" and res["protocol"]["name"] == "ppi-gnn-finetune"
    seed = res["seeds"]["0"]
    assert 0 <= seed["scores"]["test"]["micro_f1"] <= 1
    assert seed["info"]["protocol"] == "ppi-gnn-finetune"
    real = next(p for p in mirror.rglob("vec5_CTC.txt"))
    assert res["model"]["parameters"]["vec5_sha256"] == hashlib.sha256(real.read_bytes()).hexdigest()
    fit = seed["info"]["fit"]
    if fit["best_epoch"] != fit["epochs_run"]:
        assert seed["info"]["test_last_epoch"]["epoch"] == fit["epochs_run"]
