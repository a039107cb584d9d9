"""Attention weights: every layer and head of one forward pass (`AttentionStack`), and one layer/head of it
(`AttentionMap`). The weights come from an eager-attention twin of the model (`passes.attention_reader`),
because PyTorch's fused sdpa kernel never materialises them."""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.text_input import check_int
from playground.core.tokens import TokenizedText
from playground.core.types import LoadedModel
from playground.lm.passes import ForwardPass, forward_pass

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


@dataclass(frozen=True, eq=False)
class AttentionStack:
    """Every layer and head of one model on one input, kept so another layer or head is drawn without the model."""

    model_name: str
    tokens: tuple[str, ...]
    weights: object  # torch.Tensor, float32, layers × heads × T × T

    @property
    def num_layers(self) -> int:
        return int(self.weights.shape[0])

    @property
    def num_heads(self) -> int:
        return int(self.weights.shape[1])

    @property
    def nbytes(self) -> int:
        return self.weights.numel() * self.weights.element_size()

    def map(self, layer: int, head: int) -> AttentionMap:
        layer = check_int(layer, "Layer", 1, self.num_layers)
        head = check_int(head, "Head", 1, self.num_heads)
        rows = self.weights[layer - 1, head - 1].tolist()
        return AttentionMap(
            model_name=self.model_name, layer=layer, head=head, num_layers=self.num_layers,
            num_heads=self.num_heads, tokens=self.tokens,
            weights=tuple(tuple(round(w, 5) for w in row) for row in rows),
        )


def attention_stack(lm: LoadedModel, tokens: TokenizedText, reading: ForwardPass) -> AttentionStack:
    """The attention weights a forward pass over `tokens` recorded (it must have been run with attentions)."""
    return AttentionStack(model_name=lm.name, tokens=tuple(t.display for t in tokens.tokens),
                          weights=reading.attentions)


def read_attention(lm: LoadedModel, tokens: TokenizedText) -> AttentionStack:
    """One eager forward pass over `tokens` for its attention weights only."""
    return attention_stack(lm, tokens, forward_pass(lm, tokens.input_ids, [0], attentions=True))


def attention_map(lm: LoadedModel, tokens: TokenizedText, layer: int, head: int) -> AttentionMap:
    config = lm.model.config
    layer = check_int(layer, "Layer", 1, config.num_hidden_layers)
    head = check_int(head, "Head", 1, config.num_attention_heads)
    return read_attention(lm, tokens).map(layer, head)
