"""Issue 13: a Compare click reads each model once, streams its stages, and the attention controls redraw from
what the click computed; attention maps never change another request's attention setting."""

import dataclasses
import math
import sys
from concurrent.futures import ThreadPoolExecutor

import plotly.graph_objects as go
import pytest
import torch

import playground.tasks.compare.attention as attention_task
from playground.core import text_input, tokens as tokens_module
from playground.lm.generation import GenerationSettings, final, generate
from playground.lm.attention import AttentionStack
from playground.lm.passes import attention_reader
from playground.tasks.compare import (CONTINUATION_TOKENS, STAGES, AttentionSource, attention_from,
                                      attention_source, attention_to_export, compare, compare_attention,
                                      redraw_attention, run_attention, run_compare, run_compare_stages,
                                      head_summary, stream_compare)
from playground.ui.figures.attention import panel_titles
from playground.ui.tabs.compare import _stage_values
from playground.ui.tabs.compare.views import CompareView, attention_view, compare_view, stage_view
from playground.ui.widgets import shown as ui_event
from playground.lm.masked_lm import fill_mask
from playground.lm.causal_lm import next_token_distribution

TESLA = "Tesla is an American [MASK] company headquartered in Austin, Texas."
MODELS = ("tiny-bert", "tiny-gpt2")


class Counter:
    """Counts calls of the playground's functions and of the models, by patching and forward hooks."""

    def __init__(self, monkeypatch, models):
        self.calls = {"clean_text": 0, "tokenize": 0, "backward": 0}
        self.forwards = {id(m): 0 for m in models}
        self._models = {id(m) for m in models}
        for name, original in (("clean_text", text_input.clean_text), ("tokenize", tokens_module.tokenize)):
            def counted(*args, _name=name, _original=original, **kwargs):
                self.calls[_name] += 1
                return _original(*args, **kwargs)
            for module in [m for key, m in sys.modules.items() if key.startswith("playground")]:
                if getattr(module, name, None) is original:
                    monkeypatch.setattr(module, name, counted)
        backward = torch.Tensor.backward

        def counted_backward(tensor, *args, **kwargs):
            self.calls["backward"] += 1
            return backward(tensor, *args, **kwargs)
        monkeypatch.setattr(torch.Tensor, "backward", counted_backward)
        self.all_modules = 0

        def hook(module, args, output):
            self.all_modules += 1
            if id(module) in self._models:
                self.forwards[id(module)] += 1
        self._handle = torch.nn.modules.module.register_module_forward_hook(hook)

    def forwards_of(self, *models) -> int:
        return sum(self.forwards[id(m)] for m in models)

    def close(self):
        self._handle.remove()


def _model_objects(bert, gpt):
    return bert.model, attention_reader(bert).model, gpt.model, attention_reader(gpt).model


@pytest.mark.parametrize("word", ["", "the"])
def test_one_forward_and_one_backward_per_model_clean_text_once_and_shared_tokens(bert, gpt, monkeypatch, word):
    if word:  # a one-piece word is read from the same passes
        assert len(bert.tokenizer(word, add_special_tokens=False)["input_ids"]) == 1
        assert len(gpt.tokenizer(" " + word, add_special_tokens=False)["input_ids"]) == 1
    attention_reader(bert), attention_reader(gpt)  # the eager twins exist before counting starts
    counter = Counter(monkeypatch, _model_objects(bert, gpt))
    try:
        stages = stream_compare(bert, gpt, TESLA, word=word)
        names = []
        for stage in stages:
            names.append(stage.name)
            if stage.name == "analysis":
                break
        assert names == ["bert", "gpt", "analysis"]
        assert counter.forwards_of(*_model_objects(bert, gpt)[:2]) == 1  # BERT: one forward…
        assert counter.forwards_of(*_model_objects(bert, gpt)[2:]) == 1  # GPT-2: one forward…
        assert counter.calls == {"clean_text": 1, "tokenize": 2, "backward": 2}  # …and one backward each
        result = stage.result
        assert result.bert_influence and result.gpt_influence and result.bert_attention and result.gpt_attention
        assert bool(result.bert_word) == bool(word) == bool(result.gpt_word)
        rest = [s for s in stages]  # the continuation streams after the predictions, one token per step
        assert [s.name for s in rest][-1] == "done" and {s.name for s in rest[:-1]} <= {"continuation"}
        steps = len(rest[-1].result.continuation.tokens)
        assert steps == len(rest) <= CONTINUATION_TOKENS
        # The first continuation token comes from the prediction already made: one generation step per other token.
        assert counter.forwards_of(*_model_objects(bert, gpt)[2:]) == 1 + steps - 1
        assert counter.forwards_of(*_model_objects(bert, gpt)[:2]) == 1
    finally:
        counter.close()


