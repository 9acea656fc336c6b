"""Are two result folders the same numbers? Every seed's scores and intervals and every summary, compared exactly.

    python benchmarks/same_scores.py BEFORE_RESULTS AFTER_RESULTS [--json OUT]

For speed work that must not change a score (issue 17: "same seed → same numbers"): ``protbench compare`` checks
the means against a tolerance; this checks equality of everything a result reports per seed (``scores``, ``ci``)
and of its ``summary`` (means, stds, the interval of the mean), result by result (matched on the path below each
folder). Exit 0 when every result present in both is identical and none is missing, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def numbers(doc: dict) -> dict:
    """What a result reports as numbers: per-seed scores and intervals, and the summary."""
    return {"seeds": {s: {"scores": v.get("scores"), "ci": v.get("ci")} for s, v in (doc.get("seeds") or {}).items()},
            "summary": doc.get("summary"), "status": doc.get("status")}


def compare(a: Path, b: Path) -> dict:
    files_a = {p.relative_to(a) for p in a.rglob("*.json") if not any(part.startswith(".") for part in p.parts)}
    files_b = {p.relative_to(b) for p in b.rglob("*.json") if not any(part.startswith(".") for part in p.parts)}
    same, differ = [], []
    for rel in sorted(files_a & files_b):
        da, db = json.loads((a / rel).read_text()), json.loads((b / rel).read_text())
        if "seeds" not in da and "seeds" not in db:
            continue
        (same if numbers(da) == numbers(db) else differ).append(str(rel))
    return {"identical": same, "different": differ, "only_in_a": sorted(map(str, files_a - files_b)),
            "only_in_b": sorted(map(str, files_b - files_a))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    report = compare(args.a, args.b)
    print(f"{len(report['identical'])} results identical, {len(report['different'])} different "
          f"{report['different']}, only in A {report['only_in_a']}, only in B {report['only_in_b']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    ok = not report["different"] and not report["only_in_a"] and not report["only_in_b"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
