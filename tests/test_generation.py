import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.lm.generation import MAX_NEW_TOKENS, GenerationSettings, generate, stream_generate


def test_greedy_stream_equals_transformers_generate(gpt):
    prompt = "Tesla is an American"
    ids = gpt.tokenizer(prompt)["input_ids"]
    expected = gpt.model.generate(torch.tensor([ids]), max_new_tokens=10, do_sample=False,
                                  pad_token_id=gpt.tokenizer.eos_token_id)[0, len(ids):].tolist()
    steps = list(stream_generate(gpt, prompt, GenerationSettings(max_new_tokens=10)))
    assert [len(s.tokens) for s in steps] == list(range(1, len(steps) + 1))  # one more token per update
    assert [t.token_id for t in steps[-1].tokens] == expected[: len(steps[-1].tokens)]
    assert steps[-1].finished


def test_sampling_is_reproducible_with_a_seed_and_reports_a_chosen_seed(gpt):
    settings = GenerationSettings(max_new_tokens=12, strategy="sample", temperature=1.5, seed=7)
    first, second = generate(gpt, "Tesla", settings), generate(gpt, "Tesla", settings)
    assert [t.token_id for t in first.tokens] == [t.token_id for t in second.tokens]
    other = generate(gpt, "Tesla", GenerationSettings(max_new_tokens=12, strategy="sample", temperature=1.5, seed=8))
    assert [t.token_id for t in other.tokens] != [t.token_id for t in first.tokens]
    unseeded = generate(gpt, "Tesla", GenerationSettings(max_new_tokens=2, strategy="sample"))
    assert unseeded.settings.seed is not None and any(str(unseeded.settings.seed) in n for n in unseeded.notices)


def test_top_k_one_sampling_is_greedy(gpt):
    greedy = generate(gpt, "Tesla is", GenerationSettings(max_new_tokens=8))
    sampled = generate(gpt, "Tesla is", GenerationSettings(max_new_tokens=8, strategy="sample", top_k=1, seed=1))
    assert [t.token_id for t in sampled.tokens] == [t.token_id for t in greedy.tokens]


def test_each_token_reports_its_probability_and_candidates(gpt):
    result = generate(gpt, "Tesla", GenerationSettings(max_new_tokens=3))
    for token in result.tokens:
        assert token.candidates[0].token_id == token.token_id  # greedy picks the top candidate
        assert token.probability == pytest.approx(token.candidates[0].probability)


@pytest.mark.parametrize("settings, message", [
    (GenerationSettings(max_new_tokens=10_000), "Max new tokens"),
    (GenerationSettings(max_new_tokens=0), "Max new tokens"),
    (GenerationSettings(strategy="beam"), "strategy"),
    (GenerationSettings(strategy="sample", temperature=0), "Temperature"),
    (GenerationSettings(strategy="sample", top_p=0), "Top-p"),
    (GenerationSettings(strategy="sample", seed="abc"), "Seed"),
])
def test_absurd_settings_are_refused(gpt, settings, message):
    with pytest.raises(PlaygroundError, match=message):
        generate(gpt, "Tesla", settings)


def test_long_prompt_leaves_room_for_new_tokens(gpt):
    result = generate(gpt, "company " * 200, GenerationSettings(max_new_tokens=10))
    assert len(result.tokens) == 10
    assert any("were dropped" in n for n in result.notices)
    assert MAX_NEW_TOKENS >= 100
