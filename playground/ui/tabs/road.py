"""The "RNN → Transformer" tab: why the field moved from recurrent nets to attention, measured on the lab's world —
four architectures under one budget, accuracy against distance, vanishing gradients, and the encoder–decoder
with and without attention. Every view shows the shipped results at once; Run measures anew (through the lab's
queue, one at a time, with progress and Stop). Layout, wiring, result → component formatters and the JSON API;
the work is in `playground/tasks/road/`.
"""

from __future__ import annotations

from types import MethodType
from typing import Any, Sequence

import gradio as gr

from playground.tasks.context import AppContext
from playground.tasks.road.data import SEQ_TASKS
from playground.tasks.road.handlers import (run_road_gradients, run_road_lm, run_road_long_range, run_road_seq2seq,
                                            shipped_results, stop_road)
from playground.tasks.road.results import (COMMAND, DEFAULT_DISTANCES, DEFAULT_GRAD_LENGTH, DEFAULT_LM_BUDGET,
                                           DEFAULT_LM_STEPS, DEFAULT_LM_TIME_S, DEFAULT_LR_STEPS, DEFAULT_MAX_LENGTH,
                                           DEFAULT_SEEDS, DEFAULT_SEQ_STEPS, DEFAULT_SEQ_TASK, MAX_BUDGET,
                                           MAX_GRAD_LENGTH, MAX_LM_STEPS, MAX_LM_TIME_S, MAX_LR_STEPS,
                                           MAX_MAX_LENGTH, MAX_SEEDS, MAX_SEQ_STEPS, MIN_BUDGET, MIN_GRAD_LENGTH,
                                           MIN_MAX_LENGTH, GradientResult, LmRaceResult, LongRangeResult, RoadPoint,
                                           Seq2SeqResult)
from playground.ui.figures.road import (alignment_figure, gradient_figure, lm_figure, long_range_figure,
                                        seq2seq_figure)
from playground.ui.tabs.lab import owner_of
from playground.ui.widgets import (inline_errors, notices_markdown, publish_endpoint, stop_only_while_running,
                                   to_json)

INTRO = (
    "### The road from RNNs to transformers, measured\n"
    "Why did language models go from **recurrent nets** (vanilla RNN 1986, LSTM 1997, GRU 2014) through the "
    "**encoder–decoder** and **attention** (2014–15) to the **transformer** (2017)? Each section below trains "
    "small networks on the lab's world (the Pretraining lab's corpus) with the **same parameter budget, steps and "
    "learning rate**, several seeds each, and shows the mean with a ±1 sd band (hover a point for every seed). "
    f"What you see first are the shipped results (`{COMMAND}` regenerates them); **Run** measures again with "
    "your settings — one run at a time in the lab's queue, each default run a few minutes on 2 CPU cores.")


# ---- views (pure) -------------------------------------------------------------------------------------------

def _series(points: Sequence[RoadPoint]) -> dict[str, list[RoadPoint]]:
    out: dict[str, list[RoadPoint]] = {}
    for p in sorted(points, key=lambda p: p.x):
        out.setdefault(p.series, []).append(p)
    return out


def lm_summary(result: LmRaceResult) -> str:
    finals = ", ".join(f"**{name}** {pts[-1].mean:.2f} ± {pts[-1].sd:.2f} (step {pts[-1].x:g}, "
                       f"{result.parameters[name]:,} parameters, {result.seconds[name]:.1f} s)"
                       for name, pts in _series(result.points).items())
    return (f"Held-out loss at the last step (mean ± sd over {result.settings['seeds']} seeds; training seconds "
            f"per run): {finals}. Vocabulary {result.vocab_size} words.\n\n" + notices_markdown(result.notices))


