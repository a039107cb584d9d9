"""Pre-training › Next token, step by step (GPT-2): generation one token at a time with each step's candidates,
and a different pick at any step. The handlers live in `playground/tasks/step_by_step.py`; this file lays the
sub-tab out, wires it and turns its results into what each component shows."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

import gradio as gr

from playground.tasks import world_examples
from playground.tasks.context import AppContext
from playground.tasks.step_by_step import (GEN_TASK, MAX_CANDIDATES, MAX_NEW_TOKENS, StepByStepResult,
                                           continue_from_pick, generate_from_controls, generate_step_api)
from playground.ui.exports import json_download
from playground.ui.tabs.pretraining.wiring import wire
from playground.ui.widgets import (label_value, model_dropdown, notices_markdown, percent, publish_endpoint, shown,
                                   to_json, user_errors, view_outputs)

STEP_TABLE_HEADERS = ["step", "token", "probability", "chosen by", "top candidates (✓ = chosen)"]
STEP_EXAMPLES = ["Tesla is an American", "The movie was", "Machine learning models"]
STEP_CHOOSERS = {"model": "model", "kept": "model (kept)", "picked": "you"}  # GenerationStep.source → table cell
STEPS_INTRO = ("GPT-2 writes one token at a time, each from the tokens on its left. Every step shows the top "
               "candidates; pick a different one at any step and the model continues from your choice.")


# ---- views: results → what each component shows ---------------------------------------------------

class StepsView(NamedTuple):
    text: list[tuple[str, float | None]]
    table: list[list[Any]]
    notices: str
    json: Any
    last: StepByStepResult  # kept in the page for the next pick
    pick_step: gr.Dropdown
    pick_choice: gr.Dropdown
    pick_label: dict[str, float]


class CandidatesView(NamedTuple):
    pick_choice: gr.Dropdown
    pick_label: dict[str, float]


def steps_view(result: StepByStepResult) -> StepsView:
    """A fresh generation shows step 1's candidates; a continuation shows the step that was picked."""
    step = result.picked_step or 1
    choices, chosen, label = step_candidates(result, step)
    status = f"Stopped: {result.stop_reason}." if result.finished else f"Generating… step {len(result.steps)}"
    return StepsView(step_chips(result), step_rows(result), notices_markdown(result.notices, [status]),
                     to_json(result), result,
                     gr.Dropdown(choices=[(f"{s.step}: {s.token}", s.step) for s in result.steps], value=step),
                     gr.Dropdown(choices=choices, value=chosen), label)


def candidates_view(last: StepByStepResult | None, step: float | None) -> CandidatesView:
    """The candidate dropdown and chart for the step chosen in the Step dropdown."""
    choices, chosen, label = step_candidates(last, step)
    return CandidatesView(gr.Dropdown(choices=choices, value=chosen), label)


def _readable(token: str) -> str:
    return token.replace("␣", " ").replace("↵", "\n")


def step_chips(result: StepByStepResult) -> list[tuple[str, float | None]]:
    return [(result.prompt, None)] + [(_readable(s.token), round(s.probability, 3)) for s in result.steps]


def step_rows(result: StepByStepResult) -> list[list[Any]]:
    """One row per step, in STEP_TABLE_HEADERS order; ✓ marks the candidate that was taken."""
    rows = []
    for s in result.steps:
        candidates = " · ".join(f"{'✓' if c.token_id == s.token_id else ''}{c.token} {percent(c.probability)}"
                                for c in s.candidates)
        rows.append([s.step, s.token, percent(s.probability), STEP_CHOOSERS[s.source], candidates])
    return rows


def step_candidates(result: StepByStepResult | None,
                    step: float | None) -> tuple[list[tuple[str, int]], int | None, dict[str, float]]:
    """Dropdown choices (✓ = the token taken), the choice the picker starts on and a Label value for one step of
    the last generation. The picker starts on the most probable token that was *not* taken, so the first
    "Continue from this choice" changes the text (None when the step has no other candidate)."""
    if result is None or not result.steps:
        return [], None, {}
    index = min(max(int(step or 1), 1), len(result.steps)) - 1
    chosen = result.steps[index]
    choices = [(f"{'✓ ' if c.token_id == chosen.token_id else ''}{c.token}  ({percent(c.probability)})", c.token_id)
               for c in chosen.candidates]
    other = next((c.token_id for c in chosen.candidates if c.token_id != chosen.token_id), None)
    return choices, other, label_value(chosen.candidates)


# ---- layout and wiring -----------------------------------------------------------------------------

