"""Model-facing primitives. The modules that import torch/captum/scikit-learn at their top and are new with the
"Inside" tab are reached lazily (`playground.core.lazy`), so the page is built without them; the older modules
import as before (`from playground.lm.influence import …`)."""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"lens", "embeddings", "kv_cache", "attribution", "probes"})
