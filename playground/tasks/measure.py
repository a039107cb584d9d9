"""Measure models on this machine: forward latency and peak memory, with random weights.

Each candidate is built from its real config (`architectures.py`) with random weights — the compute
per token equals the real checkpoint's, so no download is needed — and run on a typical input:
`input_tokens` random token ids, batch 1, one warm-up pass, then the median of up to `repeats` timed passes
under `torch.inference_mode()` — fewer for big models, so each model stays within a time budget (at least
MIN_REPEATS passes, so there is a spread to report). A quick calibration run first says whether the machine
looked busy (timings then run slower and spread wider than on an idle machine); `stop()` ends a request
cleanly between passes (e.g. when the user leaves), keeping what was measured.

Peak memory = the model's parameters and buffers (exact bytes) + the peak bytes of tensors alive at
the same time during one forward pass (activations, attention scores, logits, cache), tracked per
operator with a `TorchDispatchMode`. It leaves out the Python interpreter and the libraries, which a
process-RSS number would include.

torch is imported at the top: the page reaches this module at call time as `tasks.measure`
(`playground/tasks/__init__.py`); the bounds, defaults and result types are in `measurements.py`.
"""

from __future__ import annotations

import gc
import inspect
import os
import statistics
import threading
import time
import weakref
from typing import Sequence

import torch
from torch.utils._pytree import tree_leaves
from torch.utils._python_dispatch import TorchDispatchMode

import numpy as np

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_int
from playground.core.types import position_limit
from playground.models.architectures import (auto_class_name, build_model, config_for, count_parameters, spec_for,
                                             supports_head)
from playground.tasks.measurements import (DEFAULT_INPUT_TOKENS, DEFAULT_REPEATS, DEFAULT_TIME_BUDGET_S,
                                           LATENCY_METHOD, MAX_INPUT_TOKENS, MAX_MODELS_PER_REQUEST, MAX_NAMES,
                                           MAX_REPEATS, MAX_WORK, MEMORY_METHOD, MIN_REPEATS, WIDE_SPREAD,
                                           Calibration, MeasureReport, Measurement, ProgressFn, StopFn)

__all__ = ["DEFAULT_INPUT_TOKENS", "DEFAULT_REPEATS", "MAX_INPUT_TOKENS", "MAX_MODELS_PER_REQUEST", "MAX_REPEATS",
           "MAX_WORK", "Calibration", "MeasureReport", "Measurement", "ProgressFn", "StopFn", "cached", "calibrate",
           "clear_cache", "max_input_tokens", "measure_models", "measure_one", "within_work_budget", "work"]


class _PeakTensorBytes:
    """Peak bytes of tensor storage created inside the context and alive at the same time.

    Storages that existed before (weights, buffers, inputs) are ignored, so views of weights
    (e.g. the transpose inside a linear layer) are not counted as activations.
    """

    def __init__(self, existing: Sequence) -> None:
        self._ignore = {t.untyped_storage().data_ptr() for t in existing}
        self._refs: dict[int, int] = {}
        self._sizes: dict[int, int] = {}
        self.current = 0
        self.peak = 0
        self._mode = None

    def _release(self, key: int) -> None:
        self._refs[key] -= 1
        if self._refs[key] == 0:
            del self._refs[key]
            self.current -= self._sizes.pop(key)

    def _track(self, out) -> None:
        for t in tree_leaves(out):
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key = storage.data_ptr()
            if key == 0 or key in self._ignore:
                continue
            if key not in self._refs:
                self._refs[key] = 0
                self._sizes[key] = storage.nbytes()
                self.current += storage.nbytes()
                self.peak = max(self.peak, self.current)
            self._refs[key] += 1  # one count per Python tensor object; released when it is collected
            weakref.finalize(t, self._release, key)

    def __enter__(self) -> "_PeakTensorBytes":
        tracker = self

        class _Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                tracker._track(out)
                return out

        self._mode = _Mode()
        self._mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._mode.__exit__(*exc)


