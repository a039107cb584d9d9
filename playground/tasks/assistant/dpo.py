"""Direct preference optimisation (DPO, Rafailov et al. 2023) from the SFT model, with the SFT model as the frozen
reference:

    loss = −log σ(β · [(log π(chosen) − log π_ref(chosen)) − (log π(rejected) − log π_ref(rejected))])

(log-probabilities summed over the completion's tokens; TRL's DPOTrainer `loss_type="sigmoid"`, checked against it
in `tests/test_assistant.py`). β sets how far the policy may move from the reference; an optional NLL term on the
chosen answers (RPO) keeps it writing them. No reward model at training time: the log-ratio *is* the implicit reward.

Measured here: the reward margin during training (β × chosen-minus-rejected log-ratio, TRL's `rewards/margins`),
the held-out margin, the KL divergence from the SFT model on the policy's own answers, and win rates.
"""

from __future__ import annotations

import copy
import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from playground.models.construction import constructs
from playground.tasks.assistant.data import PreferencePair
from playground.tasks.assistant.sft import collate, encode, generate, position_limit, sequence_logps


@dataclass(frozen=True)
class DpoSettings:
    beta: float = 0.1
    epochs: int = 2
    batch_size: int = 16
    learning_rate: float = 1e-4
    nll_weight: float = 0.0  # RPO: + weight × the chosen answers' NLL (per token)
    seed: int = 0
    eval_every: int = 5


@dataclass(frozen=True)
class MarginPoint:
    step: int
    loss: float
    train_margin: float  # β × mean chosen-minus-rejected log-ratio, this step's batch
    heldout_margin: float | None = None  # the same on the held-out pairs (at evaluation steps)


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(per-pair loss, per-pair reward margin β·Δ) from sequence log-probabilities."""
    margin = beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))
    return -F.logsigmoid(margin), margin


@constructs
def copy_model(model: Any) -> Any:
    """A trainable copy (the SFT model stays the frozen reference, passed explicitly: never reloaded from disk)."""
    clone = copy.deepcopy(model)
    clone.requires_grad_(True)
    return clone


def _pair_batch(tokenizer: Any, pairs: Sequence[PreferencePair],
                max_length: int | None = None) -> dict[str, torch.Tensor]:
    """One batch of [every chosen, then every rejected] (as TRL's DPO collator orders it); a row over `max_length`
    (the model's positions) loses its prompt's first tokens, as in SFT."""
    rows = [encode(tokenizer, p.prompt, p.chosen, max_length) for p in pairs] + [
        encode(tokenizer, p.prompt, p.rejected, max_length) for p in pairs]
    return collate(rows, tokenizer.eos_token_id)


@torch.no_grad()
def margins(policy: Any, reference: Any, tokenizer: Any, pairs: Sequence[PreferencePair],
            beta: float = 1.0) -> list[float]:
    """β × chosen-minus-rejected log-ratio of each pair (β = 1: the raw log-ratio margin)."""
    out: list[float] = []
    for start in range(0, len(pairs), 64):
        batch = _pair_batch(tokenizer, pairs[start:start + 64], position_limit(policy))
        pc, pr = sequence_logps(policy, batch).chunk(2)
        rc, rr = sequence_logps(reference, batch).chunk(2)
        out += dpo_loss(pc, pr, rc, rr, beta)[1].tolist()
    return out


def train_dpo(policy: Any, reference: Any, tokenizer: Any, pairs: Sequence[PreferencePair], settings: DpoSettings,
              heldout: Sequence[PreferencePair] = (), stop: threading.Event | None = None,
              on_step: Callable[[int, int, float], None] | None = None) -> list[MarginPoint]:
    """Train `policy` in place against the frozen `reference`; the margin curve, with held-out margins."""
    reference.eval()
    generator = torch.Generator().manual_seed(settings.seed)
    optimiser = torch.optim.AdamW(policy.parameters(), lr=settings.learning_rate, weight_decay=0.0)
    total = settings.epochs * math.ceil(len(pairs) / settings.batch_size)
    curve: list[MarginPoint] = []

    def heldout_margin() -> float | None:
        return sum(margins(policy, reference, tokenizer, heldout, settings.beta)) / len(heldout) if heldout else None

    curve.append(MarginPoint(0, math.log(2), 0.0, heldout_margin()))
    for _epoch in range(settings.epochs):
        order = torch.randperm(len(pairs), generator=generator).tolist()
        for start in range(0, len(pairs), settings.batch_size):
            if stop is not None and stop.is_set():
                policy.eval()
                return curve
            policy.train()
            batch = _pair_batch(tokenizer, [pairs[i] for i in order[start:start + settings.batch_size]],
                                position_limit(policy))
            with torch.no_grad():
                ref_chosen, ref_rejected = sequence_logps(reference, batch).chunk(2)
            chosen, rejected = sequence_logps(policy, batch).chunk(2)
            losses, margin = dpo_loss(chosen, rejected, ref_chosen, ref_rejected, settings.beta)
            loss = losses.mean()
            if settings.nll_weight:
                chosen_tokens = (batch["labels"][: len(chosen), 1:] != -100).sum(dim=1).clamp(min=1)
                loss = loss + settings.nll_weight * (-chosen / chosen_tokens).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step = len(curve)
            evaluate = step % settings.eval_every == 0 or step == total
            policy.eval()
            curve.append(MarginPoint(step, round(loss.item(), 4), round(margin.mean().item(), 4),
                                     heldout_margin() if evaluate else None))
            if on_step is not None:
                on_step(step, total, loss.item())
    policy.eval()
    return curve


@torch.no_grad()
def pair_logps(model: Any, tokenizer: Any, pairs: Sequence[PreferencePair]) -> list[tuple[float, float]]:
    """(log p(chosen), log p(rejected)) of each pair's completions under `model`."""
    out: list[tuple[float, float]] = []
    for start in range(0, len(pairs), 64):
        chosen, rejected = sequence_logps(model, _pair_batch(tokenizer, pairs[start:start + 64],
                                                             position_limit(model))).chunk(2)
        out += list(zip(chosen.tolist(), rejected.tolist()))
    return out


@torch.no_grad()
def kl_from_reference(policy: Any, reference: Any, tokenizer: Any, prompts: Sequence[str]) -> float:
    """Mean over prompts of KL(π ‖ π_ref) summed over the tokens of the policy's own greedy answer (exact over the
    vocabulary at each position): how far the tuned model's answers moved from the SFT model's."""
    answers = generate(policy, tokenizer, prompts)
    limit = position_limit(policy)
    batch = collate([encode(tokenizer, p, " " + a, limit) for p, a in zip(prompts, answers)], tokenizer.eos_token_id)
    mask = batch["labels"][:, 1:] != -100
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    log_p = F.log_softmax(policy(**inputs).logits[:, :-1].float(), dim=-1)
    log_q = F.log_softmax(reference(**inputs).logits[:, :-1].float(), dim=-1)
    per_token = (log_p.exp() * (log_p - log_q)).sum(dim=-1)
    return ((per_token * mask).sum(dim=1)).mean().item()


def win_rate(wins: Sequence[float]) -> float:
    """Wins count 1, ties ½, losses 0."""
    return sum(wins) / max(1, len(wins))


def judge(first: float, second: float, tolerance: float = 1e-6) -> float:
    """1 if `first` beats `second`, ½ on a tie, 0 otherwise."""
    if abs(first - second) <= tolerance:
        return 0.5
    return 1.0 if first > second else 0.0
