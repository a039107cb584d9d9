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

Either way, for GPT-2 every word right of the slot gets exactly 0: the causal mask cuts every path from it
to the slot's logits (for occlusion: the slot's probability stays bit-identical; a test checks both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from playground.core.errors import PlaygroundError
from playground.core.predictions import percent
from playground.core.types import LoadedModel
from playground.core.text_input import MASK, CleanText, clean_text, with_mask_token
from playground.core.tokens import (WORD_PATTERN, TokenizedText, WordScore, display_piece, padded_batch, shares,
                                    tokenize, word_scores)
from playground.lm.passes import ForwardPass, forward_pass

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.

GRADIENT, OCCLUSION = "gradient", "occlusion"
METHODS = {GRADIENT: "gradient × input (estimate)", OCCLUSION: "occlusion (measured)"}  # key → UI label
METHOD = ("gradient × input: L2 norm of (∂ log p(top prediction at the slot) / ∂ token embedding) ⊙ token "
          "embedding, summed over each word's tokens, scaled so the strongest word is 1")
_WORD = re.compile(r"\[MASK\]|<mask>|" + WORD_PATTERN.pattern)  # a mask token is one word here
_LOGITS_BUDGET = 2**26  # logit values per forward (256 MB of float32); more variants are split into batches


def attention_mask_pattern(direction: str, n: int) -> list[list[int]]:
    """n × n matrix, 1 where query i may attend to key j: all ones (bidirectional) or lower-triangular (causal)."""
    if direction not in ("bidirectional", "causal"):
        raise PlaygroundError(f"Unknown context direction {direction!r}.")
    return [[1 if direction == "bidirectional" or j <= i else 0 for j in range(n)] for i in range(n)]


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


@dataclass(frozen=True)
class SlotInput:
    """A sentence as one model reads it to predict the slot: what both influence methods start from."""
    text: str  # the sentence the model reads
    tokens: TokenizedText  # the text's tokens (a start token put in front is not among them)
    input_ids: tuple[int, ...]
    offset: int  # input index of tokens.tokens[0]: 1 when a start token was put in front, else 0
    position: int  # input index whose logits predict the slot
    slot: str
    slot_span: tuple[int, int]  # the slot's characters in `text`
    notices: tuple[str, ...]


def check_method(method: object) -> str:
    """A METHODS key; the UI's labels are accepted too."""
    for key, label in METHODS.items():
        if method in (key, label):
            return key
    raise PlaygroundError(f"Influence method must be one of {', '.join(METHODS)}, got {method!r}.")


def token_influence(lm: LoadedModel, input_ids: Sequence[int], position: int) -> tuple[list[float], int]:
    """Gradient × input norm of every input token on the top prediction at `position`."""
    return forward_pass(lm, input_ids, [position], gradients=True).influence()


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


# ---- reading the slot: BERT at its [MASK], GPT-2 from the token before the slot ------------------------

def masked_lm_input(lm: LoadedModel, text: str) -> SlotInput:
    """BERT reads the sentence with its own mask token; the slot is the first [MASK]."""
    cleaned = clean_text(text)
    if cleaned.mask_count == 0:
        raise PlaygroundError("Add a [MASK] to measure which words BERT uses to predict it.")
    model_text = with_mask_token(cleaned.text, lm.tokenizer.mask_token)
    tokens = tokenize(lm, model_text)
    masks = [t for t in tokens.tokens if t.kind == "mask"]
    if not masks:
        raise PlaygroundError("The [MASK] fell in the part of the text that was cut off; move it earlier.")
    return SlotInput(text=model_text, tokens=tokens, input_ids=tuple(tokens.input_ids), offset=0,
                     position=masks[0].position, slot=lm.tokenizer.mask_token, slot_span=(masks[0].start, masks[0].end),
                     notices=cleaned.notices + tokens.notes)

def _word_influences(text: str, tokens: TokenizedText, scores: Sequence[float],
                     slot: tuple[int, int]) -> tuple[WordInfluence, ...]:
    """Per-word influence from per-token scores of `tokens` (the Compare tab's one-pass reading)."""
    words = word_scores(text, tokens, list(scores), _WORD)
    return _influences(words, [w.score for w in words], slot)


def masked_influence_from(lm: LoadedModel, cleaned: CleanText, tokens: TokenizedText,
                          reading: ForwardPass) -> InfluenceResult:
    """Influence on the first [MASK] from a forward pass over `tokens` kept with its gradient graph, read first at
    the first mask (one backward pass)."""
    masks = [t for t in tokens.tokens if t.kind == "mask"]
    if not masks:
        raise PlaygroundError("The [MASK] fell in the part of the text that was cut off; move it earlier.")
    model_text = with_mask_token(cleaned.text, lm.tokenizer.mask_token)
    scores, target = reading.influence(0)
    slot = (masks[0].start, masks[0].end)
    return InfluenceResult(model_name=lm.name, text=model_text, slot=lm.tokenizer.mask_token,
                           predicted=display_piece(lm.tokenizer, target),
                           words=_word_influences(model_text, tokens, scores, slot),
                           notices=cleaned.notices + tokens.notes)


