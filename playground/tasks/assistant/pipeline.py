"""The three stages on loaded models, each returning its trained model and its measured result: SFT of the lab GPT,
the reward model on the lab BERT, DPO from the SFT model (over several seeds, for the spread). Held-out numbers
come from questions in frames training never uses; nothing is tuned on them.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any, Callable, Sequence

import torch

from playground.core.answer_scores import exact_match
from playground.lm.training import training_threads
from playground.tasks.assistant import dpo, reward, sft
from playground.tasks.assistant.data import Instruction, PreferencePair, preference_pairs
from playground.tasks.assistant.results import (BestOfN, ChoiceMove, ComparisonPair, DpoResult, MarginCurvePoint,
                                                MaskSlot, RewardResult, SeedOutcome, SftResult, SideBySide, spread)

Progress = Callable[[float, str], None]
SIDE_BY_SIDE = 12  # rows shown: a spread over the held-out kinds


def one_thread():
    """One intra-op thread while a stage runs, held with every other training (`training_threads`): models this
    small gain little from more and lose a lot when the cores are shared."""
    return training_threads(1)


def single_threaded(function: Callable) -> Callable:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with one_thread():
            return function(*args, **kwargs)
    return run


def _pick_rows(items: Sequence[Instruction]) -> list[int]:
    step = max(1, len(items) // SIDE_BY_SIDE)
    return list(range(0, len(items), step))[:SIDE_BY_SIDE]


def _side_by_side(items: Sequence[Instruction], before: list[str], after: list[str]) -> tuple[SideBySide, ...]:
    return tuple(SideBySide(items[i].question, items[i].answer, before[i], after[i],
                            exact_match(before[i], items[i].answer), exact_match(after[i], items[i].answer))
                 for i in _pick_rows(items))


def _reporter(progress: Progress | None, label: str) -> Callable[[int, int, float], None] | None:
    if progress is None:
        return None
    return lambda step, total, loss: progress(step / max(1, total), f"{label}: step {step}/{total}, loss {loss:.3f}")


@single_threaded
def run_sft(base: Any, tokenizer: Any, model_name: str, train: Sequence[Instruction], heldout: Sequence[Instruction],
            your_pairs: int, settings: sft.SftSettings, stop: threading.Event | None = None,
            progress: Progress | None = None) -> tuple[Any, SftResult]:
    """A fine-tuned copy of `base` (left as it is) and the held-out comparison of the two."""
    start = time.monotonic()
    torch.manual_seed(settings.seed)
    model = dpo.copy_model(base)
    base_scores = sft.score_answers(base, tokenizer, heldout)
    losses = sft.train_sft(model, tokenizer, train, settings, stop, _reporter(progress, "SFT"))
    model.requires_grad_(False)
    scores = sft.score_answers(model, tokenizer, heldout)
    n = max(1, len(heldout))
    strip = tuple(MaskSlot(t.token, t.counted) for t in sft.loss_mask_strip(tokenizer, train[0]))
    result = SftResult(
        model_name=model_name, train_pairs=len(train), heldout_pairs=len(heldout), your_pairs=your_pairs,
        mask_strip=strip, losses=tuple(round(x, 4) for x in losses),
        base_exact=sum(s.exact for s in base_scores) / n, base_f1=sum(s.f1 for s in base_scores) / n,
        sft_exact=sum(s.exact for s in scores) / n, sft_f1=sum(s.f1 for s in scores) / n,
        side_by_side=_side_by_side(heldout, [s.prediction for s in base_scores], [s.prediction for s in scores]),
        seconds=sft.seconds_since(start), stopped=bool(stop is not None and stop.is_set()))
    return model, result


@single_threaded
def run_reward(masked_lm: Any, tokenizer: Any, model_name: str, train: Sequence[Instruction],
               heldout: Sequence[Instruction], settings: reward.RewardSettings, policy: Any = None,
               policy_tokenizer: Any = None, best_of: int = 4, stop: threading.Event | None = None,
               progress: Progress | None = None) -> tuple[reward.RewardModel, RewardResult]:
    start = time.monotonic()
    train_pairs = preference_pairs(train, seed=settings.seed, per_item=2)
    heldout_pairs = preference_pairs(heldout, seed=settings.seed + 1)
    model = reward.build_reward_model(masked_lm, tokenizer, settings.seed)
    losses = reward.train_reward(model, train_pairs, settings, stop, _reporter(progress, "reward model"))
    model.requires_grad_(False)
    picked = None
    if policy is not None and best_of > 0:
        scored = reward.best_of_n(policy, policy_tokenizer, model, heldout[0].prompt, best_of, settings.seed)
        picked = BestOfN(heldout[0].prompt, tuple(s.answer for s in scored), tuple(s.score for s in scored),
                         next(i for i, s in enumerate(scored) if s.picked))
    result = RewardResult(model_name=model_name, train_pairs=len(train_pairs), heldout_pairs=len(heldout_pairs),
                          losses=tuple(round(x, 4) for x in losses),
                          heldout_accuracy=reward.pair_accuracy(model, heldout_pairs), chance=0.5,
                          best_of_n=picked, seconds=sft.seconds_since(start),
                          stopped=bool(stop is not None and stop.is_set()))
    return model, result


@single_threaded
def sample_pair(policy: Any, tokenizer: Any, item: Instruction, seed: int, draws: int = 6) -> ComparisonPair:
    """Two sampled answers (temperature 1) to one question: the user picks the better one. A confident model often
    samples the same answer twice, so `draws` are sampled and the first two different ones shown (if any)."""
    generator = torch.Generator().manual_seed(seed)
    answers = sft.generate(policy, tokenizer, [item.prompt] * draws, temperature=1.0, generator=generator)
    different = list(dict.fromkeys(answers))
    first, second = (different[0], different[1]) if len(different) > 1 else (answers[0], answers[1])
    return ComparisonPair(item.question, item.prompt, first, second)


def _outcome(seed: int, policy: Any, sft_model: Any, tokenizer: Any, judge: reward.RewardModel,
             heldout: Sequence[Instruction], sft_answers: list[str], sft_rewards: list[float],
             heldout_pairs: Sequence[PreferencePair]) -> tuple[SeedOutcome, list[str]]:
    prompts = [i.prompt for i in heldout]
    answers = sft.generate(policy, tokenizer, prompts)
    rewards = reward.score(judge, prompts, answers)
    by_reward = [dpo.judge(a, b) for a, b in zip(rewards, sft_rewards)]
    by_rule = [dpo.judge(exact_match(a, i.answer), exact_match(b, i.answer))
               for a, b, i in zip(answers, sft_answers, heldout)]
    after = dpo.margins(policy, sft_model, tokenizer, heldout_pairs)
    outcome = SeedOutcome(seed=seed, win_rate_reward=dpo.win_rate(by_reward), win_rate_rule=dpo.win_rate(by_rule),
                          exact=sum(exact_match(a, i.answer) for a, i in zip(answers, heldout)) / len(heldout),
                          kl_from_sft=round(dpo.kl_from_reference(policy, sft_model, tokenizer, prompts), 4),
                          heldout_margin=round(sum(after) / len(after), 4))
    return outcome, answers


def _moves(policy: Any, sft_model: Any, tokenizer: Any, yours: Sequence[PreferencePair]) -> tuple[ChoiceMove, ...]:
    """The user's choices under the SFT and the DPO model: which answer each prefers, and the log-ratio margin."""
    if policy is None or not yours:
        return ()
    before, after = dpo.pair_logps(sft_model, tokenizer, yours), dpo.pair_logps(policy, tokenizer, yours)
    return tuple(ChoiceMove(p.prompt, p.chosen.strip(), p.rejected.strip(), b[0] > b[1], a[0] > a[1],
                            round((a[0] - b[0]) - (a[1] - b[1]), 4)) for p, b, a in zip(yours, before, after))


