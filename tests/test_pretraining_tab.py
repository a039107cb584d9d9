"""The Pre-training tab without a server: its handlers (in the task modules: what the UI and the JSON endpoints
run) and its sub-tabs' pure views (what each component shows), on the tiny models."""

import inspect

import gradio as gr
import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.bert_writing import bert_write_api
from playground.tasks.mlm_simulator import PRESET, mask_sim_api, mask_sim_percent
from playground.tasks.multilingual import WHOLE, multilingual_choice
from playground.tasks.nsp import PRESETS as NSP_PRESETS
from playground.tasks.nsp import nsp_api
from playground.tasks.replaced_token_detection import EXAMPLE as RTD_EXAMPLE
from playground.tasks.replaced_token_detection import replaced_tokens_api, replaced_tokens_percent
from playground.tasks.step_by_step import continue_from_pick, generate_from_controls, generate_step_api
from playground.tasks.tokenizer_compare import EXAMPLES as TOKENIZER_EXAMPLES
from playground.tasks.tokenizer_compare import TOPICS, compare_tokenizers_api
from playground.ui.tabs.pretraining import build_pretraining_tab
from playground.ui.tabs.pretraining.masked_lm import MLM_TABLE_HEADERS, mask_sim_view
from playground.ui.tabs.pretraining.next_sentence import SEGMENT_COLORS, nsp_view
from playground.ui.tabs.pretraining.replaced_tokens import RTD_TABLE_HEADERS, detection_view
from playground.ui.tabs.pretraining.steps import candidates_view, steps_view
from playground.ui.tabs.pretraining.tokenizers import TOKENIZER_TASKS, tokenizers_view
from playground.ui.tabs.pretraining.writing import WRITING_LABELS, writing_view
from playground.ui.widgets import to_json

STEP_CONTROLS = ("Tesla is an American", 20, "greedy", 1.0, 0, 1.0, 1.0, 0, 5, "tiny-gpt2")  # the UI's defaults


@pytest.fixture(scope="module")
def generation(ctx):
    """The Generate button with the UI's defaults: every streamed result."""
    return list(generate_from_controls(ctx, *STEP_CONTROLS))


# ---- masked-LM simulator ---------------------------------------------------------------------------

def test_mask_sim_result_as_json(ctx):
    result = to_json(mask_sim_api(ctx, PRESET, 0.3, 4, True, "tiny-bert", "tiny-gpt2"))
    assert len(result["selected"]) == round(0.3 * result["maskable"])
    assert sum(result["counts"].values()) == len(result["selected"])
    slot = result["selected"][0]
    assert {"position", "original", "action", "shown", "predictions", "rank", "gpt"} <= set(slot)
    assert slot["action"] in ("masked", "random", "unchanged")
    assert result["bert_recovery"]["slots"] == len(result["selected"])
    assert result["gpt_recovery_aligned"]["slots"] + len(result["unaligned"]) == len(result["selected"])


def test_the_ui_gives_the_mask_rate_in_percent(ctx):
    assert mask_sim_percent(ctx, PRESET, 30, 4, True, "tiny-bert", "tiny-gpt2") == \
        mask_sim_api(ctx, PRESET, 0.3, 4, True, "tiny-bert", "tiny-gpt2")
    with pytest.raises(PlaygroundError, match="percentage between 1 and 100"):
        mask_sim_percent(ctx, PRESET, "lots", 0, True, "tiny-bert", "tiny-gpt2")


def test_mask_sim_view_shows_scores_the_text_bert_input_and_one_row_per_slot(ctx):
    result = mask_sim_percent(ctx, PRESET, 15, 0, True, "tiny-bert", "tiny-gpt2")  # the UI's defaults
    view = mask_sim_view(result)
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
    assert len(view.table) == 5 and len(view.table[0]) == len(MLM_TABLE_HEADERS)
    for row, slot in zip(view.table, result.selected):
        assert row[:3] == [slot.position, slot.original, slot.action] and row[5] == slot.rank
        assert row[-1] == ("aligned" if slot.gpt.status == "aligned" else f"{slot.gpt.status}: {slot.gpt.reason}")
    assert view.json == to_json(result)


# ---- next-sentence prediction ----------------------------------------------------------------------

def test_nsp_view_shows_the_verdict_segments_and_layout(ctx):
    result = nsp_api(ctx, *NSP_PRESETS["random sentence"], model="tiny-bert")
    view = nsp_view(result)
    assert set(view.label) == {"IsNext", "NotNext"} and view.label == result.probabilities
    assert "token_type_ids" in view.layout and f"**{result.verdict}**" in view.layout
    assert view.tokens[0] == ("[CLS]", "segment 0 (A)") and view.tokens[-1] == ("[SEP]", "segment 1 (B)")
    assert {label for _, label in view.tokens} == set(SEGMENT_COLORS)
    assert [row[2] for row in view.table] == [t.segment for t in result.tokens]


