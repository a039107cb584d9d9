"""The Compare tab's whole computation: one sentence through BERT and GPT-2 side by side."""

from __future__ import annotations

from dataclasses import dataclass

from playground.lm.attention import AttentionMap, attention_map
from playground.lm.causal_lm import NextTokenResult, next_token_distribution, next_word_probability
from playground.lm.influence import (InfluenceResult, attention_mask_pattern, causal_lm_influence, fill_masks,
                                    masked_lm_influence)
from playground.core.errors import PlaygroundError
from playground.lm.generation import GenerationResult, GenerationSettings, generate
from playground.core.types import LoadedModel
from playground.lm.masked_lm import NO_MASK_HELP, FillMaskResult, WordProbability, fill_mask, masked_word_probability
from playground.core.text_input import check_int, clean_text
from playground.core.tokens import TokenizedText, tokenize

CONTINUATION_TOKENS = 12


@dataclass(frozen=True)
class AttentionMask:
    """Which tokens each token may attend to, with one query token's row picked out (the mask figure's data)."""

    model_name: str
    direction: str  # "bidirectional": every token sees all | "causal": token t sees the tokens ≤ t
    tokens: tuple[str, ...]
    query: int  # position of the token whose row is picked out
    pattern: tuple[tuple[int, ...], ...]  # pattern[i][j] = 1 where token i may attend to token j


def attention_mask(model_name: str, direction: str, tokens: TokenizedText, query: int) -> AttentionMask:
    pattern = attention_mask_pattern(direction, len(tokens.tokens))
    return AttentionMask(model_name=model_name, direction=direction, tokens=tuple(t.display for t in tokens.tokens),
                         query=query, pattern=tuple(tuple(row) for row in pattern))


@dataclass(frozen=True)
class CompareResult:
    text: str
    bert_model: str
    gpt_model: str
    bert_tokens: TokenizedText
    gpt_tokens: TokenizedText  # the sentence GPT-2 reads (gaps filled with BERT's guesses)
    gpt_slot_position: int  # tokens at or after this position are invisible when GPT-2 predicts the slot
    bert: FillMaskResult | None  # None when the text has no [MASK]
    bert_message: str | None
    gpt: NextTokenResult
    continuation: GenerationResult
    bert_influence: InfluenceResult | None
    gpt_influence: InfluenceResult
    bert_attention: AttentionMap
    gpt_attention: AttentionMap
    bert_mask: AttentionMask  # query: the first [MASK] (or 0)
    gpt_mask: AttentionMask  # query: the token GPT-2 predicts the slot from
    bert_word: WordProbability | None = None
    gpt_word: WordProbability | None = None
    notices: tuple[str, ...] = ()

    # One layer/head choice is shared by both models (and clamped to each): its range is the larger model's.
    @property
    def layers(self) -> int:
        return max(self.bert_attention.num_layers, self.gpt_attention.num_layers)

    @property
    def heads(self) -> int:
        return max(self.bert_attention.num_heads, self.gpt_attention.num_heads)


def gpt_reading(gpt: LoadedModel, text: str, fillers: list[str]) -> tuple[TokenizedText, int]:
    """The sentence as GPT-2 reads it (each gap filled), and the first slot's token position."""
    cleaned = clean_text(text)
    if not cleaned.mask_count:
        tokens = tokenize(gpt, cleaned.text, keep="end", add_special_tokens=False)
        return tokens, len(tokens.tokens)
    filled, span = fill_masks(cleaned.text, fillers or ["…"])
    tokens = tokenize(gpt, filled, add_special_tokens=False)
    slot = next((t.position for t in tokens.tokens if t.end is not None and span and t.end > span[0]),
                len(tokens.tokens))
    return tokens, slot


@dataclass(frozen=True)
class Readings:
    """The same sentence as each model reads it: BERT with its masks, GPT-2 with the gaps filled by BERT's guesses."""

    fill: FillMaskResult | None  # None when the text has no [MASK]
    fillers: tuple[str, ...]
    bert_tokens: TokenizedText
    gpt_tokens: TokenizedText
    gpt_slot_position: int