def long_range_summary(result: LongRangeResult) -> str:
    """For each architecture, the largest distance it still gets right 90 % of the time (mean over seeds)."""
    parts = []
    for name, pts in _series(result.points).items():
        held = [p.x for p in pts if p.mean >= 0.9]
        reach = f"≥ 90 % up to d = {max(held):g}" if held else "below 90 % at every d"
        parts.append(f"**{name}** {reach} (at d = {pts[-1].x:g}: {pts[-1].mean:.0%} ± {pts[-1].sd:.0%})")
    return f"Chance is {result.chance:.1%}. " + "; ".join(parts) + ".\n\n" + notices_markdown(result.notices)


def gradient_summary(result: GradientResult) -> str:
    far = result.settings["length"] - 1
    parts = [f"**{name}** 10^{pts[-1].mean:.1f} (± {pts[-1].sd:.1f})" for name, pts in _series(result.points).items()
             if pts[-1].x == far]
    return (f"Gradient norm reaching d = {far} positions back from the loss at the last position (log10 mean ± sd "
            f"over seeds): " + ", ".join(parts) + ". A recurrent net's gradient passes through every step between "
            "(each multiplies it by a Jacobian); self-attention reaches any position in one step.")


def seq2seq_summary(result: Seq2SeqResult) -> str:
    parts = []
    for name, pts in _series(result.points).items():
        exact = _series(result.exact)[name][-1]
        parts.append(f"**{name}** {pts[-1].mean:.0%} ± {pts[-1].sd:.0%} of the words, {exact.mean:.0%} ± "
                     f"{exact.sd:.0%} of whole sequences ({result.parameters[name]:,} parameters)")
    return (f"At length {result.settings['max_length']} ({result.settings['task']}, held-out sequences): "
            + "; ".join(parts) + ".")


# ---- UI events (bound to the app context with MethodType) --------------------------------------------------

def _progress(progress: Any):
    return lambda fraction, text: progress(fraction, desc=text)


def _road_lm_event(ctx: AppContext, seeds, steps, param_budget, time_budget_s, request: gr.Request,
                   progress=gr.Progress()):
    result = run_road_lm(ctx, seeds, steps, param_budget, time_budget_s, owner_of(request), _progress(progress))
    return lm_figure(result), lm_summary(result), to_json(result)


def _road_long_range_event(ctx: AppContext, distances, seeds, steps, request: gr.Request, progress=gr.Progress()):
    result = run_road_long_range(ctx, distances, seeds, steps, owner_of(request), _progress(progress))
    return long_range_figure(result), long_range_summary(result), to_json(result)


def _road_gradients_event(ctx: AppContext, length, seeds, request: gr.Request, progress=gr.Progress()):
    result = run_road_gradients(ctx, length, seeds, owner_of(request), _progress(progress))
    return gradient_figure(result), gradient_summary(result), to_json(result)


def _road_seq2seq_event(ctx: AppContext, task, max_length, seeds, steps, request: gr.Request,
                        progress=gr.Progress()):
    result = run_road_seq2seq(ctx, task, max_length, seeds, steps, owner_of(request), _progress(progress))
    return (seq2seq_figure(result), alignment_figure(result.alignment) if result.alignment else None,
            seq2seq_summary(result), to_json(result))


def _road_stop_event(ctx: AppContext, request: gr.Request) -> str:
    return stop_road(ctx, owner_of(request))


# ---- layout and wiring --------------------------------------------------------------------------------------

def _run_row(name: str) -> tuple[gr.Button, gr.Button]:
    with gr.Row():
        return (gr.Button("Run", variant="primary", scale=0, min_width=120),
                gr.Button("Stop", variant="stop", scale=0, min_width=120, interactive=False,  # only while it runs
                          elem_id=f"road-{name}-stop"))


def _seeds() -> gr.Slider:
    return gr.Slider(1, MAX_SEEDS, value=DEFAULT_SEEDS, step=1, label="Seeds (mean ± sd)")