def test_the_influence_explains_the_prediction_shown(bert, gpt):
    result = compare(bert, gpt, TESLA)
    assert result.gpt_influence.predicted == result.gpt.predictions[0].token
    assert result.bert_influence.predicted == result.bert.masks[0].predictions[0].token
    # GPT-2 predicts the slot from exactly the tokens shown as visible to it.
    assert result.gpt.tokens.input_ids == result.gpt_tokens.input_ids[: result.gpt_slot_position]


def test_stages_stream_in_order_and_the_last_is_the_unstaged_result(bert, gpt):
    stages = list(stream_compare(bert, gpt, TESLA, top_k=3, word="electric", layer=2, head=2))
    names = [s.name for s in stages]
    assert names[:3] == ["bert", "gpt", "analysis"] and names[-1] == "done" and set(names) <= set(STAGES)
    first, second = stages[0].result, stages[1].result
    assert first.bert and len(first.bert.masks[0].predictions) == 3 and first.gpt is None
    assert first.bert_influence is None and first.continuation is None
    assert second.gpt and second.bert_influence is None
    assert stages[-1].result == compare(bert, gpt, TESLA, top_k=3, word="electric", layer=2, head=2)
    growing = [len(s.result.continuation.tokens) for s in stages[3:]]
    assert growing == sorted(growing) and growing[0] == 1
    # Reusing GPT-2's prediction for the first continuation token changes nothing in the text.
    alone = generate(gpt, stages[-1].result.gpt.context, GenerationSettings(max_new_tokens=CONTINUATION_TOKENS))
    continued = stages[-1].result.continuation
    assert [t.token_id for t in continued.tokens] == [t.token_id for t in alone.tokens]
    assert continued.generated_text == alone.generated_text
    assert continued.tokens[0].probability == pytest.approx(alone.tokens[0].probability, abs=1e-5)


def test_the_tabs_staged_outputs_add_up_to_the_unstaged_view(ctx):
    shown: dict[str, object] = {}
    fields = [f.name for f in dataclasses.fields(CompareView)]
    stages = list(run_compare_stages(ctx, TESLA, 5, "electric", 2, 1, *MODELS))
    for stage in stages:
        shown.update(stage_view(stage).changes)
    unstaged = compare_view(run_compare(ctx, TESLA, 5, "electric", 2, 1, *MODELS))
    assert set(shown) == set(fields)
    for name in fields:
        if name != "heads_plot":  # drawn from every head's attention, which only the stream keeps
            assert shown[name] == getattr(unstaged, name), name
    assert unstaged.heads_plot is None and [t.split("\n")[0] for t in panel_titles(shown["heads_plot"])] == [
        "tiny-bert: mean attention entropy per head", "tiny-gpt2: mean attention entropy per head"]
    # The UI event sends one value per component plus the session's attention, skipping what a stage keeps.
    show = ui_event(ctx, run_compare_stages, stage_view, _stage_values)
    sent = list(show(TESLA, 5, "electric", 2, 1, *MODELS))
    assert all(len(values) == len(fields) + 1 for values in sent)
    assert sent[0][-1] is None  # the first stage clears the last click's attention
    assert isinstance(sent[-1][-1], AttentionSource)
    skip = {"__type__": "update"}
    continuation = fields.index("gpt_continuation")
    assert all(v == skip for i, v in enumerate(sent[3]) if i != continuation and i < len(fields))


