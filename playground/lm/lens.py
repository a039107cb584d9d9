"""The logit lens, written once for both readers: decode every layer's hidden state at the slot through the
model's own output head, so one sees at which layer the final answer appears.

BERT is read at its [MASK], GPT-2 at the token before the slot (the next-token position). The head is the
model's own: BERT's MLM transform (dense → GELU → LayerNorm) and decoder; GPT-2's final LayerNorm `ln_f` and
`lm_head`. One forward pass with `output_hidden_states` serves every layer. The last row is the model's own
output (transformers hands GPT-2's last hidden state back already through `ln_f`; the row is the logits
themselves, so it matches the prediction exactly).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from playground.core.errors import PlaygroundError
from playground.core.predictions import Prediction, rank_of, top_predictions
from playground.core.tokens import display_piece
from playground.lm.inside_results import LensLayer, LensResult
from playground.lm.readers import TextReader


def output_head(model: Any) -> tuple[Callable[[torch.Tensor], torch.Tensor], str]:
    """hidden state(s) → logits through the model's final norm/transform and output layer, and its description.
    Known families: BERT (`cls`), RoBERTa/XLM-R (`lm_head`), DistilBERT, ALBERT, GPT-2 (`ln_f` + `lm_head`)."""
    if hasattr(model, "cls"):  # BertForMaskedLM: transform (dense, act, LayerNorm) + decoder
        return model.cls, "cls.predictions (transform: dense → activation → LayerNorm; decoder)"
    if hasattr(model, "transformer") and hasattr(model.transformer, "ln_f") and hasattr(model, "lm_head"):
        norm, head = model.transformer.ln_f, model.lm_head
        return (lambda h: head(norm(h))), "transformer.ln_f → lm_head"
    if hasattr(model, "vocab_projector"):  # DistilBERT
        def distil(h: torch.Tensor) -> torch.Tensor:
            return model.vocab_projector(model.vocab_layer_norm(model.activation(model.vocab_transform(h))))
        return distil, "vocab_transform → activation → vocab_layer_norm → vocab_projector"
    if hasattr(model, "predictions"):  # ALBERT
        return model.predictions, "predictions (dense → activation → LayerNorm → decoder)"
    if hasattr(model, "lm_head") and hasattr(model.lm_head, "layer_norm"):  # RoBERTa, XLM-R
        return model.lm_head, "lm_head (dense → GELU → layer_norm → decoder)"
    raise PlaygroundError(f"The logit lens does not know the output head of {type(model).__name__}.")


def layer_names(count: int) -> tuple[str, ...]:
    """Names of the hidden states: the embeddings, then each layer's output."""
    return ("embeddings", *(f"layer {i}" for i in range(1, count)))


def logit_lens(reader: TextReader, text: str, top_k: int = 5, fillers: list[str] | None = None) -> LensResult:
    """Every layer's top-k at the reader's slot, and the rank and probability there of the final answer."""
    lm = reader.lm
    inp = reader.slot_input(text, fillers)
    head, described = output_head(lm.model)
    with torch.inference_mode():
        out = lm.model(input_ids=torch.tensor([inp.input_ids]), output_hidden_states=True)
        states = torch.stack([h[0, inp.position] for h in out.hidden_states[:-1]])
        logits = torch.cat([head(states), out.logits[0, inp.position][None]]).float()
        probs = logits.softmax(-1)
    answer = int(probs[-1].argmax())
    rows = tuple(LensLayer(layer=name, top=top_predictions(lm.tokenizer, p, top_k), answer_rank=rank_of(p, answer),
                           answer_probability=float(p[answer]))
                 for name, p in zip(layer_names(len(out.hidden_states)), probs))
    return LensResult(model_name=lm.name, direction=reader.direction, text=inp.text, slot=inp.slot,
                      position=inp.position,
                      answer=Prediction(display_piece(lm.tokenizer, answer), answer, float(probs[-1, answer])),
                      layers=rows, head=described, forward_passes=1, notices=inp.notices)
