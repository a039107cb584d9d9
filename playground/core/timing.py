"""Best-of interleaved timing, shared by the benchmark and the UI's click timing."""

from __future__ import annotations

import time
from typing import Callable


def interleaved_ms(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, float]:
    """Best-of-`repeats` milliseconds per function. The functions are called in turn, so background load hits
    all of them alike, and the minimum is the run least disturbed by other processes (as `timeit` advises)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) * 1000 for name, values in times.items()}
