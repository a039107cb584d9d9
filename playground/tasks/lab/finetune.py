"""Fine-tuning, the second half of the story: a small classification head on the pre-trained lab BERT and GPT,
next to the same architecture trained from scratch on the same few labelled sentences.

For each model, each number of labelled examples (8, 16, 32, 64 by default) and each repeat, both contenders
get the same examples (balanced, drawn with the seed), the same steps and the same learning rate; accuracy
is measured on held-out review sentences written in other frames than the training examples. The curve
is the mean over repeats. Nothing is assumed about who wins.

Two options: the user's own labelled lines (`positive: I loved it`, one a line) instead of the built-in
reviews, split into training examples and a held-out set; and a real small checkpoint (e.g. DistilBERT,
loaded by the caller through the model store) fine-tuned the same way within a time budget of its own.

torch and accelerate are imported at the top: the page reaches this module lazily (`lab.finetune`, through
`playground/tasks/lab/__init__.py`); its bounds, defaults, input parsing and result are in `labelled.py`.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Callable, Sequence

import torch
from accelerate import Accelerator

from playground.core.text_input import check_float, check_int
from playground.core.tokens import padded_batch
from playground.core.types import LoadedModel
from playground.lm.objectives import PooledClassifier
from playground.lm.training import TrainSettings, set_cpu_threads
from playground.models.construction import constructing
from playground.tasks.lab.corpus import LabelledSentence
from playground.tasks.lab.labelled import (BUILTIN_DATA, CHECKPOINT_TASKS, DEFAULT_CHECKPOINT,
                                           DEFAULT_CHECKPOINT_BUDGET_S, DEFAULT_LEARNING_RATE, DEFAULT_REPEATS,
                                           DEFAULT_SIZES, DEFAULT_STEPS, INITS, MAX_CHECKPOINT_BUDGET_S, POOLING,
                                           USER_DATA, FinetunePoint, FinetuneResult, check_sizes, draw_examples,
                                           fit_sizes, parse_labelled_lines, split_examples, split_user_examples)
from playground.tasks.lab.networks import language_model_body
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT

__all__ = ["BUILTIN_DATA", "CHECKPOINT_TASKS", "DEFAULT_CHECKPOINT", "DEFAULT_CHECKPOINT_BUDGET_S", "DEFAULT_REPEATS",
           "DEFAULT_SIZES", "DEFAULT_STEPS", "USER_DATA", "FinetunePoint", "FinetuneResult", "checkpoint_body",
           "finetune_curve"]


class _BudgetReached(Exception):
    """The checkpoint's time budget ran out (between two steps)."""



def _max_tokens(body) -> int:
    """The longest input the body's position embeddings allow (a user's line may be longer)."""
    config = body.config
    return int(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 512)


def _encode(tokenizer, texts: list[str], device, max_tokens: int = 512) -> dict:
    """A padded batch, each row cut to `max_tokens` here, per call: asking the tokenizer to truncate or pad would
    set that state on its Rust backend, which the model store shares with every other request."""
    keeps_last = tokenizer.num_special_tokens_to_add() > 0  # an encoder's closing [SEP] survives the cut
    rows = []
    for row in tokenizer(texts)["input_ids"]:
        if len(row) > max_tokens:
            row = row[:max_tokens - 1] + row[-1:] if keeps_last else row[:max_tokens]
        rows.append(row)
    ids, mask = padded_batch(rows, tokenizer.pad_token_id)
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device)}


def checkpoint_body(loaded: LoadedModel):
    """(body, tokenizer, hidden size) of a loaded encoder checkpoint: a private, trainable copy of its body
    (the store's model is shared by every user and stays untouched)."""
    body = copy.deepcopy(loaded.model.base_model)
    body.requires_grad_(True)
    tokenizer = loaded.tokenizer
    if tokenizer.pad_token_id is None:  # padding is masked out anyway; the shared tokenizer stays as it is
        tokenizer = copy.deepcopy(tokenizer)
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    config = body.config
    hidden = getattr(config, "hidden_size", None) or getattr(config, "dim", None)
    return body, tokenizer, int(hidden)


def _train_and_score(body, tokenizer, hidden: int, pooling: str, train: Sequence[LabelledSentence],
                     test: Sequence[LabelledSentence], steps: int, learning_rate: float, seed: int,
                     deadline: float | None = None, release: bool = False) -> float:
    with constructing():  # a new layer: its init functions are what a concurrent load patches
        torch.manual_seed(seed + 1)  # the new head starts the same for both contenders
        model = PooledClassifier(body, hidden, pooling=pooling)
    max_tokens = _max_tokens(body)
    accelerator = Accelerator()
    threads_before = set_cpu_threads(accelerator, TrainSettings().cpu_threads)
    try:
        optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
        model, optimizer = accelerator.prepare(model, optimizer)
        generator = torch.Generator().manual_seed(seed)
        batch_size = min(16, len(train))
        texts, labels = [e.text for e in train], torch.tensor([e.label for e in train])
        model.train()
        for _ in range(steps):
            if deadline is not None and time.perf_counter() > deadline:
                raise _BudgetReached
            order = torch.randperm(len(train), generator=generator)[:batch_size]
            enc = _encode(tokenizer, [texts[i] for i in order], accelerator.device, max_tokens)
            loss = model(**enc, labels=labels[order].to(accelerator.device)).loss
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return _accuracy(model, tokenizer, test, accelerator.device, max_tokens)
    finally:
        # free_memory's full garbage collection costs more than a small lab run itself on the CPU; it matters
        # for an accelerator's cache and for a large checkpoint's copy, so those get it.
        if release or accelerator.device.type != "cpu":
            accelerator.free_memory()
        torch.set_num_threads(threads_before)


