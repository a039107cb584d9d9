"""A session's own models (its Pretraining-lab run, its GPT → Assistant SFT / DPO models) are offered in that
session's model dropdowns, right after the lab model they came from; another session's lists never show them."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.models.profiles import lab_profile, with_assistant_models
from playground.tasks.context import AppContext
from playground.tasks.lab import runs
from playground.tasks.session_models import model_choices, own_models
from playground.ui.serving import LIGHT_HANDLERS
from playground.ui.widgets import model_dropdown

GEN, FILL = "text-generation", "fill-mask"


def _lab_ctx(tmp_path: Path) -> AppContext:
    store = ModelStore(load_catalog(), local_models=runs.lab_models(tmp_path / "lab"))
    profile = with_assistant_models(lab_profile(), True)
    return AppContext(store=store, profile=profile, catalog=load_catalog(), lab_dir=tmp_path / "lab")


def _train_for(ctx: AppContext, owner: str, tmp_path: Path) -> dict[str, str]:
    """What a finished Pretraining-lab run and SFT + DPO stages leave behind for `owner` (names served, folders)."""
    run_dir = tmp_path / "sessions" / f"run-{owner}"
    run_dir.mkdir(parents=True)
    run = ctx.lab_sessions.add(ctx.store, owner, run_dir)
    served = {f"lab-gpt-dpo@{owner}": tmp_path / "dpo", f"lab-gpt-sft@{owner}": tmp_path / "sft"}
    for name, folder in served.items():
        ctx.store.set_local(name, folder)
    ctx.assistant_sessions.update(owner, "dpo", None, token=owner, served=served)
    return {"gpt": run.gpt, "bert": run.bert, "sft": f"lab-gpt-sft@{owner}", "dpo": f"lab-gpt-dpo@{owner}"}


def test_a_sessions_own_models_follow_the_lab_models_and_no_other_session_sees_them(tmp_path):
    ctx = _lab_ctx(tmp_path)
    profile_gpts, profile_berts = ctx.profile.choices(GEN), ctx.profile.choices(FILL)
    assert profile_gpts[:3] == ["lab-gpt", "lab-gpt-sft", "lab-gpt-dpo"]
    mine = _train_for(ctx, "alice", tmp_path)
    gpts = model_choices(ctx, "alice", GEN)
    assert gpts[:6] == ["lab-gpt", "lab-gpt-sft", "lab-gpt-dpo", mine["gpt"], mine["sft"], mine["dpo"]]
    assert gpts[6:] == profile_gpts[3:]
    berts = model_choices(ctx, "alice", FILL)
    assert berts[berts.index("lab-bert") + 1] == mine["bert"] and len(berts) == len(profile_berts) + 1
    # another session (and an unknown caller) gets the profile's lists, untouched
    assert model_choices(ctx, "bob", GEN) == profile_gpts and model_choices(ctx, "", GEN) == profile_gpts
    assert model_choices(ctx, "bob", FILL) == profile_berts
    # a name the store stopped serving (a pruned run) is not offered
    ctx.store.remove_local(mine["dpo"])
    assert mine["dpo"] not in own_models(ctx, "alice", GEN) and mine["sft"] in own_models(ctx, "alice", GEN)


def test_opening_a_model_dropdown_lists_this_sessions_models_only(tmp_path):
    ctx = _lab_ctx(tmp_path)
    mine = _train_for(ctx, "alice", tmp_path)
    with gr.Blocks() as demo:
        dropdown = model_dropdown(ctx, GEN, "Decoder (GPT-2)")
    [event] = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "session_models"]
    assert event.inputs == [] and event.outputs == [dropdown] and "session_models" in LIGHT_HANDLERS
    assert event.api_name is None or event.api_visibility == "private"
    alice = event.fn(gr.Request(session_hash="alice"))
    assert mine["sft"] in alice["choices"] and mine["dpo"] in alice["choices"] and "value" not in alice
    bob = event.fn(gr.Request(session_hash="bob"))
    assert bob["choices"] == ctx.profile.choices(GEN)
    # the dropdown accepts what the list offered it (Gradio checks a value against the choices it was sent)
    updated = gr.Dropdown(choices=alice["choices"], value="lab-gpt", render=False)
    assert updated.preprocess(mine["sft"]) == mine["sft"]
