"""The road from RNNs to transformers: the long-range set's rule, the gradient-norm function against a hand
computation, the parameter budget, the bounds every endpoint checks, Stop, and the shipped results."""

from __future__ import annotations

import random
import threading
import time
from types import SimpleNamespace

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.core.jobs import JobGate
from playground.tasks.road import data, experiments, handlers, nets, results
from playground.tasks.road.results import (GradientSettings, LongRangeSettings, Seq2SeqSettings, load_shipped,
                                           point)

NEVER = lambda: False  # noqa: E731
QUIET = lambda fraction, text: None  # noqa: E731


@pytest.mark.parametrize("distance", [1, 2, 7, 20])
def test_the_long_range_label_depends_only_on_the_word_d_back(distance):
    rng = random.Random(distance)
    for item in data.long_range_set(distance, 50, seed=3):
        words = list(item.words)
        key_at = len(words) - 1 - distance
        assert item.label == data.SOUNDS[words[key_at]]
        assert [w for w in words if w in data.SOUNDS] == [words[key_at]]  # no other animal to go by
        rest = [i for i in range(len(words)) if i != key_at]
        for _ in range(5):  # shuffle everything else (the query included): the label stays
            shuffled = list(words)
            moved = [words[i] for i in rest]
            rng.shuffle(moved)
            for i, w in zip(rest, moved):
                shuffled[i] = w
            assert data.long_range_label(shuffled, distance) == item.label
        for other in data.KEYS:  # and the word d back alone moves it
            changed = list(words)
            changed[key_at] = other
            assert data.long_range_label(changed, distance) == data.SOUNDS[other]


