"""Timing helpers shared by every benchmark: interleaved best-of runs, real-size models with random weights (and an
app context serving them), and the targets a run reports."""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.timing import interleaved_ms
from playground.models.shapes import (RANDOM_BERT as BENCH_BERT, RANDOM_GPT as BENCH_GPT, padded_tokenizer,
                                      random_weight_context as bench_models, real_size_model)

__all__ = ["BENCH_BERT", "BENCH_GPT", "Target", "bench_models", "interleaved_ms", "padded_tokenizer",
           "real_size_model"]


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
