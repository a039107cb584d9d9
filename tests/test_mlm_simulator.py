"""BERT's masking simulator: the 80/10/10 rule, seeding, special tokens, one-pass predictions, and the
character-offset alignment that puts GPT-2 on the same slots."""

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.tasks.mlm_simulator import (ACTIONS, PRESET, align_span, plan_masking, replacement_pool, simulate_mlm,
                                      trim_span)

# ---- the masking plan ---------------------------------------------------------------------------

MASK_ID = 4
POOL = list(range(5, 400))
IDS = [2] + list(range(10, 110)) + [3]  # [CLS] 100 ordinary tokens [SEP]
CANDIDATES = list(range(1, 101))


def _plan(seed: int, rate: float = 0.15, **kwargs):
    return plan_masking(IDS, CANDIDATES, rate=rate, seed=seed, mask_id=MASK_ID, replacement_ids=POOL, **kwargs)


def test_80_10_10_split_holds_over_many_seeds():
    actions = [a for seed in range(200) for a in _plan(seed).actions]
    assert len(actions) == 200 * 15 >= 2000
    observed = [actions.count(a) for a in ACTIONS]
    expected = [len(actions) * p for p in (0.8, 0.1, 0.1)]
    chi_square = sum((o - e) ** 2 / e for o, e in zip(observed, expected))
    assert chi_square < 13.82, (observed, chi_square)  # 99.9% quantile of chi-square with 2 degrees of freedom
    for count, share in zip(observed, (0.8, 0.1, 0.1)):
        assert abs(count / len(actions) - share) < 0.03


def test_selection_is_uniform_over_the_candidates():
    hits = [0] * len(IDS)
    for seed in range(400):
        for position in _plan(seed).positions:
            hits[position] += 1
    assert hits[0] == hits[-1] == 0
    expected = 400 * 15 / 100  # 60 selections per candidate
    chi_square = sum((h - expected) ** 2 / expected for h in hits[1:-1])
    assert chi_square < 148.2  # 99.9% quantile of chi-square with 99 degrees of freedom


def test_the_plan_changes_exactly_the_selected_tokens():
    for seed in range(50):
        plan = _plan(seed)
        changed = {i for i, (a, b) in enumerate(zip(IDS, plan.input_ids)) if a != b}
        for position, action in zip(plan.positions, plan.actions):
            new = plan.input_ids[position]
            if action == "masked":
                assert new == MASK_ID
            elif action == "random":
                assert new in POOL and new != IDS[position]  # never special, never the original
            else:
                assert new == IDS[position]
        assert changed == {p for p, a in zip(plan.positions, plan.actions) if a != "unchanged"}


@pytest.mark.parametrize("rate, count", [(0.15, 15), (0.001, 1), (1.0, 100), (0.5, 50)])
def test_the_number_selected_follows_the_rate_with_at_least_one(rate, count):
    assert len(_plan(0, rate=rate).positions) == count


def test_without_the_rule_every_selected_token_is_masked():
    plan = _plan(3, use_80_10_10=False)
    assert set(plan.actions) == {"masked"} and all(plan.input_ids[p] == MASK_ID for p in plan.positions)


def test_same_seed_same_plan_and_different_seeds_differ():
    assert _plan(7) == _plan(7)
    plans = {(_plan(seed).positions, _plan(seed).actions) for seed in range(10)}
    assert len(plans) == 10


def test_replacement_pool_has_no_special_or_unused_tokens(bert):
    pool = set(replacement_pool(bert.tokenizer))
    assert not pool & set(bert.tokenizer.all_special_ids)
    assert len(pool) == len(bert.tokenizer) - len(set(bert.tokenizer.all_special_ids))


# ---- the simulation on tiny models --------------------------------------------------------------

def test_same_seed_gives_the_same_masking_and_seeds_differ(bert, gpt):
    first, again = simulate_mlm(bert, gpt, PRESET, seed=11), simulate_mlm(bert, gpt, PRESET, seed=11)
    assert first == again
    other = simulate_mlm(bert, gpt, PRESET, seed=12)
    key = lambda r: [(s.position, s.action, s.shown) for s in r.selected]  # noqa: E731
    assert key(first) != key(other)