def test_attention_controls_redraw_from_the_click_without_a_model_call(ctx, bert, gpt, monkeypatch):
    source = final(run_compare_stages(ctx, TESLA, 5, "", 1, 1, *MODELS)).attention
    counter = Counter(monkeypatch, _model_objects(bert, gpt))
    try:
        redrawn = [redraw_attention(ctx, source, TESLA, layer, head, query, *MODELS)
                   for layer, head, query in ((2, 1, 3), (1, 2, 0), (9, 9, 500))]
        views = [attention_view(r) for r in redrawn]
        assert counter.all_modules == 0  # not one module of any model ran
    finally:
        counter.close()
    assert redrawn == [run_attention(ctx, TESLA, layer, head, query, *MODELS)
                       for layer, head, query in ((2, 1, 3), (1, 2, 0), (9, 9, 500))]
    assert all(isinstance(v.masks_plot, go.Figure) for v in views)
    # Another sentence (or another model) than the click's is read again.
    other = redraw_attention(ctx, source, "The [MASK] barked.", 1, 1, 0, *MODELS)
    assert other == run_attention(ctx, "The [MASK] barked.", 1, 1, 0, *MODELS)
    assert redraw_attention(ctx, None, TESLA, 1, 1, 0, *MODELS) == run_attention(ctx, TESLA, 1, 1, 0, *MODELS)


def test_the_kept_attention_is_bounded(bert, gpt, monkeypatch):
    source = attention_source(bert, gpt, TESLA)
    assert source.kept().bert is source.bert and source.serves(TESLA, *MODELS)
    assert not source.serves(TESLA, "tiny-bert", "other-gpt") and not source.serves("", *MODELS)
    monkeypatch.setattr(attention_task, "MAX_KEPT_ATTENTION_BYTES", source.bert.nbytes - 1)
    kept = source.kept()
    assert kept.bert is None and not kept.serves(TESLA, *MODELS)  # too big to keep: the controls read again
    # Every head's summary is kept all the same (a few numbers per head), as made from the full attention.
    assert [s.model_name for s in kept.summaries] == list(MODELS)
    assert kept.summaries[0] == head_summary(source.bert)
    assert len(kept.summaries[0].entropy) == source.bert.num_layers


def test_head_summary_is_the_mean_entropy_of_each_heads_attention_in_bits():
    n = 8
    uniform, one_hot = torch.full((n, n), 1 / n), torch.eye(n)
    causal = torch.tril(torch.ones(n, n)) / torch.arange(1, n + 1)[:, None]
    stack = AttentionStack(model_name="m", tokens=tuple("abcdefgh"),
                           weights=torch.stack([torch.stack([uniform, one_hot]), torch.stack([causal, causal])]))
    summary = head_summary(stack)
    assert summary.tokens == n and len(summary.entropy) == 2 and len(summary.entropy[0]) == 2
    assert summary.entropy[0][0] == pytest.approx(3.0)  # all 8 keys alike: log2 8 bits
    assert summary.entropy[0][1] == pytest.approx(0.0)  # one key: no spread (0 · log 0 counts as 0)
    expected = sum(math.log2(i) for i in range(1, n + 1)) / n  # query i spreads evenly over i keys
    assert summary.entropy[1][0] == pytest.approx(expected, rel=1e-5)


def test_the_export_draws_the_kept_attention_or_reads_again(ctx, bert, gpt, monkeypatch):
    """What Export writes: the session's attention when kept, the same read again when it was too big to keep."""
    source = attention_source(bert, gpt, TESLA)
    assert attention_to_export(ctx, None) is None  # before a click
    assert attention_to_export(ctx, source, 2, 1, 3) == attention_from(source, 2, 1, 3)
    monkeypatch.setattr(attention_task, "MAX_KEPT_ATTENTION_BYTES", 0)
    dropped = source.kept()
    assert dropped.bert is None
    assert attention_to_export(ctx, dropped, 2, 1, 3) == run_attention(ctx, TESLA, 2, 1, 3, *MODELS)


