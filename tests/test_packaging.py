"""Packaging: every package folder is declared (so non-editable installs are complete); one namespace only."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_all_package_folders_are_declared_under_protbench():
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = set(conf["packages"])
    mapping = conf["package-dir"]
    assert all(p == "protbench" or p.startswith("protbench.") for p in declared), "no generic top-level names"
    found = set()
    for pkg, folder in mapping.items():
        root = REPO / folder
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root)
            if any(part.startswith((".", "_")) for part in rel.parts):
                continue
            found.add(".".join([pkg, *rel.parts]) if rel.parts else pkg)
    missing = found - declared
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_torch_is_pinned():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch==2.13.0" in deps


def test_license_file_is_the_declared_license():
    """pyproject declares Apache-2.0 and ships LICENSE; the file is that licence's text."""
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert conf["license"] == "Apache-2.0" and conf["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text


@pytest.mark.slow
def test_wheel_install_runs_list_and_quickstart(tmp_path):
    """A wheel built from the repository, installed non-editable into a fresh virtualenv (dependencies reused
    from this environment), carries the licence and runs `protbench list tasks` and a short `quickstart`
    from a folder outside the repository — no file of the checkout is needed at run time."""
    import os
    import subprocess
    import sys
    import sysconfig
    import zipfile

    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=600)
    (wheel,) = wheels.glob("protbench-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "protbench/tasks/ppi/specs.py" in names and "protbench/protclip/quickstart.py" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")   # deps only: no .pth inside runs
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True,
                   timeout=600)
    exe = venv / "bin" / "protbench"
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {**os.environ, "PROTBENCH_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import protbench; print(protbench.__file__)"],
                           cwd=away, env=env, capture_output=True, text=True, timeout=120)
    assert str(site) in where.stdout, where.stdout + where.stderr     # the installed copy, not the checkout
    listed = subprocess.run([str(exe), "list", "tasks"], cwd=away, env=env, capture_output=True, text=True,
                            timeout=300)
    assert listed.returncode == 0 and "beta-lactamase" in listed.stdout and "shs27k" in listed.stdout
    quick = subprocess.run([str(exe), "quickstart", "--out", str(tmp_path / "qs"), "--pretrain-steps", "3",
                            "--tasks", "beta-lactamase", "binloc", "--models", "aac", "protclip-tiny"],
                           cwd=away, env=env, capture_output=True, text=True, timeout=900)
    assert quick.returncode == 0, quick.stdout[-2000:] + quick.stderr[-2000:]
    assert (tmp_path / "qs" / "leaderboard" / "leaderboard.html").is_file()
