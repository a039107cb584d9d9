"""Benchmarks (`python -m playground.bench`); heavy sections are imported on first use."""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"assistant"})
