"""GPT-2's objective as a process: generation one token at a time, with the candidates of every step,
and the option to pick a different candidate at step i and let the model continue from there.

Built on `generation.stream_generate`: the tokens before step i are replayed and the picked one is
emitted as "forced" tokens, so every later step is conditioned on the user's choice. Sampling after a
pick is reproducible too: the seeded generator only draws for the steps the model chooses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator, Sequence

from playground.core.errors import PlaygroundError
from playground.lm.generation import MAX_CANDIDATES, MAX_NEW_TOKENS, GenerationResult, GenerationSettings, final, stream_generate
from playground.core.types import LoadedModel
from playground.core.predictions import Prediction
from playground.core.text_input import check_int, clean_text
from playground.tasks.context import AppContext

GEN_TASK = "text-generation"  # the model it loads: GPT-2


@dataclass(frozen=True)
class GenerationStep:
    step: int  # 1 = the first new token
    token_id: int
    token: str  # readable piece
    probability: float  # the model's probability of this token at this step
    candidates: tuple[Prediction, ...]  # the top candidates at this step, most probable first
    source: str  # who chose it: "model", "kept" (replayed from the earlier run) or "picked" (by the user)


@dataclass(frozen=True)
class StepByStepResult:
    model_name: str
    prompt: str
    generated_text: str
    steps: tuple[GenerationStep, ...]
    settings: GenerationSettings  # as used (with the seed that was drawn, when sampling without one)
    candidates_k: int
    picked_step: int | None = None  # the step where the user's choice replaced the model's
    finished: bool = False
    stop_reason: str = ""
    notices: tuple[str, ...] = ()

    @property
    def token_ids(self) -> list[int]:
        return [s.token_id for s in self.steps]


def check_token_ids(values: object, vocab_size: int) -> tuple[int, ...]:
    """The earlier generation's token ids (as returned in `steps[*].token_id`)."""
    if values is None or values == "":
        return ()
    if isinstance(values, str):
        values = [v for v in values.replace("[", " ").replace("]", " ").replace(",", " ").split()]
    if not isinstance(values, (list, tuple)):
        raise PlaygroundError("previous_token_ids must be a list of token ids, e.g. [464, 3290, 318].")
    if len(values) > MAX_NEW_TOKENS:
        raise PlaygroundError(f"previous_token_ids has {len(values)} ids; at most {MAX_NEW_TOKENS} are generated.")
    return tuple(check_int(v, "Each previous token id", 0, vocab_size - 1) for v in values)


def _steps(result: GenerationResult, picked_step: int | None) -> tuple[GenerationStep, ...]:
    def source(step: int) -> str:
        if picked_step is None or step > picked_step:
            return "model"
        return "picked" if step == picked_step else "kept"

    return tuple(
        GenerationStep(step=i, token_id=t.token_id, token=t.token, probability=t.probability,
                       candidates=t.candidates, source=source(i))
        for i, t in enumerate(result.tokens, start=1)
    )


def stream_steps(lm: LoadedModel, prompt: str, settings: GenerationSettings, *, candidates_k: int = 5,
                 previous_token_ids: Sequence[int] | str | None = None, step: int | None = None,
                 choice_token_id: int | None = None) -> Iterator[StepByStepResult]:
    """Yield the growing step-by-step generation after every new token.

    Without `step`: a fresh generation. With `step` (1-based) and `choice_token_id`: the tokens of
    `previous_token_ids` before that step are kept, the choice replaces the model's token at that step
    (it must be one of that step's top `candidates_k` candidates), and the model continues from there,
    up to `settings.max_new_tokens` tokens in all.
    """
    cleaned = clean_text(prompt, what="prompt")
    settings = settings.validated()
    candidates_k = check_int(candidates_k, "Candidates per step", 1, MAX_CANDIDATES)
    total = settings.max_new_tokens
    vocab_size = int(lm.model.config.vocab_size)
    picked_step: int | None = None
    forced: tuple[int, ...] = ()
    if step is not None and step != "":
        previous = check_token_ids(previous_token_ids, vocab_size)
        if not previous:
            raise PlaygroundError("To pick a different token at a step, pass the earlier generation's token ids "
                                  "(previous_token_ids) — generate once first.")
        picked_step = check_int(step, "Step", 1, min(len(previous), total))
        if choice_token_id is None or choice_token_id == "":
            raise PlaygroundError(f"Choose one of step {picked_step}'s candidates to continue from.")
        choice = check_int(choice_token_id, "Chosen token id", 0, vocab_size - 1)
        forced = previous[: picked_step - 1] + (choice,)

    # stream_generate counts forced tokens on top of max_new_tokens; ask for the remainder and stop at `total`.
    run = replace(settings, max_new_tokens=max(1, total - len(forced)))
    stream = stream_generate(lm, cleaned.text, run, candidates_k=candidates_k, forced_token_ids=forced)
    try:
        yield from _follow(stream, lm.tokenizer.eos_token_id, forced, picked_step, total, candidates_k, cleaned.notices)
    finally:
        stream.close()  # stopping at `total` can leave the engine's generator one step short of its end


