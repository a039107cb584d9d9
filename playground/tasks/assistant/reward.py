"""The reward model — BERT judges: lab-bert's encoder with a scalar head on [CLS], reading `question [SEP] answer`,
trained on chosen / rejected answer pairs with the Bradley–Terry loss  -log σ(r(chosen) − r(rejected)).
Its held-out pair accuracy is how often it scores the chosen answer higher on pairs it never saw; best-of-n samples
n answers from a policy and keeps the one the reward model scores highest.

A plain loop (the same loss as TRL's RewardTrainer, whose per-step overhead on models this small is several times
the step itself; see `python -m playground.bench`).
"""

from __future__ import annotations

import copy
import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from playground.core.tokens import pair_batch
from playground.models.construction import constructs
from playground.tasks.assistant.data import PreferencePair
from playground.tasks.assistant.sft import generate

MAX_TOKENS = 128  # question + answer, cut longest-first (BERT's pair rule)


@dataclass(frozen=True)
class RewardSettings:
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5e-4
    seed: int = 0


@dataclass(frozen=True)
class ScoredAnswer:
    answer: str
    score: float
    picked: bool


class RewardModel(nn.Module):
    """A BERT encoder and one linear layer: a scalar score for (question, answer)."""

    def __init__(self, encoder: Any, tokenizer: Any) -> None:
        super().__init__()
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.head = nn.Linear(encoder.config.hidden_size, 1)

    def forward(self, questions: Sequence[str], answers: Sequence[str]) -> torch.Tensor:
        # cut and padded per call: the (shared, cached) lab tokenizer's own settings are never switched on
        batch = pair_batch(self.tokenizer, list(questions), [a.strip() for a in answers], MAX_TOKENS)
        hidden = self.encoder(**batch).last_hidden_state
        return self.head(hidden[:, 0]).squeeze(-1)


@constructs
def build_reward_model(masked_lm: Any, tokenizer: Any, seed: int) -> RewardModel:
    """A fresh reward model on a copy of the masked LM's encoder (the served lab-bert stays as it is)."""
    torch.manual_seed(seed)
    encoder = copy.deepcopy(masked_lm.base_model)
    encoder.requires_grad_(True)
    return RewardModel(encoder, tokenizer)


def question_of(prompt: str) -> str:
    """The question inside a `Question: …\\nAnswer:` prompt (the reward model reads the question and the answer)."""
    return prompt.removeprefix("Question: ").removesuffix("\nAnswer:")


def bradley_terry_loss(chosen: torch.Tensor, rejected: torch.Tensor) -> torch.Tensor:
    return -F.logsigmoid(chosen - rejected).mean()


def train_reward(model: RewardModel, pairs: Sequence[PreferencePair], settings: RewardSettings,
                 stop: threading.Event | None = None,
                 on_step: Callable[[int, int, float], None] | None = None) -> list[float]:
    generator = torch.Generator().manual_seed(settings.seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.0)
    total = settings.epochs * math.ceil(len(pairs) / settings.batch_size)
    losses: list[float] = []
    model.train()
    for _epoch in range(settings.epochs):
        order = torch.randperm(len(pairs), generator=generator).tolist()
        for start in range(0, len(pairs), settings.batch_size):
            if stop is not None and stop.is_set():
                model.eval()
                return losses
            batch = [pairs[i] for i in order[start:start + settings.batch_size]]
            questions = [question_of(p.prompt) for p in batch]
            scores = model(questions + questions, [p.chosen for p in batch] + [p.rejected for p in batch])
            loss = bradley_terry_loss(*scores.chunk(2))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
            if on_step is not None:
                on_step(len(losses), total, losses[-1])
    model.eval()
    return losses


@torch.no_grad()
def score(model: RewardModel, prompts: Sequence[str], answers: Sequence[str], batch_size: int = 64) -> list[float]:
    model.eval()
    out: list[float] = []
    for start in range(0, len(prompts), batch_size):
        questions = [question_of(p) for p in prompts[start:start + batch_size]]
        out += model(questions, answers[start:start + batch_size]).tolist()
    return out


def pair_accuracy(model: RewardModel, pairs: Sequence[PreferencePair]) -> float:
    """How often the reward model scores the chosen answer above the rejected one."""
    prompts = [p.prompt for p in pairs]
    chosen = score(model, prompts, [p.chosen for p in pairs])
    rejected = score(model, prompts, [p.rejected for p in pairs])
    return sum(c > r for c, r in zip(chosen, rejected)) / max(1, len(pairs))


def best_of_n(policy: Any, tokenizer: Any, model: RewardModel, prompt: str, n: int, seed: int,
              temperature: float = 1.0) -> list[ScoredAnswer]:
    """n sampled answers to `prompt`, each with its reward; the highest is the pick."""
    generator = torch.Generator().manual_seed(seed)
    answers = generate(policy, tokenizer, [prompt] * n, temperature=temperature, generator=generator)
    scores = score(model, [prompt] * n, answers)
    best = max(range(n), key=scores.__getitem__)
    return [ScoredAnswer(a, round(s, 4), i == best) for i, (a, s) in enumerate(zip(answers, scores))]
