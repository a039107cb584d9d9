"""A small LSTM language model (the ULMFiT-era ancestor of GPT): left to right, next token, tied embeddings.

It has the interface of the transformers language models the lab trains next to it — `model(input_ids,
attention_mask=..., labels=...)` returns `.loss` and `.logits`, labels are shifted inside — and saves
like them: `config.json` + `model.safetensors` (+ the tokenizer, saved by the caller).

This module imports torch at import time (it defines an `nn.Module`); the lab imports it lazily.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

MODEL_TYPE = "playground-lstm"


@dataclass(frozen=True)
class LstmConfig:
    vocab_size: int
    embedding_size: int = 128
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.1
    pad_token_id: int = 0


@dataclass
class LstmOutput:
    logits: torch.Tensor
    loss: torch.Tensor | None = None


class LstmLanguageModel(nn.Module):
    """Embedding → LSTM → projection back to the embedding size → logits through the tied embedding."""

    def __init__(self, config: LstmConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_size)
        self.lstm = nn.LSTM(config.embedding_size, config.hidden_size, num_layers=config.num_layers,
                            batch_first=True, dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(config.dropout)
        self.projection = nn.Linear(config.hidden_size, config.embedding_size)
        self.output_bias = nn.Parameter(torch.zeros(config.vocab_size))
        nn.init.normal_(self.embedding.weight, std=0.02)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None) -> LstmOutput:
        hidden, _ = self.lstm(self.dropout(self.embedding(input_ids)))
        features = self.projection(self.dropout(hidden))
        logits = features @ self.embedding.weight.T + self.output_bias
        loss = None
        if labels is not None:  # like GPT2LMHeadModel: position t predicts token t + 1; -100 is ignored
            loss = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)),
                                               labels[:, 1:].reshape(-1), ignore_index=-100)
        return LstmOutput(logits=logits, loss=loss)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def save_pretrained(self, directory: Path | str) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.json").write_text(json.dumps({"model_type": MODEL_TYPE, **asdict(self.config)}, indent=2))
        save_file({k: v.detach().contiguous() for k, v in self.state_dict().items()}, directory / "model.safetensors")

    @classmethod
    def from_pretrained(cls, directory: Path | str) -> "LstmLanguageModel":
        directory = Path(directory)
        raw = json.loads((directory / "config.json").read_text())
        if raw.pop("model_type", None) != MODEL_TYPE:
            raise ValueError(f"{directory} does not hold a {MODEL_TYPE} model")
        model = cls(LstmConfig(**raw))
        model.load_state_dict(load_file(directory / "model.safetensors"))
        return model.eval()
