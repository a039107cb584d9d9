"""Context direction: which positions each model may look at, and how much each context word moves the
prediction for the slot — estimated (gradient × input) or measured (occlusion).

Gradient × input (fast, one backward pass) is a first-order *estimate*: the L2 norm of
(∂ log p(predicted token at the slot) / ∂ input embedding) ⊙ input embedding, summed over a word's tokens.

Occlusion *measures* it: hide one word at a time, run the model again and take how far the slot's
probability of the originally predicted token moves, |p(with the word) − p(without it)|. Hiding a word:
- BERT (a masked LM): each of the word's tokens becomes the mask token — the model's own "no information
  here", which it saw in pre-training; the length and every other position stay as they were.
- GPT-2 (no mask token): the word's tokens are deleted (leave-one-out erasure, Li et al. 2016,
  "Understanding Neural Networks through Representation Erasure"). Any replacement word would bring its
  own meaning, and `<|endoftext|>` would start a new document. Deleting a word left of the slot moves the
  slot one or more positions left; the prediction is read from the token just before the slot, as always.
All variants of a sentence go through the model in one batch (right-padded, padding hidden by the
attention mask), next to the sentence itself, so each change is measured within the same forward pass.

Each method is written once, over a `readers.TextReader` (`reader_for(lm)`): the reader encodes the sentence,
says where the slot is predicted and how a word is hidden; nothing here asks which model it is. The
`masked_*`/`causal_*` functions are the old per-model names, kept as one-line wrappers.

Either way, for GPT-2 every word right of the slot gets exactly 0: the causal mask cuts every path from it
to the slot's logits (for occlusion: the slot's probability stays bit-identical; a test checks both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from playground.core.errors import PlaygroundError
from playground.core.predictions import percent
from playground.core.text_input import CleanText
from playground.core.tokens import (WORD_PATTERN, TokenizedText, WordScore, display_piece, padded_batch, shares,
                                    word_scores)
from playground.core.types import LoadedModel
from playground.lm.passes import ForwardPass
# attention_mask_pattern, fill_masks and gap_fillers now live in lm.readers; imported here too for the code that
# imports them from this module.
from playground.lm.readers import (CausalReader, CausalReading, MaskedReader, SlotInput, TextReader, Variant,  # noqa: F401
                                   attention_mask_pattern, delete_tokens, fill_masks, gap_fillers, mask_tokens,
                                   reader_for)

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.

GRADIENT, OCCLUSION = "gradient", "occlusion"
METHODS = {GRADIENT: "gradient × input (estimate)", OCCLUSION: "occlusion (measured)"}  # key → UI label
METHOD = ("gradient × input: L2 norm of (∂ log p(top prediction at the slot) / ∂ token embedding) ⊙ token "
          "embedding, summed over each word's tokens, scaled so the strongest word is 1")
_WORD = re.compile(r"\[MASK\]|<mask>|" + WORD_PATTERN.pattern)  # a mask token is one word here
_LOGITS_BUDGET = 2**26  # logit values per forward (256 MB of float32); more variants are split into batches


@dataclass(frozen=True)
class WordInfluence:
    word: str
    start: int
    end: int
    side: str  # "left" | "right" | "slot"
    influence: float  # the method's raw score: gradient × input norm, or occlusion's |change in probability|
    share: float  # influence / strongest word's influence, in [0, 1]


@dataclass(frozen=True)
class InfluenceResult:
    model_name: str
    text: str  # the sentence the model read
    slot: str  # what fills the slot being predicted ("[MASK]" for BERT)
    predicted: str  # the token whose probability is followed (differentiated, or measured under occlusion)
    words: tuple[WordInfluence, ...]
    method: str = METHOD
    notices: tuple[str, ...] = ()
    baseline: float | None = None  # occlusion: p(predicted) at the slot with every word present; None otherwise

    def total(self, side: str) -> float:
        return sum(w.influence for w in self.words if w.side == side)


def check_method(method: object) -> str:
    """A METHODS key; the UI's labels are accepted too."""
    for key, label in METHODS.items():
        if method in (key, label):
            return key
    raise PlaygroundError(f"Influence method must be one of {', '.join(METHODS)}, got {method!r}.")


def _sides(words: Sequence[WordScore], slot: tuple[int, int]) -> list[str]:
    return ["slot" if w.start >= slot[0] and w.end <= slot[1] else ("left" if w.end <= slot[0] else "right")
            for w in words]


def _influences(words: Sequence[WordScore], values: Sequence[float],
                slot: tuple[int, int]) -> tuple[WordInfluence, ...]:
    sides = _sides(words, slot)
    values = [0.0 if side == "slot" else value for value, side in zip(values, sides)]
    return tuple(WordInfluence(w.word, w.start, w.end, side, value, share)
                 for w, side, value, share in zip(words, sides, values, shares(values)))


