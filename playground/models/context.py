"""What every handler needs, built once per app: the model cards, the model profile and the model store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playground.core.types import LoadedModel
from playground.models.cards import CardCatalog, load_catalog
from playground.models.loader import DEFAULT_MEMORY_BUDGET_GB, ModelStore
from playground.models.profiles import Profile, default_profile, tiny_profile
from playground.models.tiny import TINY_NAMES, build_tiny_models, default_tiny_dir
from playground.models.warm import WarmStart


@dataclass(frozen=True)
class AppOptions:
    models: str = "default"  # "default" (Hub checkpoints) or "tiny" (built locally, offline)
    allow_any_model: bool = False
    memory_budget_gb: float = DEFAULT_MEMORY_BUDGET_GB
    tiny_dir: Path | None = None
    fast: bool = False  # fast mode (int8 copies on CPU) is on by default in the UI and the API
    preload: bool = False  # load the default Compare models in the background once the page is served


@dataclass(frozen=True)
class AppContext:
    store: ModelStore
    profile: Profile
    catalog: CardCatalog
    fast: bool = False  # the default of every fast-mode switch
    warm: WarmStart | None = None  # the background preload, when the app does one

    def model(self, name: str, task: str, variant: str = "fp32") -> LoadedModel:
        return self.store.get(name, task, variant)


def make_context(options: AppOptions) -> AppContext:
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
    return AppContext(store=store, profile=profile, catalog=catalog, fast=options.fast,
                      warm=WarmStart() if options.preload else None)