def _follow(stream: Iterator[GenerationResult], eos: int, forced: tuple[int, ...], picked_step: int | None,
            total: int, candidates_k: int, notices: tuple[str, ...]) -> Iterator[StepByStepResult]:
    """The engine's stream as step-by-step results: replayed steps hidden, the pick checked, cut at `total`."""
    for result in stream:
        count = len(result.tokens)
        if picked_step is not None and count < picked_step:
            continue  # replaying the kept tokens: nothing new to show yet
        if picked_step is not None and count == picked_step:
            candidates = result.tokens[-1].candidates
            if forced[-1] not in {c.token_id for c in candidates}:
                shown = ", ".join(f"{c.token!r} (id {c.token_id})" for c in candidates)
                raise PlaygroundError(f"Token id {forced[-1]} is not among step {picked_step}'s top-{candidates_k} "
                                      f"candidates: {shown}. Pick one of them.")
        picked_eos = picked_step is not None and count == picked_step and forced[-1] == eos
        finished = result.finished or count >= total or picked_eos
        if picked_eos:
            stop_reason = "you picked the end-of-text token"
        elif result.stop_reason:
            stop_reason = result.stop_reason
        else:
            stop_reason = f"reached {total} new tokens" if count >= total else ""
        yield StepByStepResult(
            model_name=result.model_name, prompt=result.prompt, generated_text=result.generated_text,
            steps=_steps(result, picked_step), settings=replace(result.settings, max_new_tokens=total),
            candidates_k=candidates_k, picked_step=picked_step, finished=finished,
            stop_reason=stop_reason if finished else "", notices=notices + result.notices,
        )
        if finished:
            return


def generate_steps(lm: LoadedModel, prompt: str, settings: GenerationSettings, **kwargs) -> StepByStepResult:
    """The whole step-by-step generation at once (the last streamed result)."""
    return final(stream_steps(lm, prompt, settings, **kwargs))


# ---- handlers: context first, the results out (the JSON endpoint `generate_step` serves generate_step_api) ----

def generate_step_api(ctx: AppContext, prompt: str, max_new_tokens: int = 20, strategy: str = "greedy",
                      temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, repetition_penalty: float = 1.0,
                      seed: int | None = None, candidates: int = 5, previous_token_ids: list[int] | None = None,
                      step: int | None = None, choice_token_id: int | None = None,
                      model: str = "gpt2") -> Iterator[StepByStepResult]:
    """Generate token by token (streamed) with each step's top candidates; with step + choice_token_id
    (one of that step's candidates) and previous_token_ids, continue from a different candidate."""
    settings = GenerationSettings(max_new_tokens=max_new_tokens, strategy=strategy, temperature=temperature,
                                  top_k=top_k, top_p=top_p, repetition_penalty=repetition_penalty,
                                  seed=None if seed is None or seed == "" else seed)
    yield from stream_steps(ctx.model(model, GEN_TASK), prompt, settings, candidates_k=candidates,
                            previous_token_ids=previous_token_ids, step=step, choice_token_id=choice_token_id)


def generate_from_controls(ctx: AppContext, prompt: str, max_new_tokens: Any, strategy: str, temperature: Any,
                           top_k: Any, top_p: Any, repetition_penalty: Any, seed: Any, candidates: Any,
                           model: str) -> Iterator[StepByStepResult]:
    """The UI's Generate button: a fresh generation from the step-by-step controls (model last)."""
    yield from generate_step_api(ctx, prompt, max_new_tokens, strategy, temperature, top_k, top_p,
                                 repetition_penalty, seed, candidates, model=model)


def continue_from_pick(ctx: AppContext, prompt: str, max_new_tokens: Any, strategy: str, temperature: Any,
                       top_k: Any, top_p: Any, repetition_penalty: Any, seed: Any, candidates: Any, model: str,
                       last: StepByStepResult | None, step: Any, choice: Any) -> Iterator[StepByStepResult]:
    """The UI's pick: the last generation (kept in the page) with `choice` at `step`, then the model again."""
    if last is None:
        raise PlaygroundError("Generate once first, then pick a different candidate at one of the steps.")
    if last.prompt != clean_text(prompt, what="prompt").text:
        raise PlaygroundError("The prompt changed since the last generation: press Generate first.")
    yield from generate_step_api(ctx, prompt, max_new_tokens, strategy, temperature, top_k, top_p,
                                 repetition_penalty, seed, candidates, previous_token_ids=last.token_ids, step=step,
                                 choice_token_id=choice, model=model)
