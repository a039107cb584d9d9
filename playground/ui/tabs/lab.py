"""Pretraining lab tab: train a small BERT, GPT and LSTM side by side on the same text and watch them learn;
measure the direction test and the fine-tuning curve on the result. A finished run belongs to the session
that trained it (served as lab-bert@<run id> / lab-gpt@<run id>); everyone's lab-bert / lab-gpt change only by
an operator's action (`python -m playground pretrain`, or the app's local-only --lab-runs-become-default).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.core.types import LoadedModel
from playground.models.lab import DEFAULT_PRESET, LAB_BERT, LAB_GPT, MAX_POSITIONS, PRESETS, load_lstm
from playground.models.registry import TINY_STAND_INS, card_for
from playground.tasks.direction_test import DirectionTestResult, run_direction_test
from playground.tasks.finetune_lab import (CHECKPOINT_TASKS, DEFAULT_CHECKPOINT, DEFAULT_CHECKPOINT_BUDGET_S,
                                           DEFAULT_REPEATS, DEFAULT_SIZES, DEFAULT_STEPS as FINETUNE_STEPS,
                                           LINE_FORMAT, MAX_CHECKPOINT_BUDGET_S, MAX_LABELLED_LINES,
                                           MAX_LINE_CHARS, MIN_PER_LABEL, FinetuneResult, finetune_curve)
from playground.tasks.lab_corpus import MAX_CORPUS_BYTES, choose_corpus
from playground.tasks.pretrain_lab import (DEFAULT_LEARNING_RATE, DEFAULT_SEED, DEFAULT_SEQ_LEN, DEFAULT_STEPS,
                                           DEFAULT_TIME_BUDGET_S, MAX_STEPS, MAX_TIME_BUDGET_S, PretrainProgress,
                                           check_settings, pretrain)
from playground.ui.exports import export_controls, export_event, figure_and_json, json_download, keeping
from playground.ui.figures.lab import finetune_figure, loss_curves_figure
from playground.ui.widgets import AppContext, inline_errors, json_endpoint, notices_markdown, to_json, user_errors

UPDATE_EVERY_S = 1.0  # progress reaches the page (and the API stream) about once a second
FINETUNE_WAIT_S = 900.0
METRIC_HEADERS = ["model", "objective", "parameters", "train loss", "held-out loss", "held-out perplexity",
                  "masked-token accuracy", "tokens/s"]
DIRECTION_HEADERS = ["model", "reads", "left-decided gaps", "right-decided gaps"]
GAP_HEADERS = ["sentence", "answer", "decided by"]
INTRO = (
    "Train three language models **side by side on the same text with the same budget**: a small **BERT** "
    "(masked LM: 15 % of the tokens, 80/10/10), a small **GPT** (next token, causal attention) and a small "
    "**LSTM** (next token, recurrent — the ULMFiT-era ancestor). They take turns, one step each, on one "
    "`accelerate` loop (CPU here, a GPU unchanged). The built-in corpus is a small world written by the "
    "project, where some words are decided only by what comes **after** them (*The ___ barked at the "
    "mailman*). A finished run is saved for **this session**: the direction test and fine-tuning below use "
    "it, and the API serves it as **lab-bert@…** / **lab-gpt@…** (the names the run reports); everyone "
    "else keeps the shared lab-bert / lab-gpt.")


# ---- handlers --------------------------------------------------------------------------------------------

def _owner(request: gr.Request | None) -> str:
    """Who a run belongs to: the browser session (or API client); only its owner can stop it."""
    session = getattr(request, "session_hash", None) if request is not None else None
    return session or f"anonymous-{uuid.uuid4()}"


def _lab_run_dir(ctx: AppContext, owner: str | None = None) -> Path:
    """This session's own lab run if it trained one, else the run the app serves to everyone as lab-bert / lab-gpt."""
    own = ctx.lab_sessions.get(owner) if owner else None
    if own is not None:
        return own.run_dir
    directory = ctx.store.local_models.get(LAB_BERT)
    if directory is None:
        raise PlaygroundError("There are no lab models yet: train them in the Pretraining lab first "
                              "(or `python -m playground pretrain`).")
    return Path(directory).parent


