"""The comparison itself: one sentence through BERT and GPT-2 side by side.

Each model reads the sentence once: one forward pass gives its predictions and every layer's attention,
and the influence of each word comes either from one backward pass from that same pass (gradient × input, the
fast estimate; the default) or from one batched forward pass with each word hidden in turn (occlusion, the
measurement) — `lm.influence`. `stream_compare`
yields the result in stages — BERT's top-k, GPT-2's next-token top-k, influence and attention, then the
continuation token by token — and `compare` is its last stage. The attention of every layer and head is
kept (`AttentionSource`), so another layer, head or query token is drawn without reading the models again.

Fast mode: int8 copies of both models give the predictions and the continuation; attention and influence
still come from the float32 models, because int8 kernels have no gradient.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterator

from playground.core.errors import PlaygroundError
from playground.core.predictions import check_top_k
from playground.core.text_input import MASK, CleanText, check_int, clean_text
from playground.core.tokens import TokenizedText, tokenize
from playground.core.types import LoadedModel
from playground.lm.attention import AttentionMap, attention_stack
from playground.lm.causal_lm import (NextTokenResult, encode_context, left_context, left_context_notice, next_token_from,
                                     next_word_probability)
from playground.lm.generation import GenerationResult, GenerationSettings, KnownNext, final, stream_generate
from playground.lm.influence import (GRADIENT, CausalReading, InfluenceResult, causal_reading,
                                    causal_slot, check_method, masked_slot, slot_influence, start_token_id)
from playground.lm.masked_lm import (NO_MASK_HELP, FillMaskResult, WordProbability, check_word, encode_masked,
                                     fill_from, masked_word_probability)
from playground.lm.passes import ForwardPass, forward_pass
from playground.tasks.compare.attention import (AttentionComparison, AttentionMask, AttentionSource, attention_from,
                                                clamped, word_masks)
from playground.tasks.compare.words import SentenceWord, first_gap, sentence_words

CONTINUATION_TOKENS = 12
FAST_NOTICE = ("Fast mode: the predictions and the continuation come from int8 copies of the models; attention "
               "and influence from the full-precision models (int8 kernels have no gradient).")
STAGES = ("bert", "gpt", "analysis", "continuation", "done")


@dataclass(frozen=True)
class CompareResult:
    """The whole comparison; while it streams, the parts not computed yet are None."""

    text: str
    bert_model: str
    gpt_model: str
    bert_tokens: TokenizedText
    gpt_tokens: TokenizedText | None  # the sentence GPT-2 reads (gaps filled with BERT's guesses)
    gpt_slot_position: int  # tokens at or after this position are invisible when GPT-2 predicts the slot
    bert: FillMaskResult | None  # None when the text has no [MASK]
    bert_message: str | None
    gpt: NextTokenResult | None
    continuation: GenerationResult | None
    bert_influence: InfluenceResult | None
    gpt_influence: InfluenceResult | None
    bert_attention: AttentionMap | None
    gpt_attention: AttentionMap | None
    bert_mask: AttentionMask | None  # query: the first [MASK] (or word 0)
    gpt_mask: AttentionMask | None  # the same word, in GPT-2's tokens (a gap: the word filling it)
    bert_word: WordProbability | None = None
    gpt_word: WordProbability | None = None
    notices: tuple[str, ...] = ()
    fast: bool = False  # predictions and continuation from int8 copies
    influence_method: str = GRADIENT  # how the influence was found: "gradient" (estimate) | "occlusion" (measured)
    words: tuple[SentenceWord, ...] = ()  # the sentence's words and each model's tokens for them (with attention)

    # One layer/head choice is shared by both models (and clamped to each): its range is the larger model's.
    @property
    def layers(self) -> int:
        return max(self.bert_attention.num_layers, self.gpt_attention.num_layers)

    @property
    def heads(self) -> int:
        return max(self.bert_attention.num_heads, self.gpt_attention.num_heads)


@dataclass(frozen=True, eq=False)
class CompareStage:
    """One step of a streamed comparison: its name (see STAGES), the result so far, and — from "analysis"
    on — the attention the controls redraw from."""

    name: str
    result: CompareResult
    attention: AttentionSource | None = None


def _fillers(fill: FillMaskResult | None) -> tuple[str, ...]:
    return tuple(m.predictions[0].token.lstrip("␣").removeprefix("##") for m in fill.masks) if fill else ()


# ---- reading the sentence: one pass per model ------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _BertReading:
    tokens: TokenizedText
    positions: tuple[int, ...]  # the masks' positions (empty without a mask)
    notices: tuple[str, ...]


def _bert_tokens(bert: LoadedModel, cleaned: CleanText) -> _BertReading:
    if not cleaned.mask_count:
        return _BertReading(tokens=tokenize(bert, cleaned.text), positions=(), notices=())
    tokens, positions, notices = encode_masked(bert, cleaned)
    return _BertReading(tokens=tokens, positions=tuple(positions), notices=tuple(notices))


def _bert_pass(bert: LoadedModel, read: _BertReading, *, attentions: bool, gradients: bool) -> ForwardPass:
    """Read at the masks (or at position 0 when there is none, for the attention only)."""
    return forward_pass(bert, read.tokens.input_ids, read.positions or (0,), attentions=attentions,
                        gradients=gradients and bool(read.positions))


def _gpt_pass(gpt: LoadedModel, read: CausalReading, *, attentions: bool, gradients: bool,
              keep_cache: bool = False) -> ForwardPass:
    """Read at the token before the slot (GPT-2's prediction for it); a slot at position 0 has none.
    `keep_cache`: keep the keys and values, so the continuation from the slot reads none of them again."""
    return forward_pass(gpt, read.tokens.input_ids, [max(read.slot - 1, 0)], attentions=attentions,
                        gradients=gradients and read.slot > 0, keep_cache=keep_cache and read.slot > 0)


def _words(cleaned: CleanText, bert: LoadedModel, bert_read: _BertReading, gpt_read: CausalReading
           ) -> tuple[SentenceWord, ...]:
    return sentence_words(cleaned.text, bert_read.tokens, (bert.tokenizer.mask_token or MASK,) * cleaned.mask_count,
                          gpt_read.tokens, gpt_read.fillers)


def attention_source(bert: LoadedModel, gpt: LoadedModel, text: str) -> AttentionSource:
    """Both models' attention on `text`, read as the comparison reads it (one eager pass each, no gradient)."""
    cleaned = clean_text(text)
    bert_read = _bert_tokens(bert, cleaned)
    bert_pass = _bert_pass(bert, bert_read, attentions=True, gradients=False)
    fill = fill_from(bert, cleaned, bert_read.tokens, [], bert_pass, 1) if bert_read.positions else None
    gpt_read = causal_reading(gpt, cleaned, _fillers(fill))
    gpt_pass = _gpt_pass(gpt, gpt_read, attentions=True, gradients=False)
    return AttentionSource(text=cleaned.text, bert_model=bert.name, gpt_model=gpt.name, bert_tokens=bert_read.tokens,
                           gpt_tokens=gpt_read.tokens, bert=attention_stack(bert, bert_read.tokens, bert_pass),
                           gpt=attention_stack(gpt, gpt_read.tokens, gpt_pass),
                           words=_words(cleaned, bert, bert_read, gpt_read))


def compare_attention(bert: LoadedModel, gpt: LoadedModel, text: str, layer: int = 1, head: int = 1,
                      query: int = 0) -> AttentionComparison:
    """Attention of one layer/head (clamped to each model) and the masks seen from word `query` of the sentence
    (clamped to its words)."""
    check_int(layer, "Layer", 1, 1000)  # refuse bad controls before reading the models
    check_int(head, "Head", 1, 1000)
    check_int(query, "Word", 0, 10_000)
    return attention_from(attention_source(bert, gpt, text), layer, head, query)


def _next_token(gpt: LoadedModel, predictor: LoadedModel, cleaned: CleanText, read: CausalReading,
                reading: ForwardPass, top_k: int) -> NextTokenResult:
    """GPT-2's top-k for the slot from the tokens before it (the start token alone when there are none)."""
    context, _ = left_context(cleaned)
    if read.slot == 0:
        tokens, notices = encode_context(gpt, "")
        probs = forward_pass(predictor, [start_token_id(gpt)], [0]).probs(0)
    else:
        kept = read.tokens.tokens[:read.slot]
        tokens = TokenizedText(model_name=gpt.name, scheme=read.tokens.scheme, tokens=kept,
                               truncated_tokens=read.tokens.truncated_tokens, notes=read.tokens.notes)
        notices, probs = list(read.tokens.notes), reading.probs(0)
    if read.had_mask:
        notices.insert(0, left_context_notice(gpt))
    return next_token_from(gpt, context, tokens, notices, probs, top_k)


def stream_compare(bert: LoadedModel, gpt: LoadedModel, text: str, top_k: int = 5, word: str | None = None,
                   layer: int = 1, head: int = 1, *, fast: tuple[LoadedModel, LoadedModel] | None = None,
                   influence: str = GRADIENT) -> Iterator[CompareStage]:
    """The comparison in stages (see STAGES); `fast` = int8 copies of (bert, gpt) for predictions and
    continuation; `influence` = "gradient" (gradient × input) or "occlusion" (see `lm.influence.METHODS`)."""
    top_k = check_top_k(top_k)
    method = check_method(influence)
    gradients = method == GRADIENT  # occlusion needs no gradient graph: its batched pass replaces the backward
    layer, head = check_int(layer, "Layer", 1, 1000), check_int(head, "Head", 1, 1000)
    if isinstance(word, str) and not word.strip():
        word = None  # an empty box: no word to score
    word = check_word(word) if word is not None else None
    cleaned = clean_text(text)
    bert_predictor, gpt_predictor = fast or (bert, gpt)

    # 1. BERT: one pass gives the predictions, every layer's attention and the graph for the influence.
    bert_read = _bert_tokens(bert, cleaned)
    bert_pass = None if fast else _bert_pass(bert, bert_read, attentions=True, gradients=gradients)
    bert_predictions = (_bert_pass(bert_predictor, bert_read, attentions=False, gradients=False) if fast
                        else bert_pass)
    fill = (fill_from(bert_predictor, cleaned, bert_read.tokens, list(bert_read.notices), bert_predictions, top_k)
            if bert_read.positions else None)
    result = CompareResult(
        text=cleaned.text, bert_model=bert.name, gpt_model=gpt.name, bert_tokens=bert_read.tokens, gpt_tokens=None,
        gpt_slot_position=0, bert=fill, bert_message=None if fill else NO_MASK_HELP, gpt=None, continuation=None,
        bert_influence=None, gpt_influence=None, bert_attention=None, gpt_attention=None, bert_mask=None,
        gpt_mask=None, fast=bool(fast), influence_method=method,
        notices=(*cleaned.notices, *filter(None, [cleaned.whitespace_note]), *((FAST_NOTICE,) if fast else ())))
    yield CompareStage("bert", result)

    # 2. GPT-2 reads the sentence with each gap filled by BERT's guess, once.
    gpt_read = causal_reading(gpt, cleaned, _fillers(fill))
    if not gpt_read.tokens.tokens:
        raise PlaygroundError("GPT-2 found no tokens in the text.")
    # The pass that predicts also keeps its KV cache: the continuation starts where the prediction stopped.
    gpt_pass = None if fast else _gpt_pass(gpt, gpt_read, attentions=True, gradients=gradients, keep_cache=True)
    gpt_predictions = (_gpt_pass(gpt_predictor, gpt_read, attentions=False, gradients=False, keep_cache=True)
                       if fast else gpt_pass)
    next_tokens = _next_token(gpt, gpt_predictor, cleaned, gpt_read, gpt_predictions, top_k)
    result = dataclasses.replace(result, gpt_tokens=gpt_read.tokens, gpt_slot_position=gpt_read.slot, gpt=next_tokens)
    yield CompareStage("gpt", result)

    # 3. Influence (one backward pass per model, or one batched occlusion pass) and attention.
    if fast:  # int8 kernels have no gradient: the float32 models read the sentence for these
        bert_pass = _bert_pass(bert, bert_read, attentions=True, gradients=gradients)
        gpt_pass = _gpt_pass(gpt, gpt_read, attentions=True, gradients=gradients)
    # Gradient × input from the passes' graphs, or occlusion of the same readings, following the float32 passes'
    # top tokens (a GPT-2 slot with nothing before it has no pass: its prediction is made from the start token).
    bert_influence = slot_influence(masked_slot(bert, cleaned, bert_read.tokens, bert_pass), method) if fill else None
    gpt_influence = slot_influence(causal_slot(gpt, cleaned, gpt_read, gpt_pass, next_tokens.predictions[0].token_id),
                                   method)
    source = AttentionSource(text=cleaned.text, bert_model=bert.name, gpt_model=gpt.name,
                             bert_tokens=bert_read.tokens, gpt_tokens=gpt_read.tokens,
                             bert=attention_stack(bert, bert_read.tokens, bert_pass),
                             gpt=attention_stack(gpt, gpt_read.tokens, gpt_pass),
                             words=_words(cleaned, bert, bert_read, gpt_read))
    bert_mask, gpt_mask = word_masks(bert.name, gpt.name, bert_read.tokens, gpt_read.tokens, source.words,
                                     first_gap(source.words))
    result = dataclasses.replace(
        result,
        bert_influence=bert_influence, gpt_influence=gpt_influence,
        bert_attention=clamped(source.bert, layer, head), gpt_attention=clamped(source.gpt, layer, head),
        bert_mask=bert_mask, gpt_mask=gpt_mask, words=source.words,
        bert_word=(masked_word_probability(bert_predictor, cleaned, word, reading=bert_predictions)
                   if word and fill else None),
        gpt_word=(next_word_probability(gpt_predictor, cleaned, word,
                                        next_probs=gpt_predictions.probs(0) if gpt_read.slot > 0 else None)
                  if word else None),
    )
    kept = source.kept()
    yield CompareStage("analysis", result, kept)

    # 4. The continuation, token by token, from the sdpa (or int8) model.
    settings = GenerationSettings(max_new_tokens=CONTINUATION_TOKENS)
    # GPT-2's next-token distribution is the continuation's first step, and the tokens before the slot are
    # already in the pass's cache: neither is computed again.
    known = (KnownNext(tuple(next_tokens.tokens.input_ids), gpt_predictions.log_probs[0],
                       gpt_predictions.prefix_cache(gpt_read.slot)) if gpt_read.slot > 0 else None)
    for partial in stream_generate(gpt_predictor, next_tokens.context, settings, known_next=known):
        result = dataclasses.replace(result, continuation=partial)
        yield CompareStage("done" if partial.finished else "continuation", result, kept)


def compare(bert: LoadedModel, gpt: LoadedModel, text: str, top_k: int = 5, word: str | None = None,
            layer: int = 1, head: int = 1, *, fast: tuple[LoadedModel, LoadedModel] | None = None,
            influence: str = GRADIENT) -> CompareResult:
    """The whole comparison at once (the last stage of `stream_compare`)."""
    return final(stream_compare(bert, gpt, text, top_k, word, layer, head, fast=fast, influence=influence)).result
