"""Word influence on the slot's prediction, estimated (gradient × input) and measured (occlusion), on the tiny
models: the same result shape, the method named, and GPT-2's exact zero right of the slot for both."""

import pytest

from playground.core.errors import PlaygroundError
from playground.lm import influence as inf

TEXT = "Tesla is an American [MASK] company headquartered in Austin, Texas."


def _forwards(lm):
    """Count the model's forward passes (a hook, removed by the caller)."""
    calls = []
    handle = lm.model.register_forward_hook(lambda *_: calls.append(1))
    return calls, handle


def test_gpt_occlusion_is_exactly_zero_right_of_the_slot(gpt):
    result = inf.causal_lm_occlusion(gpt, TEXT, ["car"])
    right = [w for w in result.words if w.side == "right"]
    assert [w.word for w in right][:3] == ["company", "headquartered", "in"]
    assert all(w.influence == 0.0 and w.share == 0.0 for w in right)
    assert result.total("left") > 0 and max(w.share for w in result.words) == 1.0
    assert [w.side for w in result.words if w.word == "car"] == ["slot"]


def test_occluding_a_word_right_of_the_slot_leaves_gpts_slot_probability_bit_identical(gpt):
    slot_input = inf.causal_lm_input(gpt, TEXT, ["car"])
    tokens = slot_input.tokens.tokens
    right = [i for i, t in enumerate(tokens) if t.start is not None and t.start >= slot_input.slot_span[1]]
    variants = [inf.hide_word(slot_input, [i], None) for i in right]  # each later token deleted in turn
    variants.append(inf.hide_word(slot_input, right, None))  # everything after the slot deleted
    assert all(v.position == slot_input.position for v in variants)
    _, before, after = inf.slot_probabilities(gpt, inf.Variant(slot_input.input_ids, slot_input.position), variants)
    assert after == before  # bit-identical, not merely close
    left = inf.hide_word(slot_input, [1], None)  # a word left of the slot does move it
    _, before, after = inf.slot_probabilities(gpt, inf.Variant(slot_input.input_ids, slot_input.position), [left])
    assert after != before


def test_bert_occlusion_sees_both_sides(bert):
    result = inf.masked_lm_occlusion(bert, TEXT)
    assert all(w.influence > 0 for w in result.words if w.side == "right")
    assert result.total("left") > 0
    assert [w.side for w in result.words if w.word == "[MASK]"] == ["slot"]


def test_occlusion_returns_the_gradient_results_shape_with_its_method_named(bert, gpt):
    for estimate, measured in ((inf.masked_lm_influence(bert, TEXT), inf.masked_lm_occlusion(bert, TEXT)),
                               (inf.causal_lm_influence(gpt, TEXT, ["car"]), inf.causal_lm_occlusion(gpt, TEXT, ["car"]))):
        assert type(measured) is type(estimate)
        assert [(w.word, w.start, w.end, w.side) for w in measured.words] == \
            [(w.word, w.start, w.end, w.side) for w in estimate.words]
        assert (measured.text, measured.slot, measured.predicted) == (estimate.text, estimate.slot, estimate.predicted)
        assert estimate.method.startswith("gradient × input") and measured.method.startswith("occlusion")
        assert all(0 <= w.share <= 1 for w in measured.words)
        assert any(n.startswith("Occlusion: with every word present") for n in measured.notices)
    assert "become [MASK]" in inf.masked_lm_occlusion(bert, TEXT).method
    assert "deleted" in inf.causal_lm_occlusion(gpt, TEXT, ["car"]).method


def test_occlusion_measures_every_variant_in_one_forward_pass(bert, gpt):
    for lm, run in ((bert, lambda: inf.masked_lm_occlusion(bert, TEXT)),
                    (gpt, lambda: inf.causal_lm_occlusion(gpt, TEXT, ["car"]))):
        calls, handle = _forwards(lm)
        try:
            run()
        finally:
            handle.remove()
        assert len(calls) == 1


def test_a_small_logits_budget_splits_the_batch_but_measures_the_same(gpt, monkeypatch):
    whole = inf.causal_lm_occlusion(gpt, TEXT, ["car"])
    monkeypatch.setattr(inf, "_LOGITS_BUDGET", 3 * 20 * len(gpt.tokenizer))  # two variants per batch
    calls, handle = _forwards(gpt)
    try:
        split = inf.causal_lm_occlusion(gpt, TEXT, ["car"])
    finally:
        handle.remove()
    assert len(calls) > 1
    assert [w.influence for w in split.words] == pytest.approx([w.influence for w in whole.words], abs=1e-6)
    assert all(w.influence == 0.0 for w in split.words if w.side == "right")


def test_hiding_a_word_for_gpt_deletes_it_and_moves_the_slot_left(gpt):
    slot_input = inf.causal_lm_input(gpt, TEXT, ["car"])
    variant = inf.hide_word(slot_input, [0, 1], None)  # the first two tokens, left of the slot
    assert variant.input_ids == slot_input.input_ids[:1] + slot_input.input_ids[3:]
    assert variant.position == slot_input.position - 2
    masked = inf.hide_word(slot_input, [0], 7)
    assert masked.input_ids[1] == 7 and len(masked.input_ids) == len(slot_input.input_ids)


def test_without_a_mask_gpts_slot_is_the_next_token_and_every_word_is_left(gpt):
    result = inf.causal_lm_occlusion(gpt, "Tesla is an American car company")
    assert result.slot == "(next token)" and {w.side for w in result.words} == {"left"}
    assert result.total("left") > 0


def test_methods_by_key_or_label(bert, gpt):
    assert inf.check_method("occlusion") == inf.check_method("occlusion (measured)") == inf.OCCLUSION
    assert inf.masked_lm_word_influence(bert, TEXT, "occlusion").method.startswith("occlusion")
    assert inf.causal_lm_word_influence(gpt, TEXT, ["car"]).method == inf.METHOD
    with pytest.raises(PlaygroundError, match="Influence method"):
        inf.check_method("saliency")
    with pytest.raises(PlaygroundError, match="Add a \\[MASK\\]"):
        inf.masked_lm_occlusion(bert, "No gap here.")
