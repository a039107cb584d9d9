"""The Compare tab's whole computation: one sentence through BERT and GPT-2 side by side."""

from __future__ import annotations

from dataclasses import dataclass

from playground.lm.attention import AttentionMap, attention_map
from playground.lm.causal_lm import NextTokenResult, next_token_distribution, next_word_probability
from playground.lm.influence import InfluenceResult, causal_lm_influence, fill_masks, masked_lm_influence
from playground.core.errors import PlaygroundError
from playground.lm.generation import GenerationResult, GenerationSettings, generate
from playground.core.types import LoadedModel
from playground.lm.masked_lm import NO_MASK_HELP, FillMaskResult, WordProbability, fill_mask, masked_word_probability
from playground.core.text_input import check_int, clean_text
from playground.core.tokens import TokenizedText, tokenize

CONTINUATION_TOKENS = 12


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
    bert_word: WordProbability | None = None
    gpt_word: WordProbability | None = None
    notices: tuple[str, ...] = ()


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
    if word and word.strip():
        gpt_word = next_word_probability(gpt, cleaned.text, word)
        if fill:
            bert_word = masked_word_probability(bert, cleaned.text, word)
    if not gpt_tokens.tokens:
        raise PlaygroundError("GPT-2 found no tokens in the text.")
    return CompareResult(
        text=cleaned.text, bert_model=bert.name, gpt_model=gpt.name,
        bert_tokens=bert_tokens, gpt_tokens=gpt_tokens, gpt_slot_position=slot,
        bert=fill, bert_message=None if fill else NO_MASK_HELP,
        gpt=next_tokens, continuation=continuation,
        bert_influence=masked_lm_influence(bert, cleaned.text) if fill else None,
        gpt_influence=causal_lm_influence(gpt, cleaned.text, fillers),
        bert_attention=clamped_attention_map(bert, bert_tokens, layer, head),
        gpt_attention=clamped_attention_map(gpt, gpt_tokens, layer, head),
        bert_word=bert_word, gpt_word=gpt_word, notices=tuple(notices),
    )
