"""The Pre-training tab without a server: its handlers (what the UI and the JSON endpoints run) and its
pure views (what each component shows), on the tiny models."""

import inspect

import gradio as gr
import pytest

from playground.core.errors import PlaygroundError
from playground.models.context import AppContext
from playground.models.profiles import tiny_profile
from playground.tasks.mlm_simulator import PRESET
from playground.tasks.nsp import PRESETS as NSP_PRESETS
from playground.tasks.tokenizer_compare import EXAMPLES as TOKENIZER_EXAMPLES
from playground.ui.tabs import pretraining as tab
from playground.ui.widgets import to_json

STEP_CONTROLS = ("Tesla is an American", 20, "greedy", 1.0, 0, 1.0, 1.0, 0, 5, "tiny-gpt2")  # the UI's defaults


@pytest.fixture(scope="module")
def ctx(store):
    return AppContext(store=store, profile=tiny_profile(), catalog=store.catalog)


@pytest.fixture(scope="module")
def generation(ctx):
    """The Generate button with the UI's defaults: every streamed result."""
    return list(tab.generate_steps(ctx, *STEP_CONTROLS))


# ---- masked-LM simulator ---------------------------------------------------------------------------

def test_mask_sim_result_as_json(ctx):
    result = to_json(tab.mask_sim_api(ctx, PRESET, 0.3, 4, True, "tiny-bert", "tiny-gpt2"))
    assert len(result["selected"]) == round(0.3 * result["maskable"])
    assert sum(result["counts"].values()) == len(result["selected"])
    slot = result["selected"][0]
    assert {"position", "original", "action", "shown", "predictions", "rank", "gpt"} <= set(slot)
    assert slot["action"] in ("masked", "random", "unchanged")
    assert result["bert_recovery"]["slots"] == len(result["selected"])
    assert result["gpt_recovery_aligned"]["slots"] + len(result["unaligned"]) == len(result["selected"])


def test_the_ui_gives_the_mask_rate_in_percent(ctx):
    assert tab.mask_sim_percent(ctx, PRESET, 30, 4, True, "tiny-bert", "tiny-gpt2") == \
        tab.mask_sim_api(ctx, PRESET, 0.3, 4, True, "tiny-bert", "tiny-gpt2")
    with pytest.raises(PlaygroundError, match="percentage between 1 and 100"):
        tab.mask_sim_percent(ctx, PRESET, "lots", 0, True, "tiny-bert", "tiny-gpt2")


def test_mask_sim_view_shows_scores_the_text_bert_input_and_one_row_per_slot(ctx):
    result = tab.mask_sim_percent(ctx, PRESET, 15, 0, True, "tiny-bert", "tiny-gpt2")  # the UI's defaults
    view = tab.mask_sim_view(result)
    assert "BERT top-1 recovery" in view.scores and "GPT-2 top-1 on the same" in view.scores
    assert f"Selected 5 of {result.maskable} maskable tokens" in view.scores  # 15% of the preset's tokens
    # The text itself, every selected token a chunk of its own coloured by what happened to it.
    assert "".join(chunk for chunk, _ in view.original) == PRESET
    assert [(chunk, action) for chunk, action in view.original if action] == \
        [(PRESET[s.start:s.end], s.action) for s in result.selected]
    reads = [chunk.strip() for chunk, _ in view.bert_input]
    assert reads[0].startswith("[CLS]") and reads[-1].endswith("[SEP]")
    assert [(chunk, action) for chunk, action in view.bert_input if action] == \
        [(s.shown, s.action) for s in result.selected]
    assert len(view.table) == 5 and len(view.table[0]) == len(tab.MLM_TABLE_HEADERS)
    for row, slot in zip(view.table, result.selected):
        assert row[:3] == [slot.position, slot.original, slot.action] and row[5] == slot.rank
        assert row[-1] == ("aligned" if slot.gpt.status == "aligned" else f"{slot.gpt.status}: {slot.gpt.reason}")
    assert view.json == to_json(result)


# ---- next-sentence prediction ----------------------------------------------------------------------

