"""Fine-tuning recipes (playground/tasks/lab/transfer.py) on the shipped lab models: the frozen encoder stays
bit-identical, gradual unfreezing follows its documented order, ULMFiT's language-model stage changes the body,
the curve's spread is the repeats' own, and the same seed gives the same numbers."""

from __future__ import annotations

import statistics

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.tasks.lab import transfer
from playground.tasks.lab.finetune import ULMFIT, finetune_curve, split_examples
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT, LAB_LSTM, SHIPPED_DIR
from playground.ui.figures.lab import finetune_figure


@pytest.fixture(scope="module")
def data():
    pool, test = split_examples()
    return pool[:16], test[:24]


@pytest.mark.parametrize("name", [LAB_BERT, LAB_GPT, LAB_LSTM])
def test_frozen_encoder_leaves_every_body_weight_bit_identical(name, data):
    train, test = data
    body, tokenizer, hidden = transfer.lab_body(SHIPPED_DIR, name, pretrained=True)
    before = {k: v.clone() for k, v in body.state_dict().items()}
    accuracy = transfer.train_and_score(body, tokenizer, hidden, "mean", train, test, steps=4, learning_rate=1e-2,
                                        seed=0, recipe="frozen")
    assert 0 <= accuracy <= 1
    after = body.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before), "a frozen encoder weight changed"
    # the same run with full fine-tuning does move the body: the check above can fail
    body2, _, _ = transfer.lab_body(SHIPPED_DIR, name, pretrained=True)
    transfer.train_and_score(body2, tokenizer, hidden, "mean", train, test, steps=2, learning_rate=1e-2, seed=0)
    assert not all(torch.equal(before[k], v) for k, v in body2.state_dict().items())


@pytest.mark.parametrize("name", [LAB_BERT, LAB_GPT])
def test_gradual_unfreezing_goes_top_down_from_the_head(name, data):
    train, test = data
    body, tokenizer, hidden = transfer.lab_body(SHIPPED_DIR, name, pretrained=True)
    groups = transfer.layer_groups(body)  # bottom (embeddings) → top
    assert len(groups) == body.config.num_hidden_layers + 1
    seen = []

    def record(step: int, index: int) -> None:
        trainable = [all(p.requires_grad for p in g) for g in groups]
        frozen = [not any(p.requires_grad for p in g) for g in groups]
        seen.append((step, index, trainable, frozen))

    steps = 2 * (len(groups) + 1)
    transfer.train_and_score(body, tokenizer, hidden, "mean", train, test, steps=steps, learning_rate=1e-3, seed=0,
                             recipe="gradual", on_unfreeze=record)
    assert [s[0] for s in seen] == transfer.unfreeze_steps(len(groups), steps) == [0, 2, 4, 6][:len(groups) + 1]
    for step, index, trainable, frozen in seen:  # after unfreezing k: exactly the top k body groups train
        top = len(groups) - index
        assert trainable[top:] == [True] * index and frozen[:top] == [True] * top, (step, index)


def test_discriminative_learning_rates_fall_by_the_factor_below_the_head():
    body, _, hidden = transfer.lab_body(SHIPPED_DIR, LAB_BERT, pretrained=True)
    with transfer.constructing():
        model = transfer.PooledClassifier(body, hidden, pooling="mean")
    groups, top_down = transfer._param_groups(model, "gradual", 1e-3)
    assert [g["lr"] for g in groups] == pytest.approx([1e-3 / 2.6 ** k for k in range(len(top_down))])
    assert top_down[0] == list(model.head.parameters())
    assert top_down[-1] == list(body.embeddings.parameters())


def test_language_model_fine_tuning_changes_the_pre_trained_body():
    texts = [e.text for e in split_examples()[0][:64]]
    pre, _, _ = transfer.lab_body(SHIPPED_DIR, LAB_GPT, pretrained=True)
    tuned, tokenizer, hidden = transfer.lm_finetune(SHIPPED_DIR, LAB_GPT, texts, steps=2, learning_rate=1e-3, seed=0)
    assert hidden == pre.config.n_embd and tokenizer.pad_token_id is not None
    changed = [k for k, v in tuned.state_dict().items() if not torch.equal(v, pre.state_dict()[k])]
    assert "wte.weight" in changed


def test_curve_spread_is_the_sample_sd_of_the_repeats_shown_and_seeded():
    kwargs = dict(sizes="4, 8", models=(LAB_GPT,), steps=3, repeats=3, recipe="frozen", seed=5)
    result = finetune_curve(SHIPPED_DIR, **kwargs)
    for p in result.points:
        assert len(p.accuracies) == 3
        assert p.accuracy == pytest.approx(statistics.fmean(p.accuracies))
        assert p.sd == pytest.approx(statistics.stdev(p.accuracies))
    assert finetune_curve(SHIPPED_DIR, **kwargs).points == result.points  # same seed, same numbers
    ax = finetune_figure(result).axes[0]
    bands = [c for c in ax.collections if c.get_paths() and len(c.get_paths()[0].vertices) > 2]
    first = [p for p in result.points if p.init == "pre-trained"]
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.max() == pytest.approx(max(p.accuracy + p.sd for p in first))
    assert ys.min() == pytest.approx(min(p.accuracy - p.sd for p in first))


def test_ulmfit_adds_a_curve_and_bad_settings_get_clear_errors():
    result = finetune_curve(SHIPPED_DIR, sizes="4", models=(LAB_BERT,), steps=4, repeats=1, ulmfit=True, lm_steps=2)
    assert [p.init for p in result.points] == ["pre-trained", "from scratch", ULMFIT]
    assert result.lm_steps == 2 and result.recipe == "full"
    for kwargs, message in [({"recipe": "lora"}, "Unknown fine-tuning recipe"),
                            ({"pooling": "max"}, "Unknown pooling"),
                            ({"learning_rate": 5}, "Learning rate"),
                            ({"lm_steps": 10**6}, "Language-model fine-tuning steps"),
                            ({"ulmfit": "yes"}, "ulmfit must be true or false")]:
        with pytest.raises(PlaygroundError, match=message):
            finetune_curve(SHIPPED_DIR, sizes="4", **kwargs)
