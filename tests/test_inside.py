"""The Inside tab's primitives and handlers, on the suite's tiny models and the shipped lab models: the logit
lens through each model's own head, GPT-2's context-blind vectors and caches against BERT's, integrated
gradients' completeness and gradient × input against Captum, and the probes with their control task."""

from __future__ import annotations

import random

import pytest
import torch

from playground import lm
from playground.core.errors import PlaygroundError
from playground.lm.readers import CausalReader, MaskedReader
from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.models.profiles import lab_profile
from playground.tasks import inside
from playground.tasks.context import AppContext
from playground.tasks.inside.probe_data import labelled_words
from playground.tasks.lab import runs

TEXT = "The animal that barked at the mailman was the [MASK]."
RIVER, MONEY = "He walked to the bank to fish in the river.", "He walked to the bank to pay in his money."
LAB = {"bert_model": "lab-bert", "gpt_model": "lab-gpt"}


@pytest.fixture(scope="module")
def lab_ctx():
    store = ModelStore(load_catalog(), local_models={n: runs.SHIPPED_DIR / n for n in runs.SERVED_NAMES})
    return AppContext(store=store, profile=lab_profile(), catalog=load_catalog())


@pytest.fixture(scope="module")
def readers(bert, gpt):
    return MaskedReader(bert), CausalReader(gpt)


# ---- logit lens ------------------------------------------------------------------------------------------

def test_lens_has_a_row_per_hidden_state_and_its_last_row_is_the_models_prediction(readers):
    for reader, text in zip(readers, (TEXT, "The animal that barked at the mailman was the")):
        result = lm.lens.logit_lens(reader, text, top_k=3)
        assert len(result.layers) == reader.lm.model.config.num_hidden_layers + 1
        assert [r.layer for r in result.layers][:2] == ["embeddings", "layer 1"] and result.forward_passes == 1
        inp = reader.slot_input(text)
        own = reader.forward_pass(inp).probs(0)
        last = result.layers[-1]
        assert last.top[0].token_id == int(own.argmax()) == result.answer.token_id and last.answer_rank == 1
        assert last.answer_probability == pytest.approx(float(own.max()), abs=1e-6)
        assert all(0 <= r.answer_probability <= 1 and len(r.top) == 3 for r in result.layers)


def test_lens_decodes_through_the_models_own_final_norm_and_transform(bert, gpt):
    ids = torch.tensor([[2, 5, 7, 9, 3]])
    with torch.inference_mode():
        out = bert.model(input_ids=ids, output_hidden_states=True)
        head, _ = lm.lens.output_head(bert.model)
        # BERT's last hidden state is the raw encoder output: the head (with its transform) gives the logits
        assert torch.allclose(head(out.hidden_states[-1]), out.logits, atol=1e-5)
        h = gpt.model(input_ids=ids, output_hidden_states=True).hidden_states[1]
        head, described = lm.lens.output_head(gpt.model)
        assert torch.equal(head(h), gpt.model.lm_head(gpt.model.transformer.ln_f(h))) and "ln_f" in described
        assert not torch.allclose(head(h), gpt.model.lm_head(h))


def test_lens_on_the_lab_models_shows_the_answer_forming_across_layers(lab_ctx):
    result = inside.run_lens(lab_ctx, TEXT, 5, **LAB)
    for side in (result.bert, result.gpt):
        assert side.layers[0].answer_rank > 1 and side.layers[-1].answer_rank == 1
    assert result.gpt.notices[0].startswith("GPT-2 reads the text left of the [MASK]")


# ---- contextual vs static embeddings ---------------------------------------------------------------------

