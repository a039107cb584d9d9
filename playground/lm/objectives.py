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
