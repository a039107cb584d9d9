"""Pretraining lab tab: train a small BERT, GPT and LSTM side by side on the same text and watch them learn;
measure the direction test and the fine-tuning curve on the result. Layout, wiring and the result → component
formatters, and the JSON API's adapters (Gradio request → session owner); what they call lives in
`playground/tasks/lab/handlers.py`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import MethodType, SimpleNamespace
from typing import Any

import gradio as gr

from playground.tasks.context import AppContext
from playground.tasks.lab.corpus import MAX_CORPUS_BYTES
from playground.tasks.lab.finetune import (AUTO, DEFAULT_CHECKPOINT_BUDGET_S, DEFAULT_RECIPE, DEFAULT_REPEATS,
                                           DEFAULT_SIZES, DEFAULT_STEPS as FINETUNE_STEPS, LEARNING_RATES, LINE_FORMAT,
                                           MAX_CHECKPOINT_BUDGET_S, MAX_LABELLED_LINES, MAX_LINE_CHARS, MIN_PER_LABEL,
                                           POOLING, POOLINGS, RECIPES, FinetuneResult)
from playground.tasks.lab.study_results import REGENERATE, StudyView, load_study
from playground.tasks.lab.handlers import (check_chosen_file, checkpoint_choice, run_direction, run_finetune,
                                           run_pretraining, stop_pretraining)
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT
from playground.tasks.lab.scoring import DirectionTestResult
from playground.tasks.lab.settings import (DEFAULT_LEARNING_RATE, DEFAULT_PRESET, DEFAULT_SEED, DEFAULT_SEQ_LEN,
                                           DEFAULT_STEPS, DEFAULT_TIME_BUDGET_S, MAX_POSITIONS, MAX_STEPS,
                                           MAX_TIME_BUDGET_S, PRESETS, PretrainProgress)
from playground.ui.exports import export_controls, export_event, figure_and_json, json_download, keeping
from playground.ui.figures.lab import finetune_figure, loss_curves_figure
from playground.ui.widgets import (inline_errors, notices_markdown, publish_endpoint, stop_only_while_running,
                                   to_json, user_errors)

METRIC_HEADERS = ["model", "objective", "parameters", "train loss", "held-out loss", "held-out perplexity",
                  "masked-token accuracy", "tokens/s"]
DIRECTION_HEADERS = ["model", "reads", "left-decided gaps", "right-decided gaps"]
GAP_HEADERS = ["sentence", "answer", "decided by"]
PROBE_HEADERS = ["model", "slot (its sentiment given away by another word)", "share on the cue's polarity",
                 "contexts", "cosine within a polarity", "cosine across"]
PROBE_TEXT = ("The issue's hypothesis, *antonyms fill the same slots*, probed on the pre-trained models: where "
              "another word gives the sentiment away, how much of the model's probability on the 20 review "
              "adjectives goes to the right polarity (0.5 = antonyms interchangeable; mean ± sd over contexts), "
              "and how close the adjectives' input vectors are within a polarity and across.")
REMEDY_TEXT = ("Transfer anyway: lab-bert's masked-LM pre-training continued on 600 review sentences whose "
               "sentiment another word gives away (*The movie was ___, and Anna asked for a refund.*), then the "
               "default fine-tuning — its dotted curve in the figure. The number of extra steps was chosen here, "
               "on the validation frame (lab-bert, 5 repeats, mean ± sd):")
INTRO = (
    "Train three language models **side by side on the same text with the same budget**: a small **BERT** "
    "(masked LM: 15 % of the tokens, 80/10/10), a small **GPT** (next token, causal attention) and a small "
    "**LSTM** (next token, recurrent — the ULMFiT-era ancestor). They take turns, one step each, on one "
    "`accelerate` loop (CPU here, a GPU unchanged). The built-in corpus is a small world written by the "
    "project, where some words are decided only by what comes **after** them (*The ___ barked at the "
    "mailman*). A finished run is saved for **this session**: the direction test and fine-tuning below use "
    "it, and the API serves it as **lab-bert@…** / **lab-gpt@…** (the names the run reports); everyone "
    "else keeps the shared lab-bert / lab-gpt. **The losses are not comparable across objectives**: BERT's "
    "is over the ~15 % masked tokens, predicted from both sides; GPT's and the LSTM's over every token, from "
    "the left — different tasks over different tokens, so the curves are drawn on separate axes. Compare "
    "GPT with the LSTM (same task), and BERT with GPT by the direction test and fine-tuning below.")


# ---- views (pure) -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PretrainView:
    status: str
    table: list[list[Any]]
    figure: Any
    json: dict


def _fmt(value: float | None, pattern: str) -> str:
    return "–" if value is None else format(value, pattern)


def status_markdown(p: PretrainProgress) -> str:
    if p.status == "queued":
        return f"⏳ Waiting for the lab: number **{p.queue_position}** in line."
    if p.status == "preparing":
        return f"Training tokenizers on the {p.corpus} corpus and building the models…"
    head = (f"**{p.status}** — step {p.step}/{p.total_steps}, {p.elapsed_s:.0f} s wall ({p.cpu_s:.0f} s CPU), "
            f"corpus: {p.corpus}")
    return head + ("\n\n" + notices_markdown(p.notices) if p.notices else "")


def metrics_table(p: PretrainProgress) -> list[list[Any]]:
    return [[m.name, m.objective, f"{m.parameters:,}", _fmt(m.train_loss, ".3f"), _fmt(m.heldout_loss, ".3f"),
             _fmt(m.perplexity, ".2f"), _fmt(m.masked_accuracy, ".1%"), f"{m.tokens_per_s:,.0f}"]
            for m in p.models]


def pretrain_view(p: PretrainProgress) -> PretrainView:
    figure = loss_curves_figure(p.curves) if p.curves else None
    return PretrainView(status=status_markdown(p), table=metrics_table(p), figure=figure, json=to_json(p))


def direction_rows(result: DirectionTestResult) -> list[list[Any]]:
    rows = [[r.model_name, r.reads, _fmt(r.left_decided, ".0%"), _fmt(r.right_decided, ".0%")] for r in result.rows]
    return rows + [["chance", "a guess among the answers of the gap's kind", _fmt(result.chance["left"], ".0%"),
                    _fmt(result.chance["right"], ".0%")]]


def gap_rows(result: DirectionTestResult) -> tuple[list[str], list[list[Any]]]:
    names = [r.model_name for r in result.rows]
    rows = [[i.text, i.answer, i.decided_by] + [i.predictions.get(n) or "–" for n in names] for i in result.items]
    return GAP_HEADERS + names, rows


def _cell(point) -> str:
    """Mean accuracy, ± the sample sd of the repeats when there are several; '–' for a size not reached."""
    if point is None:
        return "–"
    return f"{point.accuracy:.0%}" + (f" ± {point.sd:.0%}" if len(point.accuracies) > 1 else "")


def finetune_rows(result: FinetuneResult) -> list[list[Any]]:
    """One row per (model, init) measured; a size its time budget did not reach shows '–'."""
    rows = []
    for name, init in dict.fromkeys((p.model_name, p.init) for p in result.points):
        points = {p.examples: p for p in result.points if p.model_name == name and p.init == init}
        rows.append([name, init] + [_cell(points.get(n)) for n in result.sizes])
    return rows


def finetune_headers(result: FinetuneResult) -> list[str]:
    return ["model", "init"] + [f"{n} examples" for n in result.sizes]


def study_note(study: StudyView) -> str:
    """The shipped study's headline, computed from its numbers, and how it was made."""
    r = study.result
    pooling = (f"{AUTO}: " + ", ".join(f"{name} {how}" for name, how in POOLING.items())) if r.pooling == AUTO \
        else r.pooling
    return (f"**Measured** (shipped with the app; `{REGENERATE}` regenerates it): {RECIPES.get(r.recipe, r.recipe)} "
            f"at learning rate {r.learning_rate:g}, pooling {pooling}, {r.steps} steps; accuracy on {r.test_size} "
            f"held-out sentences in frames never used for training or for choosing these settings; mean ± sd of "
            f"{r.repeats} seeded repeats.\n\n{study.headline}\n\n{study.evidence} Every recipe, learning rate and "
            f"pooling tried is in the validation table below.")


