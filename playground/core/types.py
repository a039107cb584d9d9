"""Shared types: what a loaded model is, for every layer above `models`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def position_limit(config) -> int | None:
    """Longest input (in tokens) a model config's position embeddings allow; None if the config does not say."""
    for attr in ("max_position_embeddings", "n_positions"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            # RoBERTa reserves two positions for the padding offset.
            return value - 2 if getattr(config, "model_type", "") in ("roberta", "xlm-roberta") else value
    return None


@dataclass
class LoadedModel:
    name: str  # what the user picked: a hub id or a tiny model's name
    task: str
    tokenizer: Any
    model: Any | None  # None for "tokenizer-only"
    nbytes: int
    source: str  # hub id or local directory it was loaded from
    is_tiny: bool = False
    variant: str = "fp32"  # "int8": the fast-mode copy (see models/variants.py)

    @property
    def max_positions(self) -> int:
        """Longest input (in tokens) the model's position embeddings allow (else the tokenizer's limit)."""
        limit = position_limit(getattr(self.model, "config", None))
        if limit is not None:
            return limit
        limit = getattr(self.tokenizer, "model_max_length", 512)
        return limit if isinstance(limit, int) and limit < 1_000_000 else 512