# ---- step-by-step generation -----------------------------------------------------------------------

def test_generation_streams_and_the_view_offers_step_one(generation):
    assert [len(r.steps) for r in generation] == list(range(1, 21))
    assert "Generating… step 1" in steps_view(generation[0]).notices
    view = steps_view(generation[-1])
    assert "Stopped: reached 20 new tokens" in view.notices
    assert len(view.table) == 20 and {row[3] for row in view.table} == {"model"}
    assert view.text[0] == ("Tesla is an American", None) and len(view.text) == 21
    assert view.last is generation[-1]
    assert view.pick_step.value == 1 and len(view.pick_step.choices) == 20
    first = generation[-1].steps[0]
    # The picker starts on the most probable candidate the model did not take (✓ marks the one it took).
    assert view.pick_choice.value == first.candidates[1].token_id != first.token_id
    assert [value for _, value in view.pick_choice.choices] == [c.token_id for c in first.candidates]
    assert view.pick_choice.choices[0][0].startswith("✓ ") and "%" in view.pick_choice.choices[0][0]
    assert list(view.pick_label.values()) == [c.probability for c in first.candidates]


def test_picking_a_candidate_continues_from_it(ctx, generation):
    last = generation[-1]
    candidates = candidates_view(last, 3)
    picked_id = candidates.pick_choice.choices[1][1]
    picked = last.steps[2].candidates[1].token
    updates = list(continue_from_pick(ctx, *STEP_CONTROLS, last, 3, picked_id))
    view = steps_view(updates[-1])
    you = view.table[2]
    assert you[:2] == [3, picked] and you[3] == "you" and f"✓{picked} " in you[4]
    assert [row[3] for row in view.table[:2]] == ["model (kept)"] * 2
    assert len(view.table) == 20 and view.pick_step.value == 3
    assert view.pick_choice.value not in (picked_id, None)  # again an alternative to the token now taken


def test_continue_from_the_default_choice_changes_the_text(ctx, generation):
    """The first click on "Continue from this choice", picker untouched, continues from another token."""
    last = generation[-1]
    view = steps_view(last)
    updates = list(continue_from_pick(ctx, *STEP_CONTROLS, last, view.pick_step.value, view.pick_choice.value))
    assert updates[-1].steps[0].token_id == view.pick_choice.value != last.steps[0].token_id
    assert steps_view(updates[-1]).text != view.text


def test_candidates_view_follows_the_step_dropdown(generation):
    last = generation[-1]
    view = candidates_view(last, 4)
    assert [v for _, v in view.pick_choice.choices] == [c.token_id for c in last.steps[3].candidates]
    assert view.pick_choice.value == last.steps[3].candidates[1].token_id
    assert candidates_view(last, 99).pick_choice.choices[0][1] == last.steps[-1].token_id  # clamped to the last
    empty = candidates_view(None, 1)
    assert empty.pick_choice.choices == [] and empty.pick_label == {}


def test_a_pick_needs_the_last_generation_of_this_prompt(ctx, generation):
    with pytest.raises(PlaygroundError, match="Generate once first"):
        list(continue_from_pick(ctx, *STEP_CONTROLS, None, 2, 5))
    with pytest.raises(PlaygroundError, match="The prompt changed"):
        list(continue_from_pick(ctx, "A different prompt", *STEP_CONTROLS[1:], generation[-1], 2, 5))


def test_generate_step_sampling_is_reproducible(ctx):
    kwargs = dict(max_new_tokens=6, strategy="sample", temperature=1.3, seed=9, model="tiny-gpt2")
    first = list(generate_step_api(ctx, "Tesla", **kwargs))[-1]
    again = list(generate_step_api(ctx, "Tesla", **kwargs))[-1]
    assert [s["token_id"] for s in to_json(first)["steps"]] == [s["token_id"] for s in to_json(again)["steps"]]


def test_a_choice_outside_the_candidates_is_refused(ctx):
    final = list(generate_step_api(ctx, "Tesla is", 3, candidates=2, model="tiny-gpt2"))[-1]
    ids = [s.token_id for s in final.steps]
    allowed = {c.token_id for c in final.steps[1].candidates}
    outsider = next(i for i in range(100) if i not in allowed)
    with pytest.raises(PlaygroundError, match="not among step 2's top-2 candidates"):
        list(generate_step_api(ctx, "Tesla is", 3, candidates=2, previous_token_ids=ids, step=2,
                                   choice_token_id=outsider, model="tiny-gpt2"))


# ---- tokenizers ------------------------------------------------------------------------------------

