"""The Pretraining lab: train a small BERT (masked LM), GPT (next token) and LSTM (next token) side by side on
the same corpus with the same budget, stream their progress, and save the finished trio as the lab models.

`pretrain(...)` is a generator of `PretrainProgress` (queue position while waiting, then one update per
step with every model's numbers and the curves so far, then the final state). A run that finishes its steps
or reaches its time budget is saved atomically into the lab folder (see `runs.py`); a stopped
or crashed run saves nothing, so the last saved models stay in use.

Who decides what everyone gets: `pretrain` (the app's queue, a visitor's run) saves a *session run* that
only its session is served; only `make_default=True` (an operator's opt-in) or the command line's
`run_training` makes a run the lab folder's current one — everyone's lab-bert / lab-gpt.
"""

from __future__ import annotations

import math
import platform
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import torch
import transformers

from playground.core.errors import PlaygroundError
from playground.core.jobs import JobGate
from playground.lm.training import (BUDGET_REACHED, CAUSAL, MASKED, Objective, TrainingUpdate, TrainSettings,
                                   pack_sentences, train)
from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.tasks.lab.corpus import CorpusChoice, builtin_choice
from playground.tasks.lab.direction import run_direction_test
from playground.tasks.lab.finetune import finetune_curve
from playground.tasks.lab.networks import PRESETS, build_models, build_tokenizers, count_parameters, load_lstm
from playground.tasks.lab.runs import (LAB_BERT, LAB_GPT, LAB_LSTM, new_session_run_id, save_lab_run,
                                       save_session_run, session_names, write_run)
from playground.tasks.lab.settings import (DEFAULT_LEARNING_RATE, DEFAULT_SEED, DEFAULT_SEQ_LEN, DEFAULT_STEPS,
                                           DEFAULT_TIME_BUDGET_S, MAX_STEPS, MAX_TIME_BUDGET_S, CurvePoint,
                                           ModelSummary, PretrainProgress, PretrainSettings, check_settings)

__all__ = ["DEFAULT_LEARNING_RATE", "DEFAULT_SEED", "DEFAULT_SEQ_LEN", "DEFAULT_STEPS", "DEFAULT_TIME_BUDGET_S",
           "MAX_STEPS", "MAX_TIME_BUDGET_S", "CurvePoint", "ModelSummary", "PretrainProgress", "PretrainSettings",
           "check_settings", "prepare", "pretrain", "progress_line", "report_lines", "run_training"]

SAVED_STATUSES = ("finished", BUDGET_REACHED)  # a stopped or crashed run saves nothing
CURVE_POINTS = 120  # train-loss points kept per model (the streamed JSON stays small)
KINDS = {LAB_BERT: MASKED, LAB_GPT: CAUSAL, LAB_LSTM: CAUSAL}
OBJECTIVE_TEXT = {
    LAB_BERT: "masked LM (15 %, 80/10/10), reads both sides",
    LAB_GPT: "next token, causal attention (left only)",
    LAB_LSTM: "next token, recurrent (left only)",
}


# ---- preparing a run ----------------------------------------------------------------------------------

@dataclass
class LabSetup:
    models: dict[str, Any]
    tokenizers: dict[str, Any]
    objectives: list[Objective]


def _blocks(tokenizer, sentences, seq_len: int, separator: int, prefix: tuple[int, ...] = ()):
    unique = list(dict.fromkeys(sentences))  # templates repeat: encode each distinct sentence once
    encoded = dict(zip(unique, tokenizer(unique, add_special_tokens=False)["input_ids"]))
    ids = [encoded[s] for s in sentences]
    return torch.tensor(pack_sentences([s + [separator] for s in ids if s], seq_len, prefix), dtype=torch.long)


