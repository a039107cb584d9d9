"""The Compare tab's handlers: the app context and the tab's (or a script's) inputs → task results.

Each checks what it is sent, loads the models it needs from the context (every missing one named in one error)
and calls the comparison (`reading`, `attention`) or `lm` directly. The tab shows their results and publishes
them as its JSON endpoints (compare, attention, generate, fill_mask, next_token, tokenize): their names,
parameters, defaults and docstrings are what a script sees.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

from playground.core.text_input import clean_text, with_mask_token
from playground.core.tokens import TokenizedText, tokenize
from playground.lm.causal_lm import NextTokenResult, left_context, next_token_distribution
from playground.lm.generation import GenerationResult, GenerationSettings, stream_generate
from playground.lm.influence import GRADIENT, check_method
from playground.lm.masked_lm import FillMaskResult, fill_mask
from playground.tasks.compare.attention import AttentionComparison, AttentionSource, attention_from
from playground.tasks.compare.reading import CompareResult, CompareStage, compare, compare_attention, stream_compare
from playground.tasks.context import AppContext

FILL_TASK, GEN_TASK = "fill-mask", "text-generation"


def _variant(fast: bool) -> str:
    return "int8" if fast else "fp32"


def _compare_models(ctx: AppContext, bert_model: str, gpt_model: str, fast: bool):
    """The float32 models (attention, influence) and, in fast mode, their int8 copies (predictions, continuation)."""
    bert, gpt = ctx.models((bert_model, FILL_TASK), (gpt_model, GEN_TASK))  # names every missing one
    return bert, gpt, (tuple(ctx.models((bert_model, FILL_TASK, "int8"), (gpt_model, GEN_TASK, "int8")))
                       if fast else None)


def run_compare(ctx: AppContext, text: str, top_k: int = 5, word: str = "", layer: int = 1, head: int = 1,
                bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2", fast: bool = False,
                influence: str = GRADIENT) -> CompareResult:
    """Both models on one sentence: tokens, predictions for the gap, each word's influence (gradient × input or
    occlusion), attention."""
    influence = check_method(influence)  # a bad choice is refused before any model loads
    bert, gpt, fast_models = _compare_models(ctx, bert_model, gpt_model, fast)
    return compare(bert, gpt, text, top_k=top_k, word=word, layer=layer, head=head, fast=fast_models,
                   influence=influence)


def run_compare_stages(ctx: AppContext, text: str, top_k: int = 5, word: str = "", layer: int = 1, head: int = 1,
                       bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2", fast: bool = False,
                       influence: str = GRADIENT) -> Iterator[CompareStage]:
    """`run_compare`, streamed: each stage as soon as it is computed."""
    influence = check_method(influence)
    bert, gpt, fast_models = _compare_models(ctx, bert_model, gpt_model, fast)
    yield from stream_compare(bert, gpt, text, top_k=top_k, word=word, layer=layer, head=head, fast=fast_models,
                              influence=influence)


def run_attention(ctx: AppContext, text: str, layer: int = 1, head: int = 1, query: int = 0,
                  bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2") -> AttentionComparison:
    """What word `query` of the sentence (each model's own tokens for it) may attend to in each model, and the
    attention weights of one layer and head."""
    bert, gpt = ctx.models((bert_model, FILL_TASK), (gpt_model, GEN_TASK))
    return compare_attention(bert, gpt, text, layer=layer, head=head, query=query)


def redraw_attention(ctx: AppContext, source: AttentionSource | None, text: str, layer: int = 1, head: int = 1,
                     query: int = 0, bert_model: str = "bert-base-uncased",
                     gpt_model: str = "gpt2") -> AttentionComparison:
    """The attention controls: drawn from the last click's attention when it holds this sentence and these
    models (no model call), else read again (`run_attention`)."""
    if source is not None and source.serves(text, bert_model, gpt_model):
        return attention_from(source, layer, head, query)
    return run_attention(ctx, text, layer, head, query, bert_model, gpt_model)


def attention_to_export(ctx: AppContext, source: AttentionSource | None, layer: int = 1, head: int = 1,
                        query: int = 0) -> AttentionComparison | None:
    """The attention the Export button writes: drawn from the session's attention (the click's sentence and
    models), read again when it was too long to keep. None before a click."""
    if source is None:
        return None
    if source.bert is None or source.gpt is None:  # too long to keep: read again, as the controls do
        return run_attention(ctx, source.text, layer, head, query, source.bert_model, source.gpt_model)
    return attention_from(source, layer, head, query)


def run_generate(ctx: AppContext, text: str, max_new_tokens: int = 30, strategy: str = "greedy",
                 temperature: float = 1.0, top_k: int = 50, top_p: float = 0.95, seed: str = "",
                 gpt_model: str = "gpt2", fast: bool = False) -> Iterator[GenerationResult]:
    """Stream GPT-2's continuation of the text left of the first [MASK] (or all of it)."""
    gpt = ctx.model(gpt_model, GEN_TASK, _variant(fast))
    context, had_mask = left_context(text)
    seed = seed.strip() if isinstance(seed, str) else seed  # the seed box holds text; a script may send a number
    settings = GenerationSettings(max_new_tokens=max_new_tokens, strategy=strategy, temperature=temperature,
                                  top_k=top_k, top_p=top_p, seed=None if seed in (None, "") else seed)
    if had_mask and not context:  # nothing left of the first [MASK]: say where the text starts from
        start = gpt.tokenizer.bos_token or gpt.tokenizer.eos_token
        note = (f"Nothing is left of the first [MASK], so {gpt.name} writes from its start token {start} alone "
                "(it never sees the text after the mask).")
        for result in stream_generate(gpt, context, settings):
            yield dataclasses.replace(result, notices=(note, *result.notices))
        return
    yield from stream_generate(gpt, context, settings)


def fill_mask_api(ctx: AppContext, text: str, top_k: int = 5, model: str = "bert-base-uncased",
                  fast: bool = False) -> FillMaskResult:
    """BERT's top-k tokens for every [MASK] (or ___) in the text."""
    return fill_mask(ctx.model(model, FILL_TASK, _variant(fast)), text, top_k)


def next_token_api(ctx: AppContext, text: str, top_k: int = 5, model: str = "gpt2",
                   fast: bool = False) -> NextTokenResult:
    """GPT-2's top-k next tokens given the text left of the first [MASK] (or all of it)."""
    return next_token_distribution(ctx.model(model, GEN_TASK, _variant(fast)), text, top_k)


def tokenize_api(ctx: AppContext, text: str, model: str = "bert-base-uncased") -> TokenizedText:
    """The tokens a model sees: pieces, ids, kinds and character offsets (truncated to the model's limit)."""
    lm = ctx.model(model, "tokenizer-only")
    cleaned = clean_text(text, keep_whitespace=True)  # spaces, tabs and newlines as typed: BPE tokenizes them
    mask_token = lm.tokenizer.mask_token
    # Models with a mask token read "[MASK]" as their mask; left-to-right models keep their most recent tokens.
    model_text = with_mask_token(cleaned.text, mask_token) if mask_token else cleaned.text
    tokens = tokenize(lm, model_text, keep="start" if mask_token else "end")
    gaps = ((f"Each gap ([MASK], <mask>, ___) is written as {mask_token}, {lm.name}'s mask token.",)
            if mask_token and cleaned.mask_count else ())
    # What cleaning did (cut to 4,000 characters, control characters removed) belongs with the result.
    return dataclasses.replace(tokens, notes=(*cleaned.notices, *gaps, *tokens.notes))
