"""The Compare tab without a server: its handlers (playground/tasks/compare/) on the tiny models, and what each
component shows."""

import dataclasses

import gradio as gr
import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.compare import run_attention, run_compare, run_generate
from playground.ui.figures.attention import panel_titles
from playground.ui.tabs.compare import _values, build_compare_tab
from playground.ui.tabs.compare.views import (NO_MASK_FOR_WORD, AttentionView, CompareView, GenerationView, SliderRange,
                                              attention_view, compare_view, generation_view)
from playground.ui.widgets import shown, to_json

TESLA = "Tesla is an American [MASK] company headquartered in Austin, Texas."
MODELS = ("tiny-bert", "tiny-gpt2")


@pytest.fixture(scope="module")
def tesla(ctx):
    return run_compare(ctx, TESLA, 5, "electric", 1, 1, *MODELS)


@pytest.fixture(scope="module")
def tesla_view(tesla):
    return compare_view(tesla)


def test_compare_view_shows_both_models_tokens(tesla, tesla_view):
    assert tesla_view.bert_tokens[0] == ("[CLS]", "special") and ("[MASK]", "mask") in tesla_view.bert_tokens
    assert tesla_view.bert_table[0] == [0, "[CLS]", tesla.bert_tokens.input_ids[0], "special"]
    assert "[CLS]" in tesla_view.bert_roles and "[MASK]" in tesla_view.bert_roles
    gpt_chips = [chip for chip, _ in tesla_view.gpt_tokens]
    assert "␣is" in gpt_chips and "[CLS]" not in gpt_chips
    # From the slot on, GPT-2's tokens are shown as hidden from it.
    kinds = [kind for _, kind in tesla_view.gpt_tokens]
    assert set(kinds[tesla.gpt_slot_position:]) == {"hidden from the slot"}
    assert "hidden from the slot" not in kinds[:tesla.gpt_slot_position]


def test_compare_view_shows_predictions_words_and_influence(tesla, tesla_view):
    assert len(tesla_view.bert_label) == 5 and all(0 <= p <= 1 for p in tesla_view.bert_label.values())
    assert len(tesla_view.bert_masks) == 5 and {row[0] for row in tesla_view.bert_masks} == {1}
    assert len(tesla_view.gpt_label) == 5
    assert tesla_view.gpt_continuation == "Tesla is an American ⟶ " + tesla.continuation.generated_text
    assert tesla_view.bert_word.startswith("**P('electric') = ") and tesla_view.gpt_word.startswith("**P('electric')")
    assert "Texas" in [chip for chip, _ in tesla_view.gpt_influence.value]
    assert tesla_view.gpt_influence.label == "Estimated influence on GPT-2 (gradient × input)"  # the default
    assert "Words **right** of the slot carry **0.0%**" in tesla_view.gpt_influence_note
    assert "carry **0.0%**" not in tesla_view.bert_influence_note
    assert tesla_view.result_json == to_json(tesla)


def test_compare_view_sets_the_sliders_from_the_result(tesla, bert, gpt, tesla_view):
    gap = next(w.index for w in tesla.words if w.text == "[MASK]")
    assert [w.text for w in tesla.words][:gap + 2] == ["Tesla", "is", "an", "American", "[MASK]", "company"]
    # The selector counts the sentence's words (not either model's tokens) and starts on the gap, as drawn.
    assert tesla_view.query == SliderRange(maximum=len(tesla.words) - 1, value=gap)
    assert tesla_view.layer == SliderRange(maximum=max(bert.model.config.num_hidden_layers,
                                                       gpt.model.config.num_hidden_layers))
    assert tesla_view.head == SliderRange(maximum=max(bert.model.config.num_attention_heads,
                                                      gpt.model.config.num_attention_heads))


