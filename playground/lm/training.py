"""One training loop for the three pre-training objectives, on `accelerate`.

- masked LM (BERT): 15 % of the non-special tokens are selected; of those 80 % become [MASK], 10 % a random
  token, 10 % stay — and the loss is on the selected tokens only;
- next token (GPT and the LSTM): every position predicts the one after it.

The models take turns, one optimiser step each, so they see the same number of steps with the same
settings and their curves grow together. `Accelerator` places models and batches: the CPU here, a GPU
(or several, under `accelerate launch`) unchanged elsewhere.

Reproducible: the seed fixes the initial weights (set by the caller), the batch order and every masking
draw — the same seed and settings give the same curves. Cancellable (a `threading.Event`, checked between
steps) and bounded (steps and seconds, whichever ends first).

torch and accelerate are imported at the top: only the lab's training modules import this one, and the page
reaches those lazily (`playground/tasks/lab/__init__.py`).
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader, TensorDataset

from playground.lm.objectives import SparseMaskedLM

MASKED, CAUSAL = "masked", "causal"
BUDGET_REACHED = "time budget reached"
MLM_PROBABILITY = 0.15
MAX_EVAL_BLOCKS = 48  # held-out blocks evaluated at every evaluation (bounded time)
PAD_SLOT = -1  # padding inside packed blocks (replaced by the model's pad id, attention 0, no label)


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 600
    time_budget_s: float = 600.0
    seq_len: int = 64
    batch_size: int = 24
    learning_rate: float = 2e-3
    seed: int = 0
    eval_every: int = 50
    warmup_fraction: float = 0.06
    weight_decay: float = 0.01
    # CPU threads while training. Models this small gain little from intra-op threads, lose a lot when the
    # cores are shared, and give the same bits on any core count with one thread (reproducible curves).
    cpu_threads: int = 1


@dataclass
class Objective:
    """One model and its data: token blocks (N × seq_len, padded) for training and for held-out evaluation."""

    name: str
    kind: str  # MASKED | CAUSAL
    model: Any
    train_blocks: Any  # LongTensor N × T from pack_sentences
    heldout_blocks: Any
    pad_id: int
    mask_id: int | None = None  # MASKED only
    special_ids: tuple[int, ...] = ()  # never selected for masking
    replacement_ids: tuple[int, ...] = ()  # random replacements (MASKED)


@dataclass(frozen=True)
class ModelMetrics:
    name: str
    kind: str
    step: int
    train_loss: float  # mean over the steps since the last update
    heldout_loss: float | None = None
    perplexity: float | None = None  # CAUSAL: exp(held-out loss)
    masked_accuracy: float | None = None  # MASKED: top-1 accuracy on the held-out masked tokens
    tokens_per_s: float = 0.0  # training tokens (non-padding) per second of this model's own steps
    tokens_seen: int = 0


@dataclass(frozen=True)
class TrainingUpdate:
    step: int
    total_steps: int
    elapsed_s: float
    metrics: tuple[ModelMetrics, ...]
    evaluated: bool  # held-out numbers were computed at this step
    status: str = "running"  # running | finished | time budget reached | stopped
    device: str = "cpu"


# ---- data -------------------------------------------------------------------------------------------

def pack_sentences(sentence_ids: Sequence[Sequence[int]], seq_len: int,
                   prefix: Sequence[int] = ()) -> list[list[int]]:
    """Whole sentences packed greedily into blocks of `seq_len` (prefix first, then PAD_SLOT up to the end).

    A sentence longer than a block is cut to fit. Each sentence's ids already end with its separator.
    Padding is marked with PAD_SLOT rather than the pad id because GPT-2's pad id is also its separator.
    """
    pad_id = PAD_SLOT
    room = seq_len - len(prefix)
    blocks, current = [], list(prefix)
    for ids in sentence_ids:
        ids = list(ids)[:room]
        if len(current) + len(ids) > seq_len:
            blocks.append(current + [pad_id] * (seq_len - len(current)))
            current = list(prefix)
        current += ids
    if len(current) > len(prefix):
        blocks.append(current + [pad_id] * (seq_len - len(current)))
    return blocks


def mask_for_mlm(input_ids, attention_mask, objective: Objective, generator, probability: float = MLM_PROBABILITY):
    """BERT's corruption of a batch: (corrupted ids, labels with -100 where nothing is predicted).

    Each real, non-special token is selected with `probability`; a selected token becomes [MASK] (80 %),
    a random vocabulary token (10 %) or stays (10 %). All draws come from `generator`.
    """
    special = attention_mask == 0
    for token_id in objective.special_ids:
        special |= input_ids == token_id
    draws = torch.rand(input_ids.shape, generator=generator)
    selected = (draws < probability) & ~special
    if not selected.any():  # a tiny batch can draw nothing; predict its likeliest candidate rather than nothing
        selected = (draws == draws.masked_fill(special, 2.0).min()) & ~special
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    action = torch.rand(input_ids.shape, generator=generator)
    pool = torch.tensor(objective.replacement_ids)
    replacements = pool[torch.randint(len(pool), input_ids.shape, generator=generator)]
    corrupted = torch.where(selected & (action < 0.8), torch.full_like(input_ids, objective.mask_id), input_ids)
    corrupted = torch.where(selected & (action >= 0.8) & (action < 0.9), replacements, corrupted)
    return corrupted, labels


def _inputs(objective: Objective, blocks, generator):
    """Model inputs and labels for one batch of blocks (PAD_SLOT marks padding)."""
    attention_mask = (blocks != PAD_SLOT).long()
    input_ids = blocks.masked_fill(attention_mask == 0, objective.pad_id)
    if objective.kind == MASKED:
        corrupted, labels = mask_for_mlm(input_ids, attention_mask, objective, generator)
        return {"input_ids": corrupted, "attention_mask": attention_mask, "labels": labels}
    # Causal: every real token is a target, the sentence separator included (the model learns to end a sentence).
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "labels": input_ids.masked_fill(attention_mask == 0, -100)}


# ---- evaluation -------------------------------------------------------------------------------------------

def evaluate(objective: Objective, model, device, seed: int) -> dict[str, float]:
    """Held-out loss, and masked-token accuracy (MASKED) or perplexity (CAUSAL); the same masks every time.
    `model` is the trained module (for MASKED, a SparseMaskedLM)."""
    blocks = objective.heldout_blocks[:MAX_EVAL_BLOCKS]
    generator = torch.Generator().manual_seed(seed + 1)
    model.eval()
    total_loss, total_tokens, correct = 0.0, 0, 0
    with torch.no_grad():
        for start in range(0, len(blocks), 16):
            batch = _inputs(objective, blocks[start:start + 16], generator)
            batch = {k: v.to(device) for k, v in batch.items()}
            out = model(**batch)
            if objective.kind == MASKED:  # a SparseMaskedLM: logits and targets at the masked positions only
                counted = len(out.targets)
                correct += int((out.logits.argmax(-1) == out.targets).sum())
            else:
                counted = int((batch["labels"][:, 1:] != -100).sum())
            total_loss += float(out.loss) * counted
            total_tokens += counted
    model.train()
    loss = total_loss / max(1, total_tokens)
    result = {"heldout_loss": loss}
    if objective.kind == MASKED:
        result["masked_accuracy"] = correct / max(1, total_tokens)
    else:
        result["perplexity"] = math.exp(min(loss, 50.0))
    return result


# ---- the loop -----------------------------------------------------------------------------------------------

# torch's intra-op thread count is one process-wide setting. Trainings hold it together: the first to start sets
# it, the last to end restores it, so one run ending never changes the count under another mid-run (a run on
# one thread gives the same bits on any machine; a count switched mid-run would not).
_THREADS_LOCK = threading.Lock()
_threads_held = 0
_threads_outside = 0


def hold_training_threads(threads: int, device_type: str = "cpu") -> bool:
    """Train on `threads` intra-op threads (CPU only; the first holder's count while others hold it too).
    Returns whether it was held: pass that to `release_training_threads` when the training ends."""
    global _threads_held, _threads_outside
    if device_type != "cpu":
        return False
    with _THREADS_LOCK:
        if _threads_held == 0:
            _threads_outside = torch.get_num_threads()
            torch.set_num_threads(threads)
        _threads_held += 1
    return True


def release_training_threads(held: bool) -> None:
    """The end of a training: the count goes back to what it was once no training holds it."""
    global _threads_held
    if not held:
        return
    with _THREADS_LOCK:
        _threads_held -= 1
        if _threads_held == 0:
            torch.set_num_threads(_threads_outside)


@contextmanager
def training_threads(threads: int = 1, device_type: str = "cpu") -> Iterator[None]:
    held = hold_training_threads(threads, device_type)
    try:
        yield
    finally:
        release_training_threads(held)


@dataclass
class _Running:
    objective: Objective
    model: Any
    optimizer: Any
    scheduler: Any
    batches: Iterator
    loader: Any
    generator: Any
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0
    last: dict[str, float] = field(default_factory=dict)


def _lr_lambda(total_steps: int, warmup_fraction: float):
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))  # cosine down to 0 at the last step

    return factor


def _endless(loader) -> Iterator:
    epoch = 0
    while True:
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        yield from loader
        epoch += 1


def train(objectives: Sequence[Objective], settings: TrainSettings, stop: threading.Event | None = None,
          clock=time.perf_counter) -> Iterator[TrainingUpdate]:
    """Train every objective for `settings.steps` steps (or until the time budget or `stop`); yield an update
    after every step. The models are trained in place (unwrapped from accelerate at the end)."""
    stop = stop or threading.Event()
    accelerator = Accelerator()
    set_seed(settings.seed)
    running: list[_Running] = []
    for index, objective in enumerate(objectives):
        order = torch.Generator().manual_seed(settings.seed + 101 * index)
        loader = DataLoader(TensorDataset(objective.train_blocks), batch_size=settings.batch_size, shuffle=True,
                            drop_last=len(objective.train_blocks) >= settings.batch_size, generator=order)
        no_decay = ("bias", "LayerNorm.weight", "ln_", "norm")
        params = [p for p in objective.model.named_parameters() if p[1].requires_grad]
        groups = [{"params": [p for n, p in params if not any(k in n for k in no_decay)],
                   "weight_decay": settings.weight_decay},
                  {"params": [p for n, p in params if any(k in n for k in no_decay)], "weight_decay": 0.0}]
        optimizer = torch.optim.AdamW(groups, lr=settings.learning_rate)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(settings.steps, settings.warmup_fraction))
        trained = SparseMaskedLM(objective.model) if objective.kind == MASKED else objective.model
        model, optimizer, loader, scheduler = accelerator.prepare(trained, optimizer, loader, scheduler)
        model.train()
        running.append(_Running(objective, model, optimizer, scheduler, _endless(loader), loader,
                                torch.Generator().manual_seed(settings.seed + 7 * index + 3)))

    start = clock()
    status = "running"
    step = 0
    threads = hold_training_threads(settings.cpu_threads, accelerator.device.type)  # released in `finally`
    try:
        while step < settings.steps:
            if stop.is_set():
                status = "stopped"
                break
            if clock() - start > settings.time_budget_s:
                status = BUDGET_REACHED
                break
            for run in running:
                began = clock()
                (blocks,) = next(run.batches)
                batch = _inputs(run.objective, blocks.cpu(), run.generator)
                batch = {k: v.to(accelerator.device) for k, v in batch.items()}
                loss = run.model(**batch).loss
                accelerator.backward(loss)
                accelerator.clip_grad_norm_(run.model.parameters(), 1.0)
                run.optimizer.step()
                run.scheduler.step()
                run.optimizer.zero_grad(set_to_none=True)
                run.losses.append(float(loss.detach()))
                run.tokens += int(batch["attention_mask"].sum())
                run.seconds += clock() - began
            step += 1
            evaluated = step % settings.eval_every == 0 or step == settings.steps
            if evaluated:
                for run in running:
                    run.last = evaluate(run.objective, run.model, accelerator.device, settings.seed)
            yield _update(running, step, settings.steps, clock() - start, evaluated,
                          "finished" if step == settings.steps else "running", str(accelerator.device))
        if status != "running":
            for run in running:
                run.last = evaluate(run.objective, run.model, accelerator.device, settings.seed)
            yield _update(running, step, settings.steps, clock() - start, True, status, str(accelerator.device))
    finally:
        for run in running:
            model = accelerator.unwrap_model(run.model)
            run.objective.model = model.masked_lm if isinstance(model, SparseMaskedLM) else model
            run.objective.model.eval()
        accelerator.free_memory()
        release_training_threads(threads)


def _update(running: list[_Running], step: int, total: int, elapsed: float, evaluated: bool, status: str,
            device: str) -> TrainingUpdate:
    metrics = []
    for run in running:
        recent = run.losses[-max(1, min(10, len(run.losses))):] if run.losses else [float("nan")]
        metrics.append(ModelMetrics(
            name=run.objective.name, kind=run.objective.kind, step=step, train_loss=sum(recent) / len(recent),
            heldout_loss=run.last.get("heldout_loss"), perplexity=run.last.get("perplexity"),
            masked_accuracy=run.last.get("masked_accuracy"),
            tokens_per_s=run.tokens / run.seconds if run.seconds else 0.0, tokens_seen=run.tokens))
    return TrainingUpdate(step=step, total_steps=total, elapsed_s=elapsed, metrics=tuple(metrics),
                          evaluated=evaluated, status=status, device=device)
