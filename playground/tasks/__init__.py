"""Features, one module or package each. The modules in the set below import torch at their top and are imported on
first use (`tasks.measure`, `tasks.summary_decoding`, …): the page is built without torch."""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"measure", "qa_spans", "summary_decoding"})
