"""What the Pretraining lab's tab and its JSON API call: a training run per session (validated, queued, saved as
that session's own run, streamed about once a second), Stop, the direction test and the fine-tuning curve on the
session's run (or everyone's lab-bert / lab-gpt), and the real checkpoint fine-tuning compares with.

A finished run belongs to the session that trained it (served as lab-bert@<run id> / lab-gpt@<run id>); everyone's
lab-bert / lab-gpt change only by an operator's action (`python -m playground pretrain`, or the app's local-only
--lab-runs-become-default). Each takes the session as an `owner` string; the tab turns Gradio's
request into one (`ui/tabs/lab.py`), so nothing here imports Gradio. The training, the direction test and the
fine-tuning import torch at their top; this module reaches them at call time as `lab.pretrain`, `lab.direction`,
`lab.finetune` and `lab.networks` (`playground/tasks/lab/__init__.py`), so the page is built without torch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.core.types import LoadedModel
from playground.models.registry import TINY_STAND_INS, card_for
from playground.tasks.context import AppContext
from playground.tasks import lab
from playground.tasks.lab.corpus import MAX_CORPUS_BYTES, choose_corpus
from playground.tasks.lab.finetune import (AUTO, CHECKPOINT_TASKS, DEFAULT_CHECKPOINT, DEFAULT_CHECKPOINT_BUDGET_S,
                                           DEFAULT_RECIPE, FinetuneResult, finetune_curve)
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT
from playground.tasks.lab.scoring import DirectionTestResult
from playground.tasks.lab.settings import PretrainProgress, check_settings

UPDATE_EVERY_S = 1.0  # progress reaches the page (and the API stream) about once a second
FINETUNE_WAIT_S = 900.0


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
    for progress in lab.pretrain.pretrain(ctx.lab_jobs, owner, corpus, settings, ctx.lab_dir,
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


def stop_pretraining(ctx: AppContext, owner: str) -> str:
    """Stop this owner's run (or its place in the queue); other sessions' runs are out of reach."""
    if ctx.lab_jobs.stop(owner):
        return "Stopping… the lab models stay as they were."
    return "Nothing to stop: this session has no run."


def run_direction(ctx: AppContext, bert_model: str, gpt_model: str, owner: str | None = None) -> DirectionTestResult:
    own = ctx.lab_sessions.get(owner) if owner else None
    if own is not None and (bert_model, gpt_model) == (LAB_BERT, LAB_GPT):
        bert_model, gpt_model = own.bert, own.gpt  # "the lab models", for this session: the ones it trained
    with_lstm = (bert_model, gpt_model) == (LAB_BERT, LAB_GPT) or (
        own is not None and (bert_model, gpt_model) == (own.bert, own.gpt))
    run_dir = _lab_run_dir(ctx, owner) if with_lstm else None  # says how to get lab models when there are none
    bert, gpt = ctx.models((bert_model, "fill-mask"), (gpt_model, "text-generation"))
    lstm = lab.networks.load_lstm(run_dir) if run_dir else None
    return lab.direction.run_direction_test(bert, gpt, lstm)


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
                 checkpoint_budget_s: float = DEFAULT_CHECKPOINT_BUDGET_S, recipe: str = DEFAULT_RECIPE,
                 pooling: str = AUTO, ulmfit: bool = False, learning_rate: float = 0,
                 progress=None) -> FinetuneResult:
    run_dir = _lab_run_dir(ctx, owner)  # this session's own run when it trained one
    own = ctx.lab_sessions.get(owner)
    loaded, why_not = load_checkpoint(ctx, checkpoint) if checkpoint else (None, "")
    notices = ([why_not] if why_not else []) + (
        [f"lab-bert / lab-gpt here are this session's own run ({own.bert}, {own.gpt})."] if own else [])
    with ctx.lab_jobs.turn(owner, FINETUNE_WAIT_S) as ticket:  # a training job like the others: one at a time
        return finetune_curve(run_dir, sizes=sizes, repeats=repeats, steps=steps, seed=seed,
                              labelled_lines=labelled_lines, checkpoint=loaded,
                              checkpoint_budget_s=checkpoint_budget_s, notices=notices, recipe=recipe,
                              pooling=pooling, ulmfit=ulmfit, learning_rate=learning_rate, stop=ticket.stop,
                              progress=(lambda f, d: progress(f, desc=d)) if progress else None)