@pytest.mark.parametrize("models", ["tiny", "lab"])
def test_gpts_vectors_ignore_the_words_after_the_target_and_berts_do_not(models, readers, lab_ctx):
    if models == "lab":
        readers = (MaskedReader(lab_ctx.store.get("lab-bert", "fill-mask")),
                   CausalReader(lab_ctx.store.get("lab-gpt", "text-generation")))
    bert, gpt = (lm.embeddings.contextual_similarity(r, RIVER, MONEY, "bank") for r in readers)
    assert all(gpt.identical) and gpt.similarity[-1] == pytest.approx(1.0)  # bit-identical at every layer
    assert gpt.static_similarity == pytest.approx(1.0) and bert.static_similarity == pytest.approx(1.0)
    assert bert.identical[0] and not any(bert.identical[1:])  # same tokens and positions, then context
    assert bert.similarity[-1] < (0.99 if models == "lab" else 1.0)  # the tiny ones are random: barely
    assert len(bert.layers) == len(bert.similarity) == readers[0].lm.model.config.num_hidden_layers + 1


def test_with_the_deciding_word_before_the_target_gpts_vectors_differ_too(readers):
    gpt = lm.embeddings.contextual_similarity(readers[1], "The river flooded the bank.", "The robbers held up the bank.",
                                              "bank")
    assert not any(gpt.identical[1:])


def test_embeddings_refuse_a_word_missing_from_a_sentence(ctx):
    with pytest.raises(PlaygroundError, match="not in the sentence"):
        inside.run_embeddings(ctx, RIVER, "No such word here.", "bank", "tiny-bert", "tiny-gpt2")
    with pytest.raises(PlaygroundError, match="one word"):
        inside.run_embeddings(ctx, RIVER, MONEY, "the bank", "tiny-bert", "tiny-gpt2")


# ---- the KV cache ----------------------------------------------------------------------------------------

def test_appending_a_token_leaves_gpts_cache_bit_identical_and_changes_berts(ctx):
    result = inside.run_cache(ctx, "The dog barked at the", "mailman", "tiny-bert", "tiny-gpt2")
    gpt, bert = result.gpt, result.bert
    assert gpt.reusable and all(l.keys_changed == l.values_changed == 0 and l.max_key_change == 0 for l in gpt.layers)
    assert not bert.reusable
    assert bert.layers[0].keys_changed == 0  # the first layer projects the token embeddings alone
    assert all(l.keys_changed == l.values_changed == l.positions for l in bert.layers[1:])
    assert gpt.cached_step is not None and gpt.cached_step_error < 1e-4  # the cached step gives the full read's logits
    assert bert.cached_step is not None and bert.cached_step_error > 0 and "re-reading" in bert.notices[0]
    assert gpt.full_read.repeats == 5 and gpt.full_read.min_ms <= gpt.full_read.median_ms <= gpt.full_read.max_ms


# ---- attribution -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("models", ["tiny", "lab"])
def test_integrated_gradients_is_complete_within_5_percent_at_the_default_steps(models, ctx, lab_ctx):
    names = ("tiny-bert", "tiny-gpt2") if models == "tiny" else ("lab-bert", "lab-gpt")
    result = inside.run_attribution(ctx if models == "tiny" else lab_ctx, TEXT, "integrated_gradients", *names)
    for check in (result.bert_check, result.gpt_check):
        assert check.steps == lm.attribution.IG_STEPS == 50
        assert check.relative_error < 0.05
        assert check.attribution_sum == pytest.approx(check.f_input - check.f_baseline, rel=0.05)
    assert result.forward_passes == 52 and max(abs(w.share) for w in result.bert.words) == 1.0


def test_hand_written_gradient_times_input_equals_captums_input_x_gradient(readers):
    for reader, text in zip(readers, (TEXT, "The animal that barked at the mailman was the")):
        inp = reader.slot_input(text)
        target = lm.attribution.top_token(reader, inp)
        by_hand = lm.attribution.gradient_times_input(reader, inp, target)
        captum = lm.attribution.captum_input_x_gradient(reader, inp, target)
        assert torch.allclose(by_hand, captum, atol=1e-7, rtol=1e-6)
        scores, top = reader.forward_pass(inp, gradients=True).influence()  # the Compare tab's gradient × input
        assert top == target and by_hand.norm(dim=-1).tolist() == pytest.approx(scores, abs=1e-5)


