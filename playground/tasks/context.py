"""What every handler needs, built once per app: the model cards, the model profile and the model store
(and the Pretraining lab's folder and its one-run-at-a-time gate)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from playground.core.errors import ModelUnavailable, unavailable
from playground.core.jobs import JobGate
from playground.core.types import LoadedModel
from playground.models.cards import CardCatalog, load_catalog
from playground.models.loader import DEFAULT_MEMORY_BUDGET_GB, ModelStore, hub_offline_forced
from playground.models.profiles import (Profile, default_profile, lab_profile, tiny_profile, with_assistant_models,
                                        with_lab_models)
from playground.models.tiny import build_tiny_models, default_tiny_dir, tiny_paths
from playground.models.warm import Step, WarmStart
from playground.tasks.assistant.sessions import AssistantSessions
from playground.tasks.assistant.shipped import assistant_models
from playground.tasks.lab.runs import default_lab_dir, lab_models
from playground.tasks.lab.sessions import SessionRuns


# What the page needs about start-up (offline or not, the warm start's steps) comes from here, not from models/.
__all__ = ["AppContext", "AppOptions", "Step", "hub_offline_forced", "make_context", "on_space"]


@dataclass(frozen=True)
class AppOptions:
    models: str = "default"  # "default" (Hub checkpoints), "tiny" (built locally, offline) or "lab" (trained here)
    allow_any_model: bool = False
    memory_budget_gb: float = DEFAULT_MEMORY_BUDGET_GB
    tiny_dir: Path | None = None
    lab_dir: Path | None = None  # the lab models folder (default: $PLAYGROUND_LAB_DIR or the user cache)
    fast: bool = False  # fast mode (int8 copies on CPU) is on by default in the UI and the API
    preload: bool = False  # load the default Compare models in the background once the page is served
    # A lab run started in the UI / API becomes everyone's lab-bert / lab-gpt (the old single-user behaviour).
    # Local-only: ignored on a Hugging Face Space, where any visitor could replace every visitor's models.
    lab_runs_become_default: bool = False


def on_space(environ: dict[str, str] | None = None) -> bool:
    """Running on a Hugging Face Space (which sets SPACE_ID)."""
    return bool((os.environ if environ is None else environ).get("SPACE_ID"))


@dataclass(frozen=True)
class AppContext:
    store: ModelStore
    profile: Profile
    catalog: CardCatalog
    lab_dir: Path = field(default_factory=default_lab_dir)
    lab_jobs: JobGate = field(default_factory=JobGate)  # the lab trains one run at a time per app
    lab_sessions: SessionRuns = field(default_factory=SessionRuns)  # each session's own lab run, if any
    lab_runs_become_default: bool = False  # the operator's local opt-in (never on a Space); see AppOptions
    fast: bool = False  # the default of every fast-mode switch
    warm: WarmStart | None = None  # the background preload, when the app does one
    assistant_sessions: AssistantSessions = field(default_factory=AssistantSessions)  # GPT → Assistant, per session

    def model(self, name: str, task: str, variant: str = "fp32") -> LoadedModel:
        return self.store.get(name, task, variant)

    def models(self, *wanted: tuple[str, ...]) -> list[LoadedModel]:
        """Several models, each `(name, task[, variant])`: every one that cannot be loaded is named in one error
        (offline, a feature that needs BERT and GPT-2 says both are missing, not only the first it tried)."""
        loaded, failed = [], []
        for spec in wanted:
            try:
                loaded.append(self.store.get(*spec))
            except ModelUnavailable as exc:
                failed.append(exc)
        if failed:
            raise unavailable(failed)
        return loaded


def make_context(options: AppOptions) -> AppContext:
    catalog = load_catalog()
    tiny_dir = options.tiny_dir or default_tiny_dir()
    tiny = tiny_paths(tiny_dir)
    prepare = lambda: build_tiny_models(tiny_dir)  # noqa: E731 — built on first use, not at start-up
    lab_dir = options.lab_dir or default_lab_dir()
    lab = lab_models(lab_dir)  # the user's last finished run, else the pair shipped with the project
    aligned = assistant_models() if lab else {}  # GPT → Assistant's shipped lab-gpt-sft / lab-gpt-dpo
    lab = {**lab, **aligned}
    if options.models == "tiny":
        local, profile = {**tiny, **lab}, tiny_profile()
    elif options.models == "lab":
        if not lab:
            raise ValueError("--models lab needs lab models; train them first: python -m playground pretrain")
        local, profile = {**tiny, **lab}, lab_profile(served=lab)
    elif options.models == "default":
        local, profile, prepare = dict(lab), default_profile(catalog), None
    else:
        raise ValueError(f"--models must be 'default', 'tiny' or 'lab', got {options.models!r}")
    store = ModelStore(catalog, memory_budget_bytes=int(options.memory_budget_gb * 2**30),
                       allow_unlisted=options.allow_any_model, local_models=local, prepare_local=prepare)
    profile = with_assistant_models(with_lab_models(profile, list(lab)), bool(aligned))
    return AppContext(store=store, profile=profile, catalog=catalog, lab_dir=lab_dir,
                      fast=options.fast, warm=WarmStart() if options.preload else None,
                      lab_runs_become_default=options.lab_runs_become_default and not on_space())