def _serve(ctx: AppContext, run_dir: str) -> None:
    """Everyone's lab-bert / lab-gpt from now on: only with the operator's opt-in (`lab_runs_become_default`)."""
    for name in (LAB_BERT, LAB_GPT):
        ctx.store.set_local(name, Path(run_dir) / name)


def run_pretraining(ctx: AppContext, corpus_text: str, corpus_file: str | None, preset: str, steps: int,
                    time_budget_s: float, seq_len: int, learning_rate: float, seed: int,
                    owner: str) -> Iterator[PretrainProgress]:
    """Validate, wait for the lab, train, save and serve; yields progress about once a second."""
    settings = check_settings(preset, steps, time_budget_s, seq_len, learning_rate, seed)
    upload = None
    if corpus_file:
        size = Path(corpus_file).stat().st_size
        if size > MAX_CORPUS_BYTES:
            raise PlaygroundError(f"The file is {size / 1e6:.1f} MB; the lab takes text files up to "
                                  f"{MAX_CORPUS_BYTES / 1e6:.0f} MB.")
        upload = Path(corpus_file).read_bytes()
    corpus = choose_corpus(corpus_text, upload, Path(corpus_file).name if corpus_file else "upload")
    last_sent, last_status = 0.0, ""
    for progress in pretrain(ctx.lab_jobs, owner, corpus, settings, ctx.lab_dir,
                             make_default=ctx.lab_runs_become_default):
        if progress.saved_to and progress.session_models:  # this session's run: served to it under its own names
            ctx.lab_sessions.add(ctx.store, owner, Path(progress.saved_to))
        elif progress.saved_to and Path(progress.saved_to).parent.parent == Path(ctx.lab_dir):
            _serve(ctx, progress.saved_to)  # the operator opted in: the new current run is everyone's
        now = time.monotonic()
        if progress.done or progress.status != last_status or now - last_sent >= UPDATE_EVERY_S:
            last_sent, last_status = now, progress.status
            yield progress


def check_chosen_file(chosen: str) -> None:
    """Refuse to train when the browser was given a file that never arrived (`chosen`: its name and size as the
    page saw them, "" when none is missing). The page drops a file it filters (not .txt) or the server refuses
    (over 1 MB) without a word, and training would quietly fall back to the pasted text or the built-in corpus."""
    if not chosen:
        return
    try:
        seen = json.loads(chosen)
        name, size = str(seen["name"]), int(seen["size"])
    except (ValueError, TypeError, KeyError):
        raise PlaygroundError("The file you chose did not arrive; choose it again (nothing was trained).") from None
    shown_name = name if len(name) <= 60 else name[:60] + "…"
    if size > MAX_CORPUS_BYTES:
        why = (f"it is {size / 1e6:.1f} MB and the lab takes .txt files up to {MAX_CORPUS_BYTES / 1e6:.0f} MB; "
               "upload part of it, or paste a shorter text")
    elif not name.lower().endswith(".txt"):
        why = "the lab takes plain .txt files (UTF-8); save it as .txt, or paste its text"
    else:
        why = "the upload did not finish; choose the file again"
    raise PlaygroundError(f"'{shown_name}' was not uploaded: {why}. Nothing was trained.")


def pretrain_api(ctx: AppContext, corpus_text: str = "", preset: str = DEFAULT_PRESET, steps: int = DEFAULT_STEPS,
                 time_budget_s: float = DEFAULT_TIME_BUDGET_S, seq_len: int = DEFAULT_SEQ_LEN,
                 learning_rate: float = DEFAULT_LEARNING_RATE, seed: int = DEFAULT_SEED,
                 request: gr.Request = None) -> Iterator[PretrainProgress]:
    """Train lab-bert, lab-gpt and lab-lstm (streams progress about once a second; one run at a time)."""
    yield from run_pretraining(ctx, corpus_text, None, preset, steps, time_budget_s, seq_len, learning_rate, seed,
                               _owner(request))


def stop_pretraining(ctx: AppContext, owner: str) -> str:
    """Stop this owner's run (or its place in the queue); other sessions' runs are out of reach."""
    if ctx.lab_jobs.stop(owner):
        return "Stopping… the lab models stay as they were."
    return "Nothing to stop: this session has no run."