_MEASURE_LOCK = threading.Lock()  # one measurement at a time: parallel runs would slow each other down
_CACHE: dict[tuple, Measurement] = {}


def clear_cache() -> None:
    _CACHE.clear()


def calibrate(runs: int = 7) -> Calibration:
    """Time a fixed matrix product a few times (about 20 ms in all): spread and load say how busy the CPU is."""
    a = torch.randn(192, 192, generator=torch.Generator().manual_seed(0))
    times = []
    with torch.inference_mode():
        for _ in range(runs):
            t0 = time.perf_counter()
            for _ in range(20):
                a @ a
            times.append((time.perf_counter() - t0) * 1000)
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):  # not every system reports one
        load = None
    return Calibration(best_ms=min(times), median_ms=statistics.median(times), load_average=load,
                       cpus=os.cpu_count() or 1)


def cached(hub_id: str, head: str | None, input_tokens: int = DEFAULT_INPUT_TOKENS,
           tiny: bool = False) -> Measurement | None:
    """A measurement of this model and head already taken in this process (any repeats), or None."""
    tokens = min(input_tokens, max_input_tokens(config_for(hub_id, tiny=tiny)))
    wanted = (hub_id, head, tokens, tiny)
    return next((m for k, m in _CACHE.items() if k[:4] == wanted and k[5] == torch.get_num_threads()), None)


def _inputs(model, config, tokens: int, seq2seq: bool):
    generator = torch.Generator().manual_seed(0)
    # Skip the lowest ids, where vocabularies keep their special tokens.
    ids = torch.randint(5, config.vocab_size, (1, tokens), generator=generator)
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    if seq2seq:
        start = getattr(config, "decoder_start_token_id", None) or 0
        inputs["decoder_input_ids"] = torch.full((1, 1), start, dtype=torch.long)
    elif "logits_to_keep" in inspect.signature(model.forward).parameters:
        # A causal LM reading a prompt needs next-token logits only for the last position (as `generate`
        # does); projecting all positions onto a 50k vocabulary would triple GPT-2's measured time.
        inputs["logits_to_keep"] = 1
    return inputs


def max_input_tokens(config) -> int:
    limit = position_limit(config)
    return MAX_INPUT_TOKENS if limit is None else limit


def measure_one(hub_id: str, *, head: str | None = None, input_tokens: int = DEFAULT_INPUT_TOKENS,
                repeats: int = DEFAULT_REPEATS, tiny: bool = False, config=None,
                time_budget_s: float = DEFAULT_TIME_BUDGET_S, stop: StopFn | None = None) -> Measurement:
    """Build one model with random weights and time it (no cache, no lock: see `measure_models`).

    Timed passes stop at `repeats`, or once `time_budget_s` is spent (after MIN_REPEATS), or when `stop()`."""
    config = config or config_for(hub_id, tiny=tiny)
    started = time.perf_counter()
    model = build_model(hub_id, head=head, tiny=tiny, config=config)
    build_seconds = time.perf_counter() - started
    try:
        seq2seq = bool(getattr(config, "is_encoder_decoder", False))
        inputs = _inputs(model, config, input_tokens, seq2seq)
        stopped = False
        with torch.inference_mode():
            model(**inputs)  # warm-up: first-call allocations and kernel selection
            times: list[float] = []
            timing_started = time.perf_counter()
            for _ in range(repeats):
                over_budget = time.perf_counter() - timing_started > time_budget_s and len(times) >= MIN_REPEATS
                stopped = bool(times) and stop is not None and stop()
                if over_budget or stopped:
                    break
                t0 = time.perf_counter()
                model(**inputs)
                times.append(time.perf_counter() - t0)
            existing = [*model.parameters(), *model.buffers(),
                        *(v for v in inputs.values() if isinstance(v, torch.Tensor))]
            with _PeakTensorBytes(existing) as tracker:  # separate pass: tracking slows the ops down
                out = model(**inputs)
            del out
        seen: set[int] = set()
        weight_bytes = 0
        for t in (*model.parameters(), *model.buffers()):
            if t.untyped_storage().data_ptr() not in seen:  # tied embeddings once
                seen.add(t.untyped_storage().data_ptr())
                weight_bytes += t.untyped_storage().nbytes()
        return Measurement(
            hub_id=hub_id, model_class=type(model).__name__,
            parameters=sum(p.numel() for p in model.parameters()),
            weights_mb=weight_bytes / 1e6, activation_peak_mb=tracker.peak / 1e6,
            peak_memory_mb=(weight_bytes + tracker.peak) / 1e6,
            latency_ms=statistics.median(times) * 1000, latency_min_ms=min(times) * 1000,
            latency_max_ms=max(times) * 1000, input_tokens=input_tokens, decoder_tokens=1 if seq2seq else 0,
            repeats=len(times), build_seconds=build_seconds, tiny=tiny, repeats_requested=repeats, stopped=stopped,
        )
    finally:
        del model
        gc.collect()  # give the (possibly GB-sized) weights back before the next model is built


