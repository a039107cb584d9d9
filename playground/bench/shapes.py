"""Real-size model shapes with random weights, served like loaded models: what benchmarks measure without a
download (the compute of bert-base or gpt2 is the same whatever the weights).
"""

from __future__ import annotations

import functools
import inspect
import tempfile
from pathlib import Path

import torch
from transformers import AutoTokenizer

from playground.core.types import LoadedModel
from playground.models.architectures import build_model, config_for
from playground.models.cards import load_catalog
from playground.models.construction import constructs
from playground.models.loader import ModelStore, model_nbytes
from playground.models.profiles import Profile
from playground.models.tiny import build_tiny_models
from playground.tasks.context import AppContext

RANDOM_BERT, RANDOM_GPT = "bert-base (random)", "gpt2 (random)"


@constructs
def real_size_model(hub_id: str, attn: str):
    """The checkpoint's architecture (real hyper-parameters from `architectures.py`) with random weights."""
    torch.manual_seed(0)
    return build_model(hub_id, config=config_for(hub_id, overrides={"attn_implementation": attn}))


@constructs
def padded_tokenizer(kind: str, vocab_size: int):
    """A tokenizer trained on the tiny corpus, padded with filler entries to `vocab_size` ids so every id a
    real-size model can output decodes."""
    tiny = build_tiny_models(Path(tempfile.gettempdir()) / "playground-bench-tiny")
    tokenizer = AutoTokenizer.from_pretrained(tiny["tiny-bert" if kind == "wordpiece" else "tiny-gpt2"])
    tokenizer.add_tokens([f"filler{i}" for i in range(vocab_size - len(tokenizer))])
    assert len(tokenizer) == vocab_size
    return tokenizer


def loader_attention() -> str:
    """The attention implementation this version's loader gives models (older versions forced eager)."""
    return "eager" if 'attn_implementation="eager"' in inspect.getsource(ModelStore._load) else "sdpa"


@functools.lru_cache(maxsize=1)
def random_weight_context():
    """(app context, bert, gpt): bert-base and gpt2 shapes with random weights, served by a model store under the
    names RANDOM_BERT / RANDOM_GPT, with the attention the loader would give them (built once per process)."""
    attn = loader_attention()
    built = {}
    for name, task, hub_id, kind, vocab in ((RANDOM_BERT, "fill-mask", "bert-base-uncased", "wordpiece", 30522),
                                            (RANDOM_GPT, "text-generation", "gpt2", "bpe", 50257)):
        model = real_size_model(hub_id, attn)
        if hasattr(model, "generation_config"):
            model.generation_config.eos_token_id = None  # random weights: model.generate runs every step
        built[(name, task)] = LoadedModel(name=name, task=task, tokenizer=padded_tokenizer(kind, vocab), model=model,
                                          nbytes=model_nbytes(model), source="random weights")

    class PrebuiltStore(ModelStore):
        def check_allowed(self, name: str) -> None:
            if name not in (RANDOM_BERT, RANDOM_GPT):  # not Hub ids: the store would refuse them by name
                super().check_allowed(name)

        def _load(self, name: str, task: str) -> LoadedModel:
            return built[(name, task)]

    store = PrebuiltStore(load_catalog(), allow_unlisted=True)
    profile = Profile(name="random", models={"fill-mask": (RANDOM_BERT,), "text-generation": (RANDOM_GPT,)})
    ctx = AppContext(store=store, profile=profile, catalog=store.catalog)
    return ctx, built[(RANDOM_BERT, "fill-mask")], built[(RANDOM_GPT, "text-generation")]
