"""Lazy submodules (Scientific Python SPEC 1, the way `transformers` and `scikit-image` keep `import` cheap).

The page is built without importing torch, transformers, captum, scikit-learn or trl (about 2–4 s on 2 cores):
a module that needs them imports them at its top, and the light modules that the page imports reach it as an
attribute of its package, which imports it on first use:

    # playground/lm/__init__.py
    __getattr__, __dir__ = lazy_submodules(__name__, {"masked_lm", "causal_lm", ...})

    # a light module
    from playground import lm
    def fill(...):
        return lm.masked_lm.fill_mask(...)   # imports playground.lm.masked_lm (and torch) on the first call

That one `importlib.import_module` is the deferral for every heavy module behind it; everything else imports
at the top of its file.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Callable


def lazy_submodules(package: str, names: set[str] | frozenset[str]
                    ) -> tuple[Callable[[str], ModuleType], Callable[[], list[str]]]:
    """`(__getattr__, __dir__)` for a package whose submodules `names` are imported on first attribute access."""
    known = frozenset(names)

    def __getattr__(name: str) -> ModuleType:
        if name in known:
            # deferred: the submodule imports torch/transformers at its top; the page is built without them
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(known)

    return __getattr__, __dir__
