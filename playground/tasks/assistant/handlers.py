"""What the GPT → Assistant tab and its JSON API call: one handler per stage (SFT, reward model, a pair of answers
to judge, DPO), the report card and Stop. Inputs are validated and capped here; each training stage waits its turn
in the lab's job queue (one run at a time per app, one per session), can be stopped, and on success replaces only
that session's models (`sessions.py`). Each takes the session as an `owner` string (the tab turns Gradio's request
into one), so nothing here imports Gradio or torch: the training modules are reached lazily.
"""

from __future__ import annotations

import random
import secrets
import shutil
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable

from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.core.text_input import check_float, check_int
from playground.core.types import LoadedModel
from playground.tasks import assistant
from playground.tasks.assistant.data import MAX_USER_PAIRS, instruction_split, parse_choices, parse_user_pairs
from playground.tasks.assistant.results import (ComparisonPair, DpoResult, LoraResult, ReportCard, RewardResult,
                                                SftResult,
                                                report_markdown)
from playground.tasks.assistant.sessions import AssistantModels
from playground.tasks.assistant.shipped import LAB_GPT_DPO, LAB_GPT_SFT, read_manifest
from playground.tasks.context import AppContext
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT, SESSION_SEPARATOR

WAIT_S = 900.0  # the longest a stage waits for the lab's queue
Progress = Callable[[float, str], None]

# Defaults and bounds of every setting (the tab's sliders use the same).
SFT_EPOCHS, MAX_SFT_EPOCHS = 6, 20
SFT_LR = 1e-3
REWARD_EPOCHS, MAX_REWARD_EPOCHS = 3, 10
REWARD_LR = 5e-4
BEST_OF, MAX_BEST_OF = 4, 16
DPO_BETA, MAX_BETA = 0.1, 5.0
DPO_LR = 1e-4
DPO_EPOCHS, MAX_DPO_EPOCHS = 2, 8
DPO_NLL, MAX_NLL = 1.0, 10.0
DPO_SEEDS, MAX_SEEDS = 3, 5
MAX_LR = 1e-2
LORA_MODEL, LORA_BUDGET_S, MAX_LORA_BUDGET_S = "gpt2", 180.0, 900.0
SESSION_FOLDER = "assistant-sessions"  # the sessions' SFT / DPO models, served as lab-gpt-sft@… / lab-gpt-dpo@…
MAX_SEED = 2**31 - 1
PAIR_QUESTIONS = 5  # questions tried for two different answers before saying the model is sure of them


def _number(value: Any, name: str, low: float, high: float, integer: bool = False) -> float:
    """The project's number checks (core/text_input.py): finite, in range, never a yes/no or a list."""
    return check_int(value, name, int(low), int(high)) if integer else check_float(value, name, low, high)


def _learning_rate(value: Any) -> float:
    rate = _number(value, "The learning rate", 0.0, MAX_LR)
    if rate <= 0:
        raise PlaygroundError(f"The learning rate must be above 0 (and at most {MAX_LR:g}).")
    return rate


def _lab_model(ctx: AppContext, owner: str, name: str, task: str) -> LoadedModel:
    """The lab model `name`, or this session's own run of it when the session trained one in the Pretraining lab."""
    own = ctx.lab_sessions.get(owner)
    if own is not None:
        name = own.names.get(name, name)
    return ctx.model(name, task)


def _progress(progress: Any) -> Progress | None:
    return (lambda fraction, text: progress(fraction, desc=text)) if progress is not None else None


def run_sft_stage(ctx: AppContext, owner: str, your_pairs: str = "", epochs: int = SFT_EPOCHS,
                  learning_rate: float = SFT_LR, seed: int = 0, progress: Any = None) -> SftResult:
    """Fine-tune lab-gpt on the built-in instructions (+ yours) with the loss on the answers only; held-out exact
    match and token F1, base vs SFT. The session's SFT model is replaced when the run finishes."""
    yours = parse_user_pairs(your_pairs)
    settings = assistant.sft.SftSettings(epochs=_number(epochs, "SFT epochs", 1, MAX_SFT_EPOCHS, integer=True),
                                         learning_rate=_learning_rate(learning_rate),
                                         seed=_number(seed, "The seed", 0, MAX_SEED, integer=True))
    split = instruction_split()
    gpt = _lab_model(ctx, owner, LAB_GPT, "text-generation")
    with ctx.lab_jobs.turn(owner, WAIT_S) as ticket:
        model, result = assistant.pipeline.run_sft(gpt.model, gpt.tokenizer, gpt.name, [*split.train, *yours],
                                                   split.heldout, len(yours), settings, ticket.stop,
                                                   _progress(progress))
    if result.stopped:
        return _stopped(result)
    result, served = _serve(ctx, owner, LAB_GPT_SFT, model, gpt.tokenizer, result)
    ctx.assistant_sessions.update(owner, "sft", result, drop=lambda names: _unserve(ctx, names), gpt_name=gpt.name,
                                  tokenizer=gpt.tokenizer, sft=model, **served)
    return result


