"""embed --out (export with ids), list tasks --available, run --dry-run."""
from __future__ import annotations

import numpy as np

from protbench.cli import main
from protbench.sequences import write_fasta


def test_embed_exports_ids_pooled_and_residue_vectors(tmp_path, capsys):
    fasta = tmp_path / "s.fasta"
    write_fasta(fasta, [("p1", "MKTAYIAKQR"), ("p2", "GGSSA"), ("p1-copy", "MKTAYIAKQR")])
    out = tmp_path / "e.npz"
    assert main(["embed", "--model", "esm2-tiny", "--fasta", str(fasta), "--cache-dir", str(tmp_path / "c"),
                 "--out", str(out), "--residues"]) == 0
    with np.load(out, allow_pickle=False) as z:
        assert z["ids"].tolist() == ["p1", "p2"] and z["embeddings"].shape == (2, 64)
        off = z["residue_offsets"]
        assert off.tolist() == [0, 10, 15] and z["residue_embeddings"].shape == (15, 64)
        assert str(z["model"]) == "esm2-tiny"
        # pooled = masked mean of the residue vectors (the model's own pooling)
        np.testing.assert_allclose(z["embeddings"][1], z["residue_embeddings"][10:15].mean(0), atol=1e-5)


def test_available_and_dry_run(tmp_path, capsys):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    args = ["--offline", "--cache-dir", str(tmp_path / "c"), "--mirror", str(mirror)]
    assert main(["list", "tasks", "--available", "--family", "mutation", *args]) == 0
    out = capsys.readouterr().out
    assert "smoke only (missing beta_lactamase.tar.gz)" in out
    assert main(["run", "--model", "aac", "--tasks", "beta-lactamase", "--dry-run", *args, "--output-dir",
                 str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "missing: beta_lactamase.tar.gz" in out and not (tmp_path / "r").exists()
