"""The Inside tab's JSON endpoints: a plain function each, with the API's parameters and defaults, calling the
task's handler and returning its result as one JSON object (documented in docs/api.md)."""

from __future__ import annotations

from playground.tasks.context import AppContext
from playground.tasks.inside import (DEFAULT_PAIRS, DEFAULT_TEXT, INTEGRATED, run_attribution, run_cache,
                                     run_embeddings, run_lens, run_probes)
from playground.ui.widgets import publish_endpoint, to_json

FILL_TASK, GEN_TASK = "fill-mask", "text-generation"


def publish_inside_endpoints(ctx: AppContext) -> None:
    bert_default, gpt_default = ctx.profile.default(FILL_TASK), ctx.profile.default(GEN_TASK)

    def inside_lens(text: str = DEFAULT_TEXT, top_k: int = 5, bert_model: str = bert_default,
                    gpt_model: str = gpt_default) -> dict:
        """Logit lens at BERT's [MASK] and GPT-2's next-token position: each layer's top-k and the final answer's
        rank and probability."""
        return to_json(run_lens(ctx, text, top_k, bert_model, gpt_model))

    def inside_embeddings(first: str = DEFAULT_PAIRS[0][0], second: str = DEFAULT_PAIRS[0][1],
                          word: str = DEFAULT_PAIRS[0][2], bert_model: str = bert_default,
                          gpt_model: str = gpt_default) -> dict:
        """Cosine similarity of a word's vectors in two sentences, per layer, and of its static embedding."""
        return to_json(run_embeddings(ctx, first, second, word, bert_model, gpt_model))

    def inside_cache(text: str = "The dog barked at the", token: str = "mailman", bert_model: str = bert_default,
                     gpt_model: str = gpt_default) -> dict:
        """Which earlier keys/values change per layer when a token is appended; cached step vs full re-read."""
        return to_json(run_cache(ctx, text, token, bert_model, gpt_model))

    def inside_attribution(text: str = DEFAULT_TEXT, method: str = INTEGRATED, bert_model: str = bert_default,
                           gpt_model: str = gpt_default) -> dict:
        """Each word's attribution for BERT's [MASK] and GPT-2's next token: gradient, occlusion or
        integrated_gradients (with its completeness check)."""
        return to_json(run_attribution(ctx, text, method, bert_model, gpt_model))

    def inside_probes(label_set: str = "noun_kind", repeats: int = 5, bert_model: str = bert_default,
                      gpt_model: str = gpt_default) -> dict:
        """Linear probes per layer with the control task and selectivity, for both models (up to ~20 s)."""
        return to_json(run_probes(ctx, label_set, repeats, bert_model, gpt_model))

    publish_endpoint(inside_lens, "inside_lens", serves=run_lens)
    publish_endpoint(inside_embeddings, "inside_embeddings", serves=run_embeddings)
    publish_endpoint(inside_cache, "inside_cache", serves=run_cache)
    publish_endpoint(inside_attribution, "inside_attribution", serves=run_attribution)
    publish_endpoint(inside_probes, "inside_probes", serves=run_probes)
