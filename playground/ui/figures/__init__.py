"""The UI's figures. `canvas` (matplotlib) is imported on first use: the page is built without matplotlib."""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"canvas"})
