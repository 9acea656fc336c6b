"""``protbench list`` and ``protbench show``: what is registered, and each task's protocols and sources."""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from .options import EXIT_OK, EXIT_USAGE, make_fetcher, registries

# C0 and C1 control characters (ESC, BEL, ...) never reach the terminal
_CONTROL = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)])


def terminal_text(value: Any) -> str:
    """``value`` as text without C0/C1 control characters (ESC, BEL, ...), so a plugin's name or description
    cannot move the cursor, recolour or retitle the terminal; tabs and newlines become spaces."""
    text = str(value if value is not None else "")
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ").translate(_CONTROL)


def cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from ..spec import Family

    families = [f.value for f in Family]
    if args.family and args.family not in families:
        import difflib

        close = difflib.get_close_matches(args.family, families, n=2, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        print(f"protbench list: error: unknown family {args.family!r}{hint} (families: {', '.join(families)})",
              file=sys.stderr)
        return EXIT_USAGE
    reg = registries(args)
    t = terminal_text
    if args.what == "tasks":
        from ..stages import availability

        fetcher = make_fetcher(args) if args.available else None
        rows = []
        for tid in reg.tasks:
            s = reg.tasks.get(tid).spec
            if args.family and s.family.value != args.family:
                continue
            row = [t(s.id), s.family.value, t(s.main_metric), t(s.protocol), t(s.variant),
                   textwrap.shorten(t(s.description), 60)]
            if fetcher is not None:
                ok, missing = availability(reg.tasks.get(tid), fetcher)
                row.insert(1, "real" if ok else f"smoke only (missing {', '.join(missing)})")
            rows.append(row)
        headers = ["task", "family", "main metric", "protocol", "variant", "description"]
        if fetcher is not None:
            headers.insert(1, "data here")
        print(tabulate(rows, headers=headers))
    else:
        rows = [(t(e.name), ",".join(sorted(c.value for c in e.capabilities)), "yes" if e.needs_weights else "",
                 textwrap.shorten(t(e.description), 70), t(reg.models.origins[e.name].replace("built-in ", "")))
                for e in reg.models.values()]
        print(tabulate(rows, headers=["model", "capabilities", "weights", "description", "from"]))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    reg = registries(args)
    spec = reg.tasks.get(args.task).spec
    if args.json:
        print(json.dumps(spec.to_dict(), indent=1, default=str))
        return EXIT_OK
    d = spec.to_dict()
    print(f"{terminal_text(spec.id)}  ({spec.family.value}; variant: {terminal_text(spec.variant)})\n")
    print(textwrap.fill(terminal_text(spec.description), 88) + "\n")
    for key in ("main_metric", "metrics", "protocol", "protocols", "label_space", "splits", "requires",
                "parameters", "citation", "license"):
        print(f"  {key:12s} {d[key]}")
    from .. import protocols
    from ..protocols.params import describe_fields

    print("  protocols (default first) and their settings (--param PROTOCOL.FIELD=VALUE):")
    for name in spec.protocols:
        p = protocols.get(name)
        print(f"    {name}: {p.description}\n{textwrap.indent(describe_fields(p.config), '    ')}")
    print("  sources:")
    for s in spec.sources:
        print(f"    {s.filename}\n      url    {s.url}\n      md5    {s.md5 or '-'}  sha256 {s.sha256 or '-'}"
              + (f"  git blob {s.git_blob}" if s.git_blob else "")
              + (f"\n      size   {s.size:,} bytes" if s.size else ""))
        if s.unverified:
            print(textwrap.indent(textwrap.fill(f"unverified: {terminal_text(s.unverified)}", 84), "      "))
        if s.description:
            print(textwrap.indent(textwrap.fill(terminal_text(s.description), 84), "      "))
    return EXIT_OK
