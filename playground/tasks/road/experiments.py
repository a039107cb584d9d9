"""The road's four measurements (torch at import; the handlers reach this module lazily).

Each takes validated settings, a `progress(fraction, text)` callback and a `stopped()` check (the lab queue's
Stop), trains small seeded models on the CPU and returns a result dataclass with every seed's value kept.
"""

from __future__ import annotations

import math
import random
import time
from typing import Callable

import torch
from torch import nn

from playground.core.errors import PlaygroundError
from playground.lm.training import training_threads
from playground.tasks.road import data
from playground.tasks.road.nets import (FORGET_BIAS, KINDS, LABELS, build_seq2seq, build_sequence_model,
                                       count_parameters, hidden_for_budget)
from playground.tasks.road.results import (DEFAULT_LR_BUDGET, DEFAULT_LR_STEPS, DEFAULT_SEEDS, MAX_DISTANCE,
                                           Alignment, GradientResult, GradientSettings, LmRaceResult, LmSettings,
                                           LongRangeResult, LongRangeSettings, Seq2SeqResult, Seq2SeqSettings,
                                           point)

Progress = Callable[[float, str], None]
Stopped = Callable[[], bool]

LEARNING_RATE = 3e-3  # Adam, the same for every architecture (none is tuned for; a fair start, not a best)
# The long-range set's one learning rate, the same for every architecture: of 1e-3, 3e-3, 1e-2 and 3e-2, the one
# with the highest mean accuracy over the four architectures on a validation set (d = 10, 5 seeds, 200 steps;
# items drawn with seed `LR_VALIDATION_SEED`, never the test items). Table in docs/road.md.
LONG_RANGE_LEARNING_RATE = 1e-2
LR_VALIDATION_SEED = 30_000
LR_TEST_SEED = 10_000  # the test items every run reports
BATCH = 32
CLIP = 1.0
LM_WINDOW = 32  # words per training window of the language-model race
LR_TEST_ITEMS = 256
SEQ_HIDDEN = 48
SEQ_BATCH = 64
SEQ_TEST_PER_LENGTH = 64
ALIGNMENT_LENGTH = 8


class RunStopped(PlaygroundError):
    """The run's owner pressed Stop: nothing is reported."""


def _check(stopped: Stopped) -> None:
    if stopped():
        raise RunStopped("Stopped: nothing was measured.")


def _train_step(model: nn.Module, optimiser: torch.optim.Optimizer, loss: torch.Tensor) -> float:
    optimiser.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    optimiser.step()
    return float(loss.detach())


def one_thread():
    """Train these tiny models on one intra-op thread, held with every other training (`training_threads`): on 2
    busy cores, measured, a long-range step took ~10 ms on one thread and 0.5–1.3 s on two."""
    return training_threads(1)


# ---- vanishing gradients ----------------------------------------------------------------------------------

def gradient_norms(model: nn.Module, embedded: torch.Tensor, targets: torch.Tensor) -> list[float]:
    """`norms[d]` = ‖∂L_t / ∂x_{t−d}‖: how much of the loss at the last position t reaches the input d back
    (mean over the batch; each row's gradient is its own loss's, since the batch's losses are summed)."""
    embedded = embedded.detach().requires_grad_(True)
    logits = model.forward_embeddings(embedded)[:, -1]
    loss = nn.functional.cross_entropy(logits, targets, reduction="sum")
    (grad,) = torch.autograd.grad(loss, embedded)
    return grad.norm(dim=-1).mean(0).flip(0).tolist()


# ---- the long-range set -----------------------------------------------------------------------------------

_LR_INDEX = {w: i for i, w in enumerate(data.LONG_RANGE_VOCABULARY)}
_LABEL_INDEX = {w: i for i, w in enumerate(data.LABELS)}


def _encode(items: list[data.LongRangeItem]) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.tensor([[_LR_INDEX[w] for w in item.words] for item in items])
    return ids, torch.tensor([_LABEL_INDEX[item.label] for item in items])


def _long_range_model(kind: str, seed: int, budget: int = DEFAULT_LR_BUDGET) -> nn.Module:
    vocab, classes = len(data.LONG_RANGE_VOCABULARY), len(data.LABELS)
    hidden = hidden_for_budget(kind, vocab, budget, classes, MAX_DISTANCE + 1)
    return build_sequence_model(kind, vocab, hidden, classes, MAX_DISTANCE + 1, seed=seed)


