"""``run --name MODEL@VARIANT``: one model's runs under a protocol preset get their own folder and row, and never
replace (or pass for) the model's default results."""
from __future__ import annotations

import pytest

from protbench import results as R
from protbench.cli import main
from protbench.leaderboard.collect import collect
from protbench.protocols.params import ParamError
from protbench.runner import check_variant_name


def run(tmp_path, *extra: str) -> int:
    return main(["run", "--model", "aac", "--tasks", "shs27k", "--profile", "smoke", "--offline",
                 "--output-dir", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c"), *extra])


def test_a_named_preset_run_has_its_own_folder_and_row(tmp_path):
    assert run(tmp_path) == 0
    default = tmp_path / "r" / "aac" / "smoke" / "shs27k.json"
    before = default.read_bytes()
    assert run(tmp_path, "--preset", "plm-ppi", "--name", "aac@plm-ppi") == 0
    assert default.read_bytes() == before                      # the default-protocol result is untouched
    named = R.read_result(tmp_path / "r" / "aac@plm-ppi" / "smoke" / "shs27k.json")
    assert named["model"]["name"] == named["identity"]["model"]["name"] == "aac@plm-ppi"
    assert named["protocol"]["preset"] == "plm-ppi"
    assert named["model"]["fingerprint"] == R.read_result(default)["model"]["fingerprint"]
    board = collect([tmp_path / "r" / "aac", tmp_path / "r" / "aac@plm-ppi"])
    cells = {m: board.get(m, "shs27k", "smoke", "measured") for m in ("aac", "aac@plm-ppi")}
    assert cells["aac"].preset is None and cells["aac@plm-ppi"].preset == "plm-ppi"
    assert not board.notes                                     # nothing dropped as a clash


@pytest.mark.parametrize("name, random_init, fix", [
    ("esm2-8m", False, "start with the model's name"),       # would pass for another model
    ("aac", False, "start with the model's name"),           # no variant: the default results' folder
    ("aac@x/y", False, "holds only"),                        # a path
    ("aac@plm-ppi", True, "@random-init"),                   # random weights hidden
])
def test_names_that_would_mislead_are_refused(name, random_init, fix):
    with pytest.raises(ParamError, match=fix):
        check_variant_name(name, "aac", random_init)


def test_refused_on_the_command_line_before_any_work(tmp_path, capsys):
    assert run(tmp_path, "--name", "esm2-8m") == 2
    assert "aac@VARIANT" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