def test_attention_maps_never_change_the_attention_other_requests_use(bert, gpt):
    """Attention maps run on an eager twin sharing the weights; predictions keep sdpa, at the same time."""
    texts = [TESLA, "The [MASK] barked at the mailman.", "She opened the ___ and let the air in."]
    expected_maps = {t: compare_attention(bert, gpt, t, layer=2, head=2) for t in texts}
    expected_fill = {t: fill_mask(bert, t, 3) for t in texts}
    expected_next = {t: next_token_distribution(gpt, t, 3) for t in texts}

    def job(i):
        text = texts[i % len(texts)]
        if i % 3 == 0:
            return ("map", text, compare_attention(bert, gpt, text, layer=2, head=2))
        if i % 3 == 1:
            return ("fill", text, fill_mask(bert, text, 3))
        return ("next", text, next_token_distribution(gpt, text, 3))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(job, range(36)))
    expected = {"map": expected_maps, "fill": expected_fill, "next": expected_next}
    for kind, text, result in results:
        assert result == expected[kind][text], (kind, text)
    assert bert.model.config._attn_implementation == gpt.model.config._attn_implementation == "sdpa"
    twin = attention_reader(bert).model
    assert twin.config._attn_implementation == "eager" and twin is not bert.model
    assert all(a is b for a, b in zip(twin.parameters(), bert.model.parameters()))  # weights shared, not copied


def test_fast_and_normal_mode_serve_concurrent_users_without_mixing(ctx):
    normal = run_compare(ctx, TESLA, 5, "", 1, 1, *MODELS, fast=False)
    fast = run_compare(ctx, TESLA, 5, "", 1, 1, *MODELS, fast=True)
    assert fast.fast and not normal.fast and any("int8" in n for n in fast.notices)
    # int8 changes the numbers a little: a mixed-up request would show the other mode's probabilities.
    assert fast.bert.masks[0].predictions != normal.bert.masks[0].predictions
    assert fast.gpt.predictions != normal.gpt.predictions

    def job(i):
        mode = i % 2 == 1
        return mode, run_compare(ctx, TESLA, 5, "", 1, 1, *MODELS, fast=mode)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(job, range(12)))
    for mode, result in results:
        assert result == (fast if mode else normal)
    assert ctx.store.get("tiny-bert", "fill-mask").model.config._attn_implementation == "sdpa"


# ---- issue 12: occlusion (measured) as the Compare tab's other influence method -------------------------

def test_occlusion_reads_each_model_once_more_in_one_batch_instead_of_a_backward_pass(bert, gpt, monkeypatch):
    attention_reader(bert), attention_reader(gpt)
    counter = Counter(monkeypatch, _model_objects(bert, gpt))
    try:
        for stage in stream_compare(bert, gpt, TESLA, influence="occlusion"):
            if stage.name == "analysis":
                break
        # Per model: the reading pass (predictions, attention) and one batched pass over every hidden word.
        assert counter.forwards_of(bert.model) == counter.forwards_of(gpt.model) == 1
        assert counter.forwards_of(*_model_objects(bert, gpt)[:2]) == 2
        assert counter.forwards_of(*_model_objects(bert, gpt)[2:]) == 2
        assert counter.calls == {"clean_text": 1, "tokenize": 2, "backward": 0}  # no gradient at all
    finally:
        counter.close()
    result = stage.result
    assert result.influence_method == "occlusion"
    assert result.bert_influence.method.startswith("occlusion") and result.gpt_influence.method.startswith("occlusion")
    # It measures the prediction the tab shows.
    assert result.gpt_influence.predicted == result.gpt.predictions[0].token
    assert result.bert_influence.predicted == result.bert.masks[0].predictions[0].token


def test_occlusion_stages_add_up_to_the_unstaged_result_and_view(ctx, bert, gpt):
    stages = list(stream_compare(bert, gpt, TESLA, top_k=3, word="electric", influence="occlusion"))
    assert stages[-1].result == compare(bert, gpt, TESLA, top_k=3, word="electric", influence="occlusion")
    assert stages[-1].result != compare(bert, gpt, TESLA, top_k=3, word="electric")  # the method matters
    shown: dict[str, object] = {}
    for stage in run_compare_stages(ctx, TESLA, 5, "", 1, 1, *MODELS, False, "occlusion"):
        shown.update(stage_view(stage).changes)
    unstaged = compare_view(run_compare(ctx, TESLA, 5, "", 1, 1, *MODELS, influence="occlusion"))
    assert shown.pop("heads_plot") is not None and unstaged.heads_plot is None  # only the stream keeps every head
    assert shown == {f.name: getattr(unstaged, f.name) for f in dataclasses.fields(CompareView)
                     if f.name != "heads_plot"}


