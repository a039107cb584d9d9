"""The real hyper-parameters of every runnable model, so its architecture can be built without a download.

Each entry copies the architecture fields of the checkpoint's `config.json` on the Hugging Face Hub
(layers, widths, vocabulary, positions). Building the model from it with random weights gives exactly
the real parameter count and the real compute per token — which is all the parameter-count test and
the "Measure on this machine" feature need. Weights are never downloaded here.

    config_for("bert-large-uncased")             # transformers.BertConfig with the real sizes
    count_parameters("google/pegasus-xsum")      # built on the meta device: instant, no memory
    build_model("gpt2", tiny=True)               # a 2-layer twin for tests (same classes, tiny sizes)

torch and transformers are imported at the top: the page never imports this module (the Models tab's handlers
reach `tasks.measure`, which imports it, at call time); the specs themselves are in `architecture_specs.py`.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
import transformers

from playground.core.errors import PlaygroundError
from playground.models.architecture_specs import SPECS, ArchitectureSpec, auto_class_name, spec_for
from playground.models.construction import constructs

__all__ = ["SPECS", "ArchitectureSpec", "auto_class_name", "build_model", "config_for", "count_parameters",
           "spec_for", "supports_head"]


def config_for(hub_id: str, *, tiny: bool = False, overrides: Mapping[str, Any] | None = None):
    """The model's transformers config (real sizes; `tiny=True` for a shrunken twin)."""
    spec = spec_for(hub_id)
    kwargs = spec.kwargs(tiny)
    kwargs.update(overrides or {})
    return getattr(transformers, spec.config_class)(**kwargs)


def supports_head(hub_id: str, head: str) -> bool:
    """Whether transformers has a class with this head for the model's architecture (Pegasus has no QA head)."""
    auto = getattr(transformers, auto_class_name(hub_id, head))
    return getattr(transformers, spec_for(hub_id).config_class) in auto._model_mapping


@constructs
def _instantiate(config, auto_class: str):
    transformers.logging.set_verbosity_error()
    try:
        return getattr(transformers, auto_class).from_config(config)
    except ValueError as exc:  # e.g. a decoder asked for a question-answering head it has no class for
        raise PlaygroundError(f"{type(config).__name__} has no {auto_class} head ({str(exc).splitlines()[0][:200]}).") \
            from exc


@constructs
def count_parameters(hub_id: str, *, head: str | None = None, tiny: bool = False,
                     config=None) -> int:
    """Parameters of the model built from its config, counted on the meta device (no memory, ~0.1 s).

    Counts every registered parameter once (tied input/output embeddings once), like
    `PreTrainedModel.num_parameters()`; this includes Pegasus' fixed sinusoidal position tables.
    """
    with torch.device("meta"):  # shapes only; nothing is allocated or initialised
        model = _instantiate(config or config_for(hub_id, tiny=tiny), auto_class_name(hub_id, head))
    return sum(p.numel() for p in model.parameters())


@constructs
def build_model(hub_id: str, *, head: str | None = None, tiny: bool = False, config=None):
    """The architecture with random weights, in eval mode, ready for a forward pass.

    Built on the meta device, then materialised and initialised once by transformers' own
    `init_weights` (which also fills buffers such as position ids): about 3x faster than
    `from_config` on CPU, and no process-wide state is patched.
    """
    with torch.device("meta"):
        model = _instantiate(config or config_for(hub_id, tiny=tiny), auto_class_name(hub_id, head))
    model.to_empty(device="cpu")
    model.init_weights()
    model.eval()
    model.requires_grad_(False)
    return model
