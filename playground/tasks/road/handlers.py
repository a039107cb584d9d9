"""What the "RNN → Transformer" tab and its JSON API call: the shipped results (at once, no torch), and each
measurement run anew with the caller's settings — validated first, then one at a time through the lab's job
queue (`ctx.lab_jobs`, shared with the Pretraining lab), stoppable by its owner, with progress.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from pathlib import Path
from typing import Any, Callable

from playground.tasks import road
from playground.tasks.context import AppContext
from playground.tasks.road.results import (COMMAND, SHIPPED, GradientResult, GradientSettings, LmRaceResult,
                                           LmSettings, LongRangeResult, LongRangeSettings, RoadResults,
                                           Seq2SeqResult, Seq2SeqSettings, check_gradients, check_lm,
                                           check_long_range, check_seq2seq, load_shipped)

WAIT_S = 900.0  # how long a run waits for the lab (another session's training or fine-tuning) before giving up
Progress = Callable[[float, str], None]


@functools.lru_cache(maxsize=1)
def _shipped() -> RoadResults:
    return load_shipped()


def shipped_results(ctx: AppContext | None = None) -> RoadResults:
    """The default runs' results shipped with the app (`python -m playground road` regenerates them)."""
    return _shipped()


def _run(ctx: AppContext, owner: str, runner: Callable, settings: Any, progress: Progress | None) -> Any:
    progress = progress or (lambda fraction, text: None)
    if ctx.lab_jobs.busy():
        progress(0.0, "waiting for the lab: another run is training (one at a time)…")
    with ctx.lab_jobs.turn(owner, WAIT_S) as ticket, road.experiments.one_thread():  # one job at a time
        return runner(settings, progress, ticket.stop.is_set)


def run_road_lm(ctx: AppContext, seeds: int, steps: int, param_budget: int, time_budget_s: float, owner: str,
                progress: Progress | None = None) -> LmRaceResult:
    settings = check_lm(seeds, steps, param_budget, time_budget_s)
    return _run(ctx, owner, road.experiments.run_lm_race, settings, progress)


def run_road_long_range(ctx: AppContext, distances: str, seeds: int, steps: int, owner: str,
                        progress: Progress | None = None) -> LongRangeResult:
    settings = check_long_range(distances, seeds, steps)
    return _run(ctx, owner, road.experiments.run_long_range, settings, progress)


def run_road_gradients(ctx: AppContext, length: int, seeds: int, owner: str,
                       progress: Progress | None = None) -> GradientResult:
    settings = check_gradients(length, seeds)
    return _run(ctx, owner, road.experiments.run_gradients, settings, progress)


def run_road_seq2seq(ctx: AppContext, task: str, max_length: int, seeds: int, steps: int, owner: str,
                     progress: Progress | None = None) -> Seq2SeqResult:
    settings = check_seq2seq(task, max_length, seeds, steps)
    return _run(ctx, owner, road.experiments.run_seq2seq, settings, progress)


def stop_road(ctx: AppContext, owner: str) -> str:
    """Stop this owner's run (or its place in the queue); nobody else's."""
    if ctx.lab_jobs.stop(owner):
        return "Stopping… nothing from this run will be shown."
    return "Nothing to stop: this session has no run."


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def regenerate_shipped(path: Path = SHIPPED, say: Callable[[str], None] = print) -> RoadResults:
    """Run the four default measurements (the settings' defaults) and write them to `path`."""
    def progress(name: str) -> Progress:
        last = [-1.0]

        def report(fraction: float, text: str) -> None:
            if fraction - last[0] >= 0.1:
                last[0] = fraction
                say(f"{name}: {fraction:4.0%} {text}")
        return report

    never = lambda: False  # noqa: E731 — the command line has no Stop button (Ctrl-C)
    started = time.perf_counter()
    with road.experiments.one_thread():
        results = RoadResults(road.experiments.run_lm_race(LmSettings(), progress("language models"), never),
                              road.experiments.run_long_range(LongRangeSettings(), progress("long range"), never),
                              road.experiments.run_gradients(GradientSettings(), progress("gradients"), never),
                              road.experiments.run_seq2seq(Seq2SeqSettings(), progress("encoder–decoder"), never),
                              COMMAND)
    path.write_text(json.dumps(_rounded(dataclasses.asdict(results)), separators=(",", ":")) + "\n")
    say(f"wrote {path} ({path.stat().st_size / 1000:.0f} kB) in {time.perf_counter() - started:.0f} s")
    _shipped.cache_clear()
    return results
