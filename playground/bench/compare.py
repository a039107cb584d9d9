"""Benchmark of one Compare click, server side, on real-size shapes (bert-base + gpt2, random weights).

The click is timed by `python -m playground.bench.click` in a child process (the tab's own UI event, outputs
post-processed; the benchmark stays below the UI), and every time is a ratio to one bare sdpa fill-mask
forward pass of the same BERT on the same sentence, timed interleaved with the clicks.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from playground.bench.timing import Target

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("BERT top-k", "GPT-2 top-k", "influence + attention", "continuation")
TARGETS = {"BERT top-k": 1.5, "GPT-2 top-k": 2.5, "influence + attention": 6.0, "continuation": 11.0}


@dataclass(frozen=True)
class ClickTimes:
    stages_ms: dict[str, float]  # when each stage's outputs were ready (best of the runs), from the click
    unit_ms: float  # one bare sdpa BERT forward
    staged: bool  # whether the click streamed its stages
    continuation_ms: float  # from the influence stage to the end: the 12-token continuation
    raw_generate_ms: float  # model.generate, sdpa, same prompt, same number of new tokens
    model_calls: int


def ui_timing(*args: str, root: Path = ROOT) -> dict[str, Any]:
    """Run `python -m playground.bench.click ARGS` in `root` and read its JSON line."""
    out = subprocess.run([sys.executable, "-m", "playground.bench.click", *args], cwd=root, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def click_times(measured: dict[str, Any]) -> ClickTimes:
    marks = measured["marks_ms"]
    best = [min(run[i] for run in marks) for i in range(min(len(run) for run in marks))]
    staged = len(best) > 1
    # Yields: BERT, GPT-2, influence + attention, then one per continuation token.
    at = dict(zip(STAGES, (best[0], best[1], best[2], best[-1]))) if staged else dict.fromkeys(STAGES, best[0])
    continuation = min(run[-1] - run[2] for run in marks) if staged else math.nan
    return ClickTimes(stages_ms=at, unit_ms=measured["unit_ms"], staged=staged, continuation_ms=continuation,
                      raw_generate_ms=measured["raw_generate_ms"], model_calls=measured["model_calls"])


def report_click(times: ClickTimes, report: Callable[[str], None] = print) -> list[Target]:
    unit = times.unit_ms
    report(f"Compare click (server side, outputs post-processed), bert-base + gpt2 shapes; unit = one bare sdpa "
           f"fill-mask forward = {unit:.1f} ms; {times.model_calls} model forward calls per click "
           "(BERT and GPT-2 once each, then one generation step per continuation token but the first, which is "
           "GPT-2's prediction already made, each step reading one token from the prediction pass's KV cache)")
    targets = []
    for stage in STAGES:
        ms = times.stages_ms[stage]
        report(f"  {stage + ' visible':<30} {ms:8.1f} ms  {ms / unit:5.2f}×   target ≤ {TARGETS[stage]:g}×"
               + ("" if times.staged else "  (not streamed: everything arrives at the end)"))
        targets.append(Target(f"Compare: {stage} visible / bare sdpa forward", ms / unit, TARGETS[stage]))
    if times.staged:
        ratio = times.raw_generate_ms / times.continuation_ms
        report(f"  continuation: 12 tokens in {times.continuation_ms:.0f} ms vs model.generate (sdpa) "
               f"{times.raw_generate_ms:.0f} ms → {ratio:.2f}× its tokens/s   target ≥ 0.9×")
        targets.append(Target("Compare: continuation tokens/s / model.generate tokens/s", ratio, 0.9, at_most=False))
    return targets


def bench_click(repeats: int, report: Callable[[str], None] = print, root: Path = ROOT) -> list[Target]:
    return report_click(click_times(ui_timing("click", "--repeats", str(repeats), root=root)), report)


def bench_warm_start(report: Callable[[str], None] = print, runs: int = 3) -> list[Target]:
    """In fresh processes: the first click after the warm start says ready, vs later clicks (and without it).

    A process gives one first click, so `runs` processes are started and medians compared: one first click
    against the best of several later ones would count the machine's noise as a warm-start cost."""
    warm = [ui_timing("warm") for _ in range(runs)]
    cold = ui_timing("warm", "--cold")
    first = statistics.median(run["first_ms"] for run in warm)
    later = statistics.median(ms for run in warm for ms in run["later_ms"])
    cold_later = statistics.median(cold["later_ms"])
    each = ", ".join(f"{run['first_ms']:.0f}" for run in warm)
    report(f"warm start ({runs} fresh processes, medians): first click after 'ready' {first:.0f} ms "
           f"(each: {each}) · later clicks {later:.0f} ms · first "
           f"click with no warm start {cold['first_ms']:.0f} ms ({cold['first_ms'] / cold_later:.2f}× its later clicks)")
    return [Target("Warm start: first click after ready / a later click", first / later, 1.2)]


if __name__ == "__main__":
    bench_click(5)
