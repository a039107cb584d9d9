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

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.core.text_input import MASK, clean_text, with_mask_token
from playground.core.tokens import WORD_PATTERN, TokenizedText, display_piece, shares, tokenize, word_scores

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.

METHOD = ("gradient × input: L2 norm of (∂ log p(top prediction at the slot) / ∂ token embedding) ⊙ token "
          "embedding, summed over each word's tokens, scaled so the strongest word is 1")
_WORD = re.compile(r"\[MASK\]|" + WORD_PATTERN.pattern)  # a [MASK] is one word here


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


def token_influence(lm: LoadedModel, input_ids: list[int], position: int) -> tuple[list[float], int]:
    """Gradient × input norm of every input token on the top prediction at `position`."""
    import torch

    ids = torch.tensor([input_ids])
    with torch.enable_grad():
        embeddings = lm.model.get_input_embeddings()(ids).detach().requires_grad_(True)
        log_probs = lm.model(inputs_embeds=embeddings).logits[0, position].float().log_softmax(-1)
        target = int(log_probs.argmax())
        log_probs[target].backward()
    scores = (embeddings.grad[0] * embeddings[0]).norm(dim=-1)
    return [float(s) for s in scores.detach()], target


def _word_influences(text: str, tokens: TokenizedText, scores: list[float], slot: tuple[int, int]) -> tuple[WordInfluence, ...]:
    words = word_scores(text, tokens, scores, _WORD)
    sides = ["slot" if w.start >= slot[0] and w.end <= slot[1] else ("left" if w.end <= slot[0] else "right")
             for w in words]
    values = [0.0 if side == "slot" else w.score for w, side in zip(words, sides)]
    return tuple(WordInfluence(w.word, w.start, w.end, side, value, share)
                 for w, side, value, share in zip(words, sides, values, shares(values)))


def masked_lm_influence(lm: LoadedModel, text: str) -> InfluenceResult:
    """Influence of every word on BERT's prediction for the first [MASK]."""
    cleaned = clean_text(text)
    if cleaned.mask_count == 0:
        raise PlaygroundError("Add a [MASK] to measure which words BERT uses to predict it.")
    model_text = with_mask_token(cleaned.text, lm.tokenizer.mask_token)
    tokens = tokenize(lm, model_text)
    masks = [t for t in tokens.tokens if t.kind == "mask"]
    if not masks:
        raise PlaygroundError("The [MASK] fell in the part of the text that was cut off; move it earlier.")
    scores, target = token_influence(lm, tokens.input_ids, masks[0].position)
    slot = (masks[0].start, masks[0].end)
    return InfluenceResult(model_name=lm.name, text=model_text, slot=lm.tokenizer.mask_token,
                           predicted=display_piece(lm.tokenizer, target),
                           words=_word_influences(model_text, tokens, scores, slot),
                           notices=cleaned.notices + tokens.notes)


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


def causal_lm_influence(lm: LoadedModel, text: str, fillers: list[str] | None = None) -> InfluenceResult:
    """Influence of every word on GPT-2's prediction for the first slot.

    GPT-2 has no mask token, so it reads the sentence with each [MASK] replaced by a filler word
    (BERT's guess in the Compare tab); the slot's prediction is made at the token just before it.
    Without a [MASK], the slot is the next token after the whole text.
    """
    cleaned = clean_text(text)
    fillers = [f.strip() or "…" for f in (fillers or [])] or ["…"]
    model_text, slot_span = fill_masks(cleaned.text, fillers) if cleaned.mask_count else (cleaned.text, None)
    tokenizer = lm.tokenizer
    bos = tokenizer.bos_token or tokenizer.eos_token
    tokens = tokenize(lm, model_text, add_special_tokens=False)
    # A start token in front, so a slot at the very beginning still has a position to be predicted from.
    bos_id = tokenizer.convert_tokens_to_ids(bos)
    input_ids = [bos_id] + tokens.input_ids[: lm.max_positions - 1]
    kept = tokens.tokens[: lm.max_positions - 1]
    if slot_span is None:
        position, slot = len(input_ids) - 1, "(next token)"
        slot_span = (len(model_text), len(model_text))
    else:
        first = next((t.position for t in kept if t.end is not None and t.end > slot_span[0]), None)
        if first is None:
            raise PlaygroundError("The [MASK] fell in the part of the text that was cut off; move it earlier.")
        position, slot = first, model_text[slot_span[0]:slot_span[1]]  # logits at bos-shifted index first
    scores, target = token_influence(lm, input_ids, position)
    truncated = TokenizedText(model_name=lm.name, scheme=tokens.scheme, tokens=kept)
    notes = list(cleaned.notices) + list(tokens.notes)
    if cleaned.mask_count:
        notes.append(f"{lm.name} has no mask token: it read the sentence with the gap filled by '{slot}', "
                     "and predicts the slot from the tokens before it.")
    return InfluenceResult(model_name=lm.name, text=model_text, slot=slot, predicted=display_piece(tokenizer, target),
                           words=_word_influences(model_text, truncated, scores[1:], slot_span), notices=tuple(notes))