# ---- UI events ----------------------------------------------------------------------------------------------
# Each is wired as `MethodType(event, ctx)`: a bound method, whose type hints Gradio reads as they are, so a
# `request: gr.Request` parameter gets the browser session (a functools.partial has no hints to read).

def _pretrain_event(ctx: AppContext, corpus_text, corpus_file, preset, steps, time_budget_s, seq_len,
                    learning_rate, seed, chosen_file: str, request: gr.Request, progress=gr.Progress()):
    check_chosen_file(chosen_file)
    for p in run_pretraining(ctx, corpus_text, corpus_file, preset, steps, time_budget_s, seq_len, learning_rate,
                             seed, owner_of(request)):
        if p.status == "running":
            progress(p.step / max(1, p.total_steps), desc=f"step {p.step}/{p.total_steps}")
        view = pretrain_view(p)
        yield view.status, view.table, view.figure, view.json


def _stop_event(ctx: AppContext, request: gr.Request) -> str:
    """Stop: only this browser session's run (a run belongs to the session that started it)."""
    return stop_pretraining(ctx, owner_of(request))


def _direction_event(ctx: AppContext, bert_model: str, gpt_model: str, request: gr.Request):
    result = run_direction(ctx, bert_model, gpt_model, owner_of(request))
    headers, rows = gap_rows(result)
    return (direction_rows(result), gr.Dataframe(value=rows, headers=headers),
            notices_markdown(result.notices), to_json(result))