def test_attribution_switcher_runs_every_method_and_refuses_others(ctx):
    for method in inside.ATTRIBUTION_METHODS:
        result = inside.run_attribution(ctx, TEXT, method, "tiny-bert", "tiny-gpt2")
        assert result.method == method and result.bert.words and result.gpt.words
        assert (result.bert_check is None) == (method != inside.INTEGRATED)
    with pytest.raises(PlaygroundError, match="Attribution method"):
        inside.run_attribution(ctx, TEXT, "saliency", "tiny-bert", "tiny-gpt2")
    with pytest.raises(PlaygroundError, match="Add a \\[MASK\\]"):
        inside.run_attribution(ctx, "No gap here.", "gradient", "tiny-bert", "tiny-gpt2")


# ---- probes ----------------------------------------------------------------------------------------------

def test_control_task_gives_each_word_type_one_random_label_in_the_real_proportions():
    examples = labelled_words("noun_kind")
    types = [e.word for e in examples]
    labels = [e.label for e in examples]
    control = lm.probes.control_labels(types, labels, random.Random(0))
    by_type = {}
    for t, c in zip(types, control):
        by_type.setdefault(t, set()).add(c)
    assert all(len(v) == 1 for v in by_type.values())
    real = {t: labels[types.index(t)] for t in by_type}
    assert sorted(real.values()) == sorted(next(iter(v)) for v in by_type.values())
    assert control != labels  # shuffled (16 types: a fixed seed that keeps every type's label would be a bug)


def test_probes_on_the_lab_models_with_selectivity_and_time(lab_ctx):
    seen = []
    result = inside.run_probes(lab_ctx, "review_sentiment", 5, progress=lambda f, what: seen.append(f), **LAB)
    for side in (result.bert, result.gpt):
        assert side.examples == 240 and side.repeats == 5 and side.seconds < 20
        assert all(l.selectivity == pytest.approx(l.accuracy - l.control_accuracy) for l in side.layers)
    # the review's sentiment often comes after the noun: BERT's last layer knows it far better than GPT-2's
    assert result.bert.layers[-1].accuracy > result.gpt.layers[-1].accuracy + 0.05
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    with pytest.raises(PlaygroundError, match="Probe labels"):
        inside.run_probes(lab_ctx, "colour", **LAB)
    with pytest.raises(PlaygroundError, match="Repeats"):
        inside.run_probes(lab_ctx, "noun_kind", 50, **LAB)


def test_a_text_that_fills_the_model_leaves_no_room_to_append_and_says_so(ctx):
    with pytest.raises(PlaygroundError, match="no room to append"):
        inside.run_cache(ctx, "the dog " * 400, "mailman", "tiny-bert", "tiny-gpt2")


def test_berts_stale_cached_step_is_exact_with_fresh_keys_and_wrong_with_stale_ones(lab_ctx):
    bert = MaskedReader(lab_ctx.store.get("lab-bert", "fill-mask"))
    ids, longer, end, new = lm.kv_cache.appended_ids(bert, "The dog barked at the", "mailman")
    full = torch.tensor([list(longer)])
    fresh = lm.kv_cache.keys_and_values(bert.lm.model, full, torch.ones_like(full))
    keep = [i for i in range(len(longer)) if i != end]  # every other position, [SEP] included, as the full read has
    with torch.inference_mode():
        reference = bert.lm.model(input_ids=full).logits[0, end]
        step = lm.kv_cache.stale_step(bert.lm.model, [(k[:, keep], v[:, keep]) for k, v in fresh], new, end)
    assert torch.allclose(step, reference, atol=1e-4)  # the step itself is BERT's computation
    result = inside.run_cache(lab_ctx, "The dog barked at the", "mailman", **LAB).bert
    assert result.cached_step_error > 0.1  # with the keys from before the append it is far off


def test_probes_stop_at_their_time_budget_after_two_repeats_and_say_so(readers):
    examples = labelled_words("noun_kind", count=40)
    result = lm.probes.train_probes(readers[0], examples, "noun_kind", repeats=5, budget_s=0.0)
    assert result.repeats == 2 and "stopped after 2 of 5 repeats" in result.notices[0]
    assert all(l.accuracy_spread >= 0 for l in result.layers)