def gap_fillers(fillers: Sequence[str], gaps: int) -> tuple[str, ...]:
    """What fills each of `gaps` gaps: its own filler, or the last one given when there are fewer."""
    return tuple(fillers[i] if i < len(fillers) else fillers[-1] for i in range(gaps))


def fill_masks(text: str, fillers: list[str]) -> tuple[str, tuple[int, int] | None]:
    """Replace each [MASK] with its filler; return the new text and the first filler's span."""
    out, first_span, cursor = [], None, 0
    pieces = text.split(MASK)
    each = gap_fillers(fillers, len(pieces) - 1) if fillers else ()
    for i, piece in enumerate(pieces):
        out.append(piece)
        cursor += len(piece)
        if i < len(pieces) - 1:
            filler = each[i]
            if first_span is None:
                first_span = (cursor, cursor + len(filler))
            out.append(filler)
            cursor += len(filler)
    return "".join(out), first_span


def causal_lm_input(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> SlotInput:
    """GPT-2 has no mask token, so it reads the sentence with each [MASK] replaced by a filler word
    (BERT's guess in the Compare tab); the slot's prediction is made at the token just before it.
    Without a [MASK], the slot is the next token after the whole text.
    """
    cleaned = clean_text(text)
    fillers = [f.strip() or "…" for f in (fillers or [])] or ["…"]
    model_text, slot_span = fill_masks(cleaned.text, fillers) if cleaned.mask_count else (cleaned.text, None)
    tokenizer = lm.tokenizer
    tokens = tokenize(lm, model_text, add_special_tokens=False)
    # A start token in front, so a slot at the very beginning still has a position to be predicted from.
    bos_id = tokenizer.convert_tokens_to_ids(tokenizer.bos_token or tokenizer.eos_token)
    kept = tokens.tokens[: lm.max_positions - 1]
    input_ids = (bos_id, *(t.token_id for t in kept))
    if slot_span is None:
        position, slot = len(input_ids) - 1, "(next token)"
        slot_span = (len(model_text), len(model_text))
    else:
        first = next((t.position for t in kept if t.end is not None and t.end > slot_span[0]), None)
        if first is None:
            raise PlaygroundError("The [MASK] fell in the part of the text that was cut off; move it earlier.")
        position, slot = first, model_text[slot_span[0]:slot_span[1]]  # logits at bos-shifted index first
    notes = list(cleaned.notices) + list(tokens.notes)
    if cleaned.mask_count:
        notes.append(f"{lm.name} has no mask token: it read the sentence with the gap filled by '{slot}', "
                     "and predicts the slot from the tokens before it.")
    truncated = TokenizedText(model_name=lm.name, scheme=tokens.scheme, tokens=kept)
    return SlotInput(text=model_text, tokens=truncated, input_ids=input_ids, offset=1, position=position, slot=slot,
                     slot_span=slot_span, notices=tuple(notes))


# ---- gradient × input: the estimate --------------------------------------------------------------------

def gradient_influence(lm: LoadedModel, inp: SlotInput) -> InfluenceResult:
    scores, target = token_influence(lm, inp.input_ids, inp.position)
    words = _words(inp, scores[inp.offset: inp.offset + len(inp.tokens.tokens)])
    return InfluenceResult(model_name=lm.name, text=inp.text, slot=inp.slot,
                           predicted=display_piece(lm.tokenizer, target),
                           words=_influences(words, [w.score for w in words], inp.slot_span), method=METHOD,
                           notices=inp.notices)


def masked_lm_influence(lm: LoadedModel, text: str) -> InfluenceResult:
    """Estimated influence (gradient × input) of every word on BERT's prediction for the first [MASK]."""
    return gradient_influence(lm, masked_lm_input(lm, text))


def causal_lm_influence(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> InfluenceResult:
    """Estimated influence (gradient × input) of every word on GPT-2's prediction for the first slot."""
    return gradient_influence(lm, causal_lm_input(lm, text, fillers))


# ---- occlusion: the measurement ------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    input_ids: tuple[int, ...]
    position: int  # where the slot is predicted in this variant


def hide_word(inp: SlotInput, token_indices: Sequence[int], mask_id: int | None,
              start_id: int | None = None) -> Variant:
    """The input with the given tokens (indices into inp.tokens) hidden: each replaced by `mask_id`, or
    deleted when there is none (the slot's position moves left by the deleted tokens before it). When a
    deletion leaves nothing before the slot, the slot is read from `start_id` put in front — what a
    left-to-right model predicts from no context at all."""
    hidden = {inp.offset + i for i in token_indices}
    if mask_id is not None:
        return Variant(tuple(mask_id if j in hidden else t for j, t in enumerate(inp.input_ids)), inp.position)
    kept = tuple(t for j, t in enumerate(inp.input_ids) if j not in hidden)
    position = inp.position - sum(j <= inp.position for j in hidden)
    if position < 0 and start_id is not None:
        return Variant((start_id, *kept), 0)
    return Variant(kept, position)


def slot_probabilities(lm: LoadedModel, original: Variant, variants: Sequence[Variant],
                       target: int | None = None) -> tuple[int, list[float], list[float]]:
    """The original's top prediction at the slot (or the given `target` token), and for each variant
    p(that token) in the original and in the variant — both from the same batched forward pass (the original
    is the first row of every batch; variants are split into several batches only when their logits would
    not fit _LOGITS_BUDGET)."""
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


def occlusion_influence(lm: LoadedModel, inp: SlotInput, mask_id: int | None, start_id: int | None = None,
                        target: int | None = None) -> InfluenceResult:
    """Measured influence: each word hidden in turn (see the module docstring), one batched forward pass.
    `target`: the token whose probability is followed (default: the top prediction with every word present)."""
    words = _words(inp)
    sides = _sides(words, inp.slot_span)
    covering = [[] if side == "slot" else [i for i, t in enumerate(inp.tokens.tokens)
                                           if t.start is not None and t.start < w.end and t.end > w.start]
                for w, side in zip(words, sides)]
    hidden = [n for n, indices in enumerate(covering) if indices]
    original = Variant(inp.input_ids, inp.position)
    variants = [hide_word(inp, covering[n], mask_id, start_id) for n in hidden]
    target, before, after = slot_probabilities(lm, original, variants, target)
    values = [0.0] * len(words)
    for n, p, q in zip(hidden, before, after):
        values[n] = abs(p - q)
    predicted = display_piece(lm.tokenizer, target)
    how = (f"each word's tokens become {lm.tokenizer.convert_ids_to_tokens(mask_id)}" if mask_id is not None
           else "each word's tokens are deleted")
    method = (f"occlusion: |p({predicted}) at the slot − the same probability with the word hidden| ({how}; "
              f"{len(hidden)} variants, one batched forward pass), scaled so the strongest word is 1")
    baseline = f"Occlusion: with every word present, p({predicted}) at the slot is {percent(before[0])}." if before else \
        "Occlusion: there is no other word to hide."
    return InfluenceResult(model_name=lm.name, text=inp.text, slot=inp.slot, predicted=predicted,
                           words=_influences(words, values, inp.slot_span), method=method,
                           notices=(*inp.notices, baseline), baseline=before[0] if before else None)


def masked_lm_occlusion(lm: LoadedModel, text: str) -> InfluenceResult:
    """Measured influence of every word on BERT's prediction for the first [MASK]: each word's tokens are
    replaced by the mask token in turn."""
    return occlusion_influence(lm, masked_lm_input(lm, text), lm.tokenizer.mask_token_id)


def causal_lm_occlusion(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> InfluenceResult:
    """Measured influence of every word on GPT-2's prediction for the first slot: each word is deleted in
    turn (GPT-2 has no mask token). Words right of the slot change nothing, exactly."""
    return occlusion_influence(lm, causal_lm_input(lm, text, fillers), None)


def masked_lm_word_influence(lm: LoadedModel, text: str, method: str = GRADIENT) -> InfluenceResult:
    """BERT's word influence by `method` (a METHODS key or label)."""
    return masked_lm_occlusion(lm, text) if check_method(method) == OCCLUSION else masked_lm_influence(lm, text)


def causal_lm_word_influence(lm: LoadedModel, text: str, fillers: list[str] | None = None,
                             method: str = GRADIENT) -> InfluenceResult:
    """GPT-2's word influence by `method` (a METHODS key or label)."""
    if check_method(method) == OCCLUSION:
        return causal_lm_occlusion(lm, text, fillers)
    return causal_lm_influence(lm, text, fillers)


# ---- the Compare tab's one-pass reading (gradient × input from a shared forward pass) ----------------

@dataclass(frozen=True)
class CausalReading:
    """The sentence as a left-to-right model reads it: each [MASK] filled with a word, and the slot it predicts."""

    text: str  # the sentence with the gaps filled
    tokens: TokenizedText
    slot: int  # token position of the first filled gap (the token count when there is no gap: the next token)
    slot_span: tuple[int, int]  # its characters in `text`
    slot_text: str  # what fills it, or "(next token)"
    had_mask: bool
    fillers: tuple[str, ...] = ()  # what fills each gap, in order (empty without a gap)


def causal_reading(lm: LoadedModel, cleaned: CleanText, fillers: Sequence[str] = ()) -> CausalReading:
    """GPT-2 has no mask token: it reads the sentence with each [MASK] replaced by a filler word (BERT's guess in
    the Compare tab, "…" if none), and predicts the slot from the tokens before it."""
    fillers = [f.strip() or "…" for f in fillers] or ["…"]
    if not cleaned.mask_count:
        tokens = tokenize(lm, cleaned.text, keep="end", add_special_tokens=False)
        end = len(cleaned.text)
        return CausalReading(text=cleaned.text, tokens=tokens, slot=len(tokens.tokens), slot_span=(end, end),
                             slot_text="(next token)", had_mask=False)
    text, span = fill_masks(cleaned.text, fillers)
    tokens = tokenize(lm, text, add_special_tokens=False)
    slot = next((t.position for t in tokens.tokens if t.end is not None and t.end > span[0]), None)
    if slot is None:
        raise PlaygroundError("The [MASK] fell in the part of the text that was cut off; move it earlier.")
    return CausalReading(text=text, tokens=tokens, slot=slot, slot_span=span, slot_text=text[span[0]:span[1]],
                         had_mask=True, fillers=gap_fillers(fillers, cleaned.mask_count))


def start_token_id(lm: LoadedModel) -> int:
    tokenizer = lm.tokenizer
    return tokenizer.convert_tokens_to_ids(tokenizer.bos_token or tokenizer.eos_token)


def _causal_notes(lm: LoadedModel, cleaned: CleanText, reading: CausalReading) -> list[str]:
    notes = list(cleaned.notices) + list(reading.tokens.notes)
    if reading.had_mask:
        notes.append(f"{lm.name} has no mask token: it read the sentence with the gap filled by "
                     f"'{reading.slot_text}', and predicts the slot from the tokens before it.")
    return notes


def causal_influence_from(lm: LoadedModel, cleaned: CleanText, reading: CausalReading,
                          scores: Sequence[float] | None, target: int) -> InfluenceResult:
    """Influence on the slot from per-token scores (None when nothing precedes the slot: every word is then at or
    right of it and has exactly no influence)."""
    scores = list(scores) if scores is not None else [0.0] * len(reading.tokens.tokens)
    notes = _causal_notes(lm, cleaned, reading)
    return InfluenceResult(model_name=lm.name, text=reading.text, slot=reading.slot_text,
                           predicted=display_piece(lm.tokenizer, target),
                           words=_word_influences(reading.text, reading.tokens, scores, reading.slot_span),
                           notices=tuple(notes))


# ---- the Compare tab's occlusion: the same readings, each word hidden in turn ---------------------------

def masked_occlusion_from(lm: LoadedModel, cleaned: CleanText, tokens: TokenizedText,
                          target: int) -> InfluenceResult:
    """Measured influence on BERT's `target` token at the first [MASK] of the tokens the comparison read: each
    word's tokens become the mask token in turn (one batched forward pass)."""
    masks = [t for t in tokens.tokens if t.kind == "mask"]
    if not masks:
        raise PlaygroundError("The [MASK] fell in the part of the text that was cut off; move it earlier.")
    inp = SlotInput(text=with_mask_token(cleaned.text, lm.tokenizer.mask_token), tokens=tokens,
                    input_ids=tuple(tokens.input_ids), offset=0, position=masks[0].position,
                    slot=lm.tokenizer.mask_token, slot_span=(masks[0].start, masks[0].end),
                    notices=tuple(cleaned.notices) + tuple(tokens.notes))
    return occlusion_influence(lm, inp, lm.tokenizer.mask_token_id, target=target)


def causal_occlusion_from(lm: LoadedModel, cleaned: CleanText, reading: CausalReading,
                          target: int) -> InfluenceResult:
    """Measured influence on GPT-2's `target` token for the slot, as the comparison reads it (from the token
    before the slot; from the start token alone when nothing precedes it): each word deleted in turn."""
    ids = tuple(reading.tokens.input_ids)
    start = start_token_id(lm)
    ids, offset, position = ((start, *ids), 1, 0) if reading.slot == 0 else (ids, 0, reading.slot - 1)
    inp = SlotInput(text=reading.text, tokens=reading.tokens, input_ids=ids, offset=offset, position=position,
                    slot=reading.slot_text, slot_span=reading.slot_span,
                    notices=tuple(_causal_notes(lm, cleaned, reading)))
    return occlusion_influence(lm, inp, None, start_id=start, target=target)