def _section(ctx: AppContext, title: str, inputs: list, plots: list, figure_values: list, note_value: str,
             event, name: str) -> None:
    """A section's shared part: its Run / Stop, the plots (shipped figures first), the note and the JSON."""
    run, stop = _run_row(name)
    shown_plots = [gr.Plot(value=v, label=label, elem_id=f"road-{name}-{i}")
                   for i, (v, label) in enumerate(zip(figure_values, plots))]
    note = gr.Markdown(note_value, elem_id=f"road-{name}-note")
    with gr.Accordion(f"{title} (JSON)", open=False):
        result_json = gr.JSON(show_label=False)
    outputs = [*shown_plots, note, result_json]
    stop_only_while_running(run, stop, lambda: run.click(inline_errors(MethodType(event, ctx), outputs, note), inputs,
                                                         outputs, api_visibility="private"))
    stop.click(inline_errors(MethodType(_road_stop_event, ctx), [note], note), None, note, api_visibility="private",
               concurrency_limit=None)


def _layout_lm(ctx: AppContext, shipped) -> None:
    gr.Markdown("#### 1 · Four architectures, one budget: held-out loss on the lab corpus\nA vanilla RNN, a GRU, an "
                "LSTM and a one-block transformer, each sized to the same number of parameters, predict the next "
                "word of the lab's corpus for the same number of steps (each stopped early by the same time budget).")
    with gr.Row():
        inputs = [_seeds(), gr.Slider(10, MAX_LM_STEPS, value=DEFAULT_LM_STEPS, step=10, label="Steps"),
                  gr.Number(DEFAULT_LM_BUDGET, minimum=MIN_BUDGET, maximum=MAX_BUDGET, precision=0,
                            label="Parameters per model"),
                  gr.Number(DEFAULT_LM_TIME_S, minimum=1, maximum=MAX_LM_TIME_S, label="Time budget per model (s)")]
    _section(ctx, "Loss curves", inputs, ["Held-out loss"], [lm_figure(shipped.lm)], lm_summary(shipped.lm),
             _road_lm_event, "lm")


def _layout_long_range(ctx: AppContext, shipped) -> None:
    gr.Markdown("#### 2 · Long-range dependencies: the word decided d positions back\nEach item is an animal, then "
                "d − 1 everyday words, then *made*; the answer is the animal's sound (*dog … made* → *barked*). "
                "Nothing else in the sequence says which animal it was. Every net trains at one learning rate "
                "(10⁻², chosen on validation items, never the test items) and the LSTM's forget gate starts open "
                "(bias 1, the standard practice). Measured, 5 seeds: at d = 10 the LSTM learns the dependency in "
                "every seed (95 % ± 7 %), the vanilla RNN in 2 of 5 (45 % ± 45 %); the same LSTM with PyTorch's "
                "default start (bias ≈ 0) reaches 38 % ± 26 %. At d = 20 every recurrent net stays near chance; "
                "the transformer learns every d (docs/road.md).")
    with gr.Row():
        inputs = [gr.Textbox(", ".join(map(str, DEFAULT_DISTANCES)), label="Distances d (1–64, up to 6)"), _seeds(),
                  gr.Slider(10, MAX_LR_STEPS, value=DEFAULT_LR_STEPS, step=10, label="Steps")]
    _section(ctx, "Accuracy against distance", inputs, ["Accuracy against d"], [long_range_figure(shipped.long_range)],
             long_range_summary(shipped.long_range), _road_long_range_event, "long-range")


def _layout_gradients(ctx: AppContext, shipped) -> None:
    gr.Markdown("#### 3 · Vanishing gradients\nThe size of the gradient that the loss at the last position sends "
                "back to the input d positions earlier, at initialisation (dashed) and after training on the "
                "long-range set at the full length (solid). The LSTM's cell, its forget gate starting open, carries "
                "far more of the gradient back than the vanilla RNN's tanh state: the reason it learns at distance.")
    with gr.Row():
        inputs = [gr.Slider(MIN_GRAD_LENGTH, MAX_GRAD_LENGTH, value=DEFAULT_GRAD_LENGTH, step=1,
                            label="Sequence length"), _seeds()]
    _section(ctx, "Gradient norms", inputs, ["Gradient norm against d"], [gradient_figure(shipped.gradients)],
             gradient_summary(shipped.gradients), _road_gradients_event, "gradients")


