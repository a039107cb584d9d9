"""The property the whole playground is about: GPT-2 cannot see the future, BERT can."""

import torch

SEEDS = range(8)


def _random_ids(model, length, generator):
    return torch.randint(0, model.config.vocab_size, (1, length), generator=generator)


def _logits(lm, ids):
    with torch.inference_mode():
        return lm.model(input_ids=ids).logits[0]


def _logits_before_and_after_changing_the_future(lm, seed):
    """Logits for 20 random tokens, and again after every token after a random position t was replaced."""
    g = torch.Generator().manual_seed(seed)
    ids = _random_ids(lm.model, 20, g)
    t = int(torch.randint(0, 18, (1,), generator=g))
    changed = ids.clone()
    changed[0, t + 1:] = _random_ids(lm.model, 19 - t, g)
    return _logits(lm, ids), _logits(lm, changed), t


def test_gpt_logits_at_t_do_not_change_when_any_later_token_changes(gpt):
    for seed in SEEDS:
        before, after, t = _logits_before_and_after_changing_the_future(gpt, seed)
        torch.testing.assert_close(before[: t + 1], after[: t + 1], rtol=0, atol=1e-6)
        assert not torch.allclose(before[t + 1:], after[t + 1:])  # the later positions did see the change


def test_bert_logits_at_t_change_when_a_later_token_changes(bert):
    for seed in SEEDS:
        before, after, t = _logits_before_and_after_changing_the_future(bert, seed)
        assert (before[t] - after[t]).abs().max() > 1e-4


def test_measured_influence_right_of_the_slot_is_exactly_zero_for_gpt_and_not_for_bert(bert, gpt):
    from playground.lm.influence import causal_lm_influence, masked_lm_influence

    text = "Tesla is an American [MASK] company headquartered in Austin, Texas."
    gpt_result = causal_lm_influence(gpt, text, ["car"])
    right = [w for w in gpt_result.words if w.side == "right"]
    assert [w.word for w in right][:3] == ["company", "headquartered", "in"]
    assert all(w.influence == 0.0 for w in right)
    assert gpt_result.total("left") > 0
    bert_result = masked_lm_influence(bert, text)
    assert all(w.influence > 0 for w in bert_result.words if w.side == "right")
    assert bert_result.total("left") > 0


def test_attention_masks_match_the_models_real_attention(bert, gpt):
    """The mask pictures are not decoration: zero weights appear exactly where the mask says."""
    from playground.lm.attention import attention_map
    from playground.lm.influence import attention_mask_pattern
    from playground.core.tokens import tokenize

    text = "BERT reads both ways while GPT reads left to right."
    for lm, direction, specials in ((bert, "bidirectional", True), (gpt, "causal", False)):
        tokens = tokenize(lm, text, add_special_tokens=specials)
        amap = attention_map(lm, tokens, layer=2, head=1)
        pattern = attention_mask_pattern(direction, len(tokens.tokens))
        for i, row in enumerate(amap.weights):
            for j, weight in enumerate(row):
                assert (weight > 0) == bool(pattern[i][j]), (direction, i, j, weight)


def test_the_compare_tabs_mask_pictures_match_the_attention_shown_beside_them(bert, gpt):
    from playground.tasks.compare import compare_attention

    result = compare_attention(bert, gpt, "Tesla is an American [MASK] company in Austin, Texas.", layer=2, head=2)
    for mask, amap in ((result.bert_mask, result.bert), (result.gpt_mask, result.gpt)):
        assert mask.tokens == amap.tokens
        for i, row in enumerate(amap.weights):
            for j, weight in enumerate(row):
                assert (weight > 0) == bool(mask.pattern[i][j]), (mask.direction, i, j, weight)
