"""GPT → Assistant: the instruction data, the SFT loss mask, the DPO loss (by hand and TRL's), and seeded runs of
the three stages on the shipped lab models (SFT beats base, the reward model beats chance, DPO's held-out margin
grows, win rates with their spread), bad input, and two sessions that never see each other's models."""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import torch
from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from playground.core.errors import PlaygroundError
from playground.core.jobs import JobGate
from playground.models import loader
from playground.models.cards import load_catalog
from playground.models.construction import constructing
from playground.models.loader import ModelStore
from playground.models.profiles import lab_profile
from playground.tasks.assistant import dpo, handlers, sft, shipped
from playground.tasks.assistant.results import ComparisonPair
from playground.core.answer_scores import exact_match, token_f1
from playground.tasks.assistant.data import (MAX_USER_PAIRS, PreferencePair, instruction_split, parse_choices,
                                             parse_user_pairs)
from playground.tasks.assistant.sessions import AssistantSessions
from playground.tasks.context import AppContext, AppOptions, make_context
from playground.tasks.lab import runs
from playground.tasks.session_models import model_choices


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


def test_dpo_loss_equals_trls_on_the_same_batch(gpt):
    """TRL's DPOTrainer (sigmoid loss, the SFT copy passed explicitly as ref_model) on two pairs: the same batch,
    the same loss as the plain loop's."""
    policy, reference = dpo.copy_model(gpt.model), dpo.copy_model(gpt.model)
    reference.requires_grad_(False)
    with torch.no_grad():  # move the policy away from the reference, so the loss is not just log 2
        torch.manual_seed(0)
        for parameter in policy.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.02)
    pairs = [PreferencePair("Question: Which animal barked at the mailman?\nAnswer:", " The dog.", " The cat."),
             PreferencePair("Question: What is the capital of France?\nAnswer:", " Paris.", " Rome, I think.")]
    tokenizer = gpt.tokenizer
    args = DPOConfig(output_dir=tempfile.mkdtemp(), beta=0.3, per_device_train_batch_size=2, report_to="none",
                     use_cpu=True, dataset_num_proc=None, pad_token=tokenizer.eos_token)
    dataset = Dataset.from_list([{"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected} for p in pairs])
    with constructing():
        trainer = DPOTrainer(model=policy, ref_model=reference, args=args, train_dataset=dataset,
                             processing_class=tokenizer)
    batch = next(iter(trainer.get_train_dataloader()))
    ours = dpo._pair_batch(tokenizer, pairs)
    assert torch.equal(batch["input_ids"], ours["input_ids"])  # the same tokens, [chosen…, rejected…]
    with torch.no_grad():
        trl_loss = trainer.compute_loss(trainer.model, batch).item()
        chosen, rejected = sft.sequence_logps(policy, ours).chunk(2)
        ref_chosen, ref_rejected = sft.sequence_logps(reference, ours).chunk(2)
    loss = dpo.dpo_loss(chosen, rejected, ref_chosen, ref_rejected, 0.3)[0].mean().item()
    assert abs(loss - math.log(2)) > 1e-3
    assert loss == pytest.approx(trl_loss, rel=1e-5)


# ---- the stages on the shipped lab models, through the handlers ------------------------------------------------

TASTE = ("Which animal do you like best? => The owl. | The dog.", "Who would you call first? => The baker. | The nurse.",
         "Which city would you visit? => Paris. | Rome.", "What should she bring to the party? => The cake. | The lamp.")

@pytest.mark.slow
def test_seeded_stages_sft_beats_base_rm_beats_chance_dpo_margin_grows(lab_ctx):
    owner, other = "session-a", "session-b"
    result = handlers.run_sft_stage(lab_ctx, owner, "Who wrote this test? => The robot.", seed=0)
    assert result.your_pairs == 1 and result.train_pairs >= 300
    assert result.sft_exact > result.base_exact + 0.3 and result.sft_f1 > result.base_f1 + 0.3
    assert result.side_by_side and all(r.after_right == exact_match(r.after, r.answer) for r in result.side_by_side)
    # this session's SFT model is served to every tab under its own name, and answers like the tab said
    served = lab_ctx.model(result.served_as, "text-generation")
    assert result.served_as.startswith("lab-gpt-sft@")
    row = result.side_by_side[0]
    assert sft.generate(served.model, served.tokenizer, [f"Question: {row.question}\nAnswer:"]) == [row.after]
    rm = handlers.run_reward_stage(lab_ctx, owner, seed=0, best_of=3)
    assert rm.heldout_accuracy > rm.chance + 0.05  # seed 0: 68 %; over 5 seeds 64 % ± 6 (min 53 %), docs/assistant.md
    assert len(rm.best_of_n.answers) == 3 and rm.best_of_n.scores[rm.best_of_n.pick] == max(rm.best_of_n.scores)
    pair = handlers.comparison_pair(lab_ctx, owner, seed=1)
    # the user's picks: the pair shown, and taste the world has no rule for (which answer SFT prefers is chance)
    picks = [f"{pair.question} => {pair.first} | {pair.second}", *TASTE]
    out = handlers.run_dpo_stage(lab_ctx, owner, seeds=3, epochs=1, your_choices="\n".join(picks))
    assert out.your_choices == len(picks) and len(out.seeds) == 3
    moves = out.your_moves
    assert [(m.better, m.worse) for m in moves][0] == (pair.first, pair.second)
    # the model moves toward the user's taste: on average, and strongly where SFT preferred the other answer
    # (seed 0: +4.8 and +4.1 nats where SFT disagreed, −0.3 and −0.01 where it agreed; docs/assistant.md)
    taste = moves[1:]
    assert sum(m.margin for m in taste) / len(taste) > 1.0
    assert all(m.margin > 1.0 for m in taste if not m.sft_prefers)
    assert out.served_as.startswith("lab-gpt-dpo@") and lab_ctx.model(out.served_as, "text-generation")
    # DPO pushes the chosen-minus-rejected log-ratio up on held-out pairs (0 at the start: policy = reference)
    assert all(o.heldout_margin > 0 for o in out.seeds)
    held = [p.heldout_margin for p in out.curve if p.seed == out.seeds[0].seed and p.heldout_margin is not None]
    assert held[0] == pytest.approx(0.0, abs=1e-4) and held[-1] > held[0]
    for s in (out.win_rate_reward, out.win_rate_rule, out.kl_from_sft):
        assert s.low <= s.mean <= s.high and s.std >= 0
    assert all(o.kl_from_sft >= -1e-6 for o in out.seeds)
    card = handlers.report_card(lab_ctx, owner)
    assert set(card.stages) == {"sft", "reward", "dpo"} and "win rate" in card.markdown
    # the other session saw none of it: it has no models of its own, and its stages start from the shipped ones
    assert lab_ctx.assistant_sessions.get(other).sft is None
    models, notices = handlers._models(lab_ctx, other)
    mine = lab_ctx.assistant_sessions.get(owner)
    assert models.sft is not mine.sft and models.reward is not mine.reward and models.dpo is not mine.dpo
    assert handlers.report_card(lab_ctx, other).stages != card.stages
    # a new SFT run replaces the served SFT model and drops the DPO model trained from the old one
    again = handlers.run_sft_stage(lab_ctx, owner, seed=1, epochs=1)
    assert again.served_as == result.served_as and out.served_as not in lab_ctx.store.local_models
    assert lab_ctx.assistant_sessions.get(owner).dpo is None


def test_two_sessions_training_at_once_each_get_their_own_models_and_menus(lab_ctx):
    """Two visitors press SFT at the same moment: the lab's queue runs them one after the other, and each session
    is served and offered its own model only."""
    owners, results, errors = ("twin-a", "twin-b"), {}, []

    def train(owner: str, seed: int) -> None:
        try:
            results[owner] = handlers.run_sft_stage(lab_ctx, owner, seed=seed, epochs=1)
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=train, args=(owner, seed)) for seed, owner in enumerate(owners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and set(results) == set(owners)
    a, b = (results[o].served_as for o in owners)
    assert a != b and a.startswith("lab-gpt-sft@") and b.startswith("lab-gpt-sft@")
    menus = {o: model_choices(lab_ctx, o, "text-generation") for o in owners}
    assert a in menus["twin-a"] and b not in menus["twin-a"] and b in menus["twin-b"] and a not in menus["twin-b"]
    assert lab_ctx.assistant_sessions.get("twin-a").sft is not lab_ctx.assistant_sessions.get("twin-b").sft
    ids = lab_ctx.model(a, "text-generation").tokenizer("Question: Who baked the bread?\nAnswer:", return_tensors="pt")
    with torch.no_grad():
        logits = [lab_ctx.model(name, "text-generation").model(**ids).logits for name in (a, b)]
    assert not torch.allclose(logits[0], logits[1])  # two different models (seeds 0 and 1), each served by name


def test_bad_input_gets_a_clear_message_before_any_training(lab_ctx):
    for kwargs, says in (({"your_pairs": "no separator"}, "not a pair"), ({"your_pairs": "x" * 2_000_000}, "characters"),
                         ({"epochs": 0}, "SFT epochs"), ({"epochs": "many"}, "SFT epochs"),
                         ({"learning_rate": float("nan")}, "learning rate"), ({"learning_rate": 0}, "above 0")):
        with pytest.raises(PlaygroundError, match=says):
            handlers.run_sft_stage(lab_ctx, "bad-input", **kwargs)
    with pytest.raises(PlaygroundError, match="n \\(best-of-n\\)"):
        handlers.run_reward_stage(lab_ctx, "bad-input", best_of=99)
    with pytest.raises(PlaygroundError, match="β"):
        handlers.run_dpo_stage(lab_ctx, "bad-input", beta=0)
    with pytest.raises(PlaygroundError, match="Seeds"):
        handlers.run_dpo_stage(lab_ctx, "bad-input", seeds=50)
    assert handlers.stop_stage(lab_ctx, "bad-input").startswith("Nothing to stop")


def test_a_second_run_of_the_same_session_is_refused_while_one_runs(lab_ctx):
    with lab_ctx.lab_jobs.turn("busy-session", 5):
        with pytest.raises(PlaygroundError, match="one at a time per session"):
            handlers.run_sft_stage(lab_ctx, "busy-session")
    assert lab_ctx.assistant_sessions.get("busy-session").sft is None


def test_a_stopped_run_keeps_the_sessions_models(lab_ctx):
    """Stop at the first step (Stop, as the tab's button calls it): nothing of the partial run is kept."""
    owner = "stopping-session"
    stop_now = lambda fraction, desc: handlers.stop_stage(lab_ctx, owner)  # noqa: E731
    result = handlers.run_sft_stage(lab_ctx, owner, progress=stop_now)
    assert result.stopped and len(result.losses) == 1 and "Stopped" in result.notices[-1]
    assert lab_ctx.assistant_sessions.get(owner).sft is None and lab_ctx.assistant_sessions.get(owner).results == {}
    card = handlers.report_card(lab_ctx, owner)  # still the shipped run's, not the stopped one's
    assert card.stages == shipped.read_manifest()["report"] and "shipped run" in card.markdown


def test_without_shipped_checkpoints_a_fresh_session_is_told_to_run_sft_first(lab_ctx, monkeypatch):
    monkeypatch.setattr(handlers.assistant.checkpoints, "load_shipped", lambda: None)
    monkeypatch.setattr(handlers, "read_manifest", lambda: None)
    with pytest.raises(PlaygroundError, match="run step 1 \\(SFT\\) first"):
        handlers.comparison_pair(lab_ctx, "fresh-session")
    with pytest.raises(PlaygroundError, match="SFT"):
        handlers.run_dpo_stage(lab_ctx, "fresh-session", seeds=1)
    assert handlers.report_card(lab_ctx, "fresh-session").stages == {}


# ---- LoRA on a real checkpoint ----------------------------------------------------------------------------------

@pytest.fixture
def lora_ctx(ctx, tmp_path):
    """The tiny models' context with a lab folder, sessions and job queue of its own."""
    return dataclasses.replace(ctx, lab_dir=tmp_path / "lab", assistant_sessions=AssistantSessions(),
                               lab_jobs=JobGate())


def test_lora_offline_says_what_to_download(lora_ctx, monkeypatch):
    monkeypatch.setattr(loader, "hub_is_cached", lambda name: False)  # as on a machine that never downloaded gpt2
    for with_dpo in (False, True):
        with pytest.raises(PlaygroundError, match="python -m playground download gpt2") as refused:
            handlers.run_lora_stage(lora_ctx, "lora-offline", "gpt2", budget_s=5, with_dpo=with_dpo)
        assert "HF_HUB_OFFLINE" in str(refused.value) and "The lab's SFT above needs no download" in str(refused.value)
    assert lora_ctx.assistant_sessions.get("lora-offline").served == {}


def test_lora_sft_then_dpo_on_the_tiny_gpt2_saves_both_adapters_served_to_this_session_only(lora_ctx):
    owner = "lora-tiny"
    result = handlers.run_lora_stage(lora_ctx, owner, "tiny-gpt2", budget_s=6, epochs=1, with_dpo=True)
    assert result.steps >= 1 and len(result.losses) == result.steps and result.seconds < 60
    assert result.dpo_steps >= 1 and len(result.dpo_losses) == result.dpo_steps and result.dpo_beta == 0.1
    assert 0 < result.trainable_parameters < result.total_parameters
    # DPO's reference is the SFT adapter (not the base model): the held-out margin starts at exactly 0
    assert result.dpo_heldout_margin[0] == pytest.approx(0.0, abs=1e-4)
    assert result.dpo_exact is not None and 0 <= result.dpo_f1 <= 1
    for folder in (result.saved_to, result.dpo_saved_to):
        assert (Path(folder) / "adapter_config.json").is_file() and (Path(folder) / "tokenizer.json").is_file()
    sft_name, dpo_name = result.served_as
    assert sft_name.startswith("tiny-gpt2-lora-sft@") and dpo_name.startswith("tiny-gpt2-lora-dpo@")
    # selectable: every model field loads them (base + adapter), and only this session's menus list them
    base = lora_ctx.model("tiny-gpt2", "text-generation")
    assert base.model.training is False  # the served base model is untouched
    ids = base.tokenizer("Question: Which animal barked at the mailman?\nAnswer:", return_tensors="pt")
    with torch.no_grad():
        logits = [lora_ctx.model(n, "text-generation").model(**ids).logits for n in ("tiny-gpt2", sft_name, dpo_name)]
    assert not torch.allclose(logits[0], logits[1]) and not torch.allclose(logits[1], logits[2])
    assert {sft_name, dpo_name} <= set(model_choices(lora_ctx, owner, "text-generation"))
    assert not {sft_name, dpo_name} & set(model_choices(lora_ctx, "another-session", "text-generation"))
    # an SFT-only run replaces the SFT adapter and drops the DPO adapter trained from the old one
    again = handlers.run_lora_stage(lora_ctx, owner, "tiny-gpt2", budget_s=5, epochs=1)
    assert again.served_as == (sft_name,) and again.dpo_steps == 0 and again.dpo_saved_to == ""
    assert dpo_name not in lora_ctx.store.local_models and not Path(result.dpo_saved_to).exists()
    assert not Path(result.saved_to).parent.exists() and lora_ctx.store.local_models[sft_name] == Path(again.saved_to)


def test_lora_refuses_bad_dpo_settings(lora_ctx):
    with pytest.raises(PlaygroundError, match="β"):
        handlers.run_lora_stage(lora_ctx, "lora-bad", "tiny-gpt2", with_dpo=True, beta=0)
    with pytest.raises(PlaygroundError, match="true or false"):
        handlers.run_lora_stage(lora_ctx, "lora-bad", "tiny-gpt2", with_dpo="yes")


# ---- the shipped checkpoints --------------------------------------------------------------------------------

def test_shipped_checkpoints_are_small_hashed_and_served_where_lab_gpt_is(tmp_path):
    manifest = shipped.read_manifest()
    assert manifest is not None and set(manifest["report"]) == {"sft", "reward", "dpo"}
    for name in (*shipped.SERVED, shipped.LAB_REWARD):
        folder = shipped.ASSISTANT_DIR / name
        assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) <= shipped.MAX_CHECKPOINT_BYTES
    app = make_context(AppOptions(models="lab", lab_dir=tmp_path / "lab"))
    choices = app.profile.choices("text-generation")
    assert choices[:3] == ["lab-gpt", "lab-gpt-sft", "lab-gpt-dpo"]
    sft_model = app.model("lab-gpt-sft", "text-generation")
    item = instruction_split().heldout[0]  # "Name the animal that barked at the mailman." — a frame never trained on
    assert exact_match(sft.generate(sft_model.model, sft_model.tokenizer, [item.prompt])[0], item.answer)
    # a changed byte: the checkpoints are not served (nor offered)
    copy = tmp_path / "assistant"
    shutil.copytree(shipped.ASSISTANT_DIR, copy)
    weights = copy / shipped.LAB_GPT_DPO / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert shipped.assistant_models(copy) == {} and shipped.assistant_models() != {}


def test_the_pair_to_judge_has_two_different_answers_or_says_why(lab_ctx, monkeypatch):
    pair = handlers.comparison_pair(lab_ctx, "pair-session", seed=0)  # the shipped SFT model answers
    assert pair.first != pair.second and not pair.note
    same = ComparisonPair("Q?", "Question: Q?\nAnswer:", " A", " A")
    calls = []
    monkeypatch.setattr(handlers.assistant.pipeline, "sample_pair", lambda *args: calls.append(args) or same)
    pair = handlers.comparison_pair(lab_ctx, "pair-session", seed=0)
    assert len(calls) == handlers.PAIR_QUESTIONS and len({c[2].question for c in calls}) > 1  # other questions
    assert "Draw again" in pair.note