def direction_test_api(ctx: AppContext, bert_model: str = LAB_BERT, gpt_model: str = LAB_GPT,
                       request: gr.Request = None) -> DirectionTestResult:
    """Top-1 accuracy on held-out gaps decided by the left vs by the right context (plus lab-lstm with lab models;
    lab-bert / lab-gpt are this session's own run when it trained one)."""
    return run_direction(ctx, bert_model, gpt_model, _owner(request))


def run_direction(ctx: AppContext, bert_model: str, gpt_model: str, owner: str | None = None) -> DirectionTestResult:
    own = ctx.lab_sessions.get(owner) if owner else None
    if own is not None and (bert_model, gpt_model) == (LAB_BERT, LAB_GPT):
        bert_model, gpt_model = own.bert, own.gpt  # "the lab models", for this session: the ones it trained
    with_lstm = (bert_model, gpt_model) == (LAB_BERT, LAB_GPT) or (
        own is not None and (bert_model, gpt_model) == (own.bert, own.gpt))
    run_dir = _lab_run_dir(ctx, owner) if with_lstm else None  # says how to get lab models when there are none
    bert, gpt = ctx.models((bert_model, "fill-mask"), (gpt_model, "text-generation"))
    lstm = load_lstm(run_dir) if run_dir else None
    return run_direction_test(bert, gpt, lstm)


def checkpoint_choice(ctx: AppContext) -> str:
    """The real checkpoint the lab offers: distilbert-base-uncased, or offline (tiny / lab models) the tiny
    model that stands in for a checkpoint built on it."""
    if ctx.profile.name == "default":
        return DEFAULT_CHECKPOINT
    for tiny, real in TINY_STAND_INS.items():
        card = card_for(ctx.catalog, real)
        if tiny in ctx.store.local_models and card and DEFAULT_CHECKPOINT in (card.hub_id, card.extra.get("base_model")):
            return tiny
    return DEFAULT_CHECKPOINT


def load_checkpoint(ctx: AppContext, name: str) -> tuple[LoadedModel | None, str]:
    """(the checkpoint through the model store, "") or (None, why not) when it cannot be loaded (e.g. offline
    and not downloaded): the lab models' curve is measured anyway. A name that can never work is an error."""
    if not isinstance(name, str):
        raise PlaygroundError("The checkpoint must be a model name, e.g. distilbert-base-uncased.")
    name = name.strip()
    ctx.store.check_allowed(name)
    card = card_for(ctx.catalog, name)
    tasks = [t for t in CHECKPOINT_TASKS if card is not None and t in card.tasks]
    if not tasks:
        raise PlaygroundError(f"Fine-tuning compares with an encoder checkpoint whose card lists "
                              f"{' or '.join(CHECKPOINT_TASKS)}, e.g. {DEFAULT_CHECKPOINT}; '{name}' is not one.")
    try:
        return ctx.model(name, tasks[0]), ""
    except ModelUnavailable as exc:
        return None, f"The checkpoint was not fine-tuned. {exc}"


def run_finetune(ctx: AppContext, sizes: str, repeats: int, steps: int, seed: int, owner: str,
                 labelled_lines: str = "", checkpoint: str = "",
                 checkpoint_budget_s: float = DEFAULT_CHECKPOINT_BUDGET_S, progress=None) -> FinetuneResult:
    run_dir = _lab_run_dir(ctx, owner)  # this session's own run when it trained one
    own = ctx.lab_sessions.get(owner)
    loaded, why_not = load_checkpoint(ctx, checkpoint) if checkpoint else (None, "")
    notices = ([why_not] if why_not else []) + (
        [f"lab-bert / lab-gpt here are this session's own run ({own.bert}, {own.gpt})."] if own else [])
    with ctx.lab_jobs.turn(owner, FINETUNE_WAIT_S):  # a training job like the others: one at a time
        return finetune_curve(run_dir, sizes=sizes, repeats=repeats, steps=steps, seed=seed,
                              labelled_lines=labelled_lines, checkpoint=loaded,
                              checkpoint_budget_s=checkpoint_budget_s, notices=notices,
                              progress=(lambda f, d: progress(f, desc=d)) if progress else None)