def _train_long_range(model: nn.Module, distance: int, steps: int, seed: int, stopped: Stopped,
                      learning_rate: float = LONG_RANGE_LEARNING_RATE) -> None:
    ids, labels = _encode(data.long_range_set(distance, steps * BATCH, seed))
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    for step in range(steps):
        if step % 25 == 0:
            _check(stopped)
        rows = slice(step * BATCH, (step + 1) * BATCH)
        _train_step(model, optimiser, nn.functional.cross_entropy(model(ids[rows])[:, -1], labels[rows]))


def _accuracy(model: nn.Module, ids: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(ids)[:, -1].argmax(-1) == labels).float().mean())


def run_long_range(settings: LongRangeSettings, progress: Progress, stopped: Stopped) -> LongRangeResult:
    """Accuracy on held-out items against d: every architecture at the same parameter budget and steps."""
    started = time.perf_counter()
    runs = len(settings.distances) * len(KINDS) * settings.seeds
    done, accuracy, parameters = 0, {}, {}
    for distance in settings.distances:
        test_ids, test_labels = _encode(data.long_range_set(distance, LR_TEST_ITEMS, seed=LR_TEST_SEED))
        for kind in KINDS:
            for seed in range(settings.seeds):
                progress(done / runs, f"{LABELS[kind]}, d = {distance}, seed {seed + 1}/{settings.seeds}")
                model = _long_range_model(kind, seed, settings.param_budget)
                parameters[LABELS[kind]] = count_parameters(model)
                _train_long_range(model, distance, settings.steps, seed, stopped)
                accuracy.setdefault((kind, distance), []).append(_accuracy(model, test_ids, test_labels))
                done += 1
    points = tuple(point(LABELS[k], d, accuracy[(k, d)]) for k in KINDS for d in settings.distances)
    notices = ("With d ≤ 2 there are few distinct sequences (8 animals × 40 words), so held-out items also occur "
               "in training; from d = 3 on almost none do.",) if min(settings.distances) <= 2 else ()
    return LongRangeResult(points, parameters, 1 / len(data.LABELS), LR_TEST_ITEMS,
                           {"distances": list(settings.distances), "seeds": settings.seeds, "steps": settings.steps,
                            "param_budget": settings.param_budget, "learning_rate": LONG_RANGE_LEARNING_RATE,
                            "lstm_forget_bias": FORGET_BIAS, "batch": BATCH},
                           time.perf_counter() - started, notices)


def long_range_validation(kind: str, learning_rate: float, distance: int = 10, steps: int = DEFAULT_LR_STEPS,
                          seeds: int = DEFAULT_SEEDS, forget_bias: float | None = FORGET_BIAS) -> list[float]:
    """Each seed's accuracy on the validation items (seed `LR_VALIDATION_SEED`, never the test items): how
    `LONG_RANGE_LEARNING_RATE` and `FORGET_BIAS` were chosen (`forget_bias=None`: PyTorch's own LSTM start)."""
    vocab, classes = len(data.LONG_RANGE_VOCABULARY), len(data.LABELS)
    hidden = hidden_for_budget(kind, vocab, DEFAULT_LR_BUDGET, classes, MAX_DISTANCE + 1)
    ids, labels = _encode(data.long_range_set(distance, LR_TEST_ITEMS, seed=LR_VALIDATION_SEED))
    scores = []
    with one_thread():
        for seed in range(seeds):
            model = build_sequence_model(kind, vocab, hidden, classes, MAX_DISTANCE + 1, seed, forget_bias)
            _train_long_range(model, distance, steps, seed, lambda: False, learning_rate)
            scores.append(_accuracy(model, ids, labels))
    return scores


