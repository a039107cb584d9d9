"""The KV cache, written once for both readers: append one token to a text and see which keys and values of
the earlier positions change, layer by layer; then time reading only the new token from a cache against
re-reading the whole text.

The keys and values are caught where each attention layer computes them (forward hooks on its key/value
projections: BERT's `attention.self.key`/`.value`, DistilBERT's `k_lin`/`v_lin`, GPT-2's fused `c_attn`).
The text and the text with the token appended go through the model in one right-padded batch, so the earlier
positions are computed by the same kernels on the same shapes: a left-to-right model's earlier keys and values
then come out bit-identical (nothing they depend on changed), which is why its cache can be reused; a
bidirectional model's change from its second layer on (its first layer's keys are projections of the token
embeddings alone, which do not see the new token).
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import torch
from transformers import DynamicCache

from playground.core.errors import PlaygroundError
from playground.core.text_input import clean_text
from playground.core.tokens import display_piece, padded_batch
from playground.lm.inside_results import CacheLayer, CacheResult, Timing
from playground.lm.readers import TextReader

TIMING_REPEATS = 5
Split = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def _kv_sources(model: Any) -> list[tuple[list[Any], Split]]:
    """Per layer: the modules to hook and how their outputs give (keys, values)."""
    base = model.base_model
    if hasattr(base, "h") and hasattr(base.h[0], "attn") and hasattr(base.h[0].attn, "c_attn"):  # GPT-2
        width = base.config.hidden_size
        return [([block.attn.c_attn], lambda out, w=width: (out[0][..., w:2 * w], out[0][..., 2 * w:]))
                for block in base.h]
    if hasattr(base, "encoder") and hasattr(base.encoder, "layer"):  # BERT, RoBERTa, ELECTRA
        return [([layer.attention.self.key, layer.attention.self.value], lambda out: (out[0], out[1]))
                for layer in base.encoder.layer]
    if hasattr(base, "transformer") and hasattr(base.transformer, "layer"):  # DistilBERT
        return [([layer.attention.k_lin, layer.attention.v_lin], lambda out: (out[0], out[1]))
                for layer in base.transformer.layer]
    raise PlaygroundError(f"The cache view does not know where {type(model).__name__} computes its keys and values.")


def keys_and_values(model: Any, ids: torch.Tensor, attention: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Every layer's keys and values (batch × length × width each) from one forward pass."""
    sources = _kv_sources(model)
    caught: list[list[torch.Tensor]] = [[] for _ in sources]
    handles = [module.register_forward_hook(lambda _m, _i, out, n=n: caught[n].append(out.detach()))
               for n, (modules, _) in enumerate(sources) for module in modules]
    try:
        with torch.inference_mode():
            model.base_model(input_ids=ids, attention_mask=attention)  # the keys and values need no output head
    finally:
        for handle in handles:
            handle.remove()
    return [split(outs) for (_, split), outs in zip(sources, caught)]


def appended_ids(reader: TextReader, text: str, token: str) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
    """(the text's ids, the ids with the token appended, how many earlier positions to compare, the token's id).
    BERT appends it before its closing [SEP]; GPT-2 at the end."""
    inp = reader.text_input(clean_text(text).text)
    pieces = reader.lm.tokenizer(token.strip() if reader.direction == "bidirectional" else " " + token.strip(),
                                 add_special_tokens=False)["input_ids"]
    if not pieces:
        raise PlaygroundError("Give a word to append (it is read as its first token).")
    new = pieces[0]
    ids = inp.input_ids
    end = inp.offset + len(inp.tokens.tokens)  # after the text's tokens: [SEP] (BERT) or nothing (GPT-2) follows
    if len(ids) + 1 > reader.lm.max_positions:
        raise PlaygroundError("The text fills the model's whole length: there is no room to append a token.")
    return ids, (*ids[:end], new, *ids[end:]), end, new


def _timing(run: Callable[[], Any], repeats: int = TIMING_REPEATS) -> Timing:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - start))
    return Timing(statistics.median(times), min(times), max(times), repeats)


def _copied(cache: Any) -> DynamicCache:
    copy = DynamicCache()
    for index, layer in enumerate(cache.layers):
        copy.update(layer.keys.clone(), layer.values.clone(), index)
    return copy


def cached_step(model: Any, ids: tuple[int, ...], new: int) -> tuple[Timing, Timing, float]:
    """Timings of re-reading ids + [new] and of reading [new] alone from the cache of ids, and the largest logit
    difference between the two (the cache's answer must be the full read's)."""
    full = torch.tensor([[*ids, new]])
    with torch.inference_mode():
        prefix = model(input_ids=torch.tensor([list(ids)]), use_cache=True).cache
        reference = model(input_ids=full).logits[0, -1]
        step = model(input_ids=torch.tensor([[new]]), cache=_copied(prefix), use_cache=True).logits[0, -1]

        def full_read() -> Any:
            return model(input_ids=full)

        caches = iter([_copied(prefix) for _ in range(TIMING_REPEATS + 1)])  # made before timing: each step its own

        def one_step() -> Any:
            return model(input_ids=torch.tensor([[new]]), cache=next(caches), use_cache=True)

        return _timing(full_read), _timing(one_step), float((step - reference).abs().max())