def finetune_note(result: FinetuneResult) -> str:
    head = (f"{result.seconds:.0f} s; {result.data}: accuracy on {result.test_size} held-out sentences, training "
            f"examples drawn from {result.train_pool}, mean ± sd of {result.repeats}; "
            f"{RECIPES.get(result.recipe, result.recipe)} at learning rate {result.learning_rate:g}, pooling "
            f"{result.pooling}.")
    return head + ("\n\n" + notices_markdown(result.notices) if result.notices else "")


def _finetune_event(ctx: AppContext, sizes: str, repeats: int, steps: int, seed: int, labelled_lines: str,
                    with_checkpoint: bool, checkpoint_budget_s: float, recipe: str, pooling: str, ulmfit: bool,
                    learning_rate: float, request: gr.Request, progress=gr.Progress()):
    result = run_finetune(ctx, sizes, repeats, steps, seed, owner_of(request), labelled_lines,
                          checkpoint_choice(ctx) if with_checkpoint else "", checkpoint_budget_s, recipe, pooling,
                          bool(ulmfit), learning_rate, progress=progress)
    return (finetune_figure(result), gr.Dataframe(value=finetune_rows(result), headers=finetune_headers(result)),
            finetune_note(result), to_json(result))


# ---- layout and wiring --------------------------------------------------------------------------------------

# The page drops a file it filters (not .txt) or that the server refuses (over 1 MB) without telling anyone, so
# the page notes every file the user picks or drops on the upload box (name and size) ...
WATCH_FILES_JS = """() => {
  if (window.playgroundLabFiles) return;
  window.playgroundLabFiles = true;
  const note = (event, files) => {
    if (!(event.target instanceof Element) || !event.target.closest('#lab-corpus-file')) return;
    const file = files && files[0];
    if (file) window.playgroundLabChosen = JSON.stringify({name: file.name, size: file.size});
  };
  document.addEventListener('change', (e) => note(e, e.target.files), true);
  document.addEventListener('drop', (e) => note(e, e.dataTransfer && e.dataTransfer.files), true);
}"""
# ... and Train sends the last one picked when it is not the file that arrived (`check_chosen_file` says why).
CHOSEN_FILE_JS = """(...args) => {
  const chosen = window.playgroundLabChosen || '', arrived = args[1];
  const name = chosen ? JSON.parse(chosen).name : null;
  args[args.length - 1] = chosen && !(arrived && arrived.orig_name === name) ? chosen : '';
  return args;
}"""
FORGET_FILE_JS = "() => { window.playgroundLabChosen = ''; }"