def run_gradients(settings: GradientSettings, progress: Progress, stopped: Stopped) -> GradientResult:
    """log10 ‖∂L_t/∂x_{t−d}‖ against d, at initialisation and after training on the long-range set at the
    sequence's full length (d = length − 1), per architecture."""
    started = time.perf_counter()
    distance = settings.length - 1
    ids, labels = _encode(data.long_range_set(distance, 64, seed=20_000))
    norms: dict[str, list[list[float]]] = {}
    runs = len(KINDS) * settings.seeds
    for i, (seed, kind) in enumerate((s, k) for s in range(settings.seeds) for k in KINDS):
        progress(i / runs, f"{LABELS[kind]}, seed {seed + 1}/{settings.seeds}")
        model = _long_range_model(kind, seed)
        for state in ("initialised", "trained"):
            if state == "trained":
                _train_long_range(model, distance, DEFAULT_LR_STEPS, seed, stopped)
            model.eval()
            norms.setdefault(f"{LABELS[kind]} · {state}", []).append(
                gradient_norms(model, model.embedding(ids), labels))
    points = tuple(point(series, d, [math.log10(max(run[d], 1e-30)) for run in per_seed])
                   for series, per_seed in norms.items() for d in range(settings.length))
    return GradientResult(points, {"length": settings.length, "seeds": settings.seeds,
                                   "trained_steps": DEFAULT_LR_STEPS, "trained_distance": distance,
                                   "param_budget": DEFAULT_LR_BUDGET,
                                   "learning_rate": LONG_RANGE_LEARNING_RATE, "lstm_forget_bias": FORGET_BIAS},
                          time.perf_counter() - started, ())


# ---- the language-model race ------------------------------------------------------------------------------

