"""SFT of a real checkpoint (gpt2 by default) as a LoRA adapter (peft): the base weights stay frozen, small low-rank
matrices beside the attention and MLP projections learn the instructions, within a time budget. The same data,
loss mask and held-out measurement as the lab's SFT; the adapter is saved in the lab folder.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from peft import LoraConfig, get_peft_model

from playground.models.construction import constructs
from playground.tasks.assistant import sft
from playground.tasks.assistant.data import Instruction
from playground.tasks.assistant.pipeline import single_threaded
from playground.tasks.assistant.results import LoraResult

LORA_RANK = 8


@constructs
def with_adapter(model: Any, seed: int) -> Any:
    """A copy of `model` with fresh LoRA adapters on GPT-2's attention and MLP projections (Conv1D layers)."""
    torch.manual_seed(seed)
    config = LoraConfig(r=LORA_RANK, lora_alpha=2 * LORA_RANK, lora_dropout=0.0, fan_in_fan_out=True,
                        target_modules=["c_attn", "c_proj", "c_fc"], task_type="CAUSAL_LM")
    return get_peft_model(copy.deepcopy(model), config)


@single_threaded
def run_lora_sft(model: Any, tokenizer: Any, model_name: str, train: Sequence[Instruction],
                 heldout: Sequence[Instruction], budget_s: float, save_to: Path, settings: sft.SftSettings,
                 stop=None, progress: Callable[[float, str], None] | None = None) -> LoraResult:
    start = time.monotonic()
    base_scores = sft.score_answers(model, tokenizer, heldout)
    adapted = with_adapter(model, settings.seed)
    trainable = sum(p.numel() for p in adapted.parameters() if p.requires_grad)
    total = sum(p.numel() for p in adapted.parameters())
    report = None if progress is None else (
        lambda step, steps, loss: progress(min(1.0, (time.monotonic() - start) / budget_s),
                                           f"LoRA SFT: step {step}/{steps}, loss {loss:.3f}"))
    losses = sft.train_sft(adapted, tokenizer, train, settings, stop, report, deadline=start + budget_s)
    adapted.eval()
    scores = sft.score_answers(adapted, tokenizer, heldout)
    adapted.save_pretrained(save_to)
    n = max(1, len(heldout))
    return LoraResult(model_name=model_name, rank=LORA_RANK, trainable_parameters=trainable,
                      total_parameters=total, steps=len(losses), losses=tuple(round(x, 4) for x in losses),
                      budget_s=budget_s, base_exact=sum(s.exact for s in base_scores) / n,
                      lora_exact=sum(s.exact for s in scores) / n, base_f1=sum(s.f1 for s in base_scores) / n,
                      lora_f1=sum(s.f1 for s in scores) / n, saved_to=str(save_to),
                      seconds=sft.seconds_since(start))