def finetune_api(ctx: AppContext, sizes: str = ", ".join(map(str, DEFAULT_SIZES)), repeats: int = DEFAULT_REPEATS,
                 steps: int = FINETUNE_STEPS, seed: int = 0, labelled_lines: str = "", checkpoint: str = "",
                 checkpoint_budget_s: float = DEFAULT_CHECKPOINT_BUDGET_S,
                 request: gr.Request = None) -> FinetuneResult:
    """Sentiment accuracy vs labelled examples: lab-bert / lab-gpt pre-trained vs the same from scratch, on the
    built-in reviews or your `positive: …` / `negative: …` lines; optionally a real checkpoint too."""
    return run_finetune(ctx, sizes, repeats, steps, seed, _owner(request), labelled_lines, checkpoint,
                        checkpoint_budget_s)


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


def finetune_rows(result: FinetuneResult) -> list[list[Any]]:
    """One row per (model, init) measured; a size its time budget did not reach shows '–'."""
    rows = []
    for name, init in dict.fromkeys((p.model_name, p.init) for p in result.points):
        accuracy = {p.examples: p.accuracy for p in result.points if p.model_name == name and p.init == init}
        rows.append([name, init] + [_fmt(accuracy.get(n), ".0%") for n in result.sizes])
    return rows


# ---- UI events ----------------------------------------------------------------------------------------------

def _pretrain_event(ctx: AppContext, corpus_text, corpus_file, preset, steps, time_budget_s, seq_len,
                    learning_rate, seed, chosen_file: str, request: gr.Request, progress=gr.Progress()):
    check_chosen_file(chosen_file)
    for p in run_pretraining(ctx, corpus_text, corpus_file, preset, steps, time_budget_s, seq_len, learning_rate,
                             seed, _owner(request)):
        if p.status == "running":
            progress(p.step / max(1, p.total_steps), desc=f"step {p.step}/{p.total_steps}")
        view = pretrain_view(p)
        yield view.status, view.table, view.figure, view.json


def _stop_event(ctx: AppContext, request: gr.Request) -> str:
    """Stop: only this browser session's run (a run belongs to the session that started it)."""
    return stop_pretraining(ctx, _owner(request))


def _direction_event(ctx: AppContext, bert_model: str, gpt_model: str, request: gr.Request):
    result = run_direction(ctx, bert_model, gpt_model, _owner(request))
    headers, rows = gap_rows(result)
    return (direction_rows(result), gr.Dataframe(value=rows, headers=headers),
            notices_markdown(result.notices), to_json(result))


def finetune_note(result: FinetuneResult) -> str:
    head = (f"{result.seconds:.0f} s; {result.data}: accuracy on {result.test_size} held-out sentences, training "
            f"examples drawn from {result.train_pool}, mean of {result.repeats}.")
    return head + ("\n\n" + notices_markdown(result.notices) if result.notices else "")