def _layout_controls(ctx: AppContext) -> list[gr.components.Component]:
    """Prompt, model and decoding settings, in the order `generate_from_controls` takes them."""
    with gr.Row():
        with gr.Column(scale=3):
            prompts = list(world_examples.STEP_PROMPTS) if world_examples.lab_world(ctx) else STEP_EXAMPLES
            prompt = gr.Textbox(value=prompts[0], label="Prompt", lines=2, max_lines=6)
            gr.Examples(prompts, inputs=[prompt], label="Prompts")
        with gr.Column(scale=2):
            model = model_dropdown(ctx, GEN_TASK, "Decoder (GPT-2)")
            with gr.Row():
                max_new = gr.Slider(1, MAX_NEW_TOKENS, value=20, step=1, label="Max new tokens")
                candidates = gr.Slider(1, MAX_CANDIDATES, value=5, step=1, label="Candidates per step")
    with gr.Row():
        strategy = gr.Radio(["greedy", "sample"], value="greedy", label="Decoding")
        temperature = gr.Slider(0.05, 2.0, value=1.0, step=0.05, label="Temperature")
        top_k = gr.Slider(0, 100, value=0, step=1, label="Top-k (0 = off)")
        top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p")
        repetition = gr.Slider(1.0, 3.0, value=1.0, step=0.05, label="Repetition penalty")
        seed = gr.Number(value=0, precision=0, label="Seed (sampling: same seed → same text)")
    return [prompt, max_new, strategy, temperature, top_k, top_p, repetition, seed, candidates, model]


def _layout(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(STEPS_INTRO)
    controls = _layout_controls(ctx)
    run = gr.Button("Generate", variant="primary", elem_id="steps-run")
    notices = gr.Markdown()
    text = gr.HighlightedText(label="Generated text, coloured by the model's probability of each token",
                              elem_id="steps-text")
    table = gr.Dataframe(headers=STEP_TABLE_HEADERS, interactive=False, wrap=True,
                         label="Every step: the token, its probability and the candidates it beat",
                         elem_id="steps-table")
    gr.Markdown("**Pick a different token** at one step and let the model continue from it:")
    with gr.Row():
        pick_step = gr.Dropdown(choices=[], label="Step", elem_id="steps-pick-step")
        pick_choice = gr.Dropdown(choices=[], label="Candidate at that step", elem_id="steps-pick-choice")
        pick_run = gr.Button("Continue from this choice", elem_id="steps-pick-run")
    pick_label = gr.Label(label="Candidates at that step", elem_id="steps-candidates")
    last = gr.State(None)
    with gr.Accordion("Result (JSON)", open=False):
        json = gr.JSON()
        json_download(json, "next-token-steps")
    return SimpleNamespace(inputs=controls, run=run, pick_run=pick_run, notices=notices, text=text, table=table,
                           pick_step=pick_step, pick_choice=pick_choice, pick_label=pick_label, last=last, json=json)


def build(ctx: AppContext) -> None:
    ui = _layout(ctx)
    wire(ui.run.click, shown(ctx, generate_from_controls, steps_view), ui, StepsView)
    wire(ui.pick_run.click, shown(ctx, continue_from_pick, steps_view), ui, StepsView,
         ui.inputs + [ui.last, ui.pick_step, ui.pick_choice])
    ui.pick_step.input(user_errors(candidates_view), [ui.last, ui.pick_step], view_outputs(ui, CandidatesView),
                       api_visibility="private")


def publish(ctx: AppContext) -> None:
    """The JSON endpoint `generate_step` (streamed)."""
    def generate_step(prompt: str, max_new_tokens: int = 20, strategy: str = "greedy", temperature: float = 1.0,
                      top_k: int = 0, top_p: float = 1.0, repetition_penalty: float = 1.0, seed: int | None = None,
                      candidates: int = 5, previous_token_ids: list[int] | None = None, step: int | None = None,
                      choice_token_id: int | None = None, model: str = ctx.profile.default(GEN_TASK)) -> dict:
        """Generate token by token (streamed) with each step's top candidates; with step + choice_token_id
        (one of that step's candidates) and previous_token_ids, continue from a different candidate.
        """
        for result in generate_step_api(ctx, prompt, max_new_tokens, strategy, temperature, top_k, top_p,
                                        repetition_penalty, seed, candidates, previous_token_ids, step,
                                        choice_token_id, model):
            yield to_json(result)

    publish_endpoint(generate_step, "generate_step", serves=generate_step_api)