def readings(bert: LoadedModel, gpt: LoadedModel, text: str, top_k: int = 1) -> Readings:
    cleaned = clean_text(text)
    fill = fill_mask(bert, cleaned.text, top_k) if cleaned.mask_count else None
    fillers = tuple(m.predictions[0].token.lstrip("␣").removeprefix("##") for m in fill.masks) if fill else ()
    bert_tokens = fill.tokens if fill else tokenize(bert, cleaned.text)
    gpt_tokens, slot = gpt_reading(gpt, cleaned.text, list(fillers))
    return Readings(fill=fill, fillers=fillers, bert_tokens=bert_tokens, gpt_tokens=gpt_tokens, gpt_slot_position=slot)


def clamped_attention_map(lm: LoadedModel, tokens: TokenizedText, layer: int, head: int) -> AttentionMap:
    """One layer/head selection shared by two models of different depth: clamp to each model's size."""
    config = lm.model.config
    layer = check_int(layer, "Layer", 1, 1000)
    head = check_int(head, "Head", 1, 1000)
    return attention_map(lm, tokens, min(layer, config.num_hidden_layers), min(head, config.num_attention_heads))


@dataclass(frozen=True)
class AttentionComparison:
    """One layer and head of each model on the same sentence, and what one query token may attend to in each."""

    bert: AttentionMap
    gpt: AttentionMap
    bert_mask: AttentionMask
    gpt_mask: AttentionMask


def compare_attention(bert: LoadedModel, gpt: LoadedModel, text: str, layer: int = 1, head: int = 1,
                      query: int = 0) -> AttentionComparison:
    """Attention of one layer/head (clamped to each model) and the masks seen from token `query` (clamped to
    each sentence's length)."""
    read = readings(bert, gpt, text)
    bert_map = clamped_attention_map(bert, read.bert_tokens, layer, head)
    gpt_map = clamped_attention_map(gpt, read.gpt_tokens, layer, head)
    query = check_int(query, "Token position", 0, 10_000)
    return AttentionComparison(
        bert=bert_map, gpt=gpt_map,
        bert_mask=attention_mask(bert.name, "bidirectional", read.bert_tokens,
                                 min(query, len(read.bert_tokens.tokens) - 1)),
        gpt_mask=attention_mask(gpt.name, "causal", read.gpt_tokens, min(query, len(read.gpt_tokens.tokens) - 1)),
    )


def compare(bert: LoadedModel, gpt: LoadedModel, text: str, top_k: int = 5, word: str | None = None,
            layer: int = 1, head: int = 1) -> CompareResult:
    cleaned = clean_text(text)
    notices = list(cleaned.notices)
    read = readings(bert, gpt, cleaned.text, top_k)
    fill, fillers, bert_tokens, gpt_tokens, slot = (read.fill, list(read.fillers), read.bert_tokens, read.gpt_tokens,
                                                    read.gpt_slot_position)
    next_tokens = next_token_distribution(gpt, cleaned.text, top_k)
    continuation = generate(gpt, next_tokens.context, GenerationSettings(max_new_tokens=CONTINUATION_TOKENS))
    bert_word = gpt_word = None
    if isinstance(word, str) and not word.strip():
        word = None  # an empty box: no word to score
    if word is not None:
        gpt_word = next_word_probability(gpt, cleaned.text, word)
        if fill:
            bert_word = masked_word_probability(bert, cleaned.text, word)
    if not gpt_tokens.tokens:
        raise PlaygroundError("GPT-2 found no tokens in the text.")
    first_mask = next((t.position for t in bert_tokens.tokens if t.kind == "mask"), 0)
    return CompareResult(
        text=cleaned.text, bert_model=bert.name, gpt_model=gpt.name,
        bert_tokens=bert_tokens, gpt_tokens=gpt_tokens, gpt_slot_position=slot,
        bert=fill, bert_message=None if fill else NO_MASK_HELP,
        gpt=next_tokens, continuation=continuation,
        bert_influence=masked_lm_influence(bert, cleaned.text) if fill else None,
        gpt_influence=causal_lm_influence(gpt, cleaned.text, fillers),
        bert_attention=clamped_attention_map(bert, bert_tokens, layer, head),
        gpt_attention=clamped_attention_map(gpt, gpt_tokens, layer, head),
        bert_mask=attention_mask(bert.name, "bidirectional", bert_tokens, first_mask),
        gpt_mask=attention_mask(gpt.name, "causal", gpt_tokens, max(0, slot - 1)),
        bert_word=bert_word, gpt_word=gpt_word, notices=tuple(notices),
    )
