"""Supervised instruction fine-tuning (SFT) of a causal LM on prompt → completion pairs, with the loss on the
response tokens only: the prompt's labels are -100, so the model is never trained to write questions, only to
answer them. Also the shared primitives of the other stages: batching, per-sequence log-probabilities of a
completion, and greedy / sampled answers.

A plain PyTorch loop, not TRL's SFTTrainer: on the lab models TRL costs several times a plain loop per step
(measured in `python -m playground.bench`, section "assistant"); `tests/test_assistant.py` checks that the loss
here is the response-only loss.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from playground.core.answer_scores import exact_match, token_f1
from playground.tasks.assistant.data import Instruction

IGNORE = -100
MAX_ANSWER_TOKENS = 12


@dataclass(frozen=True)
class SftSettings:
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 1e-3
    seed: int = 0


@dataclass(frozen=True)
class MaskToken:
    token: str
    counted: bool  # True: a response token, in the loss; False: a prompt token, label -100


@dataclass(frozen=True)
class AnswerScore:
    question: str
    answer: str  # the world's answer
    prediction: str
    exact: bool
    f1: float


def position_limit(model: Any) -> int:
    """How many tokens the model reads at most (its position embeddings)."""
    config = model.config
    return int(getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None) or 1024)


def encode(tokenizer: Any, prompt: str, completion: str, max_length: int | None = None) -> tuple[list[int], list[int]]:
    """(input ids, labels) of prompt + completion + end of text; the prompt's labels are IGNORE. Over `max_length`,
    the prompt loses its first tokens (then the completion its last)."""
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    if max_length is not None and len(prompt_ids) + len(completion_ids) > max_length:
        completion_ids = completion_ids[:max_length - 1]
        prompt_ids = prompt_ids[len(prompt_ids) + len(completion_ids) - max_length:]
    return prompt_ids + completion_ids, [IGNORE] * len(prompt_ids) + completion_ids


def loss_mask_strip(tokenizer: Any, item: Instruction) -> list[MaskToken]:
    """The tokens of one training example, each marked counted (response) or not (prompt): the loss mask."""
    ids, labels = encode(tokenizer, item.prompt, item.completion)
    return [MaskToken(tokenizer.decode([i]), label != IGNORE) for i, label in zip(ids, labels)]


def collate(rows: Sequence[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded batch: input_ids, attention_mask, labels (IGNORE on padding)."""
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for r, (ids, labs) in enumerate(rows):
        input_ids[r, :len(ids)] = torch.tensor(ids)
        labels[r, :len(labs)] = torch.tensor(labs)
        attention[r, :len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def token_logps(model: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-probability of each next token, mask of the counted ones), both B × (T-1)."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    targets = batch["labels"][:, 1:]
    mask = targets != IGNORE
    logps = torch.gather(F.log_softmax(logits.float(), dim=-1), 2, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return logps * mask, mask


def response_loss(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood over the response tokens only."""
    logps, mask = token_logps(model, batch)
    return -logps.sum() / mask.sum().clamp(min=1)


def sequence_logps(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Each row's completion log-probability (summed over its response tokens), as DPO uses it."""
    logps, _ = token_logps(model, batch)
    return logps.sum(dim=1)


def train_sft(model: Any, tokenizer: Any, items: Sequence[Instruction], settings: SftSettings,
              stop: threading.Event | None = None,
              on_step: Callable[[int, int, float], None] | None = None,
              deadline: float | None = None) -> list[float]:
    """Fine-tune `model` in place on the pairs; returns the loss of every step. Stops early when `stop` is set or
    the `deadline` (a `time.monotonic()` value) has passed."""
    rows = [encode(tokenizer, i.prompt, i.completion, position_limit(model)) for i in items]
    generator = torch.Generator().manual_seed(settings.seed)
    trainable = [p for p in model.parameters() if p.requires_grad]  # with LoRA: the adapters only
    optimiser = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(rows) / settings.batch_size)
    total, losses = settings.epochs * steps_per_epoch, []
    model.train()
    for _epoch in range(settings.epochs):
        order = torch.randperm(len(rows), generator=generator).tolist()
        for start in range(0, len(rows), settings.batch_size):
            if (stop is not None and stop.is_set()) or (deadline is not None and time.monotonic() > deadline):
                model.eval()
                return losses
            batch = collate([rows[i] for i in order[start:start + settings.batch_size]], tokenizer.eos_token_id)
            loss = response_loss(model, batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
            if on_step is not None:
                on_step(len(losses), total, losses[-1])
    model.eval()
    return losses


@torch.no_grad()
def generate(model: Any, tokenizer: Any, prompts: Sequence[str], max_new_tokens: int = MAX_ANSWER_TOKENS,
             temperature: float = 0.0, generator: torch.Generator | None = None) -> list[str]:
    """Answers to `prompts`, greedy (temperature 0) or sampled, batched with left padding; each stops at the end
    of text or a new line."""
    model.eval()
    eos = tokenizer.eos_token_id
    keep = max(1, position_limit(model) - max_new_tokens)  # the prompt's last tokens, leaving room for the answer
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"][-keep:] for p in prompts]
    width = max(len(e) for e in encoded)
    ids = torch.full((len(encoded), width), eos, dtype=torch.long)
    attention = torch.zeros_like(ids)
    for r, e in enumerate(encoded):
        ids[r, width - len(e):] = torch.tensor(e)
        attention[r, width - len(e):] = 1
    done = torch.zeros(len(encoded), dtype=torch.bool)
    new: list[list[int]] = [[] for _ in encoded]
    newline = set(tokenizer("\n", add_special_tokens=False)["input_ids"])
    for _ in range(max_new_tokens):
        positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
        logits = model(input_ids=ids, attention_mask=attention, position_ids=positions).logits[:, -1].float()
        if temperature > 0:
            step = torch.multinomial(F.softmax(logits / temperature, dim=-1), 1, generator=generator).squeeze(1)
        else:
            step = logits.argmax(dim=-1)
        for r, token in enumerate(step.tolist()):
            if not done[r]:
                if token == eos or token in newline:
                    done[r] = True
                else:
                    new[r].append(token)
        if bool(done.all()):
            break
        ids = torch.cat([ids, step.unsqueeze(1)], dim=1)
        attention = torch.cat([attention, (~done).long().unsqueeze(1)], dim=1)
    return [tokenizer.decode(tokens).strip() for tokens in new]


def score_answers(model: Any, tokenizer: Any, items: Sequence[Instruction]) -> list[AnswerScore]:
    """Greedy answers to the held-out questions, each scored against the world's answer."""
    predictions = generate(model, tokenizer, [i.prompt for i in items])
    return [AnswerScore(i.question, i.answer, p, exact_match(p, i.answer), token_f1(p, i.answer))
            for i, p in zip(items, predictions)]


def seconds_since(start: float) -> float:
    return round(time.monotonic() - start, 2)
