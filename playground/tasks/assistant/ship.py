"""`python -m playground assistant`: run SFT → reward model → DPO with the tab's defaults on the lab models and
save the result as the shipped checkpoints (`checkpoints.py` writes them)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.models.profiles import LAB_BERT, lab_profile
from playground.tasks.assistant import handlers
from playground.tasks.assistant.checkpoints import load_shipped, save
from playground.tasks.assistant.shipped import ASSISTANT_DIR
from playground.tasks.context import AppContext
from playground.tasks.lab import runs


def lab_context(lab_dir: Path | None = None) -> AppContext:
    """An app context serving the lab models (the user's current run, else the shipped pair)."""
    lab_dir = Path(lab_dir or tempfile.mkdtemp(prefix="assistant-lab-"))
    catalog = load_catalog()
    store = ModelStore(catalog, local_models=runs.lab_models(lab_dir))
    return AppContext(store=store, profile=lab_profile(), catalog=catalog, lab_dir=lab_dir)


def ship_default_run(target: Path = ASSISTANT_DIR, lab_dir: Path | None = None, report=print) -> Path:
    """Run SFT → reward model → DPO with the tab's defaults on the lab models and save them as the shipped
    checkpoints, with the run's report card in the manifest."""
    ctx, owner = lab_context(lab_dir), "command-line"
    for stage in (handlers.run_sft_stage, handlers.run_reward_stage, handlers.run_dpo_stage):
        result = stage(ctx, owner)
        report(f"{stage.__name__}: {result.seconds:.0f} s")
    card = handlers.report_card(ctx, owner)
    bert = ctx.model(LAB_BERT, "fill-mask")
    folder = save(ctx.assistant_sessions.get(owner), bert.tokenizer, card.stages, target)
    report(card.markdown)
    report(f"saved to {folder}")
    load_shipped.cache_clear()
    return folder
