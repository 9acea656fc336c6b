"""Where a run's time went, per result: load / embed / evaluate seconds, and how many sequences the embed time covers.

    python benchmarks/stage_profile.py RESULTS_DIR [--log reproduce.log] [--models unirep ...] [--json out.json]

Reads every ``<model>/<task>.json`` under ``RESULTS_DIR`` (not the smoke profile) and prints one row per result:
the sequences the task needed, how many this run embedded and how many came from the embedding cache, then
``timings_s``. An embed time is only a throughput measurement when the run embedded every sequence itself
(``from_cache`` 0): a run resumed after a kill, or one that found another run's cache, times only its part.
Results written before the embedding block carried those counts (``embedding.sequences`` / ``embedded`` /
``from_cache``) take them from the run's log (``--log``: the ``protbench run`` output, whose
``[task] embed: N distinct sequences, E embedded, C from cache`` lines follow each ``+ protbench run --model M``).
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

EMBED_LINE = re.compile(r"\[(?P<task>[\w.-]+)\] embed: (?P<n>[\d,]+) distinct sequences, (?P<e>[\d,]+) embedded, "
                        r"(?P<c>[\d,]+) from cache")
RUN_LINE = re.compile(r"^\+ protbench run (?P<args>.*)$")


def _model_name(args: str) -> str:
    model = re.search(r"--model (\S+)", args).group(1)
    name = re.search(r"--name (\S+)", args)
    if name:
        return name.group(1)
    return model + ("@random-init" if "--random-init" in args else "")


def counts_from_log(log: Path) -> dict[tuple[str, str], dict[str, int]]:
    """``(model, task) -> {sequences, embedded, from_cache}`` of the last embed line of each pair in a run log."""
    out, model, smoke = {}, None, False
    for line in log.read_text().splitlines():
        m = RUN_LINE.match(line)
        if m:
            model, smoke = _model_name(m.group("args")), "--profile smoke" in m.group("args")
            continue
        m = EMBED_LINE.search(line)
        if m and model and not smoke:
            num = lambda k: int(m.group(k).replace(",", ""))  # noqa: E731
            out[(model, m.group("task"))] = {"sequences": num("n"), "embedded": num("e"), "from_cache": num("c")}
    return out


def profile(results: Path, log: Path | None = None, models: list[str] | None = None) -> list[dict]:
    """One row per result file: model, task, revision, CPU, threads, the embed counts and ``timings_s``."""
    logged = counts_from_log(log) if log else {}
    rows = []
    for path in sorted(results.glob("*/*.json")):
        model, task = path.parent.name, path.stem
        if models and model not in models:
            continue
        r = json.loads(path.read_text())
        emb, env = r.get("embedding") or {}, r.get("environment") or {}
        counts = {k: emb[k] for k in ("sequences", "embedded", "from_cache") if k in emb} or logged.get((model, task))
        source = "result" if "embedded" in emb else ("log" if counts else None)
        rows.append({"model": model, "task": task, "git": (env.get("git") or "")[:12], "created": r.get("created"),
                     "cpu": (env.get("numeric_platform") or {}).get("cpu_model"),
                     "torch_threads": env.get("torch_threads"), "embed_counts": counts, "counts_from": source,
                     "timings_s": {k: round(v, 1) for k, v in (r.get("timings_s") or {}).items()}})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--log", type=Path)
    ap.add_argument("--models", nargs="*")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = profile(a.results, a.log, a.models)
    for row in rows:
        c, t = row["embed_counts"] or {}, row["timings_s"]
        print(f"{row['model']:<22} {row['task']:<18} seqs {c.get('sequences', '?'):>7} "
              f"embedded {c.get('embedded', '?'):>7} cached {c.get('from_cache', '?'):>7}  "
              f"embed {t.get('embed', 0):>8.1f} s  evaluate {t.get('evaluate', 0):>7.1f} s")
    if a.json:
        a.json.write_text(json.dumps({"results": str(a.results), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
