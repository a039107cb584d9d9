"""The Inside tab's handlers: the app context and the tab's (or a script's) inputs → one result per view, each
holding BERT's and GPT-2's answer side by side. Inputs are checked and capped here; the models come from the
context; the computation is `lm`'s, reached lazily (`from playground import lm`: those modules import torch,
captum and scikit-learn at their top, and this module is imported when the page is built).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from playground import lm
from playground.core.errors import PlaygroundError
from playground.core.predictions import check_top_k
from playground.core.text_input import check_int, clean_text
from playground.lm.causal_lm import left_context
from playground.lm.influence import GRADIENT, METHODS, OCCLUSION, InfluenceResult, read_influence
from playground.lm.inside_results import CacheResult, Completeness, EmbeddingResult, LensResult, ProbeResult
from playground.lm.readers import CausalReader, MaskedReader
from playground.tasks.context import AppContext
from playground.tasks.inside.probe_data import LABEL_SETS, check_label_set, labelled_words

FILL_TASK, GEN_TASK = "fill-mask", "text-generation"
INTEGRATED = "integrated_gradients"
ATTRIBUTION_METHODS = {**METHODS, INTEGRATED: "integrated gradients (Captum, on the embeddings)"}
MAX_WORD_CHARS = 40
MAX_PROBE_REPEATS = 10
DEFAULT_TEXT = "The animal that barked at the mailman was the [MASK]."
DEFAULT_PAIRS = (("He walked to the bank to fish in the river.", "He walked to the bank to pay in his money.", "bank"),
                 ("She watched the crane fly over the lake.", "She watched the crane lift the steel beams.", "crane"),
                 ("The river flooded the bank.", "The robbers held up the bank.", "bank"))


@dataclass(frozen=True)
class LensComparison:
    bert: LensResult
    gpt: LensResult


@dataclass(frozen=True)
class EmbeddingComparison:
    bert: EmbeddingResult
    gpt: EmbeddingResult


@dataclass(frozen=True)
class CacheComparison:
    bert: CacheResult
    gpt: CacheResult


@dataclass(frozen=True)
class AttributionComparison:
    method: str  # a key of ATTRIBUTION_METHODS
    bert: InfluenceResult
    gpt: InfluenceResult
    bert_check: Completeness | None  # integrated gradients only: do the attributions add up?
    gpt_check: Completeness | None
    forward_passes: int  # per model: 1 + 1 backward (gradient), 1 batched (occlusion), steps + 2 (integrated)


@dataclass(frozen=True)
class ProbeComparison:
    label_set: str
    description: str
    bert: ProbeResult
    gpt: ProbeResult


def _readers(ctx: AppContext, bert_model: str, gpt_model: str) -> tuple[MaskedReader, CausalReader]:
    bert, gpt = ctx.models((bert_model, FILL_TASK), (gpt_model, GEN_TASK))  # names every missing one
    return MaskedReader(bert), CausalReader(gpt)


def gpt_text(text: str) -> tuple[str, tuple[str, ...]]:
    """What GPT-2 reads for the slot: the text left of the first [MASK] (it predicts the next token there)."""
    context, had_mask = left_context(text)
    if not context:
        raise PlaygroundError("Put some words before the [MASK]: GPT-2 predicts the next token from the left.")
    return context, (("GPT-2 reads the text left of the [MASK] and predicts the next token.",) if had_mask else ())


def _with_notices(result, notices: tuple[str, ...]):
    return dataclasses.replace(result, notices=(*notices, *result.notices))


def run_lens(ctx: AppContext, text: str = DEFAULT_TEXT, top_k: int = 5, bert_model: str = "bert-base-uncased",
             gpt_model: str = "gpt2") -> LensComparison:
    """Logit lens: each layer's top-k at BERT's [MASK] and at GPT-2's next-token position, through each model's
    own output head, with the rank and probability of the final answer."""
    top_k = check_top_k(top_k)
    cleaned = clean_text(text)
    if cleaned.mask_count == 0:
        raise PlaygroundError("Add a [MASK]: BERT is read at the mask, GPT-2 at the token before it.")
    context, notices = gpt_text(text)
    bert, gpt = _readers(ctx, bert_model, gpt_model)
    return LensComparison(bert=lm.lens.logit_lens(bert, cleaned.text, top_k),
                          gpt=_with_notices(lm.lens.logit_lens(gpt, context, top_k), notices))


def _word(word: str) -> str:
    word = clean_text(word, what="word", max_chars=MAX_WORD_CHARS).text
    if len(word.split()) != 1:
        raise PlaygroundError("Give one word to follow (no spaces).")
    return word


def run_embeddings(ctx: AppContext, first: str = DEFAULT_PAIRS[0][0], second: str = DEFAULT_PAIRS[0][1],
                   word: str = DEFAULT_PAIRS[0][2], bert_model: str = "bert-base-uncased",
                   gpt_model: str = "gpt2") -> EmbeddingComparison:
    """Contextual vs static: cosine similarity of a word's vectors in two sentences, per layer, for both models."""
    word = _word(word)
    first, second = clean_text(first, what="first sentence").text, clean_text(second, what="second sentence").text
    bert, gpt = _readers(ctx, bert_model, gpt_model)
    return EmbeddingComparison(bert=lm.embeddings.contextual_similarity(bert, first, second, word),
                               gpt=lm.embeddings.contextual_similarity(gpt, first, second, word))