def test_tokenizers_view_shows_each_scheme_in_its_column(ctx):
    names = ("tiny-bert", "tiny-gpt2", "tiny-pegasus")
    result = compare_tokenizers_api(ctx, TOKENIZER_EXAMPLES[0], *names)
    view = tokenizers_view(result, names)
    counts = [v.token_count for v in result.views]
    headers = [view.wordpiece_header, view.bpe_header, view.sentencepiece_header]
    assert [h.split("  \n")[0] for h in headers] == [
        f"**{scheme}** — `{name}`: {count} tokens" for (_, scheme), name, count in
        zip(TOKENIZER_TASKS, names, counts)]
    # Next to the pieces, the text each tokenizer split: the uncased WordPiece lower-cased it, BPE kept it.
    assert headers[0].endswith("normalised text: tokenizers␣aren't␣trivial:␣bert,␣gpt-2␣and␣pegasus␣split␣"
                               "'unbelievable'␣differently␣🤗")
    assert "normalised text: Tokenizers␣aren't" in headers[1]
    assert "[CLS]" in [piece for piece, _ in view.wordpiece_strip]
    assert "</s>" in [piece for piece, _ in view.sentencepiece_strip]
    assert any(piece.startswith("<bytes") for piece, _ in view.bpe_strip)  # the emoji as raw bytes
    assert "lossless" in view.facts and all(topic in view.facts for topic in TOPICS)
    assert [row[0] for row in view.summary] == list(names)
    assert len(view.ids) == sum(counts)


def test_an_unavailable_tokenizer_is_reported_and_the_others_still_shown(ctx):
    names = ("tiny-bert", "gpt2", "tiny-pegasus")
    result = to_json(compare_tokenizers_api(ctx, "Hello", *names))
    assert [v["model_name"] for v in result["views"]] == ["tiny-bert", "tiny-pegasus"]
    assert any("python -m playground download gpt2" in n for n in result["notices"])
    view = tokenizers_view(compare_tokenizers_api(ctx, "Hello", *names), names)
    assert view.bpe_header.endswith("unavailable (see the notes above)") and view.bpe_strip == []
    assert "download gpt2" in view.notices and view.sentencepiece_strip


def test_no_tokenizer_at_all_says_which_is_missing(ctx):
    with pytest.raises(PlaygroundError, match="gpt2"):
        compare_tokenizers_api(ctx, "Hello", "gpt2", "gpt2", "gpt2")


def test_a_fourth_tokenizer_column_shows_xlmr_on_hindi(ctx):
    names = ("tiny-bert", "tiny-gpt2", "tiny-pegasus", "tiny-xlm-roberta")
    assert multilingual_choice(ctx) == "tiny-xlm-roberta"  # the fill-mask model standing in for XLM-R
    result = compare_tokenizers_api(ctx, WHOLE["Hindi"], *names)
    view = tokenizers_view(result, names)
    assert view.multilingual_header.startswith("**SentencePiece unigram, 100 languages (XLM-R)** — `tiny-xlm-roberta`")
    assert "[UNK]" in [piece for piece, _ in view.wordpiece_strip]
    assert "unknown" not in [kind for _, kind in view.multilingual_strip]
    assert "Devanagari" in view.facts and [row[0] for row in view.summary] == list(names)
    three = tokenizers_view(compare_tokenizers_api(ctx, "Hello", *names[:3]), names[:3])
    assert three.multilingual_header == "" and three.multilingual_strip == []


# ---- replaced-token detection (ELECTRA) ------------------------------------------------------------

RTD_UI = (RTD_EXAMPLE, True, 15, 3, "tiny-electra", "tiny-bert")  # the UI's controls, mask rate in percent


def test_replaced_tokens_handler_and_view(ctx):
    result = replaced_tokens_percent(ctx, *RTD_UI)
    assert result == replaced_tokens_api(ctx, RTD_EXAMPLE, True, 0.15, 3, "tiny-electra", "tiny-bert")
    view = detection_view(result)
    assert [chip for chip, _ in view.verdicts] == [t.token for t in result.tokens]
    assert [score for _, score in view.verdicts] == [round(t.probability_replaced, 3) for t in result.tokens]
    replaced = [t.token for t in result.tokens if t.replaced]
    assert replaced and [chip for chip, label in view.truth if label == "replaced"] == replaced
    assert {label for _, label in view.truth} == {"replaced", "original"}
    assert "Why ELECTRA" in view.summary and f"all {result.judged} tokens" in view.summary
    assert f"**{result.caught} of the {result.replaced}** replacements" in view.summary
    assert len(view.table) == result.judged and len(view.table[0]) == len(RTD_TABLE_HEADERS)
    assert [row[4] for row in view.table] == ["yes" if t.replaced else "no" for t in result.tokens]
    assert view.json == to_json(result)


