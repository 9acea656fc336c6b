"""No code execution from files: every deserialisation call site in the package is safe (static AST scan).

Scans every ``.py`` under ``suite/ tasks/ models/ protclip/ leaderboard/`` (comments and
docstrings are not code, so they never match) and fails on

* ``torch.load(...)`` without a literal ``weights_only=True``;
* ``pickle.load`` / ``pickle.loads`` / ``pickle.Unpickler(...)`` (under any import alias), and any
  ``pickle.Unpickler`` subclass, except the allow-listed restricted unpicklers below (each must
  override ``find_class``);
* ``numpy.load(..., allow_pickle=<anything but False>)``;
* the builtins ``eval(...)`` / ``exec(...)`` (``module.eval()`` method calls are attribute calls, not these).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("suite", "tasks", "models", "protclip", "leaderboard")

# Restricted unpicklers: (file name, class name). The class must subclass pickle.Unpickler and override
# find_class; calling it (and its .load()) is then allowed in that file.
ALLOWED_UNPICKLERS = {("peer_lmdb.py", "SafeUnpickler")}     # PEER LMDB reader: numpy + builtin containers only

# Call sites allowed despite the rules, by (file name, rule).
ALLOWED_SITES: set[tuple[str, str]] = set()     # none: every load is safe


def _sources() -> list[Path]:
    out = []
    for pkg in PACKAGES:
        root = REPO / pkg
        if root.is_dir():
            out += sorted(root.rglob("*.py"))
    return out


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: Path):
        self.path = path
        self.findings: list[tuple[int, str]] = []
        self.modules: dict[str, str] = {}       # local name -> module ("torch", "pickle", "numpy")
        self.functions: dict[str, str] = {}     # local name -> "module.function" imported by name
        self.unpicklers: set[str] = set()       # allow-listed restricted Unpickler subclasses of this file

    # -- imports ------------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            root = a.name.split(".")[0]
            if root in ("torch", "pickle", "_pickle", "cPickle", "numpy", "builtins"):
                self.modules[a.asname or root] = "pickle" if root in ("_pickle", "cPickle") else root
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = (node.module or "").split(".")[0]
        if mod in ("_pickle", "cPickle"):
            mod = "pickle"
        if mod in ("torch", "pickle", "numpy", "builtins"):
            for a in node.names:
                self.functions[a.asname or a.name] = f"{mod}.{a.name}"
        self.generic_visit(node)

    # -- classes ------------------------------------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [self._qualname(b) for b in node.bases]
        if "pickle.Unpickler" in bases:
            allowed = (self.path.name, node.name) in ALLOWED_UNPICKLERS
            overrides = any(isinstance(b, ast.FunctionDef) and b.name == "find_class" for b in node.body)
            if not allowed:
                self.findings.append((node.lineno, f"pickle.Unpickler subclass {node.name} is not an allow-listed "
                                                   "restricted unpickler"))
            elif not overrides:
                self.findings.append((node.lineno, f"allow-listed unpickler {node.name} does not override find_class"))
            else:
                self.unpicklers.add(node.name)
        self.generic_visit(node)

    # -- calls --------------------------------------------------------------------------------------
    def _qualname(self, func: ast.AST) -> str | None:
        if isinstance(func, ast.Name):
            if func.id in self.functions:
                return self.functions[func.id]
            return f"builtins.{func.id}" if func.id in ("eval", "exec") else None
        if isinstance(func, ast.Attribute):
            parts = []
            cur: ast.AST = func
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id in self.modules:
                return ".".join([self.modules[cur.id]] + parts[::-1])
        return None

    def _add(self, node: ast.AST, rule: str) -> None:
        if (self.path.name, rule) not in ALLOWED_SITES:
            self.findings.append((node.lineno, rule))

    def visit_Call(self, node: ast.Call) -> None:
        name = self._qualname(node.func)
        kw = {k.arg: k.value for k in node.keywords}
        if name == "torch.load" or (name or "").endswith("serialization.load"):
            wo = kw.get("weights_only")
            if not (isinstance(wo, ast.Constant) and wo.value is True) or None in kw:
                self._add(node, "torch.load without weights_only=True")
        elif name in ("pickle.load", "pickle.loads", "pickle.Unpickler"):
            self._add(node, f"{name} (use a restricted Unpickler subclass that overrides find_class)")
        elif name == "numpy.load":
            ap = kw.get("allow_pickle")
            if ap is not None and not (isinstance(ap, ast.Constant) and ap.value is False):
                self._add(node, "numpy.load with allow_pickle")
        elif name in ("builtins.eval", "builtins.exec"):
            self._add(node, f"{name.split('.')[1]}() call")
        self.generic_visit(node)


def scan(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    s = _Scanner(path)
    # imports first (they may come after a class that uses them only at call time)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            s.visit_Import(node)
        elif isinstance(node, ast.ImportFrom):
            s.visit_ImportFrom(node)
    s.visit(tree)
    return s.findings


def test_package_sources_are_found():
    files = _sources()
    assert any(p.parent.name == "protclip" for p in files) and len(files) > 20


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_unsafe_deserialisation(path):
    findings = scan(path)
    assert not findings, "\n".join(f"{path.relative_to(REPO)}:{ln}: {what}" for ln, what in findings)


@pytest.mark.parametrize("code, bad", [
    ("import torch\ntorch.load(p)", True),
    ("import torch\ntorch.load(p, weights_only=False)", True),
    ("import torch as T\nT.load(p, map_location='cpu', weights_only=True)", False),
    ("from torch import load\nload(p)", True),
    ("import pickle\npickle.loads(b)", True),
    ("import pickle as pk\npk.load(f)", True),
    ("from pickle import loads as l\nl(b)", True),
    ("import pickle\nclass U(pickle.Unpickler):\n    def find_class(self, m, n):\n        raise ValueError", True),
    ("import numpy as np\nnp.load(p, allow_pickle=True)", True),
    ("import numpy as np\nnp.load(p)", False),
    ("eval('1+1')", True),
    ("exec('x=1')", True),
    ("model.eval()\nm.train().eval()", False),
    ('"""torch.load(p) and eval(x) in a docstring"""\n# pickle.loads(b) in a comment', False),
])
def test_scanner_flags_what_it_should(tmp_path, code, bad):
    p = tmp_path / "mod.py"
    p.write_text(code)
    assert bool(scan(p)) is bad, scan(p)


def test_scanner_allows_the_restricted_peer_unpickler_only_in_its_file(tmp_path):
    code = ("import io, pickle\nclass SafeUnpickler(pickle.Unpickler):\n    def find_class(self, m, n):\n"
            "        raise pickle.UnpicklingError(m)\ndef safe_loads(b):\n    return SafeUnpickler(io.BytesIO(b)).load()\n")
    (tmp_path / "peer_lmdb.py").write_text(code)
    assert scan(tmp_path / "peer_lmdb.py") == []
    (tmp_path / "other.py").write_text(code)
    assert scan(tmp_path / "other.py")
    (tmp_path / "peer_lmdb.py").write_text(code.replace("    def find_class(self, m, n):\n        raise pickle."
                                                        "UnpicklingError(m)\n", "    pass\n"))
    assert scan(tmp_path / "peer_lmdb.py")