def _words(inp: SlotInput, scores: Sequence[float] | None = None) -> list[WordScore]:
    """The text's words (a [MASK] counts as one), each with the sum of its tokens' scores (0 without scores)."""
    scores = list(scores) if scores is not None else [0.0] * len(inp.tokens.tokens)
    return word_scores(inp.text, inp.tokens, scores, _WORD)


# ---- gradient × input: the estimate --------------------------------------------------------------------

def influence_from(reader: TextReader, inp: SlotInput, scores: Sequence[float] | None,
                   target: int) -> InfluenceResult:
    """Influence on the slot from per-input-token scores (gradient × input of a pass over `inp.input_ids`), the
    prediction followed being `target`; None when no pass was run (nothing precedes a left-to-right model's
    slot: every word is then at or right of it and has exactly no influence)."""
    words = _words(inp, scores[inp.offset: inp.offset + len(inp.tokens.tokens)] if scores is not None else None)
    return InfluenceResult(model_name=reader.lm.name, text=inp.text, slot=inp.slot,
                           predicted=display_piece(reader.lm.tokenizer, target),
                           words=_influences(words, [w.score for w in words], inp.slot_span), method=METHOD,
                           notices=inp.notices)


def gradient_influence(reader: TextReader, inp: SlotInput) -> InfluenceResult:
    """Estimated influence (gradient × input) of every word on the top prediction for the slot."""
    return influence_from(reader, inp, *reader.forward_pass(inp, gradients=True).influence())


# ---- occlusion: the measurement ------------------------------------------------------------------------

def hide_word(inp: SlotInput, token_indices: Sequence[int], mask_id: int | None,
              start_id: int | None = None) -> Variant:
    """The input with the given tokens (indices into inp.tokens) hidden: each replaced by `mask_id`, or
    deleted when there is none (see `readers.delete_tokens`; `start_id` is put in front when nothing is left
    before the slot). A reader's `hide` is one of the two."""
    return mask_tokens(inp, token_indices, mask_id) if mask_id is not None else \
        delete_tokens(inp, token_indices, start_id)