def work(hub_id: str, head: str | None, input_tokens: int, repeats: int, tiny: bool) -> float:
    """What measuring one model costs, in parameter-tokens (see MAX_WORK); counted on the meta device."""
    config = config_for(hub_id, tiny=tiny)
    model_head = head if head is not None and supports_head(hub_id, head) else None
    tokens = min(input_tokens, max_input_tokens(config))
    return float(count_parameters(hub_id, head=model_head, tiny=tiny, config=config)) * tokens * (repeats + 2)


# The estimate given before a run: build (random init of every weight: about INIT_DRAWS random draws' time per
# parameter, measured), a warm-up pass, the timed passes (capped by the time budget), and the memory-tracking pass
# (a Python hook on every operator: about TRACKING_FACTOR passes).
INIT_DRAWS = 0.5  # numpy draws (the probe) run ~4x slower than torch.nn.init
TRACKING_FACTOR = 1.5
PER_MODEL_S = 1.0  # config, meta-device construction, clean-up


def machine_speed() -> tuple[float, float]:
    """This machine's speed right now, from two quick probes (about 0.1 s, under whatever load it has): matrix-
    product FLOP/s and random values drawn per second (what building a model with random weights costs)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 512), dtype=np.float32)
    matmul, draw = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        a @ a
        matmul.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rng.standard_normal(1_000_000, dtype=np.float32)
        draw.append(time.perf_counter() - t0)
    return 2 * 512**3 / statistics.median(matmul), 1_000_000 / statistics.median(draw)


def pass_flops(config, tokens: int) -> float:
    """About the FLOPs of one forward pass over `tokens`, from the config: per layer and token the projections
    (4 h² for attention, 2 h × ffn for the MLP) and the attention scores (2 × tokens × h), × 2 for multiply-add.
    Shared layers (ALBERT) cost as much as separate ones; an encoder–decoder's one decoder step is left out."""
    def first(*names: str, default: int = 0) -> int:
        return next((int(getattr(config, n)) for n in names if getattr(config, n, None)), default)

    hidden = first("hidden_size", "n_embd", "d_model")
    layers = first("num_hidden_layers", "n_layer", "encoder_layers")
    ffn = first("intermediate_size", "n_inner", "encoder_ffn_dim", default=4 * hidden)
    return 2.0 * tokens * layers * (4 * hidden**2 + 2 * hidden * ffn + 2 * tokens * hidden)


