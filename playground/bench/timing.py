"""Timing helpers shared by every benchmark: interleaved best-of runs, real-size models with random weights, and an
app context serving them."""

from __future__ import annotations

import functools
import inspect
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BENCH_BERT, BENCH_GPT = "bert-base (random)", "gpt2 (random)"


def interleaved_ms(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, float]:
    """Best-of-`repeats` milliseconds per function. The functions are called in turn, so background load hits
    all of them alike, and the minimum is the run least disturbed by other processes (as `timeit` advises)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) * 1000 for name, values in times.items()}


def real_size_model(hub_id: str, attn: str):
    """The checkpoint's architecture (real hyper-parameters from `architectures.py`) with random weights."""
    import torch

    from playground.models.architectures import build_model, config_for

    torch.manual_seed(0)
    return build_model(hub_id, config=config_for(hub_id, overrides={"attn_implementation": attn}))


def padded_tokenizer(kind: str, vocab_size: int):
    """A tokenizer trained on the tiny corpus, padded with filler entries to `vocab_size` ids so every id a
    real-size model can output decodes."""
    from transformers import AutoTokenizer

    from playground.models.tiny import build_tiny_models

    tiny = build_tiny_models(Path(tempfile.gettempdir()) / "playground-bench-tiny")
    tokenizer = AutoTokenizer.from_pretrained(tiny["tiny-bert" if kind == "wordpiece" else "tiny-gpt2"])
    tokenizer.add_tokens([f"filler{i}" for i in range(vocab_size - len(tokenizer))])
    assert len(tokenizer) == vocab_size
    return tokenizer


def loader_attention() -> str:
    """The attention implementation this version's loader gives models (older versions forced eager)."""
    from playground.models.loader import ModelStore

    return "eager" if 'attn_implementation="eager"' in inspect.getsource(ModelStore._load) else "sdpa"


@functools.lru_cache(maxsize=1)
def bench_models():
    """(app context, bert, gpt): bert-base and gpt2 shapes with random weights, served by a model store under the
    names BENCH_BERT / BENCH_GPT, with the attention the loader would give them."""
    from playground.core.types import LoadedModel
    from playground.models.cards import load_catalog
    from playground.models.context import AppContext
    from playground.models.loader import ModelStore, model_nbytes
    from playground.models.profiles import Profile

    attn = loader_attention()
    built = {}
    for name, task, hub_id, kind, vocab in ((BENCH_BERT, "fill-mask", "bert-base-uncased", "wordpiece", 30522),
                                            (BENCH_GPT, "text-generation", "gpt2", "bpe", 50257)):
        model = real_size_model(hub_id, attn)
        if hasattr(model, "generation_config"):
            model.generation_config.eos_token_id = None  # random weights: model.generate runs every step
        built[(name, task)] = LoadedModel(name=name, task=task, tokenizer=padded_tokenizer(kind, vocab), model=model,
                                          nbytes=model_nbytes(model), source="random weights")

    class PrebuiltStore(ModelStore):
        def _load(self, name: str, task: str) -> LoadedModel:
            return built[(name, task)]

    store = PrebuiltStore(load_catalog(), allow_unlisted=True)
    profile = Profile(name="bench", models={"fill-mask": (BENCH_BERT,), "text-generation": (BENCH_GPT,)})
    ctx = AppContext(store=store, profile=profile, catalog=store.catalog)
    return ctx, built[(BENCH_BERT, "fill-mask")], built[(BENCH_GPT, "text-generation")]


@dataclass(frozen=True)
class Target:
    """One of issue 13's targets: a measured ratio and the limit it must stay within."""

    name: str
    ratio: float
    limit: float
    at_most: bool = True  # the ratio must be ≤ limit (else ≥ limit)

    @property
    def met(self) -> bool:
        return self.ratio <= self.limit if self.at_most else self.ratio >= self.limit

    def line(self) -> str:
        bound = f"{'≤' if self.at_most else '≥'} {self.limit:g}×"
        return f"  {self.name:<58} {self.ratio:6.2f}×   target {bound:<8} {'met' if self.met else 'NOT MET'}"