def _heldout_loss(model: nn.Module, windows: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        logits = model(windows[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), windows[:, 1:].reshape(-1))
    model.train()
    return float(loss)


def run_lm_race(settings: LmSettings, progress: Progress, stopped: Stopped) -> LmRaceResult:
    """Held-out loss against the step: same corpus, parameter budget, steps, batch, learning rate and time cap."""
    started = time.perf_counter()
    corpus = data.lab_word_corpus()
    vocab = len(corpus.vocabulary)
    train = torch.tensor(corpus.train)
    held = torch.tensor(corpus.heldout)
    usable = (len(held) // (LM_WINDOW + 1)) * (LM_WINDOW + 1)
    windows = held[:usable].view(-1, LM_WINDOW + 1)[:128]
    every = max(1, settings.steps // 10)
    losses: dict[tuple[str, int], list[float]] = {}
    seconds: dict[str, list[float]] = {}
    reached: dict[str, list[int]] = {}
    parameters: dict[str, int] = {}
    runs = len(KINDS) * settings.seeds
    for i, (seed, kind) in enumerate((s, k) for s in range(settings.seeds) for k in KINDS):
        hidden = hidden_for_budget(kind, vocab, settings.param_budget, None, LM_WINDOW)
        model = build_sequence_model(kind, vocab, hidden, None, LM_WINDOW, seed=seed)
        parameters[LABELS[kind]] = count_parameters(model)
        optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        generator = torch.Generator().manual_seed(seed)
        losses.setdefault((kind, 0), []).append(_heldout_loss(model, windows))
        trained_s, step = 0.0, 0
        while step < settings.steps and trained_s < settings.time_budget_s:
            _check(stopped)
            tick = time.perf_counter()
            starts = torch.randint(len(train) - LM_WINDOW - 1, (BATCH,), generator=generator)
            batch = torch.stack([train[s:s + LM_WINDOW + 1] for s in starts.tolist()])
            logits = model(batch[:, :-1])
            _train_step(model, optimiser, nn.functional.cross_entropy(logits.reshape(-1, vocab),
                                                                       batch[:, 1:].reshape(-1)))
            trained_s += time.perf_counter() - tick
            step += 1
            if step % every == 0 or step == settings.steps:
                losses.setdefault((kind, step), []).append(_heldout_loss(model, windows))
                progress((i + step / settings.steps) / runs, f"{LABELS[kind]}, seed {seed + 1}: step {step}")
        seconds.setdefault(LABELS[kind], []).append(trained_s)
        reached.setdefault(LABELS[kind], []).append(step)
    order = sorted(losses, key=lambda key: (KINDS.index(key[0]), key[1]))  # by architecture, then step
    points = tuple(point(LABELS[kind], step, losses[(kind, step)]) for kind, step in order)
    short = [name for name, steps in reached.items() if min(steps) < settings.steps]
    notices = tuple(f"{name} reached the time budget before step {settings.steps} in some seeds (steps reached: "
                    f"{', '.join(map(str, reached[name]))}); its later points average fewer seeds." for name in short)
    return LmRaceResult(points, parameters, {k: sum(v) / len(v) for k, v in seconds.items()},
                        {k: sum(v) / len(v) for k, v in reached.items()},
                        {"seeds": settings.seeds, "steps": settings.steps, "param_budget": settings.param_budget,
                         "time_budget_s": settings.time_budget_s, "window": LM_WINDOW, "batch": BATCH,
                         "learning_rate": LEARNING_RATE, "heldout_words": int(windows.numel())},
                        vocab, time.perf_counter() - started, notices)


# ---- encoder–decoder, with and without attention ---------------------------------------------------------

_SEQ_INDEX = {w: i for i, w in enumerate(data.SEQ_VOCABULARY)}
_BOS = _SEQ_INDEX[data.BOS]


def _seq_tensors(sequences: list[tuple[str, ...]], task: str) -> tuple[torch.Tensor, torch.Tensor]:
    source = torch.tensor([[_SEQ_INDEX[w] for w in s] for s in sequences])
    target = torch.tensor([[_SEQ_INDEX[w] for w in data.seq_target(s, task)] for s in sequences])
    return source, target


def _train_seq2seq(model: nn.Module, settings: Seq2SeqSettings, seed: int, stopped: Stopped,
                   tick: Callable[[int], None]) -> None:
    rng = random.Random(f"seq2seq-train/{seed}")
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    for step in range(settings.steps):
        if step % 20 == 0:
            _check(stopped)
            tick(step)
        length = rng.randint(2, settings.max_length)
        source, target = _seq_tensors(data.seq_batch(rng, length, SEQ_BATCH, heldout=False), settings.task)
        decoder_input = torch.cat([torch.full((SEQ_BATCH, 1), _BOS), target[:, :-1]], 1)
        logits, _ = model(source, decoder_input)
        _train_step(model, optimiser, nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                                                  target.reshape(-1)))


def run_seq2seq(settings: Seq2SeqSettings, progress: Progress, stopped: Stopped) -> Seq2SeqResult:
    """Held-out accuracy against the length, with and without attention; the alignment of seed 0's attention."""
    started = time.perf_counter()
    lengths = range(2, settings.max_length + 1)
    tests = {n: _seq_tensors(data.seq_batch(random.Random(f"seq2seq-test/{n}"), n, SEQ_TEST_PER_LENGTH, True),
                             settings.task) for n in lengths}
    words: dict[tuple[str, int], list[float]] = {}
    exact: dict[tuple[str, int], list[float]] = {}
    parameters, alignment = {}, None
    names = {False: "fixed vector (no attention)", True: "with attention"}
    runs = 2 * settings.seeds
    for i, (seed, attention) in enumerate((s, a) for s in range(settings.seeds) for a in (False, True)):
        model = build_seq2seq(len(data.SEQ_VOCABULARY), SEQ_HIDDEN, attention, seed=seed)
        parameters[names[attention]] = count_parameters(model)
        _train_seq2seq(model, settings, seed, stopped, lambda step: progress(
            (i + step / settings.steps) / runs, f"{names[attention]}, seed {seed + 1}: step {step}"))
        for n, (source, target) in tests.items():
            written, weights = model.greedy(source, _BOS)
            words.setdefault((names[attention], n), []).append(float((written == target).float().mean()))
            exact.setdefault((names[attention], n), []).append(float((written == target).all(1).float().mean()))
            if attention and seed == 0 and n == min(ALIGNMENT_LENGTH, settings.max_length):
                alignment = Alignment(tuple(data.SEQ_VOCABULARY[j] for j in source[0].tolist()),
                                      tuple(data.SEQ_VOCABULARY[j] for j in written[0].tolist()),
                                      tuple(tuple(round(float(w), 4) for w in row) for row in weights[0]))
    order = list(names.values())
    return Seq2SeqResult(
        tuple(point(name, n, words[(name, n)]) for name in order for n in lengths),
        tuple(point(name, n, exact[(name, n)]) for name in order for n in lengths),
        parameters, alignment, SEQ_TEST_PER_LENGTH,
        {"task": settings.task, "max_length": settings.max_length, "seeds": settings.seeds, "steps": settings.steps,
         "hidden": SEQ_HIDDEN, "batch": SEQ_BATCH, "learning_rate": LEARNING_RATE},
        time.perf_counter() - started, ())