def estimate_seconds(hub_ids: Sequence[str], *, head: str | None = None, input_tokens: int = DEFAULT_INPUT_TOKENS,
                     repeats: int = DEFAULT_REPEATS, tiny: bool = False,
                     time_budget_s: float = DEFAULT_TIME_BUDGET_S) -> float:
    """About how long `measure_models` will take here for these models (the first MAX_MODELS_PER_REQUEST): each
    one's size and input length against this machine's speed now (`machine_speed`): a forward pass costs about
    `pass_flops`; building one costs about INIT_DRAWS random draws per parameter."""
    flops, draws = machine_speed()
    total = 0.0
    for name in list(dict.fromkeys(hub_ids))[:MAX_MODELS_PER_REQUEST]:
        config = config_for(name, tiny=tiny)
        model_head = head if head is not None and supports_head(name, head) else None
        parameters = count_parameters(name, head=model_head, tiny=tiny, config=config)
        one_pass = pass_flops(config, min(input_tokens, max_input_tokens(config))) / flops
        timed = min(repeats * one_pass, max(time_budget_s, MIN_REPEATS * one_pass))
        total += PER_MODEL_S + INIT_DRAWS * parameters / draws + one_pass * (1 + TRACKING_FACTOR) + timed
    return total


def within_work_budget(hub_ids: Sequence[str], head: str | None, input_tokens: int, repeats: int,
                       tiny: bool) -> tuple[list[str], list[str]]:
    """The models one request measures (in order, while their total work fits MAX_WORK) and the rest; a first
    model that alone is over budget is refused with what to lower."""
    todo: list[str] = []
    total = 0.0
    for i, hub_id in enumerate(hub_ids):
        cost = work(hub_id, head, input_tokens, repeats, tiny)
        if total + cost > MAX_WORK:
            if not todo:
                fits = max(1, int(MAX_WORK / cost * (repeats + 2)) - 2)
                raise PlaygroundError(
                    f"Measuring {hub_id} with {input_tokens} input tokens and {repeats} repeats is more work than one "
                    f"request may do here (about {cost / 1e12:.1f} × 10^12 parameter-tokens; at most "
                    f"{MAX_WORK / 1e12:.1f} × 10^12, about half a minute on 2 cores). Use fewer repeats"
                    f"{f' (at most {fits} at this length)' if fits < repeats else ''} or a shorter input.")
            return todo, list(hub_ids[i:])
        todo.append(hub_id)
        total += cost
    return todo, []