def _layout_training() -> SimpleNamespace:
    with gr.Row():
        with gr.Column(scale=3):
            corpus_text = gr.Textbox(label="Your corpus (optional; empty = the built-in corpus)", lines=4,
                                     max_lines=12, placeholder="Paste some English text, or upload a .txt file →")
            corpus_file = gr.File(label=f"…or a .txt file (≤ {MAX_CORPUS_BYTES // 1_000_000} MB)",
                                  file_types=[".txt"], type="filepath", elem_id="lab-corpus-file")
        with gr.Column(scale=2):
            preset = gr.Radio(list(PRESETS), value=DEFAULT_PRESET, label="Model size",
                              info=" · ".join(f"{p.name}: {p.description}" for p in PRESETS.values()))
            with gr.Row():
                steps = gr.Slider(1, MAX_STEPS, value=DEFAULT_STEPS, step=1, label="Steps (per model)", elem_id="lab-steps")
                budget = gr.Number(value=DEFAULT_TIME_BUDGET_S, minimum=1, maximum=MAX_TIME_BUDGET_S,
                                   label="Time budget (s)")
            with gr.Row():
                seq_len = gr.Slider(16, MAX_POSITIONS, value=DEFAULT_SEQ_LEN, step=1, label="Sequence length")
                lr = gr.Number(value=DEFAULT_LEARNING_RATE, label="Learning rate")
                seed = gr.Number(value=DEFAULT_SEED, precision=0, label="Seed")
    with gr.Row():
        train = gr.Button("Train", variant="primary")
        stop = gr.Button("Stop", variant="stop", interactive=False, elem_id="lab-stop")
    status = gr.Markdown(elem_id="lab-status")
    table = gr.Dataframe(headers=METRIC_HEADERS, interactive=False, elem_id="lab-metrics")
    curves = gr.Plot(label="Loss curves", elem_id="lab-curves")
    curves_export = export_controls("lab-curves")
    curves_figure = gr.State(None, time_to_live=3600)  # the plot's figure, for the Export button
    with gr.Accordion("Progress (JSON)", open=False):
        progress_json = gr.JSON(show_label=False)
    return SimpleNamespace(inputs=[corpus_text, corpus_file, preset, steps, budget, seq_len, lr, seed],
                           corpus_file=corpus_file, train=train, stop=stop, status=status, table=table, curves=curves,
                           curves_export=curves_export, curves_figure=curves_figure, progress_json=progress_json)


