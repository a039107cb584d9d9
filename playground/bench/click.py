"""How long the Compare tab's click takes, as Gradio runs it: the tab's own UI event (found by its private api
name in the built tab), each output post-processed by its component (a matplotlib figure, in older versions,
is encoded there). Models: bert-base and gpt2 shapes with random weights (`bench/shapes.py`).

`python -m playground.bench` runs this in a child process — the benchmark itself stays below the UI — and
reads the one JSON line it prints:

    python -m playground.bench.click click [--repeats 5]   stage times of a click, and one bare sdpa BERT forward
                                                         pass timed interleaved with it (the unit of the targets)
    python -m playground.bench.click warm [--cold]         the first click after the warm start says ready (or,
                                                         with --cold, with no warm start), then later clicks

Works on older code too, for before → after numbers (copy this file, bench/shapes.py, bench/timing.py and
`ui.page.event_sends` into the older checkout): a click that returns once has every stage at the end.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import time
from typing import Any, Callable

import gradio as gr
import torch

from playground.bench.shapes import random_weight_context
from playground.bench.timing import interleaved_ms
from playground.models.warm import WarmStart
from playground.ui.page import event_sends, start_preload
from playground.ui.tabs.compare import build_compare_tab

TEXT = "Tesla is an American [MASK] company headquartered in Austin, Texas."
CONTEXT = "Tesla is an American"  # GPT-2's prompt for the continuation: the text left of the gap
CONTINUATION_TOKENS = 12


def click_event(ctx):
    """The Compare button's event, from the tab built as the app builds it."""
    with gr.Blocks() as demo:
        build_compare_tab(ctx)
    return next(fn for fn in demo.fns.values() if fn.api_name == "compare_view")


def timed_click(event, inputs: list[Any]) -> list[float]:
    """Seconds from the call to each set of values the event sends (one per yield), outputs post-processed."""
    started = time.perf_counter()
    return [time.perf_counter() - started for _ in event_sends(event, inputs)]


def _sdpa(model):
    """The model with sdpa attention (older versions load eager models; the unit is always sdpa)."""
    if model.config._attn_implementation == "sdpa":
        return model
    twin = copy.deepcopy(model)
    twin.set_attn_implementation("sdpa")
    return twin


def model_calls(run: Callable[[], object]) -> int:
    """Top-level model forward calls during `run()` (BERT or GPT-2 reading an input, one generation step)."""
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


def click(repeats: int) -> dict[str, Any]:
    ctx, bert, gpt = random_weight_context()
    event = click_event(ctx)
    inputs = [TEXT, 5, "", 1, 1, bert.name, gpt.name, False][: len(event.inputs)]
    ids = torch.tensor([bert.tokenizer(TEXT)["input_ids"]])
    prompt = torch.tensor([gpt.tokenizer(CONTEXT)["input_ids"]])
    bert_sdpa, gpt_sdpa = _sdpa(bert.model), _sdpa(gpt.model)

    def unit():
        with torch.inference_mode():
            bert_sdpa(input_ids=ids)

    def generate():
        gpt_sdpa.generate(prompt, max_new_tokens=CONTINUATION_TOKENS, min_new_tokens=CONTINUATION_TOKENS,
                          do_sample=False, pad_token_id=0)

    calls = model_calls(lambda: timed_click(event, inputs))
    marks: list[list[float]] = []
    ms = interleaved_ms({"unit": unit, "click": lambda: marks.append(timed_click(event, inputs)),
                         "generate": generate}, repeats)
    return {"unit_ms": ms["unit"], "raw_generate_ms": ms["generate"], "model_calls": calls,
            "marks_ms": [[m * 1000 for m in run] for run in marks]}


def warm(cold: bool, later: int = 5) -> dict[str, Any]:
    ctx, bert, gpt = random_weight_context()
    ctx = dataclasses.replace(ctx, warm=None if cold else WarmStart())
    with gr.Blocks() as demo:
        build_compare_tab(ctx)
    event = next(fn for fn in demo.fns.values() if fn.api_name == "compare_view")
    if not cold:
        start_preload(ctx, demo)
        ctx.warm.wait()
        if not ctx.warm.status().startswith("✅"):
            raise RuntimeError(ctx.warm.status())
    inputs = [TEXT, 5, "", 1, 1, bert.name, gpt.name, False]
    first = timed_click(event, inputs)[-1]
    return {"first_ms": first * 1000, "later_ms": [timed_click(event, inputs)[-1] * 1000 for _ in range(later)]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time the Compare tab's click (prints one JSON line).")
    parser.add_argument("what", choices=["click", "warm"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="warm: no warm start before the first click")
    args = parser.parse_args(argv)
    print(json.dumps(click(args.repeats) if args.what == "click" else warm(args.cold)))


if __name__ == "__main__":
    main()
