"""Features, one module or package each. `measure` (torch at its top) is imported on first use as `tasks.measure`:
the page is built without torch."""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"measure"})