def _layout_direction(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown("### The direction test, measured\nTop-1 accuracy on held-out gaps that only the **left** context "
                "decides, and gaps that only the **right** context decides (sentences in frames the training "
                "text never uses).")
    with gr.Row():
        bert_model = gr.Dropdown([LAB_BERT] + [m for m in ctx.profile.choices("fill-mask") if m != LAB_BERT],
                                 value=LAB_BERT, label="Masked LM")
        gpt_model = gr.Dropdown([LAB_GPT] + [m for m in ctx.profile.choices("text-generation") if m != LAB_GPT],
                                value=LAB_GPT, label="Left-to-right LM")
        run = gr.Button("Run the direction test")
    table = gr.Dataframe(headers=DIRECTION_HEADERS, interactive=False, elem_id="lab-direction")
    notes = gr.Markdown()
    with gr.Accordion("Every gap and each model's top-1 word", open=False):
        gaps = gr.Dataframe(interactive=False)
    result_json = gr.JSON(visible=False)
    json_download(result_json, "direction-test")
    return SimpleNamespace(inputs=[bert_model, gpt_model], run=run, table=table, notes=notes, gaps=gaps,
                           json=result_json)


def _layout_recipe() -> list:
    """How the classifier is trained: the recipe, its learning rate, the pooling, ULMFiT's curve."""
    with gr.Row():
        recipe = gr.Dropdown([(label, key) for key, label in RECIPES.items()], value=DEFAULT_RECIPE,
                             label="Recipe", elem_id="lab-ft-recipe",
                             info="default: the best on a validation frame (see the study below)")
        learning_rate = gr.Number(value=0, minimum=0, maximum=0.1, label="Learning rate (0 = the recipe's default)",
                                  info=", ".join(f"{k} {v:g}" for k, v in LEARNING_RATES.items()))
        auto = ", ".join(f"{name} {how}" for name, how in POOLING.items())
        pooling = gr.Dropdown([(f"{AUTO} ({auto})", AUTO), ("first token ([CLS])", "first")]
                              + [(p, p) for p in POOLINGS[1:]], value=AUTO, label="Pooling", elem_id="lab-ft-pooling")
        ulmfit = gr.Checkbox(value=False, label="Add ULMFiT's three stages as a curve", elem_id="lab-ft-ulmfit",
                             info="pre-training → unsupervised (language-model) fine-tuning on the unlabelled "
                                  "reviews → supervised fine-tuning with gradual unfreezing (about 2.5× the time)")
    return [recipe, pooling, ulmfit, learning_rate]


def _layout_study(study: StudyView | None) -> None:
    """Why the defaults are what they are: the validation table and the slot-polarity probe (shipped)."""
    if study is None:
        return
    with gr.Accordion("How the defaults were chosen, and why BERT transfers less here (the measurements)",
                      open=False):
        gr.Markdown("Validation: trained on two of the training frames, measured on the third (never on the "
                    "held-out test frames); 5 seeded repeats, mean ± sd.")
        gr.Dataframe(value=study.validation_rows, interactive=False, elem_id="lab-ft-validation",
                     headers=["recipe", "learning rate", "pooling", "model", "init"]
                     + [f"{n} examples" for n in study.validation_sizes])
        gr.Markdown(PROBE_TEXT)
        gr.Dataframe(value=study.probe_rows, interactive=False, elem_id="lab-ft-probe", headers=PROBE_HEADERS)
        if study.remedy_rows:
            gr.Markdown(REMEDY_TEXT)
            gr.Dataframe(value=[list(r) for r in study.remedy_rows], interactive=False, elem_id="lab-ft-remedy",
                         headers=["masked-LM steps", "learning rate"]
                         + [f"{n} examples" for n in study.validation_sizes])


def _layout_finetune(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown("### Fine-tuning: does pre-training help with few labels?\nThe stages, as the lecture names them: "
                "**pre-training** (the run above), **unsupervised (language-model) fine-tuning** on the target "
                "domain's unlabelled text, **supervised fine-tuning** on a few labelled review sentences — here a "
                "small classification head on lab-bert / lab-gpt / the same architecture from scratch; accuracy on "
                "held-out sentences. (The assistant's alignment continues the same line: SFT → reward model → "
                "preference tuning, RLHF/DPO.)")
    with gr.Row():
        sizes = gr.Textbox(value=", ".join(map(str, DEFAULT_SIZES)), label="Labelled examples", elem_id="lab-sizes")
        repeats = gr.Slider(1, 10, value=DEFAULT_REPEATS, step=1, label="Repeats (mean ± sd)", elem_id="lab-repeats")
        ft_steps = gr.Slider(5, 200, value=FINETUNE_STEPS, step=1, label="Fine-tuning steps", elem_id="lab-ft-steps")
        ft_seed = gr.Number(value=0, precision=0, label="Seed")
    recipe_inputs = _layout_recipe()
    labelled_lines = gr.Textbox(
        label=f"Your labelled lines (optional; empty = the built-in reviews). One `label: text` a line, label "
              f"positive or negative; at least {MIN_PER_LABEL} of each (a quarter is held out to measure), "
              f"≤ {MAX_LABELLED_LINES} lines of ≤ {MAX_LINE_CHARS} characters",
        lines=4, max_lines=12, elem_id="lab-labelled-lines",
        placeholder=f"{LINE_FORMAT}\nnegative: the soup was cold and the waiter rude\npositive: …")
    checkpoint = checkpoint_choice(ctx)
    with gr.Row():
        with_checkpoint = gr.Checkbox(
            value=False, label=f"Also fine-tune a real checkpoint: {checkpoint}",
            info="the same head, examples, steps and learning rate; loaded like every model (downloaded, or "
                 "online); within its own time budget")
        checkpoint_budget = gr.Number(value=DEFAULT_CHECKPOINT_BUDGET_S, minimum=1, maximum=MAX_CHECKPOINT_BUDGET_S,
                                      label="Checkpoint time budget (s)")
        run = gr.Button("Fine-tune")
        stop = gr.Button("Stop fine-tuning", variant="stop", elem_id="lab-ft-stop")
    view = _layout_finetune_results([sizes, repeats, ft_steps, ft_seed, labelled_lines, with_checkpoint,
                                     checkpoint_budget] + recipe_inputs, run)
    view.stop = stop
    return view


def _layout_finetune_results(inputs: list, run) -> SimpleNamespace:
    """The figure, table and note — showing the shipped study until the first run."""
    study = load_study()
    shown = study.result if study else None
    plot = gr.Plot(value=finetune_figure(shown) if shown else None, label="Accuracy vs labelled examples",
                   elem_id="lab-finetune")
    export = export_controls("lab-finetune")
    figure = gr.State(None, time_to_live=3600)
    table = gr.Dataframe(value=finetune_rows(shown) if shown else None,
                         headers=finetune_headers(shown) if shown else None, interactive=False,
                         elem_id="lab-finetune-table")
    note = gr.Markdown(study_note(study) if study else "", elem_id="lab-finetune-note")
    result_json = gr.JSON(visible=False)
    _layout_study(study)
    return SimpleNamespace(inputs=inputs, run=run, plot=plot, export=export, figure=figure, table=table, note=note,
                           json=result_json)


# Each event's failure stays in its own part of the tab (`inline_errors`), in its status or notes line; the
# figures are also kept in a State for the Export buttons (`keeping`).

def _wire_training(ctx: AppContext, t: SimpleNamespace) -> None:
    outputs = [t.status, t.table, t.curves, t.progress_json]
    chosen_file = gr.Textbox(visible=False)  # filled by CHOSEN_FILE_JS when Train is clicked
    stop_only_while_running(t.train, t.stop, lambda: t.train.click(
        keeping(inline_errors(MethodType(_pretrain_event, ctx), outputs, t.status), 2), t.inputs + [chosen_file],
        outputs + [t.curves_figure], js=CHOSEN_FILE_JS, api_visibility="private", concurrency_limit=4,
        concurrency_id="lab"))
    t.corpus_file.clear(None, None, None, js=FORGET_FILE_JS, api_visibility="private")
    gr.context.Context.root_block.load(None, None, None, js=WATCH_FILES_JS, api_visibility="private")
    t.curves_export.button.click(user_errors(export_event(figure_and_json("lab-loss-curves"))),
                                 [t.curves_figure, t.progress_json], t.curves_export.files, api_visibility="private")
    t.stop.click(inline_errors(MethodType(_stop_event, ctx), [t.status], t.status), None, t.status,
                 api_visibility="private", concurrency_limit=None)


def _wire_direction(ctx: AppContext, d: SimpleNamespace) -> None:
    outputs = [d.table, d.gaps, d.notes, d.json]
    d.run.click(inline_errors(MethodType(_direction_event, ctx), outputs, d.notes), d.inputs, outputs,
                api_visibility="private")


def _wire_finetune(ctx: AppContext, f: SimpleNamespace) -> None:
    outputs = [f.plot, f.table, f.note, f.json]
    f.run.click(keeping(inline_errors(MethodType(_finetune_event, ctx), outputs, f.note), 0), f.inputs,
                outputs + [f.figure], api_visibility="private")
    f.export.button.click(user_errors(export_event(figure_and_json("lab-finetune"))), [f.figure, f.json],
                          f.export.files, api_visibility="private")
    f.stop.click(inline_errors(MethodType(_stop_event, ctx), [f.note], f.note), None, f.note,
                 api_visibility="private", concurrency_limit=None)  # this session's fine-tuning only

# ---- the JSON API: Gradio hands each call its session by the `gr.Request` hint; the handlers take an owner

def owner_of(request: gr.Request | None) -> str:
    """Who a run belongs to: the browser session (or API client); only its owner can stop it."""
    session = getattr(request, "session_hash", None) if request is not None else None
    return session or f"anonymous-{uuid.uuid4()}"


def _publish_api(ctx: AppContext) -> None:
    """The lab's JSON endpoints; Gradio hands each call its session (`request`), the owner of what it starts."""
    def pretrain(corpus_text: str = "", preset: str = DEFAULT_PRESET, steps: int = DEFAULT_STEPS,
                 time_budget_s: float = DEFAULT_TIME_BUDGET_S, seq_len: int = DEFAULT_SEQ_LEN,
                 learning_rate: float = DEFAULT_LEARNING_RATE, seed: int = DEFAULT_SEED,
                 request: gr.Request = None) -> dict:
        """Train lab-bert, lab-gpt and lab-lstm (streams progress about once a second; one run at a time)."""
        for progress in run_pretraining(ctx, corpus_text, None, preset, steps, time_budget_s, seq_len, learning_rate,
                                        seed, owner_of(request)):
            yield to_json(progress)

    def direction_test(bert_model: str = LAB_BERT, gpt_model: str = LAB_GPT, request: gr.Request = None) -> dict:
        """Top-1 accuracy on held-out gaps decided by the left vs by the right context (plus lab-lstm with lab models;
        lab-bert / lab-gpt are this session's own run when it trained one)."""
        return to_json(run_direction(ctx, bert_model, gpt_model, owner_of(request)))

    def finetune(sizes: str = ", ".join(map(str, DEFAULT_SIZES)), repeats: int = DEFAULT_REPEATS,
                 steps: int = FINETUNE_STEPS, seed: int = 0, labelled_lines: str = "", checkpoint: str = "",
                 checkpoint_budget_s: float = DEFAULT_CHECKPOINT_BUDGET_S, recipe: str = DEFAULT_RECIPE,
                 pooling: str = AUTO, ulmfit: bool = False, learning_rate: float = 0,
                 request: gr.Request = None) -> dict:
        """Sentiment accuracy vs labelled examples: lab-bert / lab-gpt pre-trained vs the same from scratch, on the
        built-in reviews or your `positive: …` / `negative: …` lines; optionally a real checkpoint too; trained
        with a recipe (full / frozen / gradual), a pooling, optionally with ULMFiT's three stages as one more curve."""
        return to_json(run_finetune(ctx, sizes, repeats, steps, seed, owner_of(request), labelled_lines, checkpoint,
                                    checkpoint_budget_s, recipe, pooling, ulmfit, learning_rate))

    publish_endpoint(pretrain, "pretrain", serves=run_pretraining)
    publish_endpoint(direction_test, "direction_test", serves=run_direction)
    publish_endpoint(finetune, "finetune", serves=run_finetune)


def build_lab_tab(ctx: AppContext) -> None:
    gr.Markdown(INTRO)
    training = _layout_training()
    direction = _layout_direction(ctx)
    finetune = _layout_finetune(ctx)
    _wire_training(ctx, training)
    _wire_direction(ctx, direction)
    _wire_finetune(ctx, finetune)
    _publish_api(ctx)