def _finetune_event(ctx: AppContext, sizes: str, repeats: int, steps: int, seed: int, labelled_lines: str,
                    with_checkpoint: bool, checkpoint_budget_s: float, request: gr.Request, progress=gr.Progress()):
    result = run_finetune(ctx, sizes, repeats, steps, seed, _owner(request), labelled_lines,
                          checkpoint_choice(ctx) if with_checkpoint else "", checkpoint_budget_s, progress=progress)
    headers = ["model", "init"] + [f"{n} examples" for n in result.sizes]
    return (finetune_figure(result), gr.Dataframe(value=finetune_rows(result), headers=headers),
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

def _layout_training():
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
        stop = gr.Button("Stop", variant="stop")
    return corpus_text, corpus_file, preset, steps, budget, seq_len, lr, seed, train, stop


def build_lab_tab(ctx: AppContext) -> None:
    gr.Markdown(INTRO)
    corpus_text, corpus_file, preset, steps, budget, seq_len, lr, seed, train, stop = _layout_training()
    status = gr.Markdown(elem_id="lab-status")
    table = gr.Dataframe(headers=METRIC_HEADERS, interactive=False, elem_id="lab-metrics")
    curves = gr.Plot(label="Loss curves", elem_id="lab-curves")
    curves_export = export_controls("lab-curves")
    curves_figure = gr.State(None, time_to_live=3600)  # the plot's figure, for the Export button
    with gr.Accordion("Progress (JSON)", open=False):
        progress_json = gr.JSON(show_label=False)
    gr.Markdown("### The direction test, measured\nTop-1 accuracy on held-out gaps that only the **left** context "
                "decides, and gaps that only the **right** context decides (sentences in frames the training "
                "text never uses).")
    with gr.Row():
        bert_model = gr.Dropdown([LAB_BERT] + [m for m in ctx.profile.choices("fill-mask") if m != LAB_BERT],
                                 value=LAB_BERT, label="Masked LM")
        gpt_model = gr.Dropdown([LAB_GPT] + [m for m in ctx.profile.choices("text-generation") if m != LAB_GPT],
                                value=LAB_GPT, label="Left-to-right LM")
        run_direction = gr.Button("Run the direction test")
    direction_table = gr.Dataframe(headers=DIRECTION_HEADERS, interactive=False, elem_id="lab-direction")
    direction_notes = gr.Markdown()
    with gr.Accordion("Every gap and each model's top-1 word", open=False):
        gaps = gr.Dataframe(interactive=False)
    direction_json = gr.JSON(visible=False)
    json_download(direction_json, "direction-test")
    gr.Markdown("### Fine-tuning: does pre-training help with few labels?\nA small classification head on the "
                "pre-trained lab-bert / lab-gpt vs the same architecture from scratch, on the same few labelled "
                "review sentences; accuracy on held-out sentences.")
    with gr.Row():
        sizes = gr.Textbox(value=", ".join(map(str, DEFAULT_SIZES)), label="Labelled examples", elem_id="lab-sizes")
        repeats = gr.Slider(1, 5, value=DEFAULT_REPEATS, step=1, label="Repeats (averaged)", elem_id="lab-repeats")
        ft_steps = gr.Slider(5, 200, value=FINETUNE_STEPS, step=1, label="Fine-tuning steps", elem_id="lab-ft-steps")
        ft_seed = gr.Number(value=0, precision=0, label="Seed")
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
        finetune = gr.Button("Fine-tune")
    ft_plot = gr.Plot(label="Accuracy vs labelled examples", elem_id="lab-finetune")
    ft_export = export_controls("lab-finetune")
    ft_figure = gr.State(None, time_to_live=3600)
    ft_table = gr.Dataframe(interactive=False, elem_id="lab-finetune-table")
    ft_note = gr.Markdown(elem_id="lab-finetune-note")
    ft_json = gr.JSON(visible=False)

    # Each event's failure stays in its own part of the tab (`inline_errors`), in its status or notes line; the
    # figures are also kept in a State for the Export buttons (`keeping`).
    train_outputs = [status, table, curves, progress_json]
    chosen_file = gr.Textbox(visible=False)  # filled by CHOSEN_FILE_JS when Train is clicked
    train.click(keeping(inline_errors(partial(_pretrain_event, ctx), train_outputs, status), 2),
                [corpus_text, corpus_file, preset, steps, budget, seq_len, lr, seed, chosen_file],
                train_outputs + [curves_figure], js=CHOSEN_FILE_JS,
                api_visibility="private", concurrency_limit=4, concurrency_id="lab")
    corpus_file.clear(None, None, None, js=FORGET_FILE_JS, api_visibility="private")
    gr.context.Context.root_block.load(None, None, None, js=WATCH_FILES_JS, api_visibility="private")
    curves_export.button.click(user_errors(export_event(figure_and_json("lab-loss-curves"))),
                               [curves_figure, progress_json], curves_export.files, api_visibility="private")
    stop.click(inline_errors(partial(_stop_event, ctx), [status], status), None, status, api_visibility="private",
               concurrency_limit=None)
    direction_outputs = [direction_table, gaps, direction_notes, direction_json]
    run_direction.click(inline_errors(partial(_direction_event, ctx), direction_outputs, direction_notes),
                        [bert_model, gpt_model], direction_outputs, api_visibility="private")
    finetune_outputs = [ft_plot, ft_table, ft_note, ft_json]
    finetune.click(keeping(inline_errors(partial(_finetune_event, ctx), finetune_outputs, ft_note), 0),
                   [sizes, repeats, ft_steps, ft_seed, labelled_lines, with_checkpoint, checkpoint_budget],
                   finetune_outputs + [ft_figure], api_visibility="private")
    ft_export.button.click(user_errors(export_event(figure_and_json("lab-finetune"))), [ft_figure, ft_json],
                           ft_export.files, api_visibility="private")

    json_endpoint(ctx, pretrain_api, "pretrain")
    json_endpoint(ctx, direction_test_api, "direction_test")
    json_endpoint(ctx, finetune_api, "finetune")
