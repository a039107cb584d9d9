"""Attention weights of one layer and head (models are loaded with eager attention, because
PyTorch's fused sdpa kernel never materialises the weights)."""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.types import LoadedModel
from playground.core.text_input import check_int
from playground.core.tokens import TokenizedText

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.


@dataclass(frozen=True)
class AttentionMap:
    model_name: str
    layer: int  # 1-based
    head: int  # 1-based
    num_layers: int
    num_heads: int
    tokens: tuple[str, ...]
    weights: tuple[tuple[float, ...], ...]  # weights[i][j]: how much query i attends to key j; rows sum to 1


def attention_map(lm: LoadedModel, tokens: TokenizedText, layer: int, head: int) -> AttentionMap:
    import torch

    config = lm.model.config
    num_layers = config.num_hidden_layers
    num_heads = config.num_attention_heads
    layer = check_int(layer, "Layer", 1, num_layers)
    head = check_int(head, "Head", 1, num_heads)
    with torch.inference_mode():
        out = lm.model(input_ids=torch.tensor([tokens.input_ids]), output_attentions=True)
    weights = out.attentions[layer - 1][0, head - 1]
    return AttentionMap(
        model_name=lm.name, layer=layer, head=head, num_layers=num_layers, num_heads=num_heads,
        tokens=tuple(t.display for t in tokens.tokens),
        weights=tuple(tuple(round(float(w), 5) for w in row) for row in weights),
    )
