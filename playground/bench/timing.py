"""Timing helpers shared by every benchmark: interleaved best-of runs, real-size models with random weights (and an
app context serving them), and the targets a run reports."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from playground.bench.shapes import (RANDOM_BERT as BENCH_BERT, RANDOM_GPT as BENCH_GPT, padded_tokenizer,
                                      random_weight_context as bench_models, real_size_model)

__all__ = ["BENCH_BERT", "BENCH_GPT", "Target", "bench_models", "interleaved_ms", "padded_tokenizer",
           "real_size_model"]


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


@dataclass(frozen=True)
class Target:
    """One of issue 13's targets: a measured ratio and the limit it must stay within."""

    name: str
    ratio: float
    limit: float
    at_most: bool = True  # the ratio must be ≤ limit (else ≥ limit)

    @property
    def met(self) -> bool:
        return self.ratio <= self.limit if self.at_most else self.ratio >= self.limit

    def line(self) -> str:
        bound = f"{'≤' if self.at_most else '≥'} {self.limit:g}×"
        return f"  {self.name:<58} {self.ratio:6.2f}×   target {bound:<8} {'met' if self.met else 'NOT MET'}"
