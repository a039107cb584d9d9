"""Attribution beside gradient × input and occlusion (`lm.influence`): Captum's Integrated Gradients on the
embedding layer, written once over the readers, with its completeness check; and the hand-written gradient ×
input as the per-dimension vectors Captum's `InputXGradient` also gives, so a test can hold them equal.

f(x) = log p(target | x) at the reader's slot (the same quantity gradient × input differentiates). Integrated
Gradients (Sundararajan et al. 2017) integrates ∂f/∂embedding along the straight line from a baseline to the
input: the baseline keeps the special tokens ([CLS], [SEP], [MASK], GPT-2's start token) and sets every word
token's embedding to zero. Its attributions sum to f(input) − f(baseline) up to the integral's error, which the
result reports (`Completeness`). A word's score is the sum over its tokens and dimensions: signed, + for a
word that pushes the prediction up.
"""

from __future__ import annotations

import dataclasses

import torch
from captum.attr import InputXGradient, IntegratedGradients

from playground.core.tokens import display_piece
from playground.lm.influence import InfluenceResult, influence_from
from playground.lm.inside_results import Completeness
from playground.lm.readers import SlotInput, TextReader

IG_STEPS = 50  # Captum's default (Gauss–Legendre): completeness within 5 % on the tests' models and the lab's
IG_BATCH = 25  # interpolation points per batched pass (fewer for long inputs: see `_batch`)
IG_TOKENS_PER_BATCH = 2048  # a batch's rows × tokens: keeps a long input's backward pass within memory
IG_METHOD = ("integrated gradients: Σ over each word's tokens and embedding dimensions of (embedding − baseline) "
             "× the average gradient of log p(prediction at the slot) along the path from the baseline (word "
             "embeddings zero, special tokens kept); signed, scaled so the strongest word is ±1")


def slot_function(reader: TextReader, inp: SlotInput, target: int):
    """f(embeddings) = log p(target) at the slot, for a batch of input embeddings (batch × length × width)."""
    model = reader.lm.model

    def f(embeddings: torch.Tensor) -> torch.Tensor:
        logits = model(inputs_embeds=embeddings).logits[:, inp.position]
        return logits.float().log_softmax(-1)[:, target]
    return f


def input_embeddings(reader: TextReader, inp: SlotInput) -> torch.Tensor:
    with torch.no_grad():
        return reader.lm.model.get_input_embeddings()(torch.tensor([inp.input_ids])).detach()


def top_token(reader: TextReader, inp: SlotInput) -> int:
    with torch.inference_mode():
        return int(reader.lm.model(input_ids=torch.tensor([inp.input_ids])).logits[0, inp.position].argmax())


def baseline_of(reader: TextReader, inp: SlotInput, embeddings: torch.Tensor) -> torch.Tensor:
    """The input's embeddings with every word token's set to zero (special and mask tokens kept)."""
    baseline = embeddings.clone()
    for i, token in enumerate(inp.tokens.tokens):
        if token.kind not in ("special", "mask"):
            baseline[0, inp.offset + i] = 0
    return baseline


def gradient_times_input(reader: TextReader, inp: SlotInput, target: int) -> torch.Tensor:
    """By hand: (∂ f / ∂ embedding) ⊙ embedding, length × width (its per-token L2 norm is `lm.influence`'s score)."""
    embeddings = input_embeddings(reader, inp).requires_grad_(True)
    with torch.enable_grad():
        slot_function(reader, inp, target)(embeddings).sum().backward()
    return (embeddings.grad * embeddings).detach()[0]


def captum_input_x_gradient(reader: TextReader, inp: SlotInput, target: int) -> torch.Tensor:
    """The same through Captum's `InputXGradient`, length × width."""
    with torch.enable_grad():
        embeddings = input_embeddings(reader, inp).requires_grad_(True)
        return InputXGradient(slot_function(reader, inp, target)).attribute(embeddings).detach()[0]


def _batch(tokens: int) -> int:
    return max(1, min(IG_BATCH, IG_TOKENS_PER_BATCH // max(tokens, 1)))


def integrated_gradients(reader: TextReader, inp: SlotInput, target: int | None = None,
                         steps: int = IG_STEPS) -> tuple[InfluenceResult, Completeness]:
    """Every word's integrated gradient on log p(target) at the slot (default target: the top prediction), and
    how well the attributions add up to f(input) − f(baseline)."""
    embeddings = input_embeddings(reader, inp)
    with torch.inference_mode():  # one pass gives the top prediction and f(input)
        log_probs = reader.lm.model(inputs_embeds=embeddings).logits[0, inp.position].float().log_softmax(-1)
    target = int(log_probs.argmax()) if target is None else target
    f = slot_function(reader, inp, target)
    baseline = baseline_of(reader, inp, embeddings)
    with torch.enable_grad():
        attributions = IntegratedGradients(f).attribute(embeddings, baselines=baseline, n_steps=steps,
                                                        internal_batch_size=_batch(len(inp.input_ids))).detach()
    with torch.inference_mode():
        f_input, f_baseline = float(log_probs[target]), float(f(baseline))
    total = float(attributions.sum())
    change = f_input - f_baseline
    check = Completeness(attribution_sum=total, f_input=f_input, f_baseline=f_baseline,
                         relative_error=abs(total - change) / max(abs(change), 1e-12), steps=steps)
    scores = [float(s) for s in attributions[0].sum(-1)]
    result = influence_from(reader, inp, scores, target)
    note = (f"Integrated gradients ({steps} steps): the attributions sum to {total:.4f}; f(input) − f(baseline) = "
            f"{change:.4f} (log p({display_piece(reader.lm.tokenizer, target)}) {f_input:.3f} vs {f_baseline:.3f} "
            f"with the words' embeddings zeroed), a {100 * check.relative_error:.1f} % gap.")
    return dataclasses.replace(result, method=IG_METHOD, notices=(*result.notices, note)), check