def measure_models(hub_ids: Sequence[str], *, head: str | None = None,
                   input_tokens: int = DEFAULT_INPUT_TOKENS, repeats: int = DEFAULT_REPEATS,
                   tiny: bool = False, progress: ProgressFn | None = None,
                   max_models: int = MAX_MODELS_PER_REQUEST, use_cache: bool = True,
                   time_budget_s: float = DEFAULT_TIME_BUDGET_S, stop: StopFn | None = None,
                   calibration: bool = True) -> MeasureReport:
    """Measure up to `max_models` models, one after another; the rest are named in the report.

    `head` (e.g. "question-answering") builds each model with that task's head; a model whose
    architecture has no such head is measured with its own checkpoint class, and a notice says so.
    Each model gets `time_budget_s` of timed passes; `stop()` ends the request cleanly (checked between passes
    and between models), keeping what was measured.
    """
    if isinstance(hub_ids, str):
        hub_ids = [hub_ids]
    if hub_ids is not None and not (isinstance(hub_ids, (list, tuple)) and all(isinstance(h, str) for h in hub_ids)):
        raise PlaygroundError('Models must be a list of model names, e.g. ["bert-base-uncased", "gpt2"].')
    if hub_ids and len(hub_ids) > MAX_NAMES:
        raise PlaygroundError(f"Name at most {MAX_NAMES} models ({max_models} are measured per request).")
    names = list(dict.fromkeys(h.strip() for h in (hub_ids or []) if h.strip()))
    if not names:
        raise PlaygroundError("Choose at least one model to measure.")
    for name in names:
        spec_for(name)  # unknown names: a clear error listing the measurable ones
    input_tokens = check_int(input_tokens, "Input length (tokens)", 8, MAX_INPUT_TOKENS)
    repeats = check_int(repeats, "Repeats", 1, MAX_REPEATS)
    if head is not None:
        auto_class_name(names[0], head)  # validates the head name
    notices: list[str] = []
    todo, not_measured = names[:max_models], names[max_models:]
    if not_measured:
        notices.append(f"Measured the first {max_models} of {len(names)} models (at most {max_models} per request, "
                       f"so one request stays under a minute); not measured: {', '.join(not_measured)}. "
                       "Ask again for those.")
    todo, over_budget = within_work_budget(todo, head, input_tokens, repeats, tiny)
    if over_budget:
        not_measured = over_budget + not_measured
        notices.append(f"Not measured, to keep this request within its budget: {', '.join(over_budget)}. Ask again "
                       "for those, or with fewer repeats or a shorter input.")
    if tiny:
        notices.append("Tiny mode: each model was measured as a shrunken twin (2 layers, width 32), so the numbers "
                       "test the code path, not the real model. Run with the default models for real numbers.")
    threads = torch.get_num_threads()
    results: list[Measurement] = []
    cut: list[str] = []
    own_head = [name for name in todo if head is not None and not supports_head(name, head)]
    if own_head:
        notices.append(f"No {head} head exists for {', '.join(own_head)}; measured with the checkpoint's own "
                       "class instead.")
    stopped = False
    with _MEASURE_LOCK:
        calibrated = calibrate() if calibration else None
        if calibrated is not None and calibrated.busy:
            notices.append(calibrated.notice())
        for i, name in enumerate(todo):
            if stop is not None and stop():
                stopped = True
                notices.append(f"Stopped after {i} of {len(todo)} model(s); not measured: {', '.join(todo[i:])}.")
                not_measured = todo[i:] + not_measured
                break
            model_head = None if name in own_head else head
            config = config_for(name, tiny=tiny)
            tokens = min(input_tokens, max_input_tokens(config))
            if tokens < input_tokens:
                cut.append(f"{name} ({tokens})")
            key = (name, model_head, tokens, tiny, repeats, threads)
            if progress:
                progress(i / len(todo), f"Building and timing {name} ({i + 1}/{len(todo)})")
            if use_cache and key in _CACHE:
                results.append(_CACHE[key])
                continue
            measurement = measure_one(name, head=model_head, input_tokens=tokens, repeats=repeats, tiny=tiny,
                                      config=config, time_budget_s=time_budget_s, stop=stop)
            if not measurement.stopped:  # a cut-short measurement is shown, not remembered
                _CACHE[key] = measurement
            results.append(measurement)
    if cut:
        notices.append(f"Input cut to the model's maximum length (tokens): {', '.join(cut)}.")
    budgeted = [f"{m.hub_id} ({m.repeats})" for m in results if m.repeats < m.repeats_requested and not m.stopped]
    if budgeted:
        notices.append(f"Fewer timed passes for the bigger models, to stay within {time_budget_s:g} s each: "
                       f"{', '.join(budgeted)}.")
    spread = [f"{m.hub_id} ±{m.spread / 2:.0%}" for m in results if m.spread > WIDE_SPREAD]
    if spread:
        notices.append(f"Timings varied widely between passes ((max − min) / median > {WIDE_SPREAD:.0%}): "
                       f"{', '.join(spread)}; the median is the number to read.")
    if any(m.stopped for m in results):
        stopped = True
        notices.append("Stopped early: the last model's timing has fewer passes than asked.")
    if progress:
        progress(1.0, "Stopped" if stopped else "Done")
    return MeasureReport(
        measurements=tuple(results), not_measured=tuple(not_measured), notices=tuple(notices), threads=threads,
        torch_version=torch.__version__,
        latency_method=LATENCY_METHOD.format(repeats=repeats, tokens=input_tokens, threads=threads,
                                             min_repeats=MIN_REPEATS, budget=time_budget_s),
        memory_method=MEMORY_METHOD, calibration=calibrated, stopped=stopped,
    )