@single_threaded
def run_dpo(sft_model: Any, tokenizer: Any, judge: reward.RewardModel, train: Sequence[Instruction],
            heldout: Sequence[Instruction], yours: Sequence[PreferencePair], settings: dpo.DpoSettings, seeds: int,
            stop: threading.Event | None = None, progress: Progress | None = None) -> tuple[Any, DpoResult]:
    """DPO from the SFT model once per seed (seed, seed+1, …); the first seed's model is the one kept."""
    start = time.monotonic()
    heldout_pairs = preference_pairs(heldout, seed=settings.seed + 1)
    prompts = [i.prompt for i in heldout]
    sft_answers = sft.generate(sft_model, tokenizer, prompts)
    sft_rewards = reward.score(judge, prompts, sft_answers)
    outcomes, curve, kept, kept_answers = [], [], None, sft_answers
    for k in range(seeds):
        seed = settings.seed + k
        pairs = preference_pairs(train, seed=seed) + list(yours)
        run = dpo.DpoSettings(**{**settings.__dict__, "seed": seed})
        torch.manual_seed(seed)
        policy = dpo.copy_model(sft_model)
        label = f"DPO seed {k + 1}/{seeds}"
        report = None if progress is None else (
            lambda step, total, loss, k=k, label=label: progress((k + step / max(1, total)) / seeds,
                                                                 f"{label}: step {step}/{total}, loss {loss:.3f}"))
        points = dpo.train_dpo(policy, sft_model, tokenizer, pairs, run, heldout_pairs, stop, report)
        policy.requires_grad_(False)
        curve += [MarginCurvePoint(seed, p.step, p.loss, p.train_margin, p.heldout_margin) for p in points]
        outcome, answers = _outcome(seed, policy, sft_model, tokenizer, judge, heldout, sft_answers, sft_rewards,
                                    heldout_pairs)
        outcomes.append(outcome)
        if kept is None:
            kept, kept_answers = policy, answers
        if stop is not None and stop.is_set():
            break
    n = max(1, len(heldout))
    result = DpoResult(
        beta=settings.beta, learning_rate=settings.learning_rate, epochs=settings.epochs,
        nll_weight=settings.nll_weight, builtin_pairs=len(preference_pairs(train)), your_choices=len(yours),
        seeds=tuple(outcomes), win_rate_reward=spread([o.win_rate_reward for o in outcomes]),
        win_rate_rule=spread([o.win_rate_rule for o in outcomes]),
        kl_from_sft=spread([o.kl_from_sft for o in outcomes]),
        sft_exact=sum(exact_match(a, i.answer) for a, i in zip(sft_answers, heldout)) / n,
        dpo_exact=spread([o.exact for o in outcomes]), curve=tuple(curve),
        side_by_side=_side_by_side(heldout, sft_answers, kept_answers), seconds=sft.seconds_since(start),
        stopped=bool(stop is not None and stop.is_set()), your_moves=_moves(kept, sft_model, tokenizer, yours))
    return kept, result