def test_special_tokens_are_never_selected(bert, gpt):
    text = "[MASK] Tesla 🚗 is a company, 東京!"
    for seed in range(20):
        result = simulate_mlm(bert, gpt, text, mask_rate=0.6, seed=seed)
        kinds = {t.position: t.kind for t in result.tokens}
        assert all(kinds[s.position] in ("word", "continuation") for s in result.selected)
    everything = simulate_mlm(bert, gpt, text, mask_rate=1.0)
    maskable = [t.position for t in everything.tokens if t.kind in ("word", "continuation")]
    assert [s.position for s in everything.selected] == maskable == sorted(maskable)
    assert {t.kind for t in everything.tokens if t.action is None} <= {"special", "mask", "unknown"}
    assert any("[UNK]" in n for n in everything.notices) and any("[MASK]" in n for n in everything.notices)


def test_bert_predicts_every_selected_slot_from_one_forward_pass(bert, gpt):
    result = simulate_mlm(bert, gpt, PRESET, mask_rate=0.4, seed=5)
    candidates = [t.position for t in result.tokens if t.kind in ("word", "continuation")]
    ids = bert.tokenizer(PRESET)["input_ids"]
    plan = plan_masking(ids, candidates, rate=0.4, seed=5, mask_id=bert.tokenizer.mask_token_id,
                        replacement_ids=replacement_pool(bert.tokenizer))
    assert [s.position for s in result.selected] == list(plan.positions)
    with torch.inference_mode():
        probs = bert.model(input_ids=torch.tensor([plan.input_ids])).logits[0].softmax(-1)
    for slot in result.selected:
        assert slot.original_id == ids[slot.position]
        assert slot.predictions[0].token_id == int(probs[slot.position].argmax())
        assert slot.rank == int((probs[slot.position] > probs[slot.position, slot.original_id]).sum()) + 1
        assert slot.probability == pytest.approx(float(probs[slot.position, slot.original_id]), rel=1e-4)
        if slot.action == "masked":
            assert slot.shown == "[MASK]"
        assert (slot.shown == slot.original) == (slot.action == "unchanged")
    assert result.bert_recovery.slots == len(result.selected)
    assert result.bert_recovery.top1 == sum(s.rank == 1 for s in result.selected)
    assert result.bert_recovery.top5 == sum(s.rank <= 5 for s in result.selected)
    assert sum(result.counts.values()) == len(result.selected)


def test_gpt_scores_each_aligned_slot_from_its_left_context(bert, gpt):
    result = simulate_mlm(bert, gpt, PRESET, mask_rate=1.0)
    ids = gpt.tokenizer(PRESET)["input_ids"]
    bos = gpt.tokenizer.eos_token_id
    aligned = [s for s in result.selected if s.gpt.status == "aligned"]
    assert aligned and len(aligned) + len(result.unaligned) == len(result.selected)
    for slot in aligned[:6]:
        position = slot.gpt.position
        assert slot.gpt.target_id == ids[position]
        with torch.inference_mode():  # only the tokens left of the slot go in
            probs = gpt.model(input_ids=torch.tensor([[bos] + ids[:position]])).logits[0, -1].softmax(-1)
        assert slot.gpt.probability == pytest.approx(float(probs[ids[position]]), rel=1e-4, abs=1e-7)
        assert slot.gpt.predictions[0].token_id == int(probs.argmax())
    assert result.gpt_recovery_aligned.slots == result.bert_recovery_aligned.slots == len(aligned)
    for slot in result.selected:
        if slot.gpt.status != "aligned":
            assert slot.gpt.reason and slot.gpt.rank is None  # reported, not silently dropped


def test_long_text_is_truncated_and_only_kept_tokens_are_selected(bert, gpt):
    result = simulate_mlm(bert, gpt, "data pipeline " * 80, mask_rate=1.0)
    assert len(result.tokens) == bert.max_positions
    assert max(s.position for s in result.selected) < bert.max_positions - 1
    assert any("dropped" in n for n in result.notices)


