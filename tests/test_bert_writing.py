"""Can BERT write? Masks filled left to right and all at once (Mask-Predict), next to GPT-2, on tiny models."""

import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.bert_writing import MAX_WRITE_TOKENS, bert_writing, remask_count


@pytest.fixture(scope="module")
def written(bert, gpt):
    return bert_writing(bert, gpt, "The weather today is", 9, 4)


def test_bert_writes_the_requested_length_with_no_mask_left(written, bert):
    mask, mask_id = bert.tokenizer.mask_token, bert.tokenizer.mask_token_id
    for writing in (written.left_to_right, written.mask_predict):
        assert len(writing.tokens) == 9 and [t.index for t in writing.tokens] == list(range(9))
        assert mask_id not in [t.token_id for t in writing.tokens]
        assert mask not in writing.text and mask not in writing.continuation
        assert writing.text.startswith(writing.prompt) and writing.continuation in writing.text
        assert all(0 < t.probability <= 1 for t in writing.tokens)


def test_left_to_right_fills_one_appended_mask_per_step(written, bert):
    steps = written.left_to_right.steps
    assert [s.step for s in steps] == list(range(1, 10))
    for n, step in enumerate(steps):
        assert step.read.endswith(bert.tokenizer.mask_token) and step.read.count(bert.tokenizer.mask_token) == 1
        assert len(step.filled) == 1 and step.filled[0].index == n
        assert bert.tokenizer.mask_token not in step.text
    assert steps[-1].text == written.left_to_right.text


def test_mask_predict_fills_all_then_remasks_the_least_confident(written, bert):
    steps = written.mask_predict.steps
    mask = bert.tokenizer.mask_token
    assert steps[0].read.count(mask) == 9 and len(steps[0].filled) == 9
    assert [len(s.filled) for s in steps[1:]] == [remask_count(9, 4, t) for t in (1, 2, 3)] == [6, 4, 2]
    for before, step in zip(steps, steps[1:]):
        assert step.read.count(mask) == len(step.filled)
        # the re-masked tokens are the least confident of the previous text
        previous = {}
        for s in steps[: step.step - 1]:
            previous.update({f.index: f.probability for f in s.filled})
        lowest = sorted(previous, key=lambda i: (previous[i], i))[: len(step.filled)]
        assert sorted(f.index for f in step.filled) == sorted(lowest)
    assert steps[-1].text == written.mask_predict.text


def test_gpt_writes_from_the_same_prompt_and_length(written, gpt):
    writing = written.gpt
    assert writing.model_name == "tiny-gpt2" and writing.prompt == "The weather today is"
    assert 1 <= len(writing.tokens) <= 9 and len(writing.steps) == len(writing.tokens)
    if len(writing.tokens) < 9:
        assert "end-of-text" in writing.stop_reason
    assert writing.text == writing.prompt + writing.continuation
    assert written.length == 9 and written.rounds == 4 and "GPT-2" in written.lesson


def test_one_round_is_all_at_once_and_xlmr_writes_with_its_own_mask(bert, gpt, store):
    once = bert_writing(bert, gpt, "Paris is", 5, 1)
    assert len(once.mask_predict.steps) == 1 and len(once.mask_predict.tokens) == 5
    xlmr = store.get("tiny-xlm-roberta", "fill-mask")
    result = bert_writing(xlmr, gpt, "Paris est la", 4, 2)
    assert len(result.left_to_right.tokens) == 4 and "<mask>" not in result.mask_predict.text


@pytest.mark.parametrize("args, message", [
    (("",), "empty"),
    (("The [MASK] is",), "without \\[MASK\\]"),
    (("Tesla is", 0), "Length"),
    (("Tesla is", MAX_WRITE_TOKENS + 1), "Length"),
    (("Tesla is", 5, 0), "Rounds"),
])
def test_bad_input(bert, gpt, args, message):
    with pytest.raises(PlaygroundError, match=message):
        bert_writing(bert, gpt, *args)


def test_a_model_without_a_mask_token_cannot_write_by_filling_masks(gpt):
    with pytest.raises(PlaygroundError, match="no mask token"):
        bert_writing(gpt, gpt, "Tesla is", 3)