def run_cache(ctx: AppContext, text: str = "The dog barked at the", token: str = "mailman",
              bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2") -> CacheComparison:
    """The KV cache: which earlier keys and values change, per layer, when one token is appended, and the time
    of a cached step against a full re-read."""
    text, token = clean_text(text).text, _word(token)
    bert, gpt = _readers(ctx, bert_model, gpt_model)
    return CacheComparison(bert=lm.kv_cache.cache_changes(bert, text, token),
                           gpt=lm.kv_cache.cache_changes(gpt, text, token))


def check_attribution_method(method: object) -> str:
    for key, label in ATTRIBUTION_METHODS.items():
        if method in (key, label):
            return key
    raise PlaygroundError(f"Attribution method must be one of {', '.join(ATTRIBUTION_METHODS)}, got {method!r}.")


def _attribute(reader, text: str, method: str) -> tuple[InfluenceResult, Completeness | None]:
    if method != INTEGRATED:
        return read_influence(reader, text, None, method), None
    return lm.attribution.integrated_gradients(reader, reader.slot_input(text))


def run_attribution(ctx: AppContext, text: str = DEFAULT_TEXT, method: str = INTEGRATED,
                    bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2") -> AttributionComparison:
    """Which words drove BERT's prediction at the [MASK] and GPT-2's next token after the text left of it, by
    gradient × input, occlusion or integrated gradients."""
    method = check_attribution_method(method)
    cleaned = clean_text(text)
    if cleaned.mask_count == 0:
        raise PlaygroundError("Add a [MASK]: BERT predicts it, GPT-2 the token after the words left of it.")
    context, notices = gpt_text(text)
    bert, gpt = _readers(ctx, bert_model, gpt_model)
    bert_result, bert_check = _attribute(bert, cleaned.text, method)
    gpt_result, gpt_check = _attribute(gpt, context, method)
    passes = {GRADIENT: 2, OCCLUSION: 1}.get(method, lm.attribution.IG_STEPS + 2)
    return AttributionComparison(method=method, bert=bert_result, gpt=_with_notices(gpt_result, notices),
                                 bert_check=bert_check, gpt_check=gpt_check, forward_passes=passes)


def run_probes(ctx: AppContext, label_set: str = "noun_kind", repeats: int = 5, bert_model: str = "bert-base-uncased",
               gpt_model: str = "gpt2", progress: Callable[[float, str], None] | None = None) -> ProbeComparison:
    """Linear probes per layer for a lab-world label, with the control task (a random label per word type) and
    the selectivity, for both models; `repeats` seeded train/test splits (mean and spread)."""
    label_set = check_label_set(label_set)
    repeats = check_int(repeats, "Repeats", 2, MAX_PROBE_REPEATS)
    bert, gpt = _readers(ctx, bert_model, gpt_model)
    examples = labelled_words(label_set)

    def half(offset: float) -> Callable[[float, str], None] | None:
        return (lambda done, what: progress(offset + done / 2, what)) if progress else None

    from_bert = lm.probes.train_probes(bert, examples, label_set, repeats, progress=half(0.0))
    from_gpt = lm.probes.train_probes(gpt, examples, label_set, repeats, progress=half(0.5))
    return ProbeComparison(label_set=label_set, description=LABEL_SETS[label_set], bert=from_bert, gpt=from_gpt)
