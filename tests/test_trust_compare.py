"""Issue 12.5: `protbench compare` lists one-sided results as missing, prints headers, flags pairs whose
identities differ in anything but the model, and fails only for regressions between comparable results."""
from __future__ import annotations

import json
from pathlib import Path

from protbench.cli import main
from protbench.leaderboard.compare import HEADERS, compare, format_differences


def write(root: Path, model: str, task: str, value: float, seeds=(0, 1, 2), fingerprint="x", **identity) -> None:
    ident = {"model": {"name": model, "fingerprint": fingerprint}, "task": task, "profile": "real", "limit": None,
             "protocol": {"name": "probe", "preset": None, "config": {"heads": "linear"}}, "dataset": "fp",
             "seeds": list(seeds)}
    ident.update(identity)
    res = {"schema_version": 1, "kind": "measured", "status": "ok", "created": "2026-01-01T00:00:00+00:00",
           "task": {"id": task, "family": "function", "main_metric": "accuracy"}, "model": {"name": model},
           "profile": "real", "protocol": {"name": "probe", "preset": None, "config": ident["protocol"]["config"]},
           "seeds": {str(s): {"scores": {"test": {"accuracy": value}}} for s in seeds},
           "summary": {"test": {"accuracy": {"mean": value, "std": 0.0, "n": len(seeds)}}},
           "dataset": {"fingerprint": ident["dataset"], "limit": ident["limit"]}, "identity": ident}
    (root / model).mkdir(parents=True, exist_ok=True)
    (root / model / f"{task}.json").write_text(json.dumps(res))


def test_one_sided_results_are_missing_not_exceeded(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "m", "subloc", 0.5)
    write(a, "m", "binloc", 0.5)
    write(b, "m", "subloc", 0.5)
    write(b, "n", "subloc", 0.5)
    diffs, _, _ = compare(a, b)
    one_sided = [d for d in diffs if "missing" in (d.status_a, d.status_b)]
    assert {(d.model, d.task) for d in one_sided} == {("m", "binloc"), ("n", "subloc")}
    assert not any(d.exceeded for d in one_sided)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "missing" in out and "EXCEEDED" not in out
    for h in HEADERS:
        assert h in out


def test_headers_even_when_nothing_differs(tmp_path):
    a = tmp_path / "a"
    write(a, "m", "subloc", 0.5)
    diffs, _, _ = compare(a, a)
    text = format_differences(diffs)
    assert "model" in text and "verdict" in text and "no differences beyond tolerance" in text


def test_pairs_with_different_identities_are_flagged_and_never_fail(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "m1", "subloc", 0.5)
    write(b, "m1", "subloc", 0.3, seeds=(0,))                            # fewer seeds
    write(a, "m2", "subloc", 0.5)
    write(b, "m2", "subloc", 0.3, limit=100, dataset="fp-limited")       # limited data
    write(a, "m3", "subloc", 0.5)
    write(b, "m3", "subloc", 0.3, protocol={"name": "probe", "preset": None, "config": {"heads": "mlp"}})
    write(a, "m5", "subloc", 0.5)                                        # revision 1 (not recorded)
    write(b, "m5", "subloc", 0.3, protocol={"name": "probe", "preset": None, "config": {"heads": "linear"},
                                            "revision": 2})               # the protocol's code changed
    write(a, "m4", "subloc", 0.5)
    # only the model differs (fingerprint, weights): a real regression of the model
    write(b, "m4", "subloc", 0.3, fingerprint="other", weights={"file": "w.pt", "sha256": "ab"})
    diffs, _, _ = compare(a, b, tolerance=0.01)
    by = {d.model: d for d in diffs}
    assert "seeds" in by["m1"].incomparable
    assert "limit" in by["m2"].incomparable and "dataset" in by["m2"].incomparable
    assert "protocol config" in by["m3"].incomparable
    assert "protocol revision (1 vs 2)" in by["m5"].incomparable
    assert by["m4"].incomparable == "" and by["m4"].exceeded      # a real regression of the model
    assert not any(d.exceeded for d in diffs if d.model != "m4")
    assert main(["compare", str(a), str(b), "--tolerance", "0.01"]) == 1
    out = capsys.readouterr().out
    assert out.count("NOT COMPARABLE") == 4


def test_a_regression_between_comparable_results_fails(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "m", "subloc", 0.5)
    write(b, "m", "subloc", 0.4)
    diffs, _, _ = compare(a, b, tolerance=0.01)
    assert [d.exceeded for d in diffs] == [True] and diffs[0].incomparable == ""
    assert main(["compare", str(a), str(b), "--tolerance", "0.01"]) == 1
