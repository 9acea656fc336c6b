"""Progress on stderr: a line as each stage of a task starts and ends, with counts; a bar for long counted work
on a terminal, periodic plain lines otherwise (logs, notebooks, ``script``).

Levels: 0 quiet (``-q``: nothing), 1 normal (stage lines, a line every ``interval`` seconds of long work),
2 verbose (``-v``: also per-batch lines).
"""
from __future__ import annotations

import sys
import time
from typing import Any

LEVEL = 1
INTERVAL_S = 10.0


def set_level(level: int) -> None:
    global LEVEL
    LEVEL = level


def say(message: str, level: int = 1) -> None:
    if LEVEL >= level:
        print(message, file=sys.stderr, flush=True)


class Counter:
    """Counted work (``update(n)``): a tqdm bar on a terminal, else a plain line every ``INTERVAL_S`` seconds
    (every update when verbose) with done/total, rate and ETA, and one at the end."""

    def __init__(self, total: int, desc: str, unit: str = "seq", enabled: bool | None = None):
        self.total, self.desc, self.unit, self.done = total, desc, unit, 0
        self.t0 = self.last = time.perf_counter()
        tty = sys.stderr.isatty() if enabled is None else enabled
        self.bar: Any = None
        if LEVEL >= 1 and tty:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, leave=False)

    def __enter__(self) -> "Counter":
        return self

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.perf_counter()
        if LEVEL >= 2 or (LEVEL >= 1 and now - self.last >= INTERVAL_S):
            self.last = now
            say(self.line(now), level=1)

    def line(self, now: float) -> str:
        rate = self.done / max(now - self.t0, 1e-9)
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        return (f"  {self.desc}: {self.done}/{self.total} {self.unit} ({rate:.1f} {self.unit}/s"
                + (f", ETA {eta:.0f} s)" if eta != float("inf") else ")"))

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.total and self.done and time.perf_counter() - self.t0 >= INTERVAL_S:
            say(self.line(time.perf_counter()))
