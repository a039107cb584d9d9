"""Training-time wrappers around the lab's models (this module imports torch; `training` imports it lazily).

`SparseMaskedLM` runs a `BertForMaskedLM` but computes vocabulary logits only at the positions that are to
be predicted (~15 % of them) — the same loss as the model's own, for a fraction of the output layer's cost.
It is an `nn.Module`, so `accelerate` wraps it like any model (data-parallel on several GPUs included).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class SparseOutput:
    loss: torch.Tensor
    logits: torch.Tensor  # (number of predicted positions) × vocabulary
    targets: torch.Tensor  # the labels at those positions


class SparseMaskedLM(nn.Module):
    def __init__(self, masked_lm: nn.Module) -> None:
        super().__init__()
        self.masked_lm = masked_lm

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> SparseOutput:
        hidden = self.masked_lm.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        selected = labels != -100
        logits = self.masked_lm.cls(hidden[selected])
        targets = labels[selected]
        return SparseOutput(loss=nn.functional.cross_entropy(logits, targets), logits=logits, targets=targets)


POOLINGS = ("first", "mean", "last")


@dataclass
class ClassifierOutput:
    logits: torch.Tensor
    loss: torch.Tensor | None = None


class PooledClassifier(nn.Module):
    """A small classification head on a language model's body: one vector per text → linear → labels.

    `pooling="last"` reads the last real token — the one place where a left-to-right model has seen the
    whole text; `pooling="mean"` averages every token; `pooling="first"` reads the first token — BERT's
    [CLS], which a masked-LM-only pre-training never trains to be a summary (no next-sentence objective
    here; BERT's NSP trains it for that one binary task, and even then it is not a sentence summary without
    fine-tuning: Devlin et al. 2018, Section 3.1), and for a left-to-right model a token that has seen nothing but itself (a control).
    """

    def __init__(self, body: nn.Module, hidden_size: int, pooling: str, num_labels: int = 2) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        self.body = body
        self.pooling = pooling
        self.head = nn.Linear(hidden_size, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor | None = None) -> ClassifierOutput:
        hidden = self.body(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.pooling == "last":  # right padding: the last real token of each row
            pooled = hidden[torch.arange(len(hidden)), attention_mask.sum(1) - 1]
        elif self.pooling == "first":
            pooled = hidden[:, 0]
        else:
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        logits = self.head(pooled)
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(logits=logits, loss=loss)
