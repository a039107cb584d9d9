"""The networks on the road to the transformer, each as small as the comparison allows (torch at import).

- `SequenceModel`: one embedding, one recurrent or attention layer, one output; `kind` is "rnn" (Elman, tanh),
  "gru", "lstm" or "transformer" (one pre-norm block: causal self-attention + feed-forward, learned positions).
  Its output layer predicts the next word (a language model) or one of `classes` labels; every layer keeps
  PyTorch's default initialisation, except the LSTM's forget gate, whose bias starts at 1 (`FORGET_BIAS`), the
  standard LSTM practice (Gers, Schmidhuber & Cummins 2000; Jozefowicz, Zaremba & Sutskever 2015).
- `Seq2Seq`: a GRU encoder and a GRU decoder, the decoder starting from the encoder's last state (the fixed
  vector) and, with `attention`, also reading a weighted sum of every encoder state at each step (Luong et al.
  2015's "general" score), whose weights are the alignment the tab draws.

Every model is built by `build_sequence_model` / `build_seq2seq`, under the construction lock.
"""

from __future__ import annotations

import torch
from torch import nn

from playground.models.construction import constructs

KINDS = ("rnn", "gru", "lstm", "transformer")
LABELS = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM", "transformer": "transformer"}
HEADS = 2
RECURRENT_GATES = {"rnn": 1, "gru": 3, "lstm": 4}
# The LSTM's forget gate starts open: PyTorch draws its bias around 0 (the gate half shut, so the cell forgets
# half of itself at every step); the documented practice is a bias of 1 (Gers et al. 2000; Jozefowicz et al.
# 2015). Measured on the long-range validation set at d = 10 (5 seeds, 200 steps): see docs/road.md.
FORGET_BIAS = 1.0


def open_forget_gate(lstm: nn.LSTM, bias: float = FORGET_BIAS) -> None:
    """Set the forget gate's total bias to `bias` in every layer. torch.nn.LSTM stores its gates as (i, f, g, o)
    in `bias_ih_l*` and `bias_hh_l*`, and adds the two: f's slice of the first gets `bias`, of the second 0."""
    h = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{layer}")[h:2 * h] = bias
            getattr(lstm, f"bias_hh_l{layer}")[h:2 * h] = 0.0


class SequenceModel(nn.Module):
    def __init__(self, kind: str, vocab_size: int, hidden: int, classes: int | None = None,
                 max_len: int = 128, forget_bias: float | None = FORGET_BIAS) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self.kind, self.hidden, self.max_len = kind, hidden, max_len
        self.embedding = nn.Embedding(vocab_size, hidden)
        if kind == "transformer":
            self.positions = nn.Embedding(max_len, hidden)
            self.block = nn.TransformerEncoderLayer(hidden, HEADS, dim_feedforward=2 * hidden, dropout=0.0,
                                                    batch_first=True, norm_first=True)
            self.norm = nn.LayerNorm(hidden)
        else:
            self.core = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](hidden, hidden, batch_first=True)
            if kind == "lstm" and forget_bias is not None:  # None: PyTorch's own start (for the comparison)
                open_forget_gate(self.core, forget_bias)
        # the other layers keep PyTorch's default initialisation; the output is its own layer (words or labels)
        self.head = nn.Linear(hidden, classes or vocab_size)

    def features(self, embedded: torch.Tensor) -> torch.Tensor:
        """(batch, length, hidden) embeddings → (batch, length, hidden) states; position t sees only 0..t."""
        if self.kind != "transformer":
            return self.core(embedded)[0]
        length = embedded.size(1)
        x = embedded + self.positions(torch.arange(length, device=embedded.device))
        causal = torch.triu(torch.full((length, length), float("-inf"), device=embedded.device), diagonal=1)
        return self.norm(self.block(x, src_mask=causal))

    def forward_embeddings(self, embedded: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(embedded))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.forward_embeddings(self.embedding(ids))


def parameter_count(kind: str, vocab_size: int, hidden: int, classes: int | None, max_len: int) -> int:
    """What `SequenceModel(...)` holds, without building it (tests check the two agree)."""
    h = hidden
    outputs = (h + 1) * (classes or vocab_size)
    if kind == "transformer":
        block = (4 * h * h + 4 * h) + (2 * h * h + 2 * h) + (2 * h * h + h) + 4 * h  # attention, FF in/out, 2 norms
        core = max_len * h + block + 2 * h
    else:
        core = RECURRENT_GATES[kind] * (2 * h * h + 2 * h)
    return vocab_size * h + core + outputs


def hidden_for_budget(kind: str, vocab_size: int, budget: int, classes: int | None, max_len: int) -> int:
    """The width (even, ≥ 4) whose parameter count is closest to `budget`: every kind gets the same budget."""
    candidates = range(4, 1025, HEADS)
    return min(candidates, key=lambda h: abs(parameter_count(kind, vocab_size, h, classes, max_len) - budget))


@constructs
def build_sequence_model(kind: str, vocab_size: int, hidden: int, classes: int | None = None,
                         max_len: int = 128, seed: int = 0, forget_bias: float | None = FORGET_BIAS) -> SequenceModel:
    torch.manual_seed(seed)
    return SequenceModel(kind, vocab_size, hidden, classes, max_len, forget_bias)


class Seq2Seq(nn.Module):
    def __init__(self, vocab_size: int, hidden: int, attention: bool) -> None:
        super().__init__()
        self.attention = attention
        self.embedding = nn.Embedding(vocab_size, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRUCell(hidden, hidden)
        self.score = nn.Linear(hidden, hidden, bias=False) if attention else None
        self.combine = nn.Linear(2 * hidden if attention else hidden, hidden)
        self.out = nn.Linear(hidden, vocab_size)

    def step(self, token: torch.Tensor, state: torch.Tensor, memory: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoder step: (logits, new state, attention weights over the input or None)."""
        state = self.decoder(self.embedding(token), state)
        if self.score is None:
            return self.out(torch.tanh(self.combine(state))), state, None
        weights = torch.softmax(torch.einsum("bh,bsh->bs", self.score(state), memory), dim=-1)
        context = torch.einsum("bs,bsh->bh", weights, memory)
        return self.out(torch.tanh(self.combine(torch.cat([state, context], -1)))), state, weights

    def forward(self, source: torch.Tensor, decoder_input: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: (logits (batch, steps, vocab), weights (batch, steps, source length) or None)."""
        memory, last = self.encoder(self.embedding(source))
        state, logits, weights = last[0], [], []
        for t in range(decoder_input.size(1)):
            out, state, w = self.step(decoder_input[:, t], state, memory)
            logits.append(out)
            weights.append(w)
        return torch.stack(logits, 1), (torch.stack(weights, 1) if self.attention else None)

    @torch.no_grad()
    def greedy(self, source: torch.Tensor, bos: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Write as many words as the input has, each from the model's own previous word."""
        memory, last = self.encoder(self.embedding(source))
        state = last[0]
        token = torch.full((source.size(0),), bos, dtype=torch.long)
        words, weights = [], []
        for _ in range(source.size(1)):
            out, state, w = self.step(token, state, memory)
            token = out.argmax(-1)
            words.append(token)
            weights.append(w)
        return torch.stack(words, 1), (torch.stack(weights, 1) if self.attention else None)


@constructs
def build_seq2seq(vocab_size: int, hidden: int, attention: bool, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(vocab_size, hidden, attention)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