def test_the_tab_measures_gpt2s_right_context_as_exactly_zero_and_berts_as_not(ctx):
    result = run_compare(ctx, TESLA, 5, "", 1, 1, *MODELS, influence="occlusion")
    gpt_right = [w for w in result.gpt_influence.words if w.side == "right"]
    bert_right = [w for w in result.bert_influence.words if w.side == "right"]
    assert [w.word for w in gpt_right][:2] == ["company", "headquartered"]
    assert all(w.influence == 0.0 for w in gpt_right) and result.gpt_influence.total("left") > 0
    assert bert_right and all(w.influence > 0 for w in bert_right)
    view = compare_view(result)
    assert view.gpt_influence.label == "Measured influence on GPT-2 (occlusion: each word hidden in turn)"
    assert view.bert_influence.label.startswith("Measured influence on BERT")
    assert "carry **0.0%** of the total **measured** influence (occlusion" in view.gpt_influence_note
    assert f"p(`{result.gpt_influence.predicted}`) = {result.gpt_influence.baseline:.4f}" in view.gpt_influence_note
    assert "carry **0.0%**" not in view.bert_influence_note
    # The UI's radio sends the method's key; its label is accepted from scripts too.
    assert run_compare(ctx, TESLA, 5, "", 1, 1, *MODELS, influence="occlusion (measured)") == result


def test_occlusion_with_nothing_before_gpt2s_slot_reads_it_from_the_start_token(ctx):
    result = run_compare(ctx, "[MASK] is a city in France.", 5, "", 1, 1, *MODELS, influence="occlusion")
    assert result.gpt_slot_position == 0 and {w.side for w in result.gpt_influence.words} <= {"slot", "right"}
    assert all(w.influence == 0.0 for w in result.gpt_influence.words)
    # Deleting the only word before the slot: the slot is then predicted from the start token alone.
    two = run_compare(ctx, "Paris [MASK] a city in France.", 5, "", 1, 1, *MODELS, influence="occlusion")
    assert two.gpt_influence.words[0].word == "Paris" and two.gpt_influence.words[0].influence > 0


def test_an_unknown_influence_method_is_refused_before_any_model_loads(ctx, monkeypatch):
    from playground.core.errors import PlaygroundError

    monkeypatch.setattr(type(ctx), "model", lambda *a, **k: pytest.fail("a model was loaded"))
    for handler in (run_compare, lambda *a, **k: list(run_compare_stages(*a, **k))):
        with pytest.raises(PlaygroundError, match="Influence method must be one of gradient, occlusion"):
            handler(ctx, TESLA, 5, "", 1, 1, *MODELS, influence="saliency")


@pytest.mark.parametrize("fast", [False, True])
def test_the_continuation_reads_only_new_tokens(ctx, bert, gpt, fast):
    """The pass that predicted the slot keeps its KV cache: every continuation step reads one new token (no
    second read of the sentence), and the text equals a generation that starts from scratch."""
    predictor = ctx.model("tiny-gpt2", "text-generation", "int8") if fast else gpt
    pair = (ctx.model("tiny-bert", "fill-mask", "int8"), predictor) if fast else None
    stages = stream_compare(bert, gpt, TESLA, fast=pair)
    for stage in stages:
        if stage.name == "analysis":
            break
    lengths: list[int] = []
    handle = predictor.model.register_forward_hook(
        lambda module, args, kwargs, output: lengths.append(kwargs["input_ids"].shape[1]), with_kwargs=True)
    try:
        last = list(stages)[-1].result
    finally:
        handle.remove()
    steps = len(last.continuation.tokens)
    assert steps > 1 and lengths == [1] * (steps - 1)
    alone = generate(predictor, last.gpt.context, GenerationSettings(max_new_tokens=CONTINUATION_TOKENS))
    assert [t.token_id for t in last.continuation.tokens] == [t.token_id for t in alone.tokens]
    assert [t.probability for t in last.continuation.tokens] == pytest.approx(
        [t.probability for t in alone.tokens], abs=1e-4)