def slot_probabilities(lm: LoadedModel, original: Variant, variants: Sequence[Variant],
                       target: int | None = None) -> tuple[int, list[float], list[float]]:
    """The original's top prediction at the slot (or the given `target` token), and for each variant
    p(that token) in the original and in the variant — both from the same batched forward pass (the original
    is the first row of every batch; variants are split into several batches only when their logits would
    not fit _LOGITS_BUDGET)."""
    # deferred: torch; the page's task modules import lm/, only a running model needs it
    import torch

    vocab = len(lm.tokenizer)
    per_batch = max(1, _LOGITS_BUDGET // (len(original.input_ids) * vocab) - 1)
    chunks = [list(variants[i:i + per_batch]) for i in range(0, len(variants), per_batch)] or [[]]
    before, after = [], []
    for chunk in chunks:
        rows = [original, *chunk]
        ids, attention = padded_batch([r.input_ids for r in rows], lm.tokenizer.pad_token_id)
        with torch.inference_mode():
            logits = lm.model(input_ids=ids, attention_mask=attention).logits
            probs = logits[torch.arange(len(rows)), torch.tensor([r.position for r in rows])].float().softmax(-1)
        if target is None:
            target = int(probs[0].argmax())
        before += [float(probs[0, target])] * len(chunk)
        after += [float(p) for p in probs[1:, target]]
    return target, before, after


def occlusion_influence(reader: TextReader, inp: SlotInput, target: int | None = None) -> InfluenceResult:
    """Measured influence: each word hidden in turn as the reader hides it (see the module docstring), one
    batched forward pass. `target`: the token whose probability is followed (default: the top prediction with
    every word present)."""
    lm = reader.lm
    words = _words(inp)
    sides = _sides(words, inp.slot_span)
    covering = [[] if side == "slot" else [i for i, t in enumerate(inp.tokens.tokens)
                                           if t.start is not None and t.start < w.end and t.end > w.start]
                for w, side in zip(words, sides)]
    hidden = [n for n, indices in enumerate(covering) if indices]
    original = Variant(inp.input_ids, inp.position)
    variants = [reader.hide(inp, covering[n]) for n in hidden]
    target, before, after = slot_probabilities(lm, original, variants, target)
    values = [0.0] * len(words)
    for n, p, q in zip(hidden, before, after):
        values[n] = abs(p - q)
    predicted = display_piece(lm.tokenizer, target)
    method = (f"occlusion: |p({predicted}) at the slot − the same probability with the word hidden| "
              f"({reader.hiding}; {len(hidden)} variants, one batched forward pass), scaled so the strongest word "
              "is 1")
    baseline = f"Occlusion: with every word present, p({predicted}) at the slot is {percent(before[0])}." if before else \
        "Occlusion: there is no other word to hide."
    return InfluenceResult(model_name=lm.name, text=inp.text, slot=inp.slot, predicted=predicted,
                           words=_influences(words, values, inp.slot_span), method=method,
                           notices=(*inp.notices, baseline), baseline=before[0] if before else None)


# ---- either method, on any model -------------------------------------------------------------------------

def read_influence(reader: TextReader, text: str, fillers: Sequence[str] | None = None,
                   method: str = GRADIENT) -> InfluenceResult:
    """Every word's influence on the reader's prediction for the first slot of `text`, by `method` (a METHODS key
    or label). `fillers`: words for the gaps of a model that cannot read one (GPT-2)."""
    method = check_method(method)
    inp = reader.slot_input(text, fillers)
    return occlusion_influence(reader, inp) if method == OCCLUSION else gradient_influence(reader, inp)


def word_influence(lm: LoadedModel, text: str, fillers: Sequence[str] | None = None,
                   method: str = GRADIENT) -> InfluenceResult:
    """`read_influence` with `lm`'s own reader (`reader_for`)."""
    return read_influence(reader_for(lm), text, fillers, method)


@dataclass(frozen=True, eq=False)
class SlotReading:
    """One model's reading of the slot made elsewhere (the Compare tab's): the reader, its input, and the forward
    pass it ran over the input at the slot — None where none could be run (nothing before GPT-2's slot; the
    prediction followed is then `target`, made from the start token)."""

    reader: TextReader
    inp: SlotInput
    reading: ForwardPass | None
    target: int | None = None


def slot_influence(slot: SlotReading, method: str) -> InfluenceResult:
    """Influence by `method` on the top prediction of the reading: gradient × input from its pass's graph (one
    backward pass; the pass must have kept it), or occlusion of the same input following the pass's top token."""
    occlusion = check_method(method) == OCCLUSION
    if slot.reading is None:
        scores, target = None, slot.target
    elif occlusion:
        scores, target = None, int(slot.reading.log_probs[0].argmax())
    else:
        scores, target = slot.reading.influence(0)
    if occlusion:
        return occlusion_influence(slot.reader, slot.inp, target)
    return influence_from(slot.reader, slot.inp, scores, target)


def masked_slot(lm: LoadedModel, cleaned: CleanText, tokens: TokenizedText, reading: ForwardPass) -> SlotReading:
    """BERT's slot as the Compare tab read it: `tokens`, with a pass read first at their first mask."""
    reader = MaskedReader(lm)
    return SlotReading(reader, reader.input_from_tokens(cleaned, tokens), reading)


def causal_slot(lm: LoadedModel, cleaned: CleanText, reading: CausalReading, forward: ForwardPass | None,
                target: int | None = None) -> SlotReading:
    """GPT-2's slot as the Compare tab read it: `reading`, with a pass read at the token before the slot (None and
    the prediction `target` when the slot is the first token)."""
    reader = CausalReader(lm)
    return SlotReading(reader, reader.input_from_reading(cleaned, reading), forward if reading.slot > 0 else None,
                       target)


# ---- the old per-model names (one line each over the readers) --------------------------------------------

def causal_lm_input(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> SlotInput:
    return CausalReader(lm).slot_input(text, fillers)


def masked_lm_influence(lm: LoadedModel, text: str) -> InfluenceResult:
    return read_influence(MaskedReader(lm), text, None, GRADIENT)


def causal_lm_influence(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> InfluenceResult:
    return read_influence(CausalReader(lm), text, fillers, GRADIENT)


def masked_lm_occlusion(lm: LoadedModel, text: str) -> InfluenceResult:
    return read_influence(MaskedReader(lm), text, None, OCCLUSION)


def causal_lm_occlusion(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> InfluenceResult:
    return read_influence(CausalReader(lm), text, fillers, OCCLUSION)


def masked_lm_word_influence(lm: LoadedModel, text: str, method: str = GRADIENT) -> InfluenceResult:
    return read_influence(MaskedReader(lm), text, None, method)


def causal_lm_word_influence(lm: LoadedModel, text: str, fillers: list[str] | None = None,
                             method: str = GRADIENT) -> InfluenceResult:
    return read_influence(CausalReader(lm), text, fillers, method)


def causal_reading(lm: LoadedModel, cleaned: CleanText, fillers: Sequence[str] = ()) -> CausalReading:
    return CausalReader(lm).reading(cleaned, fillers)


def start_token_id(lm: LoadedModel) -> int:
    return CausalReader(lm).start_id