def test_gradient_norms_match_a_two_step_rnn_worked_by_hand():
    model = nets.build_sequence_model("rnn", vocab_size=5, hidden=3, classes=4, max_len=2, seed=1)
    x = torch.randn(1, 2, 3, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([2])
    norms = experiments.gradient_norms(model, x, target)

    w_ih, w_hh = model.core.weight_ih_l0.detach(), model.core.weight_hh_l0.detach()
    b = (model.core.bias_ih_l0 + model.core.bias_hh_l0).detach()
    h1 = torch.tanh(w_ih @ x[0, 0] + b)  # h0 = 0
    h2 = torch.tanh(w_ih @ x[0, 1] + w_hh @ h1 + b)
    probs = torch.softmax(model.head.weight.detach() @ h2 + model.head.bias.detach(), -1)
    dlogits = probs - torch.nn.functional.one_hot(target[0], 4).float()
    a2 = (model.head.weight.detach().T @ dlogits) * (1 - h2 ** 2)  # ∂L/∂(pre-activation of step 2)
    a1 = (w_hh.T @ a2) * (1 - h1 ** 2)
    assert norms[0] == pytest.approx(float((w_ih.T @ a2).norm()), rel=1e-5)  # d = 0: the last input
    assert norms[1] == pytest.approx(float((w_ih.T @ a1).norm()), rel=1e-5)  # d = 1: one step back


@pytest.mark.parametrize("kind", nets.KINDS)
def test_every_kind_is_sized_to_the_same_budget(kind):
    for vocab, classes, budget in ((50, 8, 4_000), (350, None, 30_000)):
        hidden = nets.hidden_for_budget(kind, vocab, budget, classes, 33)
        model = nets.build_sequence_model(kind, vocab, hidden, classes, 33)
        assert nets.count_parameters(model) == nets.parameter_count(kind, vocab, hidden, classes, 33)
        assert abs(nets.count_parameters(model) - budget) / budget < 0.12


def test_the_lstm_forget_gate_bias_starts_at_one_as_documented():
    """torch.nn.LSTM's gates are (i, f, g, o) and its two biases add up: f's total is 1, every other gate keeps
    PyTorch's own start (the same draw as with `forget_bias=None`), and so does every other kind."""
    lstm = nets.build_sequence_model("lstm", 30, 12, 8, 11, seed=4).core
    torch_default = nets.build_sequence_model("lstm", 30, 12, 8, 11, seed=4, forget_bias=None).core
    h = lstm.hidden_size
    total = lstm.bias_ih_l0 + lstm.bias_hh_l0
    assert torch.equal(total[h:2 * h], torch.ones(h))
    assert nets.FORGET_BIAS == 1.0
    for gate in (0, 2, 3):  # input, cell candidate, output: untouched
        rows = slice(gate * h, (gate + 1) * h)
        assert torch.equal(lstm.bias_ih_l0[rows], torch_default.bias_ih_l0[rows])
        assert torch.equal(lstm.bias_hh_l0[rows], torch_default.bias_hh_l0[rows])
    assert torch.equal(lstm.weight_hh_l0, torch_default.weight_hh_l0)
    assert not torch.equal((torch_default.bias_ih_l0 + torch_default.bias_hh_l0)[h:2 * h], torch.ones(h))
    # at a zero input and state the gate keeps sigmoid(1) ≈ 73 % of the cell, not about half of it
    assert torch.sigmoid(total[h:2 * h]).detach().allclose(torch.full((h,), 0.7311), atol=1e-4)


def test_the_learning_rate_was_chosen_on_items_that_are_not_the_test_items():
    validation = data.long_range_set(10, experiments.LR_TEST_ITEMS, seed=experiments.LR_VALIDATION_SEED)
    test = data.long_range_set(10, experiments.LR_TEST_ITEMS, seed=experiments.LR_TEST_SEED)
    assert experiments.LR_VALIDATION_SEED != experiments.LR_TEST_SEED and validation != test
    scores = experiments.long_range_validation("lstm", 1e-2, distance=3, steps=5, seeds=2)
    assert len(scores) == 2 and all(0 <= s <= 1 for s in scores)


def test_the_copy_task_never_trains_on_a_held_out_sequence():
    rng = random.Random(0)
    train = {s for n in (2, 3, 6) for s in data.seq_batch(rng, n, 300, heldout=False)}
    test = {s for n in (2, 3, 6) for s in data.seq_batch(rng, n, 100, heldout=True)}
    assert train and test and not train & test
    assert data.seq_target(("dog", "cat", "cow"), "reverse") == ("cow", "cat", "dog")


def test_spread_is_computed_from_the_values_shown():
    p = point("LSTM", 4, [0.5, 0.7, 0.9])
    assert p.mean == pytest.approx(0.7) and p.sd == pytest.approx(0.2) and p.values == (0.5, 0.7, 0.9)
    assert point("GRU", 1, [0.3]).sd == 0.0


def _ctx():
    return SimpleNamespace(lab_jobs=JobGate())


@pytest.mark.parametrize("call, message", [
    (lambda c: handlers.run_road_lm(c, 0, 100, 30_000, 5, "me"), "Seeds"),
    (lambda c: handlers.run_road_lm(c, 5, 100, 10**9, 5, "me"), "parameter budget"),
    (lambda c: handlers.run_road_lm(c, 5, 100, 30_000, float("nan"), "me"), "time budget"),
    (lambda c: handlers.run_road_lm(c, 5, 10**6, 30_000, 5, "me"), "Steps"),
    (lambda c: handlers.run_road_long_range(c, "1, 65", 5, 100, "me"), "distance"),
    (lambda c: handlers.run_road_long_range(c, "1 2 3 4 5 6 7", 5, 100, "me"), "At most 6"),
    (lambda c: handlers.run_road_long_range(c, "four", 5, 100, "me"), "distance"),
    (lambda c: handlers.run_road_long_range(c, "", 5, 100, "me"), "at least one"),
    (lambda c: handlers.run_road_long_range(c, "4", 2.5, 100, "me"), "Seeds"),
    (lambda c: handlers.run_road_gradients(c, 1000, 5, "me"), "sequence length"),
    (lambda c: handlers.run_road_seq2seq(c, "sort", 10, 5, 100, "me"), "task"),
    (lambda c: handlers.run_road_seq2seq(c, "copy", 99, 5, 100, "me"), "longest sequence"),
    (lambda c: handlers.run_road_seq2seq(c, "copy", 10, 11, 100, "me"), "Seeds"),
])
def test_every_endpoint_bounds_its_inputs_before_training(call, message):
    ctx = _ctx()
    with pytest.raises(PlaygroundError, match=message):
        call(ctx)
    assert not ctx.lab_jobs.busy()


def test_a_small_run_goes_through_the_lab_queue_with_its_seeds_kept():
    ctx, seen = _ctx(), []
    result = handlers.run_road_long_range(ctx, "3", 2, 10, "me", progress=lambda f, t: seen.append(f))
    assert {p.series for p in result.points} == set(nets.LABELS.values())
    assert all(len(p.values) == 2 and 0 <= p.mean <= 1 for p in result.points)
    assert seen and 0 <= min(seen) and max(seen) < 1
    assert not ctx.lab_jobs.busy()


def test_stop_ends_a_run_without_a_result():
    with pytest.raises(experiments.RunStopped):
        experiments.run_long_range(LongRangeSettings(distances=(3,), seeds=1, steps=10), QUIET, lambda: True)
    with pytest.raises(experiments.RunStopped):
        experiments.run_seq2seq(Seq2SeqSettings(max_length=3, seeds=1, steps=20), QUIET, lambda: True)


def test_gradients_reach_every_position_and_the_run_keeps_both_states(monkeypatch):
    monkeypatch.setattr(experiments, "DEFAULT_LR_STEPS", 10)  # "trained": a few steps suffice here
    result = experiments.run_gradients(GradientSettings(length=6, seeds=1), QUIET, NEVER)
    series = {p.series for p in result.points}
    assert {f"{name} · {state}" for name in nets.LABELS.values() for state in ("initialised", "trained")} == series
    assert {p.x for p in result.points} == set(range(6))


def test_the_shipped_results_are_the_default_runs():
    shipped = load_shipped()
    assert shipped.lm.settings["seeds"] == results.DEFAULT_SEEDS == shipped.long_range.settings["seeds"]
    assert tuple(shipped.long_range.settings["distances"]) == results.DEFAULT_DISTANCES
    assert shipped.lm.settings["steps"] == results.DEFAULT_LM_STEPS
    assert shipped.gradients.settings["length"] == results.DEFAULT_GRAD_LENGTH
    assert shipped.seq2seq.settings["max_length"] == results.DEFAULT_MAX_LENGTH
    assert shipped.seq2seq.settings["steps"] == results.DEFAULT_SEQ_STEPS
    for p in shipped.long_range.points + shipped.seq2seq.points:
        assert len(p.values) == results.DEFAULT_SEEDS
        assert p.mean == pytest.approx(point(p.series, p.x, p.values).mean, abs=1e-4)
        assert p.sd == pytest.approx(point(p.series, p.x, p.values).sd, abs=1e-4)
    a = shipped.seq2seq.alignment
    assert len(a.weights) == len(a.outputs) and all(len(row) == len(a.inputs) for row in a.weights)


def test_a_run_waits_for_the_lab_says_so_and_its_owner_can_stop_it_while_waiting():
    ctx, said, outcome = _ctx(), [], []
    other = ctx.lab_jobs.join("someone else")
    assert ctx.lab_jobs.wait_turn(other, 1)  # another session's training holds the lab

    def run():
        try:
            handlers.run_road_gradients(ctx, 5, 1, "me", progress=lambda f, text: said.append(text))
        except PlaygroundError as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=run)
    waiting.start()
    for _ in range(100):
        if said:
            break
        time.sleep(0.02)
    assert said and "waiting for the lab" in said[0]
    assert handlers.stop_road(ctx, "me").startswith("Stopping")
    waiting.join(10)
    assert not waiting.is_alive() and outcome  # ended without training, the other run untouched
    assert ctx.lab_jobs.position(other) == 0
    ctx.lab_jobs.leave(other)
    assert handlers.stop_road(ctx, "me").startswith("Nothing to stop")


def test_a_run_is_reproducible_from_its_seeds():
    settings = Seq2SeqSettings(max_length=4, seeds=1, steps=20)
    first, second = (experiments.run_seq2seq(settings, QUIET, NEVER) for _ in range(2))
    assert [p.values for p in first.points] == [p.values for p in second.points]
    assert first.alignment == second.alignment
