"""One forward pass, read several ways: the predictions at a few positions, every layer's attention weights,
and the input gradient of the top prediction — so a feature that shows all three reads the model once.

Attention weights need eager attention; `attention_reader` gives a weight-sharing eager twin of any model
(made once per model, freed with it), so the model other requests use keeps its faster sdpa attention.

torch is imported inside the functions (start-up stays fast); nothing here loops per token.
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Sequence

from playground import models
from playground.core.types import LoadedModel

_TWINS: "weakref.WeakKeyDictionary[Any, LoadedModel]" = weakref.WeakKeyDictionary()
_TWINS_LOCK = threading.Lock()


def attention_reader(lm: LoadedModel) -> LoadedModel:
    """`lm` itself if its attention is eager, else its eager twin (same weights; made once per model)."""
    model = lm.model
    if getattr(model.config, "_attn_implementation", "eager") == "eager":
        return lm
    with _TWINS_LOCK:
        twin = _TWINS.get(model)
        if twin is None:
            twin = dataclasses.replace(lm, model=models.variants.attention_twin(model), nbytes=0)
            _TWINS[model] = twin
    return twin


def keeps_logits(model: Any) -> bool:
    """Whether the model can project only some positions onto the vocabulary (`logits_to_keep`)."""
    return "logits_to_keep" in inspect.signature(model.forward).parameters


@dataclass(eq=False)
class ForwardPass:
    """What one forward pass over one input gave.

    `log_probs[i]` is the log-distribution over the vocabulary at `positions[i]`. With `gradients`, the
    graph is kept until `influence()` runs the one backward pass; `attentions` is layers × heads × T × T.
    """

    input_ids: tuple[int, ...]
    positions: tuple[int, ...]
    log_probs: Any  # torch.Tensor, len(positions) × vocabulary, no graph
    attentions: Any | None = None  # torch.Tensor, float32
    cache: Any | None = None  # the keys and values of every position (with `keep_cache`), no graph
    _graph: tuple[Any, Any] | None = field(default=None, repr=False)  # (input embeddings, log-probs with graph)
    _influence: tuple[list[float], int] | None = field(default=None, repr=False)

    def probs(self, row: int = 0):
        return self.log_probs[row].exp()

    def prefix_cache(self, length: int) -> Any | None:
        """A new KV cache holding the first `length` positions of this pass (None without `keep_cache`), so a
        generation continuing from them does not read those tokens again. Each call gives its own cache."""
        if self.cache is None:
            return None
        # deferred: transformers; the page's task modules import lm/, a KV cache needs it
        from transformers import DynamicCache

        prefix = DynamicCache()
        for index, layer in enumerate(self.cache.layers):
            prefix.update(layer.keys[..., :length, :], layer.values[..., :length, :], index)
        return prefix

    def influence(self, row: int = 0) -> tuple[list[float], int]:
        """Gradient × input of every input token on the top prediction at `positions[row]`: the L2 norm of
        (∂ log p(top) / ∂ embedding) ⊙ embedding, and the top token's id. One backward pass, done once."""
        if self._influence is None:
            # deferred: torch; the page's task modules import lm/, only a running model needs it
            import torch

            if self._graph is None:
                raise ValueError("This forward pass kept no gradient graph (gradients=False).")
            embeddings, log_probs = self._graph
            target = int(log_probs[row].argmax())
            with torch.enable_grad():
                log_probs[row, target].backward()
            scores = (embeddings.grad[0] * embeddings[0]).norm(dim=-1)
            self._influence = ([float(s) for s in scores.detach()], target)
            self._graph = None  # the graph's activations are freed with it
        return self._influence


def forward_pass(lm: LoadedModel, input_ids: Sequence[int], positions: Sequence[int], *,
                 attentions: bool = False, gradients: bool = False, keep_cache: bool = False) -> ForwardPass:
    """Read `input_ids` once: log-probabilities at `positions` (projected onto the vocabulary only there when
    the model allows), plus every layer's attention weights, the graph for one input gradient and/or the KV
    cache (for a decoder that goes on generating)."""
    # deferred: torch; the page's task modules import lm/, only a running model needs it
    import torch

    model = attention_reader(lm).model if attentions else lm.model
    ids = torch.tensor([list(input_ids)])
    wanted = torch.tensor(list(positions), dtype=torch.long)
    kwargs: dict[str, Any] = {"output_attentions": True} if attentions else {}
    if keep_cache:
        kwargs["use_cache"] = True
    kept = keeps_logits(model)
    if kept:
        kwargs["logits_to_keep"] = wanted
    graph = None
    # Grad mode is thread-local: set it here, never across a caller's `yield`.
    with torch.enable_grad() if gradients else torch.inference_mode():
        if gradients:
            embeddings = model.get_input_embeddings()(ids).detach().requires_grad_(True)
            out = model(inputs_embeds=embeddings, **kwargs)
        else:
            out = model(input_ids=ids, **kwargs)
        logits = out.logits[0] if kept else out.logits[0, wanted]
        log_probs = logits.float().log_softmax(-1)
        if gradients:
            graph = (embeddings, log_probs)
        stacked = torch.stack([a[0] for a in out.attentions]).detach().float() if attentions else None
        cache = None
        if keep_cache and getattr(out, "cache", None) is not None:
            cache = out.cache  # transformers 5's name for past_key_values
            for layer in cache.layers:  # the cache must not hold on to the gradient graph
                layer.keys, layer.values = layer.keys.detach(), layer.values.detach()
    return ForwardPass(input_ids=tuple(int(i) for i in input_ids), positions=tuple(int(p) for p in positions),
                       log_probs=log_probs.detach(), attentions=stacked, cache=cache, _graph=graph)
