"""What each stage of the GPT → Assistant tab returns (frozen dataclasses, JSON through `to_json`), and the report
card that sums a session's run up. No torch here: the tab and the API import these at build time.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MaskSlot:
    token: str
    counted: bool  # a response token (in the loss) or a prompt token (label -100, greyed)


@dataclass(frozen=True)
class SideBySide:
    question: str
    answer: str  # the lab world's answer
    before: str  # the earlier stage's answer (base for SFT, SFT for DPO)
    after: str
    before_right: bool
    after_right: bool


@dataclass(frozen=True)
class SftResult:
    model_name: str  # the lab GPT it started from
    train_pairs: int
    heldout_pairs: int
    your_pairs: int
    mask_strip: tuple[MaskSlot, ...]
    losses: tuple[float, ...]  # every step's response-only loss
    base_exact: float
    base_f1: float
    sft_exact: float
    sft_f1: float
    side_by_side: tuple[SideBySide, ...]
    seconds: float
    stopped: bool = False
    notices: tuple[str, ...] = ()
    served_as: str = ""  # the name every tab's model field accepts for this session's SFT model (lab-gpt-sft@…)


@dataclass(frozen=True)
class BestOfN:
    prompt: str
    answers: tuple[str, ...]
    scores: tuple[float, ...]
    pick: int  # index of the highest-scored answer


@dataclass(frozen=True)
class RewardResult:
    model_name: str  # the lab BERT it started from
    train_pairs: int
    heldout_pairs: int
    losses: tuple[float, ...]
    heldout_accuracy: float  # chosen scored above rejected, held-out pairs
    chance: float
    best_of_n: BestOfN | None
    seconds: float
    stopped: bool = False
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComparisonPair:
    """Two answers of the session's SFT model to one training question, for the user to pick the better one."""

    question: str
    prompt: str
    first: str
    second: str
    note: str = ""  # said when no question gave two different answers (an identical pair teaches DPO nothing)


@dataclass(frozen=True)
class MarginCurvePoint:
    seed: int
    step: int
    loss: float
    train_margin: float
    heldout_margin: float | None


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    win_rate_reward: float  # DPO vs SFT on held-out prompts, judged by the reward model (ties ½)
    win_rate_rule: float  # …judged by the lab world's answer (right beats wrong, ties ½)
    exact: float  # DPO's held-out exact match
    kl_from_sft: float  # KL(DPO ‖ SFT) on DPO's own held-out answers, summed over tokens, mean over prompts
    heldout_margin: float  # mean chosen-minus-rejected log-ratio vs SFT on held-out pairs after DPO (0 before)


@dataclass(frozen=True)
class Spread:
    mean: float
    std: float
    low: float
    high: float