def _serve(ctx: AppContext, owner: str, kind: str, model: Any, tokenizer: Any, result: Any) -> tuple[Any, dict]:
    """Save this session's new model and serve it to every tab as `<kind>@<token>` (its previous one replaced in one
    step: the store forgets the old weights when the name points at the new folder). Returns the result with the
    name, and the session's new `token` / `served` fields."""
    current = ctx.assistant_sessions.get(owner)
    token = current.token or secrets.token_hex(8)
    name = f"{kind}{SESSION_SEPARATOR}{token}"
    folder = Path(ctx.lab_dir) / SESSION_FOLDER / token / f"{kind}-{secrets.token_hex(4)}"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    old = current.served.get(name)
    ctx.store.set_local(name, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    served = {n: f for n, f in current.served.items() if n != name} | {name: folder}
    if kind == LAB_GPT_SFT:  # a new SFT model: the session's DPO model (trained from the old one) is dropped
        _unserve(ctx, {n: f for n, f in served.items() if n.startswith(LAB_GPT_DPO + SESSION_SEPARATOR)})
        served = {n: f for n, f in served.items() if not n.startswith(LAB_GPT_DPO + SESSION_SEPARATOR)}
    return replace(result, served_as=name), {"token": token, "served": served}


def _unserve(ctx: AppContext, names: dict) -> None:
    for name, folder in names.items():
        ctx.store.remove_local(name)
        shutil.rmtree(folder, ignore_errors=True)


def _stopped(result: Any) -> Any:
    notice = "Stopped: this session's models stay as they were (the partial run is not kept)."
    return replace(result, notices=(*result.notices, notice))


def _models(ctx: AppContext, owner: str) -> tuple[AssistantModels, tuple[str, ...]]:
    """This session's models; a stage it has not trained yet comes from the shipped checkpoints (read-only: every
    stage trains a copy), with a notice saying so."""
    own = ctx.assistant_sessions.get(owner)
    if own.sft is not None and own.reward is not None:
        return own, ()
    shipped = assistant.checkpoints.load_shipped()
    if shipped is None:
        return own, ()
    notices = []
    if own.sft is None:
        own = replace(own, sft=shipped.sft, tokenizer=shipped.tokenizer, gpt_name=shipped.gpt_name)
        notices.append("SFT model: the shipped lab-gpt-sft (run step 1 to train this session's own).")
    if own.reward is None:
        own = replace(own, reward=shipped.reward)
        notices.append("Reward model: the shipped lab-reward (run step 2 to train this session's own).")
    return own, tuple(notices)


def _with_sft(ctx: AppContext, owner: str, what: str) -> tuple[AssistantModels, tuple[str, ...]]:
    models, notices = _models(ctx, owner)
    if models.sft is None:
        raise PlaygroundError(f"{what} needs an SFT model: run step 1 (SFT) first.")
    return models, notices


def run_reward_stage(ctx: AppContext, owner: str, epochs: int = REWARD_EPOCHS, learning_rate: float = REWARD_LR,
                     seed: int = 0, best_of: int = BEST_OF, progress: Any = None) -> RewardResult:
    """Train the reward model (lab-bert + a scalar head, Bradley–Terry) on chosen / rejected answers; held-out pair
    accuracy; best-of-n from the session's SFT model when it has one."""
    settings = assistant.reward.RewardSettings(
        epochs=_number(epochs, "Reward-model epochs", 1, MAX_REWARD_EPOCHS, integer=True),
        learning_rate=_learning_rate(learning_rate), seed=_number(seed, "The seed", 0, MAX_SEED, integer=True))
    n = _number(best_of, "n (best-of-n)", 0, MAX_BEST_OF, integer=True)
    split = instruction_split()
    bert = _lab_model(ctx, owner, LAB_BERT, "fill-mask")
    models, _ = _models(ctx, owner)
    with ctx.lab_jobs.turn(owner, WAIT_S) as ticket:
        model, result = assistant.pipeline.run_reward(bert.model, bert.tokenizer, bert.name, split.train,
                                                      split.heldout, settings, models.sft, models.tokenizer, n,
                                                      ticket.stop, _progress(progress))
    if result.stopped:
        return _stopped(result)
    if models.sft is None:
        result = replace(result, notices=("Best-of-n samples from the SFT model: run step 1 (SFT) to see it.",))
    elif ctx.assistant_sessions.get(owner).sft is None:
        result = replace(result, notices=("Best-of-n sampled from the shipped lab-gpt-sft (run step 1 to train "
                                          "this session's own).",))
    ctx.assistant_sessions.update(owner, "reward", result, reward=model)
    return result


def comparison_pair(ctx: AppContext, owner: str, seed: int = 0) -> ComparisonPair:
    """Two answers of this session's SFT model to a random training question: the user says which is better."""
    seed = _number(seed, "The seed", 0, MAX_SEED, integer=True)
    models, _ = _with_sft(ctx, owner, "Judging answers")
    rng = random.Random(seed)
    for _ in range(PAIR_QUESTIONS):  # a sure model samples one answer every time: then ask another question
        pair = assistant.pipeline.sample_pair(models.sft, models.tokenizer, rng.choice(instruction_split().train),
                                              seed)
        if pair.first != pair.second:
            return pair
    return replace(pair, note=f"The SFT model gave one answer to every draw of {PAIR_QUESTIONS} questions: it is "
                              "sure of them, and a pair of identical answers teaches DPO nothing. Draw again.")


def run_dpo_stage(ctx: AppContext, owner: str, beta: float = DPO_BETA, learning_rate: float = DPO_LR,
                  epochs: int = DPO_EPOCHS, nll_weight: float = DPO_NLL, seeds: int = DPO_SEEDS,
                  your_choices: str = "", seed: int = 0, progress: Any = None) -> DpoResult:
    """DPO from the session's SFT model (the frozen reference) on the built-in pairs plus the user's choices, once per
    seed; win rates vs SFT (reward model, the world's rule), KL from SFT, the margin curve."""
    beta = _number(beta, "β", 0.0, MAX_BETA)
    if beta <= 0:
        raise PlaygroundError(f"β must be above 0 (and at most {MAX_BETA:g}).")
    settings = assistant.dpo.DpoSettings(
        beta=beta, learning_rate=_learning_rate(learning_rate),
        epochs=_number(epochs, "DPO epochs", 1, MAX_DPO_EPOCHS, integer=True),
        nll_weight=_number(nll_weight, "The NLL weight", 0.0, MAX_NLL),
        seed=_number(seed, "The seed", 0, MAX_SEED, integer=True))
    runs = _number(seeds, "Seeds", 1, MAX_SEEDS, integer=True)
    yours = parse_choices(your_choices)
    models, notices = _with_sft(ctx, owner, "DPO")
    if models.reward is None:
        raise PlaygroundError("DPO's win rate is judged by this session's reward model: run step 2 (reward model) "
                              "first.")
    split = instruction_split()
    with ctx.lab_jobs.turn(owner, WAIT_S) as ticket:
        model, result = assistant.pipeline.run_dpo(models.sft, models.tokenizer, models.reward, split.train,
                                                   split.heldout, yours, settings, runs, ticket.stop,
                                                   _progress(progress))
    result = replace(result, notices=(*notices, *result.notices))
    if result.stopped:
        return _stopped(result)
    result, served = _serve(ctx, owner, LAB_GPT_DPO, model, models.tokenizer, result)
    ctx.assistant_sessions.update(owner, "dpo", result, drop=lambda names: _unserve(ctx, names), dpo=model, **served)
    return result


def run_lora_stage(ctx: AppContext, owner: str, model_name: str = LORA_MODEL, budget_s: float = LORA_BUDGET_S,
                   epochs: int = SFT_EPOCHS, learning_rate: float = SFT_LR, seed: int = 0,
                   progress: Any = None, with_dpo: bool = False, beta: float = DPO_BETA) -> LoraResult:
    """SFT of a real causal LM (gpt2 by default) as a LoRA adapter within `budget_s` — and, `with_dpo`, DPO after it
    as a second adapter in the same budget; held-out base vs SFT (vs DPO). Both adapters are saved and served to
    this session as `<model>-lora-sft@<token>` / `<model>-lora-dpo@<token>`. Offline without the checkpoint, a
    message says what to download."""
    if not isinstance(model_name, str) or not model_name.strip():
        raise PlaygroundError(f"Name the model to fine-tune with LoRA, e.g. {LORA_MODEL}.")
    budget = _number(budget_s, "The time budget (s)", 5, MAX_LORA_BUDGET_S)
    settings = assistant.sft.SftSettings(epochs=_number(epochs, "Epochs", 1, MAX_SFT_EPOCHS, integer=True),
                                         learning_rate=_learning_rate(learning_rate),
                                         seed=_number(seed, "The seed", 0, MAX_SEED, integer=True))
    if not isinstance(with_dpo, bool):
        raise PlaygroundError(f"with_dpo must be true or false (got {with_dpo!r}).")
    dpo_settings = None
    if with_dpo:
        beta = _number(beta, "β", 0.0, MAX_BETA)
        if beta <= 0:
            raise PlaygroundError(f"β must be above 0 (and at most {MAX_BETA:g}).")
        dpo_settings = assistant.dpo.DpoSettings(beta=beta, learning_rate=DPO_LR, epochs=DPO_EPOCHS,
                                                 nll_weight=DPO_NLL, seed=settings.seed, eval_every=10)
    name = model_name.strip()
    try:
        loaded = ctx.model(name, "text-generation")
    except ModelUnavailable as exc:
        fix = (f" Download it once with `python -m playground download {name}` (gpt2: about 550 MB), then start the "
               "app with the default models (`python app.py`)." if exc.download_hint else "")
        raise PlaygroundError(f"LoRA fine-tuning needs {name} on this machine, and it cannot be loaded here: "
                              f"{exc.reason}{fix} The lab's SFT above needs no download.") from None
    split = instruction_split()
    token = ctx.assistant_sessions.get(owner).token or secrets.token_hex(8)
    folder = Path(ctx.lab_dir) / SESSION_FOLDER / token / f"lora-{secrets.token_hex(4)}"
    with ctx.lab_jobs.turn(owner, WAIT_S) as ticket:
        result = assistant.lora.run_lora_sft(loaded.model, loaded.tokenizer, loaded.name, split.train, split.heldout,
                                             budget, folder, settings, ticket.stop, _progress(progress),
                                             dpo_settings)
    stopped = ticket.stop.is_set()
    notices = ("Stopped before the budget: the adapters hold what they learned so far.",) if stopped else ()
    sft_name, dpo_name = (f"{_served_stem(name)}-lora-{kind}{SESSION_SEPARATOR}{token}" for kind in ("sft", "dpo"))
    served = {sft_name: Path(result.saved_to)} | ({dpo_name: Path(result.dpo_saved_to)} if result.dpo_saved_to else {})
    replaced, forgotten, pushed = ctx.assistant_sessions.serve(
        owner, token, served, register=lambda names: [ctx.store.set_local(n, f) for n, f in names.items()],
        forget=(dpo_name,))  # an SFT-only run: the older DPO adapter came from the SFT adapter it replaces
    for old in replaced.values():  # the names now point at the new folders
        shutil.rmtree(old, ignore_errors=True)
    for names in (forgotten, *pushed):
        _unserve(ctx, names)
    for parent in {Path(f).parent for f in (*replaced.values(), *forgotten.values())}:
        if parent.is_dir() and not any(parent.iterdir()):  # the old run's folder, now empty
            parent.rmdir()
    return replace(result, notices=notices, served_as=tuple(served))


def _served_stem(model_name: str) -> str:
    """gpt2 → gpt2; owner/name → name: the adapters' served names stay one plain word before `-lora-…@`."""
    return model_name.rsplit("/", 1)[-1].replace(SESSION_SEPARATOR, "-")


def report_card(ctx: AppContext, owner: str) -> ReportCard:
    """This session's run end to end, as Markdown and JSON (empty until a stage has run)."""
    results = ctx.assistant_sessions.get(owner).results
    stages = {stage: asdict(result) for stage, result in results.items()}
    if stages:
        return ReportCard(markdown=report_markdown(stages), stages=stages)
    shipped = read_manifest()
    if shipped is None:
        return ReportCard(markdown=report_markdown({}), stages={})
    heading = "*The shipped run (`python -m playground assistant`); run the stages above for this session's own.*"
    return ReportCard(markdown=report_markdown(shipped["report"]) + "\n\n" + heading, stages=shipped["report"])


def stop_stage(ctx: AppContext, owner: str) -> str:
    if ctx.lab_jobs.stop(owner):
        return "Stopping… this session's models stay as they were."
    return "Nothing to stop: this session has no run."


__all__ = ["MAX_USER_PAIRS", "comparison_pair", "report_card", "run_dpo_stage", "run_lora_stage", "run_reward_stage",
           "run_sft_stage", "stop_stage"]