@pytest.mark.parametrize("kwargs, message", [
    (dict(text=""), "empty"),
    (dict(text="   "), "empty"),
    (dict(text=PRESET, mask_rate=0), "Mask rate"),
    (dict(text=PRESET, mask_rate=1.5), "Mask rate"),
    (dict(text=PRESET, mask_rate=-0.1), "Mask rate"),
    (dict(text=PRESET, mask_rate="lots"), "Mask rate"),
    (dict(text=PRESET, seed="abc"), "Seed"),
    (dict(text=PRESET, seed=1.5), "Seed"),
    (dict(text=PRESET, seed=-1), "Seed"),
    (dict(text="🚗 🚗 🚗"), "Nothing to mask"),
    (dict(text="[MASK] ___"), "Nothing to mask"),
])
def test_bad_input_gets_a_clear_message(bert, gpt, kwargs, message):
    with pytest.raises(PlaygroundError, match=message):
        simulate_mlm(bert, gpt, **kwargs)


# ---- alignment by character offsets --------------------------------------------------------------

def test_trim_span_drops_the_space_gpt2_glues_to_a_word():
    assert trim_span("a  word", 1, 7) == (3, 7)
    assert trim_span("a  word", 1, 3) == (3, 3)  # a piece that is only spaces is empty


def test_alignment_rules_on_handmade_offsets():
    text = "Hi, unbelievable 🤗!"
    # GPT-2 style: leading spaces belong to the piece; an emoji is four byte pieces on one character.
    gpt = [(0, 2), (2, 3), (3, 6), (6, 12), (12, 16), (16, 17), (17, 18), (17, 18), (17, 18), (17, 18), (18, 19)]
    assert align_span(text, (0, 2), gpt).gpt_indices == (0,)
    assert align_span(text, (2, 3), gpt).gpt_indices == (1,)  # punctuation
    whole = align_span(text, (4, 16), gpt)  # one BERT piece = three GPT-2 pieces
    assert whole.status == "aligned" and whole.gpt_indices == (2, 3, 4)
    head = align_span(text, (4, 9), gpt)  # "unbel" ends inside GPT-2's "believ"
    assert head.status == "partial" and "runs past" in head.reason and "believ" in head.reason
    tail = align_span(text, (9, 16), gpt)  # "##ievable" starts inside "believ"
    assert tail.status == "partial" and "starts inside" in tail.reason
    emoji = align_span(text, (17, 18), gpt)
    assert emoji.status == "aligned" and emoji.gpt_indices == (6, 7, 8, 9)  # the lone space piece is not part of it
    assert align_span(text, (18, 19), gpt).gpt_indices == (10,)
    cut = align_span(text, (18, 19), gpt[:6])
    assert cut.status == "cut off" and cut.gpt_indices == ()


def test_alignment_with_the_real_tokenizers_on_tricky_text(bert, gpt):
    text = "Hello, world! The data-pipeline's design (v2) is unbelievable 🤗 ok."
    bert_enc = bert.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    gpt_enc = gpt.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    gpt_ids, gpt_spans = gpt_enc["input_ids"], [tuple(o) for o in gpt_enc["offset_mapping"]]
    statuses = {}
    for bert_id, (start, end) in zip(bert_enc["input_ids"], bert_enc["offset_mapping"]):
        alignment = align_span(text, (start, end), gpt_spans)
        statuses[text[start:end]] = alignment.status
        assert alignment.status in ("aligned", "partial")  # GPT-2 read the whole text: nothing is cut off
        assert list(alignment.gpt_indices) == sorted(alignment.gpt_indices)
        spelled = gpt.tokenizer.decode([gpt_ids[i] for i in alignment.gpt_indices]).strip()
        if alignment.status == "aligned":
            assert spelled == text[start:end]  # the GPT-2 pieces spell exactly the BERT piece's characters
        else:
            assert spelled != text[start:end] and text[start:end] in spelled
    for punctuation in (",", "!", "(", ")", "."):
        assert statuses[punctuation] == "aligned"
    assert statuses["The"] == "aligned"  # BERT lower-cases, but offsets point at the original characters
    emoji = align_span(text, (text.index("🤗"), text.index("🤗") + 1), gpt_spans)
    assert emoji.status == "aligned" and len(emoji.gpt_indices) == len("🤗".encode()) == 4
