"""BERT's side: predict every [MASK] at once, from the words on both sides."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.core.predictions import Prediction, check_top_k, top_predictions
from playground.core.text_input import MASK, MAX_MASKS, CleanText, clean_text, with_mask_token
from playground.core.tokens import TokenizedText, tokenize, tokenizer_scheme
from playground.lm.passes import ForwardPass, forward_pass

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.

NO_MASK_HELP = (
    "BERT predicts hidden words, so the sentence needs a gap: write [MASK] (or ___) where a word is "
    "missing, e.g. 'The [MASK] barked at the mailman.'"
)


@dataclass(frozen=True)
class MaskPrediction:
    mask_number: int  # 1-based, in reading order
    position: int  # token position in the model input
    predictions: tuple[Prediction, ...]


@dataclass(frozen=True)
class FillMaskResult:
    model_name: str
    text: str
    tokens: TokenizedText
    masks: tuple[MaskPrediction, ...]
    notices: tuple[str, ...] = ()


def encode_masked(lm: LoadedModel, cleaned: CleanText) -> tuple[TokenizedText, list[int], list[str]]:
    """The tokens BERT reads (each gap as its mask token), the masks' positions, and notices."""
    if cleaned.mask_count == 0:
        raise PlaygroundError(NO_MASK_HELP)
    if cleaned.mask_count > MAX_MASKS:
        raise PlaygroundError(f"The sentence has {cleaned.mask_count} masks; use at most {MAX_MASKS} at a time.")
    if lm.tokenizer.mask_token is None:
        raise PlaygroundError(f"{lm.name} has no mask token, so it cannot fill gaps.")
    tokens = tokenize(lm, with_mask_token(cleaned.text, lm.tokenizer.mask_token))
    positions = [t.position for t in tokens.tokens if t.kind == "mask"]
    notices = list(cleaned.notices) + list(tokens.notes)
    if len(positions) < cleaned.mask_count:
        lost = cleaned.mask_count - len(positions)
        if not positions:
            raise PlaygroundError(f"Every [MASK] fell in the part cut off at {lm.max_positions} tokens; "
                                  "move a mask earlier or shorten the text.")
        notices.append(f"{lost} [MASK](s) fell in the part that was cut off and are not predicted.")
    return tokens, positions, notices


def lm_logits(lm: LoadedModel, input_ids: list[int]):
    """Logits over the vocabulary at every position for one input (1 × T × V); BERT's and GPT-2's alike."""
    # deferred: torch; the page's task modules import lm/, only a running model needs it
    import torch

    with torch.inference_mode():
        return lm.model(input_ids=torch.tensor([input_ids])).logits


def fill_from(lm: LoadedModel, cleaned: CleanText, tokens: TokenizedText, notices: list[str], reading: ForwardPass,
              top_k: int) -> FillMaskResult:
    """The top-k of every mask from a forward pass over `tokens` read at the masks' positions."""
    masks = tuple(
        MaskPrediction(mask_number=n + 1, position=p, predictions=top_predictions(lm.tokenizer, reading.probs(n), top_k))
        for n, p in enumerate(reading.positions)
    )
    return FillMaskResult(model_name=lm.name, text=cleaned.text, tokens=tokens, masks=masks, notices=tuple(notices))


def fill_mask(lm: LoadedModel, text: str, top_k: int = 5) -> FillMaskResult:
    """Top-k tokens for every [MASK] in `text`, all predicted in one forward pass."""
    top_k = check_top_k(top_k)
    cleaned = clean_text(text)
    tokens, positions, notices = encode_masked(lm, cleaned)
    return fill_from(lm, cleaned, tokens, notices, forward_pass(lm, tokens.input_ids, positions), top_k)


@dataclass(frozen=True)
class WordProbability:
    model_name: str
    word: str
    pieces: tuple[str, ...]
    piece_probabilities: tuple[float, ...]
    probability: float
    method: str


def check_word(word: object) -> str:
    if word is not None and not isinstance(word, str):
        raise PlaygroundError("The word to score must be text (one word), not a number, list or true/false.")
    if not word or not word.strip():
        raise PlaygroundError("Type a word to score.")
    word = word.strip()
    if len(word) > 50 or any(c.isspace() for c in word):
        raise PlaygroundError("Score one word at a time (no spaces, at most 50 characters).")
    if not all(c.isprintable() and unicodedata.category(c) != "Cs" for c in word):
        raise PlaygroundError("The word to score has invisible or invalid characters — type a plain word.")
    return word


def _word_pieces(lm: LoadedModel, cleaned: CleanText, word: str) -> list[int]:
    """The word's pieces as they would appear in the first [MASK]'s slot."""
    first = cleaned.text.index(MASK)
    # Byte-level BPE spells a word after a space with the space (`Ġcar`): score it as it would appear.
    space = " " if tokenizer_scheme(lm.tokenizer) == "byte-level BPE" and cleaned.text[first - 1:first] == " " else ""
    return lm.tokenizer(space + word, add_special_tokens=False)["input_ids"]


def _masked_word(lm: LoadedModel, word: str, piece_ids: list[int], piece_probs: tuple[float, ...]) -> WordProbability:
    n = len(piece_ids)
    method = ("one [MASK] → probability of the single piece" if n == 1 else
              f"{n} pieces → {n} [MASK]s in a row; product of each piece's probability at its own mask "
              "(BERT fills masks independently, so this approximates the joint probability)")
    return WordProbability(
        model_name=lm.name, word=word,
        pieces=tuple(lm.tokenizer.convert_ids_to_tokens(piece_ids)), piece_probabilities=piece_probs,
        probability=math.prod(piece_probs), method=method,
    )


def masked_word_probability(lm: LoadedModel, text: str | CleanText, word: str,
                            reading: ForwardPass | None = None) -> WordProbability:
    """P(word) in the first [MASK]'s slot. A word of n pieces gets n [MASK]s in a row; its probability
    is the product of each piece's probability at its own mask (BERT predicts masks independently).

    `reading`: a forward pass over the text as written, read at its masks; a one-piece word is then read
    from it instead of running the model again (one piece in one [MASK] is the same input)."""
    word = check_word(word)
    cleaned = text if isinstance(text, CleanText) else clean_text(text)
    if cleaned.mask_count == 0:
        raise PlaygroundError(NO_MASK_HELP)
    piece_ids = _word_pieces(lm, cleaned, word)
    n = len(piece_ids)
    if reading is not None and n == 1:
        return _masked_word(lm, word, piece_ids, (float(reading.probs(0)[piece_ids[0]]),))
    first = cleaned.text.index(MASK)
    mask = lm.tokenizer.mask_token
    expanded = cleaned.text[:first] + " ".join([MASK] * n) + cleaned.text[first + len(MASK):]
    tokens = tokenize(lm, with_mask_token(expanded, mask))
    positions = [t.position for t in tokens.tokens if t.kind == "mask"][:n]
    if len(positions) < n:
        raise PlaygroundError("The [MASK] is too close to the length limit to score a word of that many pieces.")
    probs = forward_pass(lm, tokens.input_ids, positions).log_probs.exp()
    return _masked_word(lm, word, piece_ids, tuple(float(probs[k, i]) for k, i in enumerate(piece_ids)))