def prepare(corpus: CorpusChoice, settings: PretrainSettings) -> LabSetup:
    """Tokenizers trained on the corpus, fresh models (seeded) and their packed data."""
    if not corpus.train or not corpus.heldout:  # `user_corpus` refuses such texts; a hand-made choice might not
        raise PlaygroundError("The corpus leaves no sentences to train on or none to hold out; give a text with "
                              "more distinct sentences.")
    preset = PRESETS[settings.preset]
    wordpiece, bpe = build_tokenizers(corpus.train, preset)
    models = build_models(preset, wordpiece, bpe, settings.seed)
    tokenizers = {LAB_BERT: wordpiece, LAB_GPT: bpe, LAB_LSTM: bpe}
    special = tuple(wordpiece.all_special_ids)
    replacements = tuple(sorted(set(range(len(wordpiece))) - set(special)))
    bert_blocks = [_blocks(wordpiece, part, settings.seq_len, wordpiece.sep_token_id, (wordpiece.cls_token_id,))
                   for part in (corpus.train, corpus.heldout)]
    bpe_blocks = [_blocks(bpe, part, settings.seq_len, bpe.eos_token_id) for part in (corpus.train, corpus.heldout)]
    objectives = [
        Objective(LAB_BERT, MASKED, models[LAB_BERT], *bert_blocks, pad_id=wordpiece.pad_token_id,
                  mask_id=wordpiece.mask_token_id, special_ids=special, replacement_ids=replacements),
        Objective(LAB_GPT, CAUSAL, models[LAB_GPT], *bpe_blocks, pad_id=bpe.eos_token_id),
        Objective(LAB_LSTM, CAUSAL, models[LAB_LSTM], *bpe_blocks, pad_id=bpe.eos_token_id),
    ]
    if not len(bert_blocks[1]) or not len(bpe_blocks[1]):
        raise PlaygroundError("The corpus has no held-out text to evaluate on; give a longer text.")
    return LabSetup(models=models, tokenizers=tokenizers, objectives=objectives)


# ---- progress ------------------------------------------------------------------------------------------

class _Curves:
    """Train-loss points thinned to about CURVE_POINTS per model; every held-out evaluation kept."""

    def __init__(self, total_steps: int) -> None:
        self.every = max(1, math.ceil(total_steps / CURVE_POINTS))
        self.points: dict[str, list[CurvePoint]] = {}

    def add(self, update: TrainingUpdate) -> None:
        if update.step % self.every and not update.evaluated:
            return
        for m in update.metrics:
            points = self.points.setdefault(m.name, [])
            point = CurvePoint(update.step, m.train_loss, m.heldout_loss if update.evaluated else None)
            if points and points[-1].step == update.step:
                points[-1] = point
            else:
                points.append(point)

    def frozen(self) -> dict[str, tuple[CurvePoint, ...]]:
        return {name: tuple(points) for name, points in self.points.items()}


def _summaries(setup: LabSetup, update: TrainingUpdate | None) -> tuple[ModelSummary, ...]:
    by_name = {m.name: m for m in update.metrics} if update else {}
    out = []
    for name, model in setup.models.items():
        m = by_name.get(name)
        out.append(ModelSummary(
            name=name, objective=OBJECTIVE_TEXT[name], parameters=count_parameters(model),
            train_loss=m.train_loss if m else None, heldout_loss=m.heldout_loss if m else None,
            perplexity=m.perplexity if m else None, masked_accuracy=m.masked_accuracy if m else None,
            tokens_per_s=m.tokens_per_s if m else 0.0))
    return tuple(out)


def _cpu_seconds() -> float:
    return time.process_time()


# ---- running ---------------------------------------------------------------------------------------------

