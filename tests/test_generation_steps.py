"""Step-by-step generation: candidates per step, reproducible sampling, and continuing from a token the
user picked (checked against direct forward passes)."""

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.lm.generation import GenerationSettings, generate
from playground.tasks.step_by_step import check_token_ids, generate_steps, stream_steps

PROMPT = "Tesla is an American"
GREEDY = GenerationSettings(max_new_tokens=8)


def _probs(gpt, ids):
    with torch.inference_mode():
        return gpt.model(input_ids=torch.tensor([ids])).logits[0, -1].softmax(-1)


def test_fresh_generation_equals_the_engine_and_streams_one_step_at_a_time(gpt):
    updates = list(stream_steps(gpt, PROMPT, GREEDY, candidates_k=4))
    assert [len(u.steps) for u in updates] == list(range(1, 9))
    final = updates[-1]
    assert final.finished and final.stop_reason == "reached 8 new tokens" and final.picked_step is None
    assert [s.token_id for s in final.steps] == [t.token_id for t in generate(gpt, PROMPT, GREEDY).tokens]
    assert [s.step for s in final.steps] == list(range(1, 9))
    for s in final.steps:
        assert s.source == "model" and len(s.candidates) == 4
        assert s.candidates[0].token_id == s.token_id  # greedy takes the top candidate


def test_sampling_with_a_fixed_seed_is_reproducible(gpt):
    settings = GenerationSettings(max_new_tokens=10, strategy="sample", temperature=1.5, seed=42)
    first, again = generate_steps(gpt, PROMPT, settings), generate_steps(gpt, PROMPT, settings)
    assert first.token_ids == again.token_ids
    other = generate_steps(gpt, PROMPT, GenerationSettings(max_new_tokens=10, strategy="sample", temperature=1.5,
                                                             seed=43))
    assert other.token_ids != first.token_ids
    assert first.settings.seed == 42


def test_picking_a_candidate_continues_from_it(gpt):
    original = generate_steps(gpt, PROMPT, GREEDY, candidates_k=5)
    choice = original.steps[2].candidates[3]  # step 3's fourth candidate, not the model's pick
    assert choice.token_id != original.steps[2].token_id
    picked = generate_steps(gpt, PROMPT, GREEDY, candidates_k=5, previous_token_ids=original.token_ids, step=3,
                            choice_token_id=choice.token_id)
    assert picked.picked_step == 3 and len(picked.steps) == 8
    assert picked.token_ids[:2] == original.token_ids[:2]
    assert [s.source for s in picked.steps] == ["kept", "kept", "picked"] + ["model"] * 5
    assert picked.steps[2].token_id == choice.token_id
    assert picked.steps[2].probability == pytest.approx(choice.probability, rel=1e-5)
    # Every later step is conditioned on the choice: greedy = argmax of a direct forward pass over
    # prompt + the tokens so far, with the same candidates and probabilities.
    ids = gpt.tokenizer(PROMPT)["input_ids"]
    for i in range(3, 8):
        probs = _probs(gpt, ids + picked.token_ids[:i])
        step = picked.steps[i]
        assert step.token_id == int(probs.argmax())
        assert step.probability == pytest.approx(float(probs[step.token_id]), rel=1e-4)
        assert [c.token_id for c in step.candidates] == probs.topk(5).indices.tolist()
    # ...and the conditioning matters: the choice's context predicts differently from the original one.
    assert not torch.allclose(_probs(gpt, ids + picked.token_ids[:3]), _probs(gpt, ids + original.token_ids[:3]))


def test_picking_with_sampling_is_reproducible(gpt):
    settings = GenerationSettings(max_new_tokens=6, strategy="sample", seed=3)
    original = generate_steps(gpt, PROMPT, settings)
    choice = original.steps[0].candidates[1].token_id
    kwargs = dict(previous_token_ids=original.token_ids, step=1, choice_token_id=choice)
    first, again = generate_steps(gpt, PROMPT, settings, **kwargs), generate_steps(gpt, PROMPT, settings, **kwargs)
    assert first.token_ids == again.token_ids and first.token_ids[0] == choice


def test_picking_at_the_last_step_keeps_the_length(gpt):
    original = generate_steps(gpt, PROMPT, GREEDY)
    choice = original.steps[-1].candidates[1].token_id
    picked = generate_steps(gpt, PROMPT, GREEDY, previous_token_ids=original.token_ids, step=8, choice_token_id=choice)
    assert len(picked.steps) == 8 and picked.token_ids == original.token_ids[:7] + [choice] and picked.finished


def test_a_pick_streams_from_the_picked_step_on(gpt):
    original = generate_steps(gpt, PROMPT, GREEDY)
    updates = list(stream_steps(gpt, PROMPT, GREEDY, previous_token_ids=original.token_ids, step=4,
                                choice_token_id=original.steps[3].candidates[2].token_id))
    assert [len(u.steps) for u in updates] == [4, 5, 6, 7, 8]


def test_a_choice_that_is_not_a_candidate_is_refused(gpt):
    original = generate_steps(gpt, PROMPT, GREEDY, candidates_k=3)
    outsider = next(i for i in range(100) if i not in {c.token_id for c in original.steps[1].candidates})
    with pytest.raises(PlaygroundError, match="not among step 2's top-3 candidates"):
        generate_steps(gpt, PROMPT, GREEDY, candidates_k=3, previous_token_ids=original.token_ids, step=2,
                       choice_token_id=outsider)


@pytest.mark.parametrize("kwargs, message", [
    (dict(step=1, choice_token_id=5), "earlier generation"),  # no previous tokens
    (dict(previous_token_ids=[5, 6], step=3, choice_token_id=5), "Step"),
    (dict(previous_token_ids=[5, 6], step=0, choice_token_id=5), "Step"),
    (dict(previous_token_ids=[5, 6], step=1), "Choose one"),
    (dict(previous_token_ids=[5, 6], step=1, choice_token_id="x"), "Chosen token id"),
    (dict(previous_token_ids="a, b", step=1, choice_token_id=5), "previous token id"),
    (dict(previous_token_ids=[10**9], step=1, choice_token_id=5), "previous token id"),
    (dict(candidates_k=0), "Candidates"),
])
def test_bad_step_requests_get_a_clear_message(gpt, kwargs, message):
    with pytest.raises(PlaygroundError, match=message):
        generate_steps(gpt, PROMPT, GREEDY, **kwargs)


@pytest.mark.parametrize("prompt, settings, message", [
    ("", GREEDY, "empty"),
    (PROMPT, GenerationSettings(max_new_tokens=10**6), "Max new tokens"),
    (PROMPT, GenerationSettings(strategy="sample", seed="abc"), "Seed"),
    (PROMPT, GenerationSettings(strategy="sample", seed=2.5), "Seed"),
])
def test_bad_prompt_or_settings(gpt, prompt, settings, message):
    with pytest.raises(PlaygroundError, match=message):
        generate_steps(gpt, prompt, settings)


def test_token_ids_accept_a_list_or_text():
    assert check_token_ids("[1, 2,3]", 10) == (1, 2, 3)
    assert check_token_ids([4, 5.0], 10) == (4, 5)
    assert check_token_ids(None, 10) == ()


def test_a_paused_stream_does_not_leave_the_thread_in_inference_mode(gpt):
    """Gradio resumes generators on worker threads; grad mode is thread-local, so a stream paused at a
    step must not hold `torch.inference_mode()` open (it would break gradient-based features later)."""
    stream = stream_steps(gpt, PROMPT, GREEDY)
    next(stream)
    assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()
    stream.close()
