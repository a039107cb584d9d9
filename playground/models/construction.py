"""The one process-wide lock for building models, and the check every built model passes before anyone uses it.

Why a lock: in transformers 5, `from_pretrained` and `from_config` patch process-wide state while they run —
`no_tie_weights()` swaps `PreTrainedModel.tie_weights` for a no-op, `no_init_weights()` swaps the
`torch.nn.init` functions (and `PreTrainedModel.init_weights`) for no-ops, `local_torch_dtype` calls
`torch.set_default_dtype`, `meta_device_safe_creation_ops` patches `torch.linspace` — and restore it on exit.
Two constructions in two threads interleave those save/restore pairs: one thread can restore the other's
no-op as "the original" (tie_weights stays a no-op for the whole process) or tie its weights while tying is
switched off (the output layer stays on the meta device). The lazy `transformers` module also resolves a
name on first touch by importing its submodule; two threads doing so at once can see a half-imported module
("module 'transformers' has no attribute 'AutoTokenizer'"). So every construction — `from_pretrained` /
`from_config` of models and tokenizers, direct model constructors, new torch layers (their `reset_parameters`
calls the patched init functions), quantized copies — runs inside `constructing()`, one at a time.

Forward passes in other threads during a construction (decided from transformers 5.24's code):
- the init patches only touch weight-initialisation functions, which a forward pass never calls;
- `torch.linspace` is patched to default to `device="cpu"`, which is already where a pass without a device
  context creates tensors;
- the default dtype is the one patch a pass can see (a float tensor made without a dtype would take it). Every
  load here asks for `dtype=torch.float32` (`LOAD_DTYPE`), the process default, so the patch sets the value it
  already has. With that, passes and construction need not exclude each other, and a long generation or a lab
  run never holds up a load (nor a load a pass).
- The other way round: a from-scratch construction draws its initial weights from torch's global generator,
  which a concurrent pass could advance (sampling without a seed). Sampling here uses its own generators
  (`lm.generation`), so a seeded lab build gets the same weights whatever else runs.
"""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from playground.core.errors import PlaygroundError

_LOCK = threading.RLock()  # re-entrant: a load builds a tokenizer and a model, a quantized copy loads its base
# The float type every load asks for (see the module docstring): the process default, so a load's
# `set_default_dtype` never changes what a concurrent pass sees.
LOAD_DTYPE_NAME = "float32"
_real_tie_weights: Any = None  # PreTrainedModel.tie_weights as first seen inside the lock


def _pretrained_model() -> Any:
    """transformers' `PreTrainedModel`, whose process-wide `tie_weights` a construction patches and restores."""
    # deferred: transformers (seconds to import); the page is built before any model is
    from transformers import PreTrainedModel

    return PreTrainedModel


class BrokenModel(PlaygroundError):
    """A construction produced a model that must not be served (weights left on the meta device, untied)."""


def _remember_real_methods() -> None:
    """Keep the real `PreTrainedModel.tie_weights` (taken inside the lock, before our first construction, when
    no patch can be active), so a patch left behind by code outside the lock can be detected and undone."""
    global _real_tie_weights
    if _real_tie_weights is None:
        _real_tie_weights = _pretrained_model().__dict__["tie_weights"]


def process_patches_intact() -> bool:
    """Whether transformers' process-wide tie_weights is the real method (not a loader's no-op left behind)."""
    method = _pretrained_model().__dict__["tie_weights"]
    return method is _real_tie_weights if _real_tie_weights is not None else \
        method.__qualname__ == "PreTrainedModel.tie_weights"


@contextmanager
def constructing() -> Iterator[None]:
    """Hold the model-construction lock: nothing else builds or loads a model meanwhile.

    On entering and leaving, a process-wide patch still in place (only code outside this lock could have left
    one) is undone, so one stray construction cannot break every later load.
    """
    with _LOCK:
        _remember_real_methods()
        _restore_process_patches()
        try:
            yield
        finally:
            _restore_process_patches()


F = TypeVar("F", bound=Callable[..., Any])


def constructs(function: F) -> F:
    """Decorator for a function that is one construction from start to end: it runs under `constructing()`."""
    @functools.wraps(function)
    def under_lock(*args: Any, **kwargs: Any) -> Any:
        with constructing():
            return function(*args, **kwargs)

    return under_lock  # type: ignore[return-value]


@constructs
def load_tokenizer(source: Any, **kwargs: Any) -> Any:
    """`AutoTokenizer.from_pretrained` under the lock (it resolves names on transformers' lazy module)."""
    # deferred: transformers (seconds to import); the page is built before any model is
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(source, **kwargs)


def _restore_process_patches() -> None:
    model_class = _pretrained_model()
    if _real_tie_weights is not None and model_class.__dict__["tie_weights"] is not _real_tie_weights:
        model_class.tie_weights = _real_tie_weights


def load_dtype() -> Any:
    # deferred: torch (seconds to import); the page is built before any model is loaded
    import torch

    return getattr(torch, LOAD_DTYPE_NAME)


# ---- the check before a model is cached or handed out ---------------------------------------------------

def model_problems(model: Any, tied: bool = True) -> list[str]:
    """What is wrong with a freshly built model: parameters or buffers left on the meta device, output
    embeddings that the config says are tied but are not, transformers' tie_weights replaced process-wide.
    Empty when the model is fit to serve."""
    if model is None:
        return []
    problems = []
    meta = [name for name, t in (*model.named_parameters(), *model.named_buffers()) if t.is_meta]
    if meta:
        problems.append(f"{len(meta)} weight(s) were never loaded (left on the meta device, e.g. {meta[0]})")
    config = getattr(model, "config", None)
    if tied and config is not None and _should_tie(model, config):
        out, inp = model.get_output_embeddings(), model.get_input_embeddings()
        if out is not None and inp is not None and getattr(out, "weight", None) is not None \
                and out.weight is not inp.weight:
            problems.append("its output layer is not tied to its input embeddings, as its config says it is")
    if config is not None:
        with _LOCK:  # inside a construction the patch is meant to be there: look between constructions only
            intact = process_patches_intact()
        if not intact:
            problems.append("transformers' tie_weights was left replaced by a no-op")
    return problems


def _should_tie(model: Any, config: Any) -> bool:
    """The config ties input and output embeddings and the class declares tied weights."""
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    return bool(getattr(text_config, "tie_word_embeddings", False)) and bool(getattr(model, "_tied_weights_keys", None))


def check_model(model: Any, what: str, tied: bool = True) -> None:
    """Raise `BrokenModel` (with what went wrong) unless `model` passes `model_problems` (`tied=False`: a copy
    whose output layer is deliberately its own, e.g. the int8 one)."""
    problems = model_problems(model, tied)
    if problems:
        raise BrokenModel(f"Building {what} went wrong: {'; '.join(problems)}. It was not kept; the next request "
                          "builds it again.")