def spread(values: list[float] | tuple[float, ...]) -> Spread:
    values = list(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return Spread(round(statistics.fmean(values), 4), round(std, 4), round(min(values), 4), round(max(values), 4))


@dataclass(frozen=True)
class ChoiceMove:
    """One of the user's choices before and after DPO: did the model move toward it?"""

    prompt: str
    better: str
    worse: str
    sft_prefers: bool  # the SFT model gave the better answer the higher log-probability
    dpo_prefers: bool  # the DPO model does
    margin: float  # (log π − log π_sft)(better) − (log π − log π_sft)(worse): > 0 = moved toward your choice


@dataclass(frozen=True)
class DpoResult:
    beta: float
    learning_rate: float
    epochs: int
    nll_weight: float
    builtin_pairs: int
    your_choices: int
    seeds: tuple[SeedOutcome, ...]
    win_rate_reward: Spread
    win_rate_rule: Spread
    kl_from_sft: Spread
    sft_exact: float
    dpo_exact: Spread
    curve: tuple[MarginCurvePoint, ...]
    side_by_side: tuple[SideBySide, ...]  # the first seed's DPO model vs SFT
    seconds: float
    stopped: bool = False
    notices: tuple[str, ...] = ()
    served_as: str = ""  # the name every tab's model field accepts for this session's DPO model (lab-gpt-dpo@…)
    your_moves: tuple[ChoiceMove, ...] = ()  # each of your choices under the kept (first seed's) DPO model


@dataclass(frozen=True)
class ReportCard:
    markdown: str
    stages: dict = field(default_factory=dict)  # {"sft": SftResult-as-JSON, "reward": …, "dpo": …, "seconds": …}

    def json_text(self) -> str:
        return json.dumps(self.stages, indent=2, sort_keys=True)


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _spread_text(s: dict) -> str:
    return f"{s['mean']:.2f} ± {s['std']:.2f} (min {s['low']:.2f}, max {s['high']:.2f})"


def report_markdown(stages: dict) -> str:
    """One page: data sizes, time per stage, losses, held-out accuracy, reward-model accuracy, win rates, KL."""
    lines = ["# GPT → Assistant: report card", ""]
    if not stages:
        return "\n".join(lines + ["Nothing run yet in this session: run SFT, the reward model and DPO above."])
    lines += ["| stage | data | time | result |", "| --- | --- | --- | --- |"]
    if sft := stages.get("sft"):
        losses = sft["losses"] or [float("nan")]
        lines.append(f"| SFT ({sft['model_name']}) | {sft['train_pairs']} pairs ({sft['your_pairs']} yours), "
                     f"{sft['heldout_pairs']} held out | {sft['seconds']:.0f} s | loss {losses[0]:.2f} → "
                     f"{losses[-1]:.2f}; held-out exact match base {_pct(sft['base_exact'])} → SFT "
                     f"{_pct(sft['sft_exact'])}, token F1 {sft['base_f1']:.2f} → {sft['sft_f1']:.2f} |")
    if rm := stages.get("reward"):
        losses = rm["losses"] or [float("nan")]
        lines.append(f"| reward model ({rm['model_name']}) | {rm['train_pairs']} pairs, {rm['heldout_pairs']} held "
                     f"out | {rm['seconds']:.0f} s | loss {losses[0]:.2f} → {losses[-1]:.2f}; held-out pair "
                     f"accuracy {_pct(rm['heldout_accuracy'])} (chance {_pct(rm['chance'])}) |")
    if dpo := stages.get("dpo"):
        lines.append(f"| DPO (β {dpo['beta']}, lr {dpo['learning_rate']}, {dpo['epochs']} epochs, NLL "
                     f"{dpo['nll_weight']}) | {dpo['builtin_pairs']} built-in pairs + {dpo['your_choices']} of "
                     f"yours, {len(dpo['seeds'])} seeds | {dpo['seconds']:.0f} s | win rate vs SFT: reward model "
                     f"{_spread_text(dpo['win_rate_reward'])}, the world's rule "
                     f"{_spread_text(dpo['win_rate_rule'])}; KL from SFT {_spread_text(dpo['kl_from_sft'])}; "
                     f"exact match SFT {_pct(dpo['sft_exact'])} → DPO {_spread_text(dpo['dpo_exact'])} |")
    total = sum(stage.get("seconds", 0.0) for stage in stages.values() if isinstance(stage, dict))
    lines += ["", f"Total time: {total:.0f} s (this machine, as measured while the run shared its CPU).",
              "Win rates count ties as ½; held-out questions use frames training never saw."]
    return "\n".join(lines)


@dataclass(frozen=True)
class LoraResult:
    """SFT of a real checkpoint as a LoRA adapter within a time budget (held-out numbers as for the lab's SFT)."""

    model_name: str
    rank: int
    trainable_parameters: int
    total_parameters: int
    steps: int
    losses: tuple[float, ...]
    budget_s: float
    base_exact: float
    lora_exact: float
    base_f1: float
    lora_f1: float
    saved_to: str  # the adapter's folder (peft's save_pretrained)
    seconds: float
    notices: tuple[str, ...] = ()
    # DPO after SFT, as a second adapter (when asked for): steps and losses within the rest of the budget, held-out
    # exact match / token F1, the held-out log-ratio margin (β ×) at the start and the end, and where it is saved.
    dpo_steps: int = 0
    dpo_losses: tuple[float, ...] = ()
    dpo_exact: float | None = None
    dpo_f1: float | None = None
    dpo_heldout_margin: tuple[float, float] | None = None
    dpo_beta: float | None = None
    dpo_saved_to: str = ""
    served_as: tuple[str, ...] = ()  # the names every model field serves the adapters under (this session only)