def test_nsp_view_shows_the_verdict_segments_and_layout(ctx):
    result = tab.nsp_api(ctx, *NSP_PRESETS["random sentence"], model="tiny-bert")
    view = tab.nsp_view(result)
    assert set(view.label) == {"IsNext", "NotNext"} and view.label == result.probabilities
    assert "token_type_ids" in view.layout and f"**{result.verdict}**" in view.layout
    assert view.tokens[0] == ("[CLS]", "segment 0 (A)") and view.tokens[-1] == ("[SEP]", "segment 1 (B)")
    assert {label for _, label in view.tokens} == set(tab.SEGMENT_COLORS)
    assert [row[2] for row in view.table] == [t.segment for t in result.tokens]


# ---- step-by-step generation -----------------------------------------------------------------------

def test_generation_streams_and_the_view_offers_step_one(generation):
    assert [len(r.steps) for r in generation] == list(range(1, 21))
    assert "Generating… step 1" in tab.steps_view(generation[0]).notices
    view = tab.steps_view(generation[-1])
    assert "Stopped: reached 20 new tokens" in view.notices
    assert len(view.table) == 20 and {row[3] for row in view.table} == {"model"}
    assert view.text[0] == ("Tesla is an American", None) and len(view.text) == 21
    assert view.last is generation[-1]
    assert view.pick_step.value == 1 and len(view.pick_step.choices) == 20
    first = generation[-1].steps[0]
    assert view.pick_choice.value == first.token_id
    assert [value for _, value in view.pick_choice.choices] == [c.token_id for c in first.candidates]
    assert list(view.pick_label.values()) == [c.probability for c in first.candidates]


def test_picking_a_candidate_continues_from_it(ctx, generation):
    last = generation[-1]
    candidates = tab.candidates_view(last, 3)
    picked_id = candidates.pick_choice.choices[1][1]
    picked = last.steps[2].candidates[1].token
    updates = list(tab.continue_from_pick(ctx, *STEP_CONTROLS, last, 3, picked_id))
    view = tab.steps_view(updates[-1])
    you = view.table[2]
    assert you[:2] == [3, picked] and you[3] == "you" and f"✓{picked} " in you[4]
    assert [row[3] for row in view.table[:2]] == ["model (kept)"] * 2
    assert len(view.table) == 20 and view.pick_step.value == 3 and view.pick_choice.value == picked_id


def test_candidates_view_follows_the_step_dropdown(generation):
    last = generation[-1]
    view = tab.candidates_view(last, 4)
    assert [v for _, v in view.pick_choice.choices] == [c.token_id for c in last.steps[3].candidates]
    assert view.pick_choice.value == last.steps[3].token_id
    assert tab.candidates_view(last, 99).pick_choice.value == last.steps[-1].token_id  # clamped to the last step
    empty = tab.candidates_view(None, 1)
    assert empty.pick_choice.choices == [] and empty.pick_label == {}


def test_a_pick_needs_the_last_generation_of_this_prompt(ctx, generation):
    with pytest.raises(PlaygroundError, match="Generate once first"):
        list(tab.continue_from_pick(ctx, *STEP_CONTROLS, None, 2, 5))
    with pytest.raises(PlaygroundError, match="The prompt changed"):
        list(tab.continue_from_pick(ctx, "A different prompt", *STEP_CONTROLS[1:], generation[-1], 2, 5))


def test_generate_step_sampling_is_reproducible(ctx):
    kwargs = dict(max_new_tokens=6, strategy="sample", temperature=1.3, seed=9, model="tiny-gpt2")
    first = list(tab.generate_step_api(ctx, "Tesla", **kwargs))[-1]
    again = list(tab.generate_step_api(ctx, "Tesla", **kwargs))[-1]
    assert [s["token_id"] for s in to_json(first)["steps"]] == [s["token_id"] for s in to_json(again)["steps"]]


def test_a_choice_outside_the_candidates_is_refused(ctx):
    final = list(tab.generate_step_api(ctx, "Tesla is", 3, candidates=2, model="tiny-gpt2"))[-1]
    ids = [s.token_id for s in final.steps]
    allowed = {c.token_id for c in final.steps[1].candidates}
    outsider = next(i for i in range(100) if i not in allowed)
    with pytest.raises(PlaygroundError, match="not among step 2's top-2 candidates"):
        list(tab.generate_step_api(ctx, "Tesla is", 3, candidates=2, previous_token_ids=ids, step=2,
                                   choice_token_id=outsider, model="tiny-gpt2"))


# ---- tokenizers ------------------------------------------------------------------------------------