def test_a_sentence_judged_as_typed_has_no_truth(ctx):
    result = replaced_tokens_percent(ctx, "The chef ate the meal.", False, 15, 0, "tiny-electra", "tiny-bert")
    view = detection_view(result)
    assert not result.corrupted and {label for _, label in view.truth} == {None}
    assert "nobody knows which tokens are replaced" in view.summary and {row[4] for row in view.table} == {"?"}


# ---- can BERT write? -------------------------------------------------------------------------------

def test_bert_write_handler_and_view(ctx):
    result = bert_write_api(ctx, "The weather today is", 6, 3, "tiny-bert", "tiny-gpt2")
    view = writing_view(result)
    for writing, header, chips, rows in ((result.left_to_right, view.ltr_header, view.ltr_text, view.ltr_steps),
                                        (result.mask_predict, view.mp_header, view.mp_text, view.mp_steps),
                                        (result.gpt, view.gpt_header, view.gpt_text, view.gpt_steps)):
        assert header.startswith(f"**{WRITING_LABELS[writing.method]}** — `{writing.model_name}`")
        assert chips[0] == (writing.prompt, None) and len(chips) == len(writing.tokens) + 1
        assert "".join(chip for chip, _ in chips) == writing.text
        assert [row[0] for row in rows] == [s.step for s in writing.steps]
        assert [row[3] for row in rows] == [s.text for s in writing.steps]
    assert len(view.ltr_steps) == 6 and len(view.mp_steps) == 3
    assert "[MASK]" not in view.ltr_text[-1][0] and view.ltr_steps[0][1].endswith("[MASK]")
    assert "GPT-2" in view.lesson and view.json == to_json(result)


# ---- bad input: the same clear messages the API and the UI show ----------------------------------

@pytest.mark.parametrize("handler, args, kwargs, message", [
    (mask_sim_api, ("",), {}, "empty"),
    (mask_sim_api, (PRESET, 0.0), {}, "Mask rate"),
    (mask_sim_api, (PRESET, 1.5), {}, "Mask rate"),
    (mask_sim_api, (PRESET, 0.15, "abc"), {}, "Seed"),
    (mask_sim_api, (PRESET, 0.15, 2.5), {}, "Seed"),
    (mask_sim_api, ("🚗 🚗",), {}, "Nothing to mask"),
    (nsp_api, ("A.", ""), {}, "sentence B"),
    (generate_step_api, ("",), {}, "empty"),
    (generate_step_api, ("Tesla", 10**6), {}, "Max new tokens"),
    (generate_step_api, ("Tesla", 5), {"strategy": "sample", "seed": "x"}, "Seed"),
    (generate_step_api, ("Tesla", 5), {"previous_token_ids": [5, 6, 7], "step": 2, "choice_token_id": 10**9},
     "Chosen token id"),
    (compare_tokenizers_api, ("  ",), {}, "empty"),
    (replaced_tokens_api, ("",), {}, "empty"),
    (replaced_tokens_api, (RTD_EXAMPLE, True, 0.0), {}, "Mask rate"),
    (replaced_tokens_api, (RTD_EXAMPLE, True, 0.15, "x"), {}, "Seed"),
    (replaced_tokens_api, (RTD_EXAMPLE,), {"generator": "tiny-xlm-roberta"}, "different vocabularies"),
    (bert_write_api, ("",), {}, "empty"),
    (bert_write_api, ("Tesla is", 0), {}, "Length"),
    (bert_write_api, ("Tesla is", 5, 99), {}, "Rounds"),
])
def test_bad_input_gets_a_clear_message(ctx, handler, args, kwargs, message):
    tiny = {mask_sim_api: dict(bert_model="tiny-bert", gpt_model="tiny-gpt2"), nsp_api: dict(model="tiny-bert"),
            generate_step_api: dict(model="tiny-gpt2"),
            compare_tokenizers_api: dict(wordpiece_model="tiny-bert", bpe_model="tiny-gpt2",
                                             sentencepiece_model="tiny-pegasus"),
            replaced_tokens_api: dict(model="tiny-electra", generator="tiny-bert"),
            bert_write_api: dict(bert_model="tiny-bert", gpt_model="tiny-gpt2")}[handler]
    with pytest.raises(PlaygroundError, match=message):
        result = handler(ctx, *args, **{**tiny, **kwargs})
        if inspect.isgenerator(result):  # a stream fails when it runs
            list(result)


# ---- the tab itself ----------------------------------------------------------------------------------

def test_the_tab_builds_and_its_ui_events_are_private(ctx):
    with gr.Blocks() as demo:
        build_pretraining_tab(ctx)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert public == {"mask_sim", "nsp", "generate_step", "compare_tokenizers", "replaced_tokens", "bert_write"}
