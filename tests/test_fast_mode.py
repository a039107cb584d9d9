"""Fast mode: int8 copies of the models, cached like any model, counted at their real size; --fast and the switch."""

import pytest
import torch

import app
from playground.core.errors import PlaygroundError
from playground.models.cards import load_catalog
from playground.tasks.context import AppOptions, make_context
from playground.models.loader import ModelStore
from playground.models.tiny import tiny_paths
from playground.models.variants import fast_mode_note, stored_nbytes
from playground.tasks.compare import fill_mask_api, next_token_api, run_generate

TESLA = "Tesla is an American [MASK] company headquartered in Austin, Texas."


def test_int8_copies_are_cached_counted_at_their_real_size_and_leave_the_original_alone(store):
    from transformers.pytorch_utils import Conv1D

    for name, task in (("tiny-bert", "fill-mask"), ("tiny-gpt2", "text-generation")):
        full, fast = store.get(name, task), store.get(name, task, "int8")
        assert store.get(name, task, "int8") is fast and fast.variant == "int8" and full.variant == "fp32"
        assert fast.nbytes == stored_nbytes(fast.model) < full.nbytes
        modules = list(fast.model.modules())
        assert not any(type(m) is torch.nn.Linear for m in modules)  # every Linear is int8…
        assert sum(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in modules) >= 8
        assert not any(isinstance(m, Conv1D) for m in modules)  # …GPT-2's Conv1D layers converted first
        assert all(p.dtype == torch.float32 for p in full.model.parameters())
    assert any(isinstance(m, Conv1D) for m in store.get("tiny-gpt2", "text-generation").model.modules())
    with pytest.raises(PlaygroundError, match="variant"):
        store.get("tiny-bert", "fill-mask", "int4")


def test_int8_copies_count_against_the_memory_budget(tiny_dir):
    local = tiny_paths(tiny_dir)
    probe = ModelStore(load_catalog(), local_models=local)
    full, fast = probe.get("tiny-gpt2", "text-generation"), probe.get("tiny-gpt2", "text-generation", "int8")
    small = ModelStore(load_catalog(), local_models=local, memory_budget_bytes=full.nbytes + fast.nbytes - 1)
    small.get("tiny-gpt2", "text-generation", "int8")  # loads the float32 model first, then copies it
    assert [(task, nbytes) for _, task, nbytes in small.loaded()] == [("text-generation", fast.nbytes)]


def test_fast_mode_answers_close_to_full_precision(ctx_tiny):
    normal = fill_mask_api(ctx_tiny, TESLA, 5, "tiny-bert")
    fast = fill_mask_api(ctx_tiny, TESLA, 5, "tiny-bert", fast=True)
    assert len(fast.masks[0].predictions) == 5
    assert fast.masks[0].predictions[0].probability == pytest.approx(normal.masks[0].predictions[0].probability,
                                                                     abs=0.05)
    assert next_token_api(ctx_tiny, "Tesla is", 3, "tiny-gpt2", fast=True).predictions
    steps = list(run_generate(ctx_tiny, "Tesla is", 4, "greedy", 1.0, 0, 1.0, "", "tiny-gpt2", fast=True))
    assert steps[-1].finished


@pytest.fixture()
def ctx_tiny(tiny_dir):
    return make_context(AppOptions(models="tiny", tiny_dir=tiny_dir))


def test_fast_flag_sets_the_default_of_the_switch_and_the_api(tiny_dir):
    import gradio as gr

    from playground.ui.page import build_demo

    assert app.parse_args([]).fast is False and app.parse_args(["--fast"]).fast is True
    for fast in (False, True):
        ctx = make_context(AppOptions(models="tiny", tiny_dir=tiny_dir, fast=fast))
        demo = build_demo(ctx)
        switch = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "fast-mode")
        assert isinstance(switch, gr.Checkbox) and switch.value is fast
        assert "Fast mode" in switch.label and "Off by default" in switch.info  # clearly labelled
        compare_api = next(fn for fn in demo.fns.values() if fn.api_name == "compare")
        assert compare_api.fn.__signature__.parameters["fast"].default is fast


def test_the_switch_says_how_often_fast_mode_changed_the_answer(tmp_path):
    assert "not measured yet" in fast_mode_note(tmp_path / "missing.json")
    measured = tmp_path / "agreement.json"
    measured.write_text('{"top1_agreement": 0.97, "top5_overlap": 0.94, "sentences": 120, "model": "a small BERT"}')
    note = fast_mode_note(measured)
    assert "top-1 97%" in note and "top-5 overlap 94%" in note and "120 masked sentences" in note
    assert "a small BERT" in note


@pytest.mark.server
def test_fast_mode_through_the_api(client):
    fast = client.predict("The [MASK] sat on the ___.", 3, "tiny-bert", True, api_name="/fill_mask")
    assert [m["mask_number"] for m in fast["masks"]] == [1, 2]
    result = client.predict(text="Tesla is an American [MASK] company.", top_k=3, fast=True, api_name="/compare")
    assert result["fast"] is True and result["continuation"]["finished"]