def test_compare_view_draws_both_masks_from_the_gap(tesla, tesla_view):
    bert_title, gpt_title = panel_titles(tesla_view.masks_plot)
    n_bert, n_gpt = len(tesla.bert_tokens.tokens), len(tesla.gpt_tokens.tokens)
    mask_position = next(t.position for t in tesla.bert_tokens.tokens if t.kind == "mask")
    assert bert_title.endswith(f"'[MASK]' (token {mask_position}) sees {n_bert} of {n_bert} tokens")
    assert "bidirectional" in bert_title and "causal" in gpt_title
    # GPT-2 reads the gap as BERT's guess: the same word is its tokens from the slot on, each seeing itself and
    # everything to its left.
    rows = tesla.gpt_mask.rows
    assert rows[0] == tesla.gpt_slot_position and "'[MASK]' (token" in gpt_title
    seen = f"{rows[0] + 1}" if len(rows) == 1 else f"{rows[0] + 1}–{rows[-1] + 1}"
    assert gpt_title.endswith(f"sees {seen} of {n_gpt} tokens")
    assert tesla_view.query_word.startswith("Word 4: **`[MASK]`** → tiny-bert token ")
    assert panel_titles(tesla_view.heat_plot)[0].startswith("tiny-bert: layer 1/")


def test_compare_without_a_mask_explains_bert_and_a_scored_word(ctx):
    view = compare_view(run_compare(ctx, "Tesla is an American company", 3, "electric", 1, 1, *MODELS))
    assert view.bert_word == NO_MASK_FOR_WORD and view.gpt_word.startswith("**P('electric')")
    assert view.bert_label == {} and view.bert_masks == []
    assert view.bert_influence.value == [] and view.bert_influence_note == ""
    assert "[MASK]" in view.notices
    unscored = compare_view(run_compare(ctx, "Tesla is an American company", 3, "", 1, 1, *MODELS))
    assert unscored.bert_word == unscored.gpt_word == ""


def test_attention_handler_clamps_and_the_view_draws_the_chosen_word(ctx):
    result = run_attention(ctx, TESLA, 2, 1, 3, *MODELS)  # word 3: "American"
    assert result.bert.layer == result.gpt.layer == 2
    assert result.bert_mask.query == result.gpt_mask.query == 3
    assert result.bert_mask.word == result.gpt_mask.word == "American"
    assert set(to_json(result)) >= {"bert", "gpt", "words"}
    view = attention_view(result)
    bert_title, gpt_title = panel_titles(view.masks_plot)
    first, last = result.gpt_mask.rows[0], result.gpt_mask.rows[-1]  # causal: token t sees t + 1 tokens
    seen = f"{first + 1}" if first == last else f"{first + 1}–{last + 1}"
    assert gpt_title.endswith(f"sees {seen} of {len(result.gpt.tokens)} tokens")
    assert bert_title.endswith(f"sees {len(result.bert.tokens)} of {len(result.bert.tokens)} tokens")
    assert view.query_word.startswith("Word 3: **`American`** → tiny-bert token")
    far = run_attention(ctx, TESLA, 1, 1, 500, *MODELS)  # past the end: the last word, "." in both
    assert far.bert_mask.word == far.gpt_mask.word == "."
    assert far.bert_mask.rows == (len(far.bert.tokens) - 2,)  # [SEP] comes after it
    assert far.gpt_mask.rows == (len(far.gpt.tokens) - 1,)
    with pytest.raises(PlaygroundError, match="Word"):
        run_attention(ctx, TESLA, 1, 1, -1, *MODELS)


def test_generate_streams_from_the_left_context(ctx):
    steps = list(run_generate(ctx, TESLA, 5, "greedy", 1.0, 0, 1.0, "", "tiny-gpt2"))
    assert len(steps) >= 2 and steps[-1].finished and len(steps[-1].tokens) <= 5
    assert {s.prompt for s in steps} == {"Tesla is an American"}
    first, last = generation_view(steps[0]), generation_view(steps[-1])
    assert first.generated[0] == ("Tesla is an American", None) and len(first.generated) == 2
    assert last.gen_notices.endswith(f"Stopped: {steps[-1].stop_reason}.") and "Stopped" not in first.gen_notices
    assert last.gen_json == to_json(steps[-1])
    with pytest.raises(PlaygroundError, match="Seed"):
        list(run_generate(ctx, "Tesla is", 3, "sample", 1.0, 0, 1.0, "abc", "tiny-gpt2"))