def run_training(corpus: CorpusChoice, settings: PretrainSettings, stop: threading.Event | None = None,
                 lab_dir: Path | None = None, save: bool = True, out: Path | None = None,
                 session_run: str | None = None) -> Iterator[PretrainProgress]:
    """Train the three models now (no queue) and yield progress. When finished (and `save`), save them as the
    lab folder's current run — or, with `out`, into that new folder only; or, with `session_run` (a run id),
    as that session's run under `sessions/`, leaving the current run (everyone's default) alone."""
    if out is not None and Path(out).exists():
        raise PlaygroundError(f"{out} already exists; remove it first (the run is written there complete or not at all).")
    stop = stop or threading.Event()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    common = dict(corpus=corpus.name, settings=asdict(settings), total_steps=settings.steps)
    yield PretrainProgress(status="preparing", notices=corpus.notices, **common)
    setup = prepare(corpus, settings)
    batch = PRESETS[settings.preset].batch_size
    curves = _Curves(settings.steps)
    update: TrainingUpdate | None = None
    train_settings = TrainSettings(steps=settings.steps, time_budget_s=settings.time_budget_s,
                                   seq_len=settings.seq_len, batch_size=batch, learning_rate=settings.learning_rate,
                                   seed=settings.seed, eval_every=max(10, settings.steps // 12))
    for update in train(setup.objectives, train_settings, stop):
        curves.add(update)
        if update.status != "running":
            continue  # the last update is yielded below, after saving (or not)
        yield PretrainProgress(status="running", step=update.step, elapsed_s=time.perf_counter() - started,
                               cpu_s=_cpu_seconds() - cpu_started, models=_summaries(setup, update),
                               curves=curves.frozen(), notices=corpus.notices, **common)
    status = update.status if update else "stopped"
    notices = list(corpus.notices)
    saved_to, served_as = None, {}
    if status in SAVED_STATUSES and save:
        models = {o.name: o.model for o in setup.objectives}
        info = {"settings": asdict(settings), "corpus": corpus.name, "corpus_sentences": len(corpus.train),
                "final": [asdict(s) for s in _summaries(setup, update)], "seconds": time.perf_counter() - started,
                "versions": _versions()}
        if out is not None:
            saved_to = str(write_run(models, setup.tokenizers, info, Path(out)))
            notices.append(f"Saved in {saved_to}.")
        elif session_run is not None:
            saved_to = str(save_session_run(models, setup.tokenizers, info, lab_dir, session_run))
            served_as = session_names(session_run)
            notices.append(f"Saved for this session only, as {served_as[LAB_BERT]} and {served_as[LAB_GPT]}: the "
                           "lab tab's direction test and fine-tuning use them, and the API takes those names in "
                           "every model field. Everyone else's lab-bert / lab-gpt are unchanged.")
        else:
            saved_to = str(save_lab_run(models, setup.tokenizers, info, lab_dir))
            notices.append(f"Saved as lab-bert and lab-gpt (and lab-lstm) in {saved_to}.")
    elif status not in SAVED_STATUSES:
        notices.append(f"The run was {status} at step {update.step if update else 0}; nothing was saved, so the "
                       "lab models are unchanged.")
    yield PretrainProgress(status=status, step=update.step if update else 0,
                           elapsed_s=time.perf_counter() - started, cpu_s=_cpu_seconds() - cpu_started,
                           models=_summaries(setup, update), curves=curves.frozen(), saved_to=saved_to,
                           notices=tuple(notices), session_models=served_as, **common)


def _versions() -> dict[str, str]:
    return {"torch": torch.__version__, "transformers": transformers.__version__, "python": platform.python_version(),
            "training_cpu_threads": str(TrainSettings().cpu_threads)}


def pretrain(gate: JobGate, owner: str, corpus: CorpusChoice | None = None,
             settings: PretrainSettings | None = None, lab_dir: Path | None = None, save: bool = True,
             poll_s: float = 1.0, make_default: bool = False) -> Iterator[PretrainProgress]:
    """Wait for the lab (one run at a time per app, first come first served; one per owner), then train; stop
    with `gate.stop(owner)`. Closing the generator (a cancelled request) leaves the queue and stops the run.
    The finished run is a session run (`session_models` names it) unless `make_default` — an operator's
    local opt-in — makes it the lab folder's current run, everyone's lab-bert / lab-gpt."""
    corpus = corpus or builtin_choice()
    settings = settings or PretrainSettings()
    ticket = gate.join(owner)  # refused at once if this owner already has a run going or waiting
    try:
        while not gate.wait_turn(ticket, timeout_s=poll_s):
            if ticket.stop.is_set():
                yield PretrainProgress(status="stopped", corpus=corpus.name, settings=asdict(settings),
                                       notices=("Left the queue before the run started.",))
                return
            yield PretrainProgress(status="queued", queue_position=gate.position(ticket), corpus=corpus.name,
                                   settings=asdict(settings), total_steps=settings.steps,
                                   notices=(f"Another run is training; you are number {gate.position(ticket)} "
                                            "in line.",))
        yield from run_training(corpus, settings, ticket.stop, lab_dir, save,
                                session_run=None if make_default else new_session_run_id())
    finally:
        ticket.stop.set()  # a closed generator must not leave a run going
        gate.leave(ticket)


# ---- text for the command line ------------------------------------------------------------------------------

def _model_numbers(m: ModelSummary) -> str:
    parts = [f"train {m.train_loss:.3f}" if m.train_loss is not None else "train –"]
    if m.heldout_loss is not None:
        parts.append(f"held-out {m.heldout_loss:.3f}")
    if m.masked_accuracy is not None:
        parts.append(f"masked acc {m.masked_accuracy:.2f}")
    if m.perplexity is not None:
        parts.append(f"ppl {m.perplexity:.2f}")
    parts.append(f"{m.tokens_per_s:,.0f} tok/s")
    return f"{m.name}: " + ", ".join(parts)


def progress_line(progress: PretrainProgress) -> str | None:
    """One line for the terminal, about every 5 % of the run (and at its start and end); None in between."""
    if progress.status == "preparing":
        return f"Preparing: tokenizers and models for the {progress.corpus} corpus…"
    if progress.status == "queued":
        return f"Waiting: number {progress.queue_position} in line."
    every = max(1, progress.total_steps // 20)
    if not progress.done and progress.step % every:
        return None
    head = (f"{progress.status:>9} step {progress.step}/{progress.total_steps}  {progress.elapsed_s:6.1f} s wall, "
            f"{progress.cpu_s:6.1f} s CPU")
    lines = [head] + [f"    {_model_numbers(m)}" for m in progress.models]
    if progress.done:
        lines += [f"    {n}" for n in progress.notices]
    return "\n".join(lines)


def report_lines(run_dir: Path) -> list[str]:
    """The direction test and the fine-tuning curve of a saved run, as text."""
    store = ModelStore(load_catalog(), local_models={LAB_BERT: run_dir / LAB_BERT, LAB_GPT: run_dir / LAB_GPT})
    direction = run_direction_test(store.get(LAB_BERT, "fill-mask"), store.get(LAB_GPT, "text-generation"),
                                   load_lstm(run_dir))
    lines = ["Direction test (top-1 accuracy on held-out gaps):",
             f"    {'model':10} {'reads':11} {'left-decided':>13} {'right-decided':>14}"]
    for row in direction.rows:
        lines.append(f"    {row.model_name:10} {row.reads:11} {row.left_decided:13.2f} {row.right_decided:14.2f}"
                     f"   ({row.left_count} + {row.right_count} gaps)")
    lines.append(f"    {'chance':10} {'':11} {direction.chance['left']:13.2f} {direction.chance['right']:14.2f}")
    curve = finetune_curve(run_dir)
    lines.append(f"Fine-tuning (sentiment accuracy on {curve.test_size} held-out sentences, mean of "
                 f"{curve.repeats} repeats, {curve.seconds:.0f} s):")
    lines.append("    " + f"{'model':10} {'init':13}" + "".join(f"{n:>7}" for n in curve.sizes))
    for name in dict.fromkeys(p.model_name for p in curve.points):
        for init in dict.fromkeys(p.init for p in curve.points):
            row = [p for p in curve.points if p.model_name == name and p.init == init]
            lines.append("    " + f"{name:10} {init:13}" + "".join(f"{p.accuracy:7.2f}" for p in row))
    return lines
