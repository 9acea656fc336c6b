"""Issue 29 through the command line: every input checked before work starts (exit 2, nothing written), no
abbreviation that multiplies processes, exports that refuse to overwrite or mislabel, file modes that follow
the umask, and messages that name the CLI's own options."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from protbench.cli import main
from protbench.sequences import write_fasta

SMOKE = ["--tasks", "beta-lactamase", "--profile", "smoke", "--limit", "24"]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("param, words", [
    ("probe.patience=-1", "a whole number >= 0"),
    ("probe.ridge_alphas=-1", "each a finite number > 0"),
    ("probe.ci_resamples=-1", "a whole number >= 0"),
    ("probe.max_epochs=0", "a whole number >= 1"),
    ("probe.learning_rates=nan", "each a finite number > 0"),
    ("probe.batch_size=0", "a whole number >= 1"),
    ("probe.hidden=-5", "a whole number >= 1"),
    ("probe.dropout=2", "a finite number >= 0 and < 1"),
    ("probe.learning_rates=[]", "at least 1 value"),
])
def test_out_of_range_protocol_settings_exit_2_before_any_work(tmp_path, capsys, param, words):
    out = tmp_path / "r"
    code = main(["run", "--model", "aac", *SMOKE, "--param", param, "--output-dir", str(out),
                 "--cache-dir", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 2
    assert param.split("=")[0] in err and words in err
    assert files_under(out) == [] and files_under(tmp_path / "c") == []


def test_unknown_protocol_exits_2(tmp_path, capsys):
    code = main(["run", "--model", "aac", *SMOKE, "--protocol", "bogus", "--output-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "'bogus'" in err and "probe" in err
    assert files_under(tmp_path / "r") == []


def test_leakage_split_typo_exits_2(tmp_path, capsys):
    code = main(["leakage", "beta-lactamase", "--profile", "smoke", "--split", "tset", "--exact-only",
                 "--corpus", str(tmp_path / "corpus.fasta"), "--cache-dir", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 2 and "'tset'" in err and "test" in err
    assert files_under(tmp_path / "c") == []


def test_leakage_without_mmseqs_names_the_cli_options(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PROTBENCH_MMSEQS", str(tmp_path / "no-mmseqs-here"))
    code = main(["leakage", "beta-lactamase", "--profile", "smoke", "--cache-dir", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code != 0
    assert "--exact-only" in err and "PROTBENCH_MMSEQS" in err


@pytest.mark.parametrize("spelling", ["--jo", "--job", "--jobs=2"])
def test_option_abbreviations_are_refused(tmp_path, spelling):
    argv = ["run", "--model", "aac", *SMOKE, "--output-dir", str(tmp_path / "r")]
    if spelling == "--jobs=2":       # the full spelling still works as --jobs's own
        from protbench.commands.run import worker_argv

        assert "--jobs=2" not in worker_argv(argv + [spelling], 1)
        return
    with pytest.raises(SystemExit) as exc:
        main(argv + [spelling, "2"])
    assert exc.value.code == 2
    assert files_under(tmp_path / "r") == []


def test_every_subcommand_refuses_abbreviations():
    from protbench.cli import build_parser

    parser = build_parser()
    subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"][0].choices
    assert not parser.allow_abbrev and all(not p.allow_abbrev for p in subs.values())


# --- file modes ------------------------------------------------------------------------------------------------

def test_results_and_predictions_follow_the_umask(tmp_path):
    old = os.umask(0o002)
    try:
        assert main(["run", "--model", "aac", *SMOKE, "--output-dir", str(tmp_path / "r"),
                     "--param", "probe.heads=linear"]) == 0
    finally:
        os.umask(old)
    written = [p for p in files_under(tmp_path / "r") if p.suffix in (".json", ".npz")]
    assert {p.name for p in written} >= {"beta-lactamase.json", "beta-lactamase.predictions.npz"}
    for p in written:
        assert stat.S_IMODE(p.stat().st_mode) == 0o664, p


def test_cache_files_follow_the_umask(tmp_path):
    """The embedding cache and the downloads/ copies (a lab's shared --cache-dir) are written with the umask's mode,
    not mkstemp's 0600."""
    from protbench.cache import write_shard
    from protbench.fetch import Fetcher
    from protbench.spec import DataSource

    src_file = tmp_path / "mirror" / "x.txt"
    src_file.parent.mkdir()
    src_file.write_text("hello\n")
    old = os.umask(0o002)
    try:
        write_shard(tmp_path / "shard.npz", {"keys": np.array([b"k"]), "vectors": np.zeros((1, 2), np.float32)})
        fetcher = Fetcher(cache_dir=tmp_path / "cache", mirrors=[src_file.parent], offline=True)
        copied = fetcher.prefetch([DataSource("x.txt", "https://example.org/x.txt", unverified="test file")])
        assert main(["run", "--model", "aac", *SMOKE, "--output-dir", str(tmp_path / "r"),
                     "--cache-dir", str(tmp_path / "c2"), "--param", "probe.heads=linear"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "shard.npz").stat().st_mode) == 0o664
    assert stat.S_IMODE(copied["x.txt"].stat().st_mode) == 0o664
    shards = [p for p in files_under(tmp_path / "c2") if p.suffix == ".npz"]
    assert shards and all(stat.S_IMODE(p.stat().st_mode) == 0o664 for p in shards), shards


# --- embed --out ---------------------------------------------------------------------------------------------

@pytest.fixture
def fasta(tmp_path) -> Path:
    path = tmp_path / "seqs.fasta"
    write_fasta(path, [("a", "MKTAYIAKQRQISFVKSHFSRQ"), ("b", "GSHMLEDPVDAFQQ")])
    return path


def embed(tmp_path, *extra) -> int:
    return main(["embed", "--model", "aac", "--cache-dir", str(tmp_path / "c"), *extra])


def test_embed_out_refuses_to_overwrite_without_force(tmp_path, fasta, capsys):
    out = tmp_path / "e.npz"
    out.write_bytes(b"someone's file")
    assert embed(tmp_path, "--fasta", str(fasta), "--out", str(out)) == 2
    assert "--force" in capsys.readouterr().err and out.read_bytes() == b"someone's file"
    assert not (tmp_path / "c" / "embeddings").exists()       # refused before embedding
    old = os.umask(0o022)
    try:
        assert embed(tmp_path, "--fasta", str(fasta), "--out", str(out), "--force") == 0
    finally:
        os.umask(old)
    with np.load(out) as z:
        assert list(z["ids"]) == ["a", "b"] and z["embeddings"].shape == (2, 20)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


@pytest.mark.parametrize("name", ["e.csv", "e.h5", "folder", "file/e.npz"])
def test_embed_out_refuses_bad_targets_before_embedding(tmp_path, fasta, capsys, name):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    assert embed(tmp_path, "--fasta", str(fasta), "--out", str(tmp_path / name)) == 2
    assert "--out" in capsys.readouterr().err
    assert not (tmp_path / "c" / "embeddings").exists()
    assert not (tmp_path / "e.csv").exists() and not (tmp_path / "e.h5").exists()


def test_embed_empty_input_exits_2(tmp_path, capsys):
    empty = tmp_path / "empty.fasta"
    empty.write_text("")
    assert embed(tmp_path, "--fasta", str(empty), "--out", str(tmp_path / "e.npz")) == 2
    assert "no sequences" in capsys.readouterr().err and not (tmp_path / "e.npz").exists()
    assert embed(tmp_path, "--out", str(tmp_path / "e.npz")) == 2
    assert "nothing to embed" in capsys.readouterr().err


@pytest.mark.slow
def test_embed_out_under_torchrun_two_ranks(tmp_path, fasta):
    cache = tmp_path / "cache"
    out = tmp_path / "e.npz"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PROTBENCH_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "protbench.cli", "embed", "--model", "aac", "--fasta", str(fasta), "--cache-dir", str(cache),
           "--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(re.findall(r"rank \d/2:", proc.stdout)) == 2
    with np.load(out) as z:
        assert list(z["ids"]) == ["a", "b"]