def test_ui_events_return_one_value_per_component_and_show_errors(ctx):
    show = shown(ctx, run_compare, compare_view, _values)
    values = show(TESLA, 3, "", 1, 1, *MODELS)
    assert len(values) == len(dataclasses.fields(CompareView))
    assert isinstance(values[0], gr.Slider) and values[0].maximum >= 1
    steps = list(shown(ctx, run_generate, generation_view, _values)("Tesla", 2, "greedy", 1.0, 0, 1.0, "", "tiny-gpt2"))
    assert len(steps) == 2 and all(len(s) == len(dataclasses.fields(GenerationView)) for s in steps)
    assert len(shown(ctx, run_attention, attention_view, _values)(TESLA, 1, 1, 0, *MODELS)) == len(
        dataclasses.fields(AttentionView))
    # As wired, a failure is one more send: the message in the notices under the button, every result cleared.
    with gr.Blocks() as demo:
        build_compare_tab(ctx)
    event = next(fn for fn in demo.fns.values() if fn.api_name == "compare_view")
    with pytest.warns(UserWarning, match="empty"):  # gr.Warning outside a request: a Python warning
        sent = list(event.fn("", 3, "", 1, 1, *MODELS, False))
    fields = [f.name for f in dataclasses.fields(CompareView)]
    assert len(sent) == 1 and len(sent[0]) == len(fields) + 1
    notices = sent[0][fields.index("notices")]
    assert "playground-error" in notices and "empty" in notices
    assert sent[0][fields.index("bert_label")] is None and sent[0][-1] is None  # no stale result or attention
    assert sent[0][fields.index("layer")] == {"__type__": "update"}  # the sliders are the user's: kept


def test_tab_publishes_json_endpoints_and_keeps_its_own_events_private(ctx):
    with gr.Blocks() as demo:
        build_compare_tab(ctx)
    visibility = {fn.api_name: fn.api_visibility for fn in demo.fns.values()}
    public = {name for name, seen in visibility.items() if seen == "public"}
    assert public == {"compare", "attention", "generate", "fill_mask", "next_token", "tokenize"}


def test_the_tab_is_layout_wiring_and_views_only():
    """The handlers live in playground/tasks/compare/: the tab reads `lm` and `models` through it alone, and
    each of its functions stays short (a long one is a handler or a layout to split)."""
    import ast
    from pathlib import Path

    import playground.ui.tabs.compare as tab

    tree = ast.parse(Path(tab.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    below = sorted(m for m in imported if m and m.startswith(("playground.lm", "playground.models")))
    assert below == []
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 60]
    assert long == []
    handlers = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
                and node.args.args and node.args.args[0].arg == "ctx" and node.name.startswith(("run_", "redraw_"))]
    assert handlers == []


def test_bert_panels_say_why_they_are_empty_without_a_mask(ctx):
    view = compare_view(run_compare(ctx, "Tesla is an American company", 3, "", 1, 1, *MODELS))
    assert "No prediction:" in view.bert_roles and "[MASK]" in view.bert_roles


def test_a_long_text_cut_for_bert_is_announced_with_or_without_a_mask(ctx):
    """20,000 characters: the text is cut to the app's limit, then to each model's token limit; BERT's cut is
    announced like GPT-2's even when there is no gap for it to fill."""
    long_text = "The dog barked at the mailman and the cat purred on the sofa. " * 330
    assert len(long_text) > 20_000
    for text in (long_text, "The [MASK] barked. " + long_text):
        view = compare_view(run_compare(ctx, text, 3, "", 1, 1, *MODELS))
        assert "tiny-bert reads at most" in view.notices and "tiny-gpt2 reads at most" in view.notices
