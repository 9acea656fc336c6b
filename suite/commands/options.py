"""What every command shares: data options (cache, mirrors, offline, plugins), model options, typed
argument checks (exit 2 at parse time), exit codes."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(ValueError):
    """Input the user gave that is refused before any work (weights of another architecture, a pickle weights
    file, ...): exit 2 on the command line, like an unknown id or setting."""


def _kv(items: Sequence[str] | None) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values parsed as JSON when they parse)."""
    out: dict[str, Any] = {}
    for item in items or ():
        if "=" not in item:
            raise SystemExit(f"expected KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="cache folder (default: $PROTBENCH_CACHE or the user cache dir)")
    p.add_argument("--mirror", action="append", type=existing_dir, default=None, metavar="DIR",
                   help="folder searched by upstream file name before downloading (repeatable; "
                        "default: $PROTBENCH_MIRROR)")
    p.add_argument("--offline", action="store_true", help="never touch the network; report missing files")
    p.add_argument("--include", action="append", default=[], metavar="PATH",
                   help="a .py file or folder of plugins registering tasks/models (repeatable)")


def make_fetcher(args: argparse.Namespace):
    from ..fetch import Fetcher, default_cache_dir, mirrors_from_env

    return Fetcher(cache_dir=args.cache_dir or default_cache_dir(),
                   mirrors=list(args.mirror) if args.mirror else mirrors_from_env(),
                   offline=args.offline, progress=sys.stderr.isatty())


def registries(args: argparse.Namespace):
    from ..registry import load_registries

    return load_registries(include=getattr(args, "include", []) or [])


def model_options(args: argparse.Namespace) -> dict[str, Any]:
    options = _kv(args.model_opt)
    if args.weights:
        options["weights"] = str(args.weights)
    return options


def parse_params(items: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    from ..protocols.params import parse_items

    return parse_items(items)


def int_at_least(minimum: int):
    """An argparse type: a whole number ``>= minimum`` (a usage error, exit 2, otherwise)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def number_in(low: float, high: float | None = None, low_open: bool = False, high_open: bool = False):
    """An argparse type: a finite number in the range (a usage error, exit 2, otherwise; the message says the
    range)."""
    import math

    text_range = (f"{'>' if low_open else '>='} {low:g}"
                  + ("" if high is None else f" and {'<' if high_open else '<='} {high:g}"))

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number {text_range}, got {text!r}") from None
        if not math.isfinite(value) or (value <= low if low_open else value < low) or \
                (high is not None and (value >= high if high_open else value > high)):
            raise argparse.ArgumentTypeError(f"must be a finite number {text_range}, got {text}")
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def existing_dir(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such folder")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return path


def shard_spec(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected I/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"need 0 <= I < N, got {text}")
    return i, n


def check_device(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A CUDA device on a machine (or torch build) without CUDA is a usage error before any work."""
    device = getattr(args, "device", None)
    if isinstance(device, str) and device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            parser.exit(EXIT_USAGE, f"protbench {args.command}: error: --device {device}: CUDA is not available "
                                    f"(torch {torch.__version__}, no usable GPU); use --device cpu\n")


def no_abbreviations(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Turn off argparse's prefix matching on ``parser`` and every sub-parser: ``--jo 2`` is an error, not
    ``--jobs 2`` (a spelling that ``run --jobs`` could not strip from its workers' command lines), and a
    future option never changes what an old abbreviation meant."""
    parser.allow_abbrev = False
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                no_abbreviations(sub)
    return parser
