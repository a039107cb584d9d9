"""Benchmark of one Compare click, server side, on real-size shapes (bert-base + gpt2, random weights).

The click is the tab's own UI event (found by its private api name `compare_view` in the built tab), called
the way Gradio calls it, each output post-processed by its component (a matplotlib figure is encoded to an
image there). Every time is a ratio to one bare sdpa fill-mask forward pass of the same BERT on the same
sentence, measured interleaved with the clicks, so background load hits both alike.

Works on this version and on older ones (the "before" numbers run this file against the code before the
change): a click that returns once has every stage at the end.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable

from playground.bench.timing import bench_models, interleaved_ms

TEXT = "Tesla is an American [MASK] company headquartered in Austin, Texas."
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


def _is_skip(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def _click_event(ctx):
    import gradio as gr

    from playground.ui.tabs.compare import build_compare_tab

    with gr.Blocks() as demo:
        build_compare_tab(ctx)
    return next(fn for fn in demo.fns.values() if fn.api_name == "compare_view")


def _timed_click(event, inputs: list[Any]) -> list[float]:
    """Seconds from the call to each value the event sends (one per yield), outputs post-processed."""
    started = time.perf_counter()
    out = event.fn(*inputs)
    steps = out if inspect.isgenerator(out) else iter([out])
    marks = []
    for values in steps:
        for component, value in zip(event.outputs, values):
            if not _is_skip(value) and hasattr(component, "postprocess") and type(component).__name__ != "State":
                component.postprocess(value)
        marks.append(time.perf_counter() - started)
    return marks


def time_click(repeats: int = 5, report: Callable[[str], None] = print) -> ClickTimes:
    import torch

    ctx, bert, gpt = bench_models()
    event = _click_event(ctx)
    inputs = [TEXT, 5, "", 1, 1, bert.name, gpt.name, False][: len(event.inputs)]
    ids = torch.tensor([bert.tokenizer(TEXT)["input_ids"]])
    unit_model = bert.model if bert.model.config._attn_implementation == "sdpa" else _sdpa_copy(bert.model)
    prompt = torch.tensor([gpt.tokenizer("Tesla is an American")["input_ids"]])

    def unit():
        with torch.inference_mode():
            unit_model(input_ids=ids)

    def raw_generate():
        gpt_sdpa.generate(prompt, max_new_tokens=12, min_new_tokens=12, do_sample=False, pad_token_id=0)

    gpt_sdpa = gpt.model if gpt.model.config._attn_implementation == "sdpa" else _sdpa_copy(gpt.model)
    marks: list[list[float]] = []
    calls = _count_calls(lambda: _timed_click(event, inputs))
    ms = interleaved_ms({"unit": unit, "click": lambda: marks.append(_timed_click(event, inputs)),
                         "generate": raw_generate}, repeats)
    best = [min(run[i] for run in marks) for i in range(len(marks[0]))]
    staged = len(best) > 1
    # Yields: BERT, GPT-2, influence + attention, then one per continuation token.
    at = dict(zip(STAGES, (best[0], best[1], best[2], best[-1]))) if staged else dict.fromkeys(STAGES, best[0])
    continuation = min(run[-1] - run[2] for run in marks) if staged else float("nan")
    return ClickTimes(stages_ms={k: v * 1000 for k, v in at.items()}, unit_ms=ms["unit"], staged=staged,
                      continuation_ms=continuation * 1000, raw_generate_ms=ms["generate"], model_calls=calls)


def _sdpa_copy(model):
    """The same weights with sdpa attention (older code loads eager models; the unit is always sdpa)."""
    import copy

    twin = copy.deepcopy(model)
    twin.set_attn_implementation("sdpa")
    return twin


def _count_calls(run: Callable[[], object]) -> int:
    """Top-level model forward calls during `run()` (BERT or GPT-2 reading an input, one generation step)."""
    import torch

    calls = []

    def hook(module, args, output):
        if type(module).__name__ in ("BertForMaskedLM", "GPT2LMHeadModel"):
            calls.append(1)

    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        run()
    finally:
        handle.remove()
    return len(calls)


def report_click(times: ClickTimes, report: Callable[[str], None] = print) -> None:
    unit = times.unit_ms
    report(f"Compare click (server side, outputs post-processed), bert-base + gpt2 shapes; unit = one bare sdpa "
           f"fill-mask forward = {unit:.1f} ms; {times.model_calls} model forward calls per click "
           f"(incl. 12 generation steps)")
    for stage in STAGES:
        ms = times.stages_ms[stage]
        report(f"  {stage + ' visible':<30} {ms:8.1f} ms  {ms / unit:5.2f}×   target ≤ {TARGETS[stage]:g}×"
               + ("" if times.staged else "  (not streamed: everything arrives at the end)"))
    if times.staged:
        ratio = times.raw_generate_ms / times.continuation_ms
        report(f"  continuation: 12 tokens in {times.continuation_ms:.0f} ms vs model.generate (sdpa) "
               f"{times.raw_generate_ms:.0f} ms → {ratio:.2f}× its tokens/s   target ≥ 0.9×")


def main() -> None:
    report_click(time_click())


if __name__ == "__main__":
    main()