def stale_step(model: Any, cached: list[tuple[torch.Tensor, torch.Tensor]], new: int, position: int) -> torch.Tensor:
    """A BERT-family encoder read as if it kept a cache: only the new token goes through the layers, attending to
    the earlier positions' keys and values as `cached` (1 × positions × width per layer) and to its own. What a
    decoder's cached step does; for an encoder it is wrong whenever the cache is stale. Logits of the new token."""
    base = model.base_model
    ids, where = torch.tensor([[new]]), torch.tensor([[position]])
    h = base.embeddings(input_ids=ids, position_ids=where, token_type_ids=torch.zeros_like(ids))
    for layer, (keys, values) in zip(base.encoder.layer, cached):
        attention = layer.attention.self
        heads, size = attention.num_attention_heads, attention.attention_head_size

        def split(x: torch.Tensor) -> torch.Tensor:  # 1 × length × width → 1 × heads × length × size
            return x.view(1, -1, heads, size).transpose(1, 2)
        q = split(attention.query(h))
        k, v = split(torch.cat([keys, attention.key(h)], 1)), split(torch.cat([values, attention.value(h)], 1))
        mixed = (torch.softmax(q @ k.transpose(-1, -2) * size ** -0.5, -1) @ v).transpose(1, 2).reshape(1, 1, -1)
        after = layer.attention.output(mixed, h)
        h = layer.output(layer.intermediate(after), after)
    return model.cls(h)[0, -1]


def stale_cached_step(model: Any, ids: tuple[int, ...], longer: tuple[int, ...], end: int,
                      new: int) -> tuple[Timing, Timing, float] | None:
    """An encoder's cached step with the keys and values from before the append, timed against the full re-read,
    and how far its logits land from the full read's (None for a model this does not know how to step)."""
    base = model.base_model
    if not (hasattr(model, "cls") and hasattr(base, "encoder") and hasattr(base.encoder.layer[0].attention, "self")):
        return None
    before = torch.tensor([list(ids)])
    cached = [(k[:, :end], v[:, :end]) for k, v in keys_and_values(model, before, torch.ones_like(before))]
    full = torch.tensor([list(longer)])
    with torch.inference_mode():
        reference = model(input_ids=full).logits[0, end]
        error = float((stale_step(model, cached, new, end) - reference).abs().max())
        return (_timing(lambda: model(input_ids=full)), _timing(lambda: stale_step(model, cached, new, end)), error)


def cache_changes(reader: TextReader, text: str, token: str) -> CacheResult:
    """Which earlier keys/values change, per layer, when `token` is appended to `text`; and what a cached step
    costs against a full re-read, and how far its logits land from it (a bidirectional model has no valid cached
    step: its earlier keys change; its step reuses them anyway, stale, to show the error)."""
    lm = reader.lm
    ids, longer, compared, new = appended_ids(reader, text, token)
    batch, attention = padded_batch([ids, longer], lm.tokenizer.pad_token_id)
    layers = []
    for number, (keys, values) in enumerate(keys_and_values(lm.model, batch, attention), start=1):
        key_diff = (keys[0, :compared] - keys[1, :compared]).abs().amax(-1)
        value_diff = (values[0, :compared] - values[1, :compared]).abs().amax(-1)
        layers.append(CacheLayer(layer=number, positions=compared, keys_changed=int((key_diff > 0).sum()),
                                 values_changed=int((value_diff > 0).sum()), max_key_change=float(key_diff.max()),
                                 max_value_change=float(value_diff.max())))
    reusable = all(layer.keys_changed == 0 and layer.values_changed == 0 for layer in layers)
    notices: list[str] = []
    if reader.direction == "causal":
        full, step, error = cached_step(lm.model, ids, new)
    else:
        notices.append(f"{lm.name} reads both ways: appending a token changes the earlier keys and values, so "
                       "there is no valid cached step; every new token means re-reading the whole text.")
        stale = stale_cached_step(lm.model, ids, longer, compared, new)
        if stale is None:
            with torch.inference_mode():
                full, step, error = _timing(lambda: lm.model(input_ids=torch.tensor([list(longer)]))), None, None
        else:
            full, step, error = stale
            notices.append("Its 'cached step' reuses the keys and values from before the append anyway (stale), to "
                           "show what it would cost and how far its logits land from the full re-read.")
    return CacheResult(model_name=lm.name, direction=reader.direction, text=clean_text(text).text,
                       appended=display_piece(lm.tokenizer, new), layers=tuple(layers), reusable=reusable,
                       full_read=full, cached_step=step, cached_step_error=error, forward_passes=1,
                       notices=tuple(notices))
