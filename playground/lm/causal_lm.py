"""GPT-2's side: the next token from the words on the left only, and a word scored by the chain rule over the
pieces that start it (`word_method` says exactly what that number is)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.lm.masked_lm import WordProbability, check_word
from playground.core.predictions import Prediction, check_top_k, top_predictions
from playground.core.text_input import MASK, CleanText, clean_text
from playground.core.tokens import TokenizedText, tokenize
from playground.lm.passes import forward_pass


@dataclass(frozen=True)
class NextTokenResult:
    model_name: str
    context: str  # the text the model conditions on
    tokens: TokenizedText
    predictions: tuple[Prediction, ...]
    notices: tuple[str, ...] = ()


def left_context(text: str | CleanText) -> tuple[str, bool]:
    """The text left of the first [MASK] (or all of it), and whether a mask was found."""
    cleaned = text if isinstance(text, CleanText) else clean_text(text)
    if cleaned.mask_count == 0:
        return cleaned.text, False
    return cleaned.text[: cleaned.text.index(MASK)].rstrip(), True


def encode_context(lm: LoadedModel, context: str) -> tuple[TokenizedText, list[str]]:
    """Tokens of `context` (most recent kept if too long); an empty context becomes the start token,
    because GPT-2 needs at least one token to predict from."""
    notices: list[str] = []
    if context.strip():
        tokens = tokenize(lm, context, keep="end", add_special_tokens=False)
        notices += tokens.notes
        if tokens.tokens:
            return tokens, notices
    bos = lm.tokenizer.bos_token or lm.tokenizer.eos_token
    notices.append(f"Nothing to the left of the slot, so {lm.name} predicts from its start token {bos} alone.")
    return tokenize(lm, bos, add_special_tokens=False), notices


def next_token_from(lm: LoadedModel, context: str, tokens: TokenizedText, notices: list[str], probs,
                    top_k: int) -> NextTokenResult:
    """The result for a next-token distribution `probs` already computed after `tokens`."""
    return NextTokenResult(model_name=lm.name, context=context, tokens=tokens,
                           predictions=top_predictions(lm.tokenizer, probs, top_k), notices=tuple(notices))


def left_context_notice(lm: LoadedModel) -> str:
    return f"{lm.name} sees only the text left of the first [MASK]; everything after it is invisible."


def next_token_distribution(lm: LoadedModel, text: str, top_k: int = 5) -> NextTokenResult:
    """Top-k next tokens given only the text left of the first [MASK] (or the whole text if none)."""
    top_k = check_top_k(top_k)
    context, had_mask = left_context(text)
    tokens, notices = encode_context(lm, context)
    if had_mask:
        notices.insert(0, left_context_notice(lm))
    probs = forward_pass(lm, tokens.input_ids, [len(tokens.input_ids) - 1]).probs(0)
    return next_token_from(lm, context, tokens, notices, probs, top_k)


def word_method(pieces: int) -> str:
    """What the causal word probability is, in words: shown wherever the number appears."""
    how = ("its next-token probability" if pieces == 1 else
           f"the chain rule: the product of P(piece | left context and the pieces before it) over its {pieces} pieces")
    return (f"probability that the next piece(s) are exactly the {pieces} piece(s) that start the word, by {how}. "
            "It also counts continuations where more pieces follow (a longer word with the same start) and "
            "leaves out other ways to split the word, so it is not exactly P(word)")


def next_word_probability(lm: LoadedModel, text: str | CleanText, word: str, next_probs=None) -> WordProbability:
    """The probability that the text after the left context starts with the word's pieces (its usual
    tokenization, a leading space included): P(p1 | left) · P(p2 | left, p1) · … from one forward pass over
    left context + word. Not P(word) exactly: it includes continuations such as a longer word with the same
    first pieces, and excludes other tokenizations of the word (`word_method`).

    `next_probs`: the next-token distribution after the left context, already computed; a one-piece word is
    then read from it instead of running the model again."""
    word = check_word(word)
    context, _ = left_context(text)
    piece_ids = lm.tokenizer((" " if context else "") + word, add_special_tokens=False)["input_ids"]
    n = len(piece_ids)
    if next_probs is not None and n == 1:
        piece_probs: tuple[float, ...] = (float(next_probs[piece_ids[0]]),)
    else:
        tokens, _ = encode_context(lm, context)
        ids = tokens.input_ids + piece_ids
        if len(ids) > lm.max_positions:
            ids = ids[-lm.max_positions:]
            if len(ids) <= len(piece_ids):
                raise PlaygroundError("That word is too long to score within the model's length limit.")
        start = len(ids) - len(piece_ids)
        log_probs = forward_pass(lm, ids, range(start - 1, len(ids) - 1)).log_probs
        piece_probs = tuple(math.exp(float(log_probs[i, pid])) for i, pid in enumerate(piece_ids))
    method = word_method(n)
    return WordProbability(
        model_name=lm.name, word=word, pieces=tuple(lm.tokenizer.convert_ids_to_tokens(piece_ids)),
        piece_probabilities=piece_probs, probability=math.prod(piece_probs), method=method,
    )
