"""What a measurement request takes and returns, without torch: the bounds and defaults, what one request may cost,
how latency and memory are measured (said in every report), and the frozen results (`measure.py` builds and times
the models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

MAX_MODELS_PER_REQUEST = 4  # a 570M-parameter Pegasus alone takes seconds to build on a laptop
MAX_NAMES = 20  # names one request may list (the rest of the first MAX_MODELS_PER_REQUEST are named back)
DEFAULT_INPUT_TOKENS = 128
MAX_INPUT_TOKENS = 512
DEFAULT_REPEATS = 5
MAX_REPEATS = 10
# What one request may cost, counted before anything is built: parameters × input tokens × forward passes
# (repeats + a warm-up + the memory-tracking pass), summed over the models. Four of the largest models at
# 512 tokens × 20 repeats came to about 20 × 10^12 and ran almost five minutes on 2 cores; 2 × 10^12 stays
# around half a minute there, and the defaults (128 tokens, 5 repeats) fit a dozen base-size models.
MAX_WORK = 2.0e12
MIN_REPEATS = 3  # even for the biggest model: a spread needs a few passes
DEFAULT_TIME_BUDGET_S = 4.0  # timed passes per model stop here (after MIN_REPEATS)
WIDE_SPREAD = 0.5  # (max - min) / median above this: say so
MEMORY_METHOD = ("parameters + buffers (exact) plus the peak bytes of tensors alive at once during one forward "
                 "pass (tracked per operator with a TorchDispatchMode); excludes the Python process itself")
LATENCY_METHOD = ("median wall-clock time of up to {repeats} forward passes after one warm-up (fewer for big "
                  "models: at least {min_repeats}, within {budget:g} s per model), batch 1, {tokens} random "
                  "tokens, torch.inference_mode(), {threads} CPU thread(s); decoders produce next-token logits "
                  "for the last position only and encoder–decoders run one decoder step, as generation starts")

ProgressFn = Callable[[float, str], None]  # (fraction done, what is happening); gr.Progress fits
StopFn = Callable[[], bool]  # True once the request should end (e.g. the user left)


@dataclass(frozen=True)
class Measurement:
    hub_id: str
    model_class: str  # the transformers class that was built, e.g. "BertForQuestionAnswering"
    parameters: int
    weights_mb: float  # parameters + buffers, bytes / 1e6
    activation_peak_mb: float
    peak_memory_mb: float  # weights + activation peak
    latency_ms: float  # median
    latency_min_ms: float
    latency_max_ms: float
    input_tokens: int
    decoder_tokens: int  # encoder–decoder models: decoder positions run (1 = the first generation step)
    repeats: int  # timed passes actually run
    build_seconds: float
    tiny: bool  # a shrunken twin (tests / tiny mode), not the real size
    repeats_requested: int = 0  # more than `repeats` when the time budget cut them
    stopped: bool = False  # `stop()` ended the timing early

    @property
    def spread(self) -> float:
        """(max − min) / median of the timed passes."""
        return (self.latency_max_ms - self.latency_min_ms) / self.latency_ms if self.latency_ms else 0.0


@dataclass(frozen=True)
class Calibration:
    """A fixed small workload timed a few times before measuring: how busy the machine looked."""

    best_ms: float
    median_ms: float
    load_average: float | None  # 1-minute load average, where the system reports one
    cpus: int

    @property
    def busy(self) -> bool:
        loaded = self.load_average is not None and self.load_average > self.cpus
        return loaded or self.median_ms > 1.3 * self.best_ms

    def notice(self) -> str:
        load = (f"load average {self.load_average:.1f} on {self.cpus} CPU(s); " if self.load_average is not None
                else "")
        return (f"The machine looked busy ({load}a fixed calibration workload took {self.median_ms:.1f} ms "
                f"typically vs {self.best_ms:.1f} ms at best): other programs share the CPU, so these timings are "
                "slower and more spread out than on an idle machine.")


@dataclass(frozen=True)
class MeasureReport:
    measurements: tuple[Measurement, ...]
    not_measured: tuple[str, ...]  # over the per-request cap
    notices: tuple[str, ...]
    threads: int
    torch_version: str
    latency_method: str
    memory_method: str
    calibration: Calibration | None = None
    stopped: bool = False  # the request was ended early by `stop()`; what was measured is kept
