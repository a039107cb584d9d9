"""Context direction: which positions each model may look at, and how much each context word
actually moves the prediction for the slot.

Influence is estimated with gradient × input (a first-order estimate, not a measurement): the L2
norm of (∂ log p(predicted token at the slot) / ∂ input embedding) ⊙ input embedding, summed over a
word's tokens. For GPT-2 every word right of the slot gets exactly 0, because the causal mask cuts
every path from it to the slot's logits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.core.text_input import MASK, CleanText, clean_text, with_mask_token
from playground.core.tokens import TokenizedText, display_piece, tokenize
from playground.lm.passes import ForwardPass, forward_pass

METHOD = ("gradient × input: L2 norm of (∂ log p(top prediction at the slot) / ∂ token embedding) ⊙ token "
          "embedding, summed over each word's tokens, scaled so the strongest word is 1")
_WORD = re.compile(r"\[MASK\]|\w+|[^\w\s]")


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
    influence: float  # raw gradient × input norm
    share: float  # influence / strongest word's influence, in [0, 1]


@dataclass(frozen=True)
class InfluenceResult:
    model_name: str
    text: str  # the sentence the model read
    slot: str  # what fills the slot being predicted ("[MASK]" for BERT)
    predicted: str  # the token whose log-probability was differentiated
    words: tuple[WordInfluence, ...]
    method: str = METHOD
    notices: tuple[str, ...] = ()

    def total(self, side: str) -> float:
        return sum(w.influence for w in self.words if w.side == side)


def words_of(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def token_influence(lm: LoadedModel, input_ids: list[int], position: int) -> tuple[list[float], int]:
    """Gradient × input norm of every input token on the top prediction at `position`."""
    return forward_pass(lm, input_ids, [position], gradients=True).influence()


def _word_influences(text: str, tokens: TokenizedText, scores: list[float], slot: tuple[int, int]) -> tuple[WordInfluence, ...]:
    words = words_of(text)
    raw = []
    for word, start, end in words:
        total = sum(s for t, s in zip(tokens.tokens, scores)
                    if t.start is not None and t.start < end and t.end > start)
        side = "slot" if start >= slot[0] and end <= slot[1] else ("left" if end <= slot[0] else "right")
        raw.append((word, start, end, side, 0.0 if side == "slot" else total))
    strongest = max((r[4] for r in raw), default=0.0) or 1.0
    return tuple(WordInfluence(w, s, e, side, v, v / strongest) for w, s, e, side, v in raw)


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


def masked_lm_influence(lm: LoadedModel, text: str) -> InfluenceResult:
    """Influence of every word on BERT's prediction for the first [MASK]."""
    cleaned = clean_text(text)
    if cleaned.mask_count == 0:
        raise PlaygroundError("Add a [MASK] to measure which words BERT uses to predict it.")
    tokens = tokenize(lm, with_mask_token(cleaned.text, lm.tokenizer.mask_token))
    first = next((t.position for t in tokens.tokens if t.kind == "mask"), 0)
    return masked_influence_from(lm, cleaned, tokens, forward_pass(lm, tokens.input_ids, [first], gradients=True))


def fill_masks(text: str, fillers: list[str]) -> tuple[str, tuple[int, int] | None]:
    """Replace each [MASK] with its filler; return the new text and the first filler's span."""
    out, first_span, cursor = [], None, 0
    pieces = text.split(MASK)
    for i, piece in enumerate(pieces):
        out.append(piece)
        cursor += len(piece)
        if i < len(pieces) - 1:
            filler = fillers[i] if i < len(fillers) else fillers[-1]
            if first_span is None:
                first_span = (cursor, cursor + len(filler))
            out.append(filler)
            cursor += len(filler)
    return "".join(out), first_span


@dataclass(frozen=True)
class CausalReading:
    """The sentence as a left-to-right model reads it: each [MASK] filled with a word, and the slot it predicts."""

    text: str  # the sentence with the gaps filled
    tokens: TokenizedText
    slot: int  # token position of the first filled gap (the token count when there is no gap: the next token)
    slot_span: tuple[int, int]  # its characters in `text`
    slot_text: str  # what fills it, or "(next token)"
    had_mask: bool


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
                         had_mask=True)


def start_token_id(lm: LoadedModel) -> int:
    tokenizer = lm.tokenizer
    return tokenizer.convert_tokens_to_ids(tokenizer.bos_token or tokenizer.eos_token)


def causal_influence_from(lm: LoadedModel, cleaned: CleanText, reading: CausalReading,
                          scores: Sequence[float] | None, target: int) -> InfluenceResult:
    """Influence on the slot from per-token scores (None when nothing precedes the slot: every word is then at or
    right of it and has exactly no influence)."""
    scores = list(scores) if scores is not None else [0.0] * len(reading.tokens.tokens)
    notes = list(cleaned.notices) + list(reading.tokens.notes)
    if reading.had_mask:
        notes.append(f"{lm.name} has no mask token: it read the sentence with the gap filled by "
                     f"'{reading.slot_text}', and predicts the slot from the tokens before it.")
    return InfluenceResult(model_name=lm.name, text=reading.text, slot=reading.slot_text,
                           predicted=display_piece(lm.tokenizer, target),
                           words=_word_influences(reading.text, reading.tokens, scores, reading.slot_span),
                           notices=tuple(notes))


def causal_lm_influence(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> InfluenceResult:
    """Influence of every word on GPT-2's prediction for the first slot.

    GPT-2 reads the sentence with each [MASK] replaced by a filler word (`causal_reading`); the slot's
    prediction is made at the token just before it, from the same tokens the next-token prediction reads.
    Without a [MASK], the slot is the next token after the whole text. A slot with nothing before it is
    predicted from the start token alone, and no word can influence it.
    """
    cleaned = clean_text(text)
    reading = causal_reading(lm, cleaned, fillers or ())
    if reading.slot == 0:
        target = int(forward_pass(lm, [start_token_id(lm)], [0]).log_probs[0].argmax())
        return causal_influence_from(lm, cleaned, reading, None, target)
    scores, target = forward_pass(lm, reading.tokens.input_ids, [reading.slot - 1], gradients=True).influence()
    return causal_influence_from(lm, cleaned, reading, scores, target)