def _layout_seq2seq(ctx: AppContext, shipped) -> None:
    gr.Markdown("#### 4 · Encoder–decoder: the fixed vector vs attention\nA GRU encoder reads a sequence of animal "
                "words; a GRU decoder writes it back (copy) or backwards (reverse), starting from the encoder's last "
                "state alone (the fixed vector) or also attending to every encoder state. Held-out sequences are "
                "never trained on.")
    with gr.Row():
        inputs = [gr.Radio(list(SEQ_TASKS), value=DEFAULT_SEQ_TASK, label="Task"),
                  gr.Slider(MIN_MAX_LENGTH, MAX_MAX_LENGTH, value=DEFAULT_MAX_LENGTH, step=1,
                            label="Longest sequence (trained on 2 to this)"), _seeds(),
                  gr.Slider(20, MAX_SEQ_STEPS, value=DEFAULT_SEQ_STEPS, step=10, label="Steps")]
    s = shipped.seq2seq
    _section(ctx, "Encoder–decoder", inputs, ["Accuracy against length", "Attention alignment"],
             [seq2seq_figure(s), alignment_figure(s.alignment) if s.alignment else None], seq2seq_summary(s),
             _road_seq2seq_event, "seq2seq")


def _publish_api(ctx: AppContext) -> None:
    def road_results() -> dict:
        """The shipped results of the four measurements (what the tab shows before any run)."""
        return to_json(shipped_results(ctx))

    def road_lm(seeds: int = DEFAULT_SEEDS, steps: int = DEFAULT_LM_STEPS, param_budget: int = DEFAULT_LM_BUDGET,
                time_budget_s: float = DEFAULT_LM_TIME_S, request: gr.Request = None) -> dict:
        """Vanilla RNN, GRU, LSTM and a transformer at one parameter budget: held-out loss against the step."""
        return to_json(run_road_lm(ctx, seeds, steps, param_budget, time_budget_s, owner_of(request)))

    def road_long_range(distances: str = ", ".join(map(str, DEFAULT_DISTANCES)), seeds: int = DEFAULT_SEEDS,
                        steps: int = DEFAULT_LR_STEPS, request: gr.Request = None) -> dict:
        """Held-out accuracy on the word decided d positions back, per architecture and distance."""
        return to_json(run_road_long_range(ctx, distances, seeds, steps, owner_of(request)))

    def road_gradients(length: int = DEFAULT_GRAD_LENGTH, seeds: int = DEFAULT_SEEDS,
                       request: gr.Request = None) -> dict:
        """log10 of the gradient norm reaching position t − d from the loss at t, per architecture."""
        return to_json(run_road_gradients(ctx, length, seeds, owner_of(request)))

    def road_seq2seq(task: str = DEFAULT_SEQ_TASK, max_length: int = DEFAULT_MAX_LENGTH, seeds: int = DEFAULT_SEEDS,
                     steps: int = DEFAULT_SEQ_STEPS, request: gr.Request = None) -> dict:
        """Encoder–decoder with and without attention: held-out accuracy against length, and an alignment."""
        return to_json(run_road_seq2seq(ctx, task, max_length, seeds, steps, owner_of(request)))

    publish_endpoint(road_results, "road_results", serves=shipped_results)
    publish_endpoint(road_lm, "road_lm", serves=run_road_lm)
    publish_endpoint(road_long_range, "road_long_range", serves=run_road_long_range)
    publish_endpoint(road_gradients, "road_gradients", serves=run_road_gradients)
    publish_endpoint(road_seq2seq, "road_seq2seq", serves=run_road_seq2seq)


def build_road_tab(ctx: AppContext) -> None:
    gr.Markdown(INTRO)
    shipped = shipped_results(ctx)
    _layout_lm(ctx, shipped)
    _layout_long_range(ctx, shipped)
    _layout_gradients(ctx, shipped)
    _layout_seq2seq(ctx, shipped)
    _publish_api(ctx)
