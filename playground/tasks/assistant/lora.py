"""SFT — and then DPO — of a real checkpoint (gpt2 by default) as LoRA adapters (peft): the base weights stay
frozen, small low-rank matrices beside the attention and MLP projections learn the instructions, within one time
budget. The same data, loss mask and held-out measurement as the lab's SFT; DPO continues the SFT adapter against the
frozen SFT model (its reference, passed explicitly) on the world's preference pairs, until the budget ends. Each
adapter is saved with its tokenizer, so the model store serves the folder as a model (base + adapter).
"""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from peft import LoraConfig, get_peft_model

from playground.models.construction import constructs
from playground.tasks.assistant import dpo, sft
from playground.tasks.assistant.data import Instruction, preference_pairs
from playground.tasks.assistant.pipeline import single_threaded
from playground.tasks.assistant.results import LoraResult

LORA_RANK = 8
SFT_SHARE = 0.5  # of the time budget, when DPO follows; DPO gets the rest
HELDOUT_MARGIN_PAIRS = 32  # held-out pairs whose margin DPO reports (a bounded cost on gpt2)


@constructs
def with_adapter(model: Any, seed: int) -> Any:
    """A copy of `model` with fresh LoRA adapters on GPT-2's attention and MLP projections (Conv1D layers)."""
    torch.manual_seed(seed)
    config = LoraConfig(r=LORA_RANK, lora_alpha=2 * LORA_RANK, lora_dropout=0.0, fan_in_fan_out=True,
                        target_modules=["c_attn", "c_proj", "c_fc"], task_type="CAUSAL_LM")
    return get_peft_model(copy.deepcopy(model), config)


@constructs
def trainable_copy(adapted: Any) -> Any:
    """A copy of a LoRA model whose adapters (only) train; the original stays the frozen reference."""
    clone = copy.deepcopy(adapted)
    for name, parameter in clone.named_parameters():
        parameter.requires_grad_("lora_" in name)
    return clone


def _dpo(adapted: Any, tokenizer: Any, train: Sequence[Instruction], heldout: Sequence[Instruction],
         settings: dpo.DpoSettings, deadline: float, stop: threading.Event | None,
         progress: Callable[[float, str], None] | None, start: float, budget_s: float) -> tuple[Any, list]:
    """DPO of a copy of the SFT adapter until `deadline` (or Stop); the curve of margins."""
    adapted.eval()
    policy = trainable_copy(adapted)
    halt = threading.Event()  # set at the deadline or on Stop: train_dpo ends before its next batch

    def on_step(step: int, total: int, loss: float) -> None:
        if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
            halt.set()
        if progress is not None:
            progress(min(1.0, (time.monotonic() - start) / budget_s), f"LoRA DPO: step {step}/{total}, loss {loss:.3f}")

    if stop is not None and stop.is_set() or time.monotonic() >= deadline:
        halt.set()
    held = preference_pairs(heldout, seed=settings.seed + 1)[:HELDOUT_MARGIN_PAIRS]
    curve = dpo.train_dpo(policy, adapted, tokenizer, preference_pairs(train, seed=settings.seed), settings, held,
                          halt, on_step)
    return policy, curve


def _mean(values: Sequence[float]) -> float:
    return sum(values) / max(1, len(values))


@single_threaded
def run_lora_sft(model: Any, tokenizer: Any, model_name: str, train: Sequence[Instruction],
                 heldout: Sequence[Instruction], budget_s: float, save_to: Path, settings: sft.SftSettings,
                 stop=None, progress: Callable[[float, str], None] | None = None,
                 dpo_settings: dpo.DpoSettings | None = None) -> LoraResult:
    """SFT as a LoRA adapter (saved in `save_to`/sft); with `dpo_settings`, DPO after it (in `save_to`/dpo), the
    budget split SFT_SHARE / the rest. Held-out exact match and token F1: base, SFT and DPO."""
    start = time.monotonic()
    sft_deadline = start + budget_s * (SFT_SHARE if dpo_settings is not None else 1.0)
    base_scores = sft.score_answers(model, tokenizer, heldout)
    adapted = with_adapter(model, settings.seed)
    trainable = sum(p.numel() for p in adapted.parameters() if p.requires_grad)
    total = sum(p.numel() for p in adapted.parameters())
    report = None if progress is None else (
        lambda step, steps, loss: progress(min(1.0, (time.monotonic() - start) / budget_s),
                                           f"LoRA SFT: step {step}/{steps}, loss {loss:.3f}"))
    losses = sft.train_sft(adapted, tokenizer, train, settings, stop, report, deadline=sft_deadline)
    adapted.eval()
    scores = sft.score_answers(adapted, tokenizer, heldout)
    _save(adapted, tokenizer, save_to / "sft")
    n = max(1, len(heldout))
    tuned = {}
    if dpo_settings is not None:
        policy, curve = _dpo(adapted, tokenizer, train, heldout, dpo_settings, start + budget_s, stop, progress,
                             start, budget_s)
        dpo_scores = sft.score_answers(policy, tokenizer, heldout)
        _save(policy, tokenizer, save_to / "dpo")
        held = [p.heldout_margin for p in curve if p.heldout_margin is not None]
        tuned = dict(dpo_steps=len(curve) - 1, dpo_losses=tuple(p.loss for p in curve[1:]),
                     dpo_exact=_mean([s.exact for s in dpo_scores]), dpo_f1=_mean([s.f1 for s in dpo_scores]),
                     dpo_heldout_margin=(held[0], held[-1]), dpo_beta=dpo_settings.beta,
                     dpo_saved_to=str(save_to / "dpo"))
    return LoraResult(model_name=model_name, rank=LORA_RANK, trainable_parameters=trainable,
                      total_parameters=total, steps=len(losses), losses=tuple(round(x, 4) for x in losses),
                      budget_s=budget_s, base_exact=sum(s.exact for s in base_scores) / n,
                      lora_exact=sum(s.exact for s in scores) / n, base_f1=sum(s.f1 for s in base_scores) / n,
                      lora_f1=sum(s.f1 for s in scores) / n, saved_to=str(save_to / "sft"),
                      seconds=sft.seconds_since(start), **tuned)


def _save(model: Any, tokenizer: Any, folder: Path) -> None:
    """The adapter and the tokenizer: a folder the model store loads as base + adapter."""
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