def _accuracy(model, tokenizer, test: Sequence[LabelledSentence], device, max_tokens: int = 512) -> float:
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(test), 64):
            chunk = test[start:start + 64]
            enc = _encode(tokenizer, [e.text for e in chunk], device, max_tokens)
            predicted = model(**enc).logits.argmax(-1).cpu()
            correct += int((predicted == torch.tensor([e.label for e in chunk])).sum())
    return correct / len(test)


def finetune_curve(run_dir: Path, sizes: object = DEFAULT_SIZES, models: Sequence[str] = (LAB_BERT, LAB_GPT),
                   steps: object = DEFAULT_STEPS, repeats: object = DEFAULT_REPEATS,
                   learning_rate: object = DEFAULT_LEARNING_RATE, seed: object = 0, labelled_lines: object = "",
                   checkpoint: LoadedModel | None = None, checkpoint_budget_s: object = DEFAULT_CHECKPOINT_BUDGET_S,
                   notices: Sequence[str] = (),
                   progress: Callable[[float, str], None] | None = None) -> FinetuneResult:
    """Accuracy against the number of labelled examples, pre-trained vs from scratch, for each lab model;
    on the built-in reviews or on the user's labelled lines; plus `checkpoint` (pre-trained) if given."""
    sizes = check_sizes(sizes)
    steps = check_int(steps, "Fine-tuning steps", 1, 500)
    repeats = check_int(repeats, "Repeats", 1, 10)
    learning_rate = check_float(learning_rate, "Learning rate", 1e-6, 1e-1)
    seed = check_int(seed, "Seed", 0, 2**31 - 1)
    budget = check_float(checkpoint_budget_s, "Checkpoint time budget (s)", 1, MAX_CHECKPOINT_BUDGET_S)
    notices = list(notices)
    labelled_lines = "" if labelled_lines is None else labelled_lines
    if not isinstance(labelled_lines, str):
        parse_labelled_lines(labelled_lines)  # says what is wrong
    user = bool(labelled_lines.strip())
    if user:
        pool, test = split_user_examples(parse_labelled_lines(labelled_lines))
        sizes, fitted = fit_sizes(sizes, pool)
        notices += fitted
    else:
        pool, test = split_examples()
    started = time.perf_counter()
    contenders = [(name, init) for name in models for init in INITS]
    if checkpoint is not None:
        contenders.append((checkpoint.name, "pre-trained"))
    points = []
    total = len(contenders) * len(sizes) * repeats
    done = 0
    deadline = None
    for name, init in contenders:
        is_checkpoint = checkpoint is not None and name == checkpoint.name
        if is_checkpoint:
            deadline = time.perf_counter() + budget
        for size in sizes:
            scores = []
            try:
                for repeat in range(repeats):
                    examples = draw_examples(pool, size, seed + 1000 * repeat + size)
                    if is_checkpoint:
                        body, tokenizer, hidden = checkpoint_body(checkpoint)
                        pooling = "mean"
                    else:
                        body, tokenizer, hidden = language_model_body(run_dir, name, init == "pre-trained",
                                                                      seed=seed + repeat)
                        pooling = POOLING.get(name, "last")
                    scores.append(_train_and_score(body, tokenizer, hidden, pooling, examples, test, steps,
                                                   learning_rate, seed + repeat, deadline if is_checkpoint else None,
                                                   release=is_checkpoint))
                    done += 1
                    if progress:
                        progress(done / total, f"{name}, {init}, {size} examples")
            except _BudgetReached:
                reached = [p.examples for p in points if p.model_name == name]
                notices.append(f"{name}: its time budget ({budget:.0f} s) ran out at {size} examples"
                               + (f"; measured up to {max(reached)}." if reached else "; nothing measured.")
                               + " Give it a larger budget, fewer steps or fewer repeats.")
                break
            points.append(FinetunePoint(model_name=name, init=init, examples=size,
                                        accuracy=sum(scores) / len(scores), accuracies=tuple(scores)))
    return FinetuneResult(sizes=sizes, points=tuple(points), test_size=len(test), repeats=repeats, steps=steps,
                          learning_rate=learning_rate, seconds=time.perf_counter() - started,
                          data=USER_DATA if user else BUILTIN_DATA, train_pool=len(pool),
                          checkpoint=checkpoint.name if checkpoint is not None else "", notices=tuple(notices))
