"""A malicious pickle fed to each ProtCLIP loading route is refused with a clear error and never executed."""
from __future__ import annotations

import json
import pickle

import pytest
import torch

from protbench.protclip.checkpoint import STATE_FILE, UnsafeFileError, latest_checkpoint, load_training_state
from protbench.protclip.data import ProtAnnoRecord, write_protanno
from protbench.protclip.train import PretrainConfig, load_text_cache, pretrain


class _Evil:
    """Unpickling this creates ``marker`` (builtins.open in write mode): proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _evil_files(tmp_path):
    """The same payload as a torch.save zip file and as a plain pickle, each with its own marker."""
    out = []
    for name, writer in (("evil.pt", lambda obj, p: torch.save(obj, p)),
                         ("evil.pkl", lambda obj, p: p.write_bytes(pickle.dumps(obj)))):
        marker = tmp_path / f"PWNED-{name}"
        writer({"text_config": _Evil(marker), "states": {}, "optimizer": _Evil(marker)}, tmp_path / name)
        out.append((tmp_path / name, marker))
    return out


def _corpus(path, n=16):
    recs = [ProtAnnoRecord("ACDEFGHIKLMNPQRSTVWY"[i % 5:] + "MKV", f"PROTEIN NAME: p{i % 3}. FUNCTION: f{i % 2}.")
            for i in range(n)]
    write_protanno(recs, path)
    return path


def _cfg(tmp_path, out, **kw):
    base = dict(train_data=str(_corpus(tmp_path / "c.jsonl")), output_dir=str(out), batch_size=4, max_steps=2,
                eval_every=0, save_every=1, valid_fraction=0.0, threads=1, save_best=False)
    base.update(kw)
    return PretrainConfig(**base)


def test_text_cache_route_refuses_malicious_pickle(tmp_path):
    for evil, marker in _evil_files(tmp_path):
        with pytest.raises(UnsafeFileError, match=rf"{evil.name}: refusing to load this text cache.*delete"):
            pretrain(_cfg(tmp_path, tmp_path / f"run-{evil.name}", resume=None, text_cache_file=str(evil)))
        assert not marker.exists()


def test_cli_text_cache_route_exits_with_error_and_runs_nothing(tmp_path, capsys):
    from protbench.cli import main

    evil, marker = _evil_files(tmp_path)[0]
    rc = main(["pretrain", "--train", str(_corpus(tmp_path / "c.jsonl")), "--output-dir", str(tmp_path / "r"),
               "--max-steps", "2", "--batch-size", "8", "--set", f"text_cache_file={evil}"])
    assert rc != 0 and not marker.exists()
    assert "refusing to load this text cache" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["auto", "explicit"])
def test_training_state_resume_route_refuses_malicious_pickle(tmp_path, how):
    out = tmp_path / "run"
    pretrain(_cfg(tmp_path, out, resume=None))
    folder = latest_checkpoint(out)
    assert folder is not None and load_training_state(folder)["step"] == 2      # our own states load fine
    for evil, marker in _evil_files(tmp_path):
        (folder / STATE_FILE).write_bytes(evil.read_bytes())
        with pytest.raises(UnsafeFileError, match=rf"{STATE_FILE}: refusing to load this training state.*--fresh"):
            pretrain(_cfg(tmp_path, out, max_steps=4, resume="auto" if how == "auto" else str(folder)))
        assert not marker.exists()


def test_report_cache_route_refuses_malicious_pickle(tmp_path):
    from protbench.protclip import report

    out = tmp_path / "run"
    pretrain(_cfg(tmp_path, out, resume=None))
    for evil, marker in _evil_files(tmp_path):
        pc = json.loads((out / "pretrain_config.json").read_text())
        pc["text_cache_file"] = str(evil)          # a run folder received from elsewhere names a planted cache
        (out / "pretrain_config.json").write_text(json.dumps(pc))
        with pytest.raises(UnsafeFileError, match="refusing to load this text cache"):
            report.paired_retrieval(out, tmp_path / "c.jsonl", max_n=8)
        assert not marker.exists()


def test_text_cache_of_wrong_shape_is_refused(tmp_path):
    from protbench.protclip.config import named_config
    from protbench.protclip.model import ProtCLIP

    torch.save({"text_config": {}, "states": {"a": 1}}, tmp_path / "odd.pt")
    with pytest.raises(UnsafeFileError, match="not a protbench text cache"):
        load_text_cache(str(tmp_path / "odd.pt"), ProtCLIP(named_config("tiny")))
