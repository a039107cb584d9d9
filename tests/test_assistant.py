"""GPT → Assistant: the instruction data, the SFT loss mask, the DPO loss (by hand and TRL's), and seeded runs of
the three stages on the shipped lab models (SFT beats base, the reward model beats chance, DPO's held-out margin
grows, win rates with their spread), bad input, and two sessions that never see each other's models."""

from __future__ import annotations

import math
import threading

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.models.profiles import lab_profile
from playground.tasks.assistant import dpo, handlers, sft
from playground.tasks.assistant.data import (MAX_USER_PAIRS, PreferencePair, exact_match, instruction_split,
                                             parse_choices, parse_user_pairs, token_f1)
from playground.tasks.context import AppContext
from playground.tasks.lab import runs


@pytest.fixture(scope="module")
def lab_ctx(tmp_path_factory):
    """An app context serving the shipped lab-bert / lab-gpt (an empty lab folder falls back to them)."""
    lab_dir = tmp_path_factory.mktemp("assistant-lab")
    store = ModelStore(load_catalog(), local_models=runs.lab_models(lab_dir))
    return AppContext(store=store, profile=lab_profile(), catalog=load_catalog(), lab_dir=lab_dir)


# ---- data ------------------------------------------------------------------------------------------------------

def test_instruction_data_is_seeded_and_held_out_frames_never_appear_in_training():
    split = instruction_split()
    assert split == instruction_split()  # seeded
    assert len(split.train) >= 300 and len(split.heldout) >= 50
    assert {i.category for i in split.heldout} == {"animal", "job", "object", "capital", "review"}
    train_questions = {i.question for i in split.train}
    assert not train_questions & {i.question for i in split.heldout}
    # the frame = the question's first two words: every held-out frame is new
    frame = lambda q: " ".join(q.split()[:2])  # noqa: E731
    assert not {frame(q) for q in train_questions} & {frame(i.question) for i in split.heldout}


def test_scores_normalise_articles_and_punctuation():
    assert exact_match("the Dog", "The dog.") and not exact_match("The cat.", "The dog.")
    assert token_f1("The big dog.", "The dog.") == pytest.approx(2 / 3)
    assert token_f1("", "The dog.") == 0.0


def test_user_pairs_parse_with_clear_errors():
    pairs = parse_user_pairs("Which animal barked? => The dog.\n\n  What is 2+2?  =>  4 ")
    assert [(p.question, p.answer) for p in pairs] == [("Which animal barked?", "The dog."), ("What is 2+2?", "4")]
    assert parse_user_pairs("") == []
    for bad, says in (("no separator here", "Line 1"), ("=> The dog.", "not a pair"), ("Q? =>  ", "not a pair"),
                      ("x" * 2_000_000, "characters"), ("\n".join(["q => a"] * (MAX_USER_PAIRS + 1)), "at most"),
                      ("q => " + "a" * 300, "Line 1")):
        with pytest.raises(PlaygroundError, match=says):
            parse_user_pairs(bad)
    choices = parse_choices("Which animal barked? => The dog. | The cat.")
    assert choices == [PreferencePair("Question: Which animal barked?\nAnswer:", " The dog.", " The cat.", "yours")]
    with pytest.raises(PlaygroundError, match="Choice 1"):
        parse_choices("Which animal barked? => The dog.")


# ---- the SFT loss mask -------------------------------------------------------------------------------------------

class _Logits(torch.nn.Module):
    """A stand-in model whose logits are a leaf tensor, so their gradient can be read per position."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, input_ids, attention_mask):
        return type("Out", (), {"logits": self.logits})()


def test_sft_loss_ignores_prompt_tokens(gpt):
    tokenizer = gpt.tokenizer
    prompt, completion = "Question: Which animal barked at the mailman?\nAnswer:", " The dog."
    ids, labels = sft.encode(tokenizer, prompt, completion)
    prompt_len = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert labels[:prompt_len] == [sft.IGNORE] * prompt_len and labels[prompt_len:] == ids[prompt_len:]
    batch = sft.collate([(ids, labels)], tokenizer.eos_token_id)
    torch.manual_seed(0)
    logits = torch.randn(1, len(ids), len(tokenizer), requires_grad=True)
    loss = sft.response_loss(_Logits(logits), batch)
    loss.backward()
    # by hand: the mean NLL of the answer tokens only
    logp = torch.log_softmax(logits.detach()[0], dim=-1)
    by_hand = -sum(logp[t - 1, ids[t]] for t in range(prompt_len, len(ids))) / (len(ids) - prompt_len)
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-5)
    # positions that predict a prompt token get no gradient; those that predict an answer token do
    assert logits.grad[0, :prompt_len - 1].abs().sum() == 0
    assert (logits.grad[0, prompt_len - 1:-1].abs().sum(dim=-1) > 0).all()
    # changing the prompt's labels (anything, as long as the mask keeps them out) changes neither loss nor gradient
    other = dict(batch, labels=batch["labels"].clone())
    other["input_ids"] = batch["input_ids"].clone()
    other["input_ids"][0, :prompt_len] = (other["input_ids"][0, :prompt_len] + 7) % len(tokenizer)
    logits.grad = None
    again = sft.response_loss(_Logits(logits), other)
    again.backward()
    assert again.item() == loss.item()
    # …whereas counting the prompt (plain LM labels) would change it
    full = dict(batch, labels=batch["input_ids"].clone())
    assert sft.response_loss(_Logits(logits.detach()), full).item() != pytest.approx(loss.item())


def test_the_mask_strip_greys_the_question_and_counts_the_answer(gpt):
    item = instruction_split().train[0]
    strip = sft.loss_mask_strip(gpt.tokenizer, item)
    assert "".join(t.token for t in strip).startswith(item.prompt)
    counted = [t.token for t in strip if t.counted]
    assert "".join(counted[:-1]) == item.completion and counted[-1] == gpt.tokenizer.eos_token
    assert not any(t.counted for t in strip[:len(strip) - len(counted)])


# ---- the DPO loss ------------------------------------------------------------------------------------------------

def test_dpo_loss_equals_the_hand_computed_value_on_two_pairs():
    policy_chosen, policy_rejected = torch.tensor([-1.0, -2.0]), torch.tensor([-3.0, -1.5])
    ref_chosen, ref_rejected = torch.tensor([-1.5, -2.0]), torch.tensor([-2.5, -1.0])
    beta = 0.5
    losses, margins = dpo.dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    # pair 1: β[(−1 − −1.5) − (−3 − −2.5)] = 0.5 · 1.0 = 0.5; pair 2: β[(0) − (−0.5)] = 0.25
    assert margins.tolist() == pytest.approx([0.5, 0.25])
    expected = [math.log(1 + math.exp(-0.5)), math.log(1 + math.exp(-0.25))]
    assert losses.tolist() == pytest.approx(expected, rel=1e-6)
    assert losses.mean().item() == pytest.approx(sum(expected) / 2, rel=1e-6)
