"""Build the app's context (cards, profile, model store) from command-line style options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cards import load_catalog
from .loader import DEFAULT_MEMORY_BUDGET_GB, ModelStore
from .profiles import default_profile, tiny_profile
from .tiny import TINY_NAMES, build_tiny_models, default_tiny_dir


@dataclass(frozen=True)
class AppOptions:
    models: str = "default"  # "default" (Hub checkpoints) or "tiny" (built locally, offline)
    allow_any_model: bool = False
    memory_budget_gb: float = DEFAULT_MEMORY_BUDGET_GB
    tiny_dir: Path | None = None


def make_context(options: AppOptions):
    from .ui.common import AppContext  # imports gradio

    catalog = load_catalog()
    if options.models == "tiny":
        tiny_dir = options.tiny_dir or default_tiny_dir()
        local = {name: tiny_dir / name for name in TINY_NAMES}
        profile = tiny_profile()
        prepare = lambda: build_tiny_models(tiny_dir)  # noqa: E731 — built on first use, not at start-up
    elif options.models == "default":
        local, profile, prepare = {}, default_profile(catalog), None
    else:
        raise ValueError(f"--models must be 'default' or 'tiny', got {options.models!r}")
    store = ModelStore(catalog, memory_budget_bytes=int(options.memory_budget_gb * 2**30),
                       allow_unlisted=options.allow_any_model, local_models=local, prepare_local=prepare)
    return AppContext(store=store, profile=profile, catalog=catalog)


def build_app(options: AppOptions | None = None):
    from .ui.app import build_demo

    return build_demo(make_context(options or AppOptions()))
