"""Other ways to run a loaded model, without changing the model other requests use.

- `attention_twin`: a second module tree over the *same* weights whose attention runs eagerly, so it can
  return attention weights (PyTorch's fused sdpa kernel never materialises them). The original keeps its
  faster sdpa attention; nothing is mutated, so concurrent requests never see each other's setting.
- `int8_copy`: fast mode on CPU — a copy whose Linear layers use int8 dynamic quantization
  (`torch.ao.quantization.quantize_dynamic`: int8 weights, activations quantized on the fly).

torch and transformers are imported at the top: the page reaches this module at call time as `models.variants`
(`playground/models/__init__.py`); fast mode's label and note are in `fast_mode.py`.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from transformers.pytorch_utils import Conv1D

from playground.models.construction import constructs
from playground.models.fast_mode import AGREEMENT_FILE, FAST_MODE_LABEL, fast_mode_note

with warnings.catch_warnings():  # torch marks the eager-mode API deprecated in favour of torchao
    warnings.simplefilter("ignore")
    from torch.ao.quantization import quantize_dynamic

__all__ = ["AGREEMENT_FILE", "FAST_MODE_LABEL", "attention_twin", "fast_mode_note", "int8_copy", "stored_nbytes"]

@constructs
def attention_twin(model: Any) -> Any:
    """The same model with eager attention, sharing every parameter, buffer and leaf layer with `model`.

    Only the container modules and the config are copied (a few kB): the attention modules read their
    implementation from their own config at each call, so the twin and the original can run at once.
    """
    memo: dict[int, Any] = {id(t): t for t in (*model.parameters(), *model.buffers())}
    for module in model.modules():
        # Leaf layers (Linear, LayerNorm, Embedding, Dropout…) have no attention setting: share them as they are.
        if next(module.children(), None) is None and not hasattr(module, "config"):
            memo[id(module)] = module
    twin = copy.deepcopy(model, memo)
    twin.set_attn_implementation("eager")
    return twin


@constructs
def _conv1d_to_linear(model: Any) -> None:
    """Replace GPT-2's `Conv1D` layers (y = x·W + b, W stored in × out) by the equivalent `nn.Linear`
    (W stored out × in), which dynamic quantization knows how to convert."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, Conv1D):
                n_in, n_out = child.weight.shape
                linear = torch.nn.Linear(n_in, n_out, device="meta")
                linear.weight = torch.nn.Parameter(child.weight.detach().t().contiguous(), requires_grad=False)
                linear.bias = torch.nn.Parameter(child.bias.detach().clone(), requires_grad=False)
                setattr(parent, name, linear)


@constructs
def int8_copy(model: Any) -> Any:
    """A fast-mode copy of `model`: every Linear layer (and GPT-2's Conv1D, converted first) in int8.

    The original is left untouched. Embeddings stay float32 (a lookup costs nothing to speed up); an output
    layer tied to the input embeddings gets its own int8 copy. Int8 kernels have no gradient, so the
    copy serves predictions and generation, not gradient × input.
    """
    quantized = copy.deepcopy(model)
    _conv1d_to_linear(quantized)
    with warnings.catch_warnings():  # torch marks the eager-mode API deprecated in favour of torchao
        warnings.simplefilter("ignore")
        quantize_dynamic(quantized, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    quantized.eval()
    quantized.requires_grad_(False)
    return quantized


def stored_nbytes(model: Any) -> int:
    """Bytes the model's state really holds, counting int8 weights at one byte each (packed quantized
    weights are not parameters, so `model.parameters()` misses them); shared storage is counted once."""
    if model is None:
        return 0
    seen: set[int] = set()
    total = 0

    def add(value: Any) -> None:
        nonlocal total
        if isinstance(value, torch.Tensor):
            key = value.untyped_storage().data_ptr() if not value.is_quantized else id(value)
            if key not in seen:
                seen.add(key)
                total += value.numel() * value.element_size()
        elif isinstance(value, (tuple, list)):
            for item in value:
                add(item)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = model.state_dict(keep_vars=True)
    for value in state.values():
        add(value)
    for tensor in model.buffers():  # non-persistent buffers (e.g. position ids) are not in the state dict
        add(tensor)
    return total