def test_tokenizers_view_shows_each_scheme_in_its_column(ctx):
    names = ("tiny-bert", "tiny-gpt2", "tiny-pegasus")
    result = tab.compare_tokenizers_api(ctx, TOKENIZER_EXAMPLES[0], *names)
    view = tab.tokenizers_view(result, names)
    counts = [v.token_count for v in result.views]
    assert [view.wordpiece_header, view.bpe_header, view.sentencepiece_header] == [
        f"**{scheme}** — `{name}`: {count} tokens" for (_, scheme), name, count in
        zip(tab.TOKENIZER_TASKS, names, counts)]
    assert "[CLS]" in [piece for piece, _ in view.wordpiece_strip]
    assert "</s>" in [piece for piece, _ in view.sentencepiece_strip]
    assert any(piece.startswith("<bytes") for piece, _ in view.bpe_strip)  # the emoji as raw bytes
    assert "lossless" in view.facts and all(topic in view.facts for topic in tab.TOPICS)
    assert [row[0] for row in view.summary] == list(names)
    assert len(view.ids) == sum(counts)


def test_an_unavailable_tokenizer_is_reported_and_the_others_still_shown(ctx):
    names = ("tiny-bert", "gpt2", "tiny-pegasus")
    result = to_json(tab.compare_tokenizers_api(ctx, "Hello", *names))
    assert [v["model_name"] for v in result["views"]] == ["tiny-bert", "tiny-pegasus"]
    assert any("python -m playground download gpt2" in n for n in result["notices"])
    view = tab.tokenizers_view(tab.compare_tokenizers_api(ctx, "Hello", *names), names)
    assert view.bpe_header.endswith("unavailable (see the notes above)") and view.bpe_strip == []
    assert "download gpt2" in view.notices and view.sentencepiece_strip


def test_no_tokenizer_at_all_says_which_is_missing(ctx):
    with pytest.raises(PlaygroundError, match="gpt2"):
        tab.compare_tokenizers_api(ctx, "Hello", "gpt2", "gpt2", "gpt2")


# ---- bad input: the same clear messages the API and the UI show ----------------------------------

@pytest.mark.parametrize("handler, args, kwargs, message", [
    (tab.mask_sim_api, ("",), {}, "empty"),
    (tab.mask_sim_api, (PRESET, 0.0), {}, "Mask rate"),
    (tab.mask_sim_api, (PRESET, 1.5), {}, "Mask rate"),
    (tab.mask_sim_api, (PRESET, 0.15, "abc"), {}, "Seed"),
    (tab.mask_sim_api, (PRESET, 0.15, 2.5), {}, "Seed"),
    (tab.mask_sim_api, ("🚗 🚗",), {}, "Nothing to mask"),
    (tab.nsp_api, ("A.", ""), {}, "sentence B"),
    (tab.generate_step_api, ("",), {}, "empty"),
    (tab.generate_step_api, ("Tesla", 10**6), {}, "Max new tokens"),
    (tab.generate_step_api, ("Tesla", 5), {"strategy": "sample", "seed": "x"}, "Seed"),
    (tab.generate_step_api, ("Tesla", 5), {"previous_token_ids": [5, 6, 7], "step": 2, "choice_token_id": 10**9},
     "Chosen token id"),
    (tab.compare_tokenizers_api, ("  ",), {}, "empty"),
])
def test_bad_input_gets_a_clear_message(ctx, handler, args, kwargs, message):
    tiny = {tab.mask_sim_api: dict(bert_model="tiny-bert", gpt_model="tiny-gpt2"), tab.nsp_api: dict(model="tiny-bert"),
            tab.generate_step_api: dict(model="tiny-gpt2"),
            tab.compare_tokenizers_api: dict(wordpiece_model="tiny-bert", bpe_model="tiny-gpt2",
                                             sentencepiece_model="tiny-pegasus")}[handler]
    with pytest.raises(PlaygroundError, match=message):
        result = handler(ctx, *args, **tiny, **kwargs)
        if inspect.isgenerator(result):  # a stream fails when it runs
            list(result)


# ---- the tab itself ----------------------------------------------------------------------------------

def test_the_tab_builds_and_its_ui_events_are_private(ctx):
    with gr.Blocks() as demo:
        tab.build_objectives_tab(ctx)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert public == {"mask_sim", "nsp", "generate_step", "compare_tokenizers"}
