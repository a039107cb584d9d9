"""The Pretraining lab's settings and progress, without torch: the size presets, every bound and default, the
validated settings of a run and the frozen progress it streams (what the tab, the JSON API and the command line
read; `networks.py` builds the networks and `pretrain.py` trains them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_float, check_int


@dataclass(frozen=True)
class LabPreset:
    """Model sizes (all three get about the same number of parameters) and the batch size."""

    name: str
    hidden: int
    layers: int
    heads: int
    lstm_hidden: int
    vocab_size: int
    batch_size: int
    description: str
    dropout: float = 0.0  # off by default: it costs ~15 % of a step, and the held-out frames test generalisation


PRESETS: dict[str, LabPreset] = {
    "tiny": LabPreset("tiny", hidden=32, layers=1, heads=2, lstm_hidden=64, vocab_size=1000, batch_size=8,
                      description="seconds; for tests and a first look (learns little)"),
    "small": LabPreset("small", hidden=64, layers=2, heads=4, lstm_hidden=128, vocab_size=1600, batch_size=48,
                       description="the default: about 2½ minutes for all three on 2 CPU cores"),
    "medium": LabPreset("medium", hidden=128, layers=3, heads=4, lstm_hidden=256, vocab_size=2000, batch_size=32,
                        description="about 3× the default's time; learns more per step"),
}
DEFAULT_PRESET = "small"
MAX_POSITIONS = 128  # position embeddings of the lab BERT and GPT: sequence length setting ≤ this


def check_preset(name: str) -> LabPreset:
    if name not in PRESETS:
        raise PlaygroundError(f"Unknown model size '{name}'. Choose one of: {', '.join(PRESETS)}.")
    return PRESETS[name]


DEFAULT_STEPS = 1400
MAX_STEPS = 5000
DEFAULT_TIME_BUDGET_S = 600.0  # a bound; the default run ends by its steps well within it
MAX_TIME_BUDGET_S = 1800.0
DEFAULT_SEQ_LEN = 24  # about one sentence: attention learns faster on short blocks
DEFAULT_LEARNING_RATE = 3e-3
DEFAULT_SEED = 0


@dataclass(frozen=True)
class PretrainSettings:
    preset: str = DEFAULT_PRESET
    steps: int = DEFAULT_STEPS
    time_budget_s: float = DEFAULT_TIME_BUDGET_S
    seq_len: int = DEFAULT_SEQ_LEN
    learning_rate: float = DEFAULT_LEARNING_RATE
    seed: int = DEFAULT_SEED


def check_settings(preset: object = DEFAULT_PRESET, steps: object = DEFAULT_STEPS,
                   time_budget_s: object = DEFAULT_TIME_BUDGET_S, seq_len: object = DEFAULT_SEQ_LEN,
                   learning_rate: object = DEFAULT_LEARNING_RATE, seed: object = DEFAULT_SEED) -> PretrainSettings:
    """Validated settings (every bound explained in the error message)."""
    return PretrainSettings(
        preset=check_preset(str(preset)).name,
        steps=check_int(steps, "Steps", 1, MAX_STEPS),
        time_budget_s=check_float(time_budget_s, "Time budget (s)", 1.0, MAX_TIME_BUDGET_S),
        seq_len=check_int(seq_len, "Sequence length", 16, MAX_POSITIONS),
        learning_rate=check_float(learning_rate, "Learning rate", 1e-5, 1e-1),
        seed=check_int(seed, "Seed", 0, 2**31 - 1),
    )


@dataclass(frozen=True)
class CurvePoint:
    step: int
    train_loss: float
    heldout_loss: float | None = None


@dataclass(frozen=True)
class ModelSummary:
    name: str
    objective: str
    parameters: int
    train_loss: float | None = None
    heldout_loss: float | None = None
    perplexity: float | None = None
    masked_accuracy: float | None = None
    tokens_per_s: float = 0.0


@dataclass(frozen=True)
class PretrainProgress:
    status: str  # queued | preparing | running | finished | time budget reached | stopped
    queue_position: int = 0  # while queued: how many runs are ahead (1 = the running one)
    step: int = 0
    total_steps: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of this process since the run started (all threads)
    models: tuple[ModelSummary, ...] = ()
    curves: dict[str, tuple[CurvePoint, ...]] = field(default_factory=dict)
    corpus: str = "built-in"
    settings: dict[str, Any] = field(default_factory=dict)
    saved_to: str | None = None
    notices: tuple[str, ...] = ()
    # A session run's served names ({lab-bert: lab-bert@<id>, lab-gpt: lab-gpt@<id>}); empty otherwise.
    session_models: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status not in ("queued", "preparing", "running")
