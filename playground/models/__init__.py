"""Model loading, cards, the task registry and profiles. `tiny_build` and `variants` import torch and transformers
at their top and are imported on first use (`models.tiny_build`, `models.variants`): the page is built without them."""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"tiny_build", "variants"})
