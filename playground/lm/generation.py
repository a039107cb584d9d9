"""Left-to-right generation, one token at a time (nanoGPT-style loop with a KV cache), so the UI can
stream each token with its probability and the candidates it beat.

Sampling controls are transformers' own logits processors, applied in the same order as
`model.generate`: repetition penalty, then temperature, top-k and top-p.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, TypeVar

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.core.predictions import Prediction, top_predictions
from playground.core.text_input import check_float, check_int, clean_text
from playground.core.tokens import display_piece
from playground.lm.passes import keeps_logits

# Lazy imports: torch and transformers are imported inside the functions that run a model, so importing this
# module (and starting the app) stays fast.

MAX_NEW_TOKENS = 200
MAX_CANDIDATES = 20
STRATEGIES = ("greedy", "sample")
T = TypeVar("T")


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 20
    strategy: str = "greedy"  # "greedy" picks the most probable token; "sample" draws from the distribution
    temperature: float = 1.0
    top_k: int = 0  # 0 = no top-k filter
    top_p: float = 1.0  # 1.0 = no nucleus filter
    repetition_penalty: float = 1.0
    seed: int | None = None  # sampling only; None picks one and reports it

    def validated(self) -> "GenerationSettings":
        if self.strategy not in STRATEGIES:
            raise PlaygroundError(f"Decoding strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}.")
        seed = self.seed
        if seed is not None and seed != "":
            seed = check_int(seed, "Seed", 0, 2**31 - 1)
        else:
            seed = None
        return replace(
            self,
            max_new_tokens=check_int(self.max_new_tokens, "Max new tokens", 1, MAX_NEW_TOKENS),
            temperature=check_float(self.temperature, "Temperature", 0.0, 5.0, low_inclusive=False),
            top_k=check_int(self.top_k, "Top-k", 0, 1000),
            top_p=check_float(self.top_p, "Top-p", 0.0, 1.0, low_inclusive=False),
            repetition_penalty=check_float(self.repetition_penalty, "Repetition penalty", 1.0, 3.0),
            seed=seed,
        )


@dataclass(frozen=True)
class KnownNext:
    """What a caller already computed for a prompt: the log-probabilities of the token after `token_ids`
    and, optionally, the KV cache of those tokens (so generation reads none of them again)."""

    token_ids: tuple[int, ...]
    log_probs: Any  # torch.Tensor over the vocabulary
    cache: Any | None = None  # a cache of exactly these tokens, used by one generation only


@dataclass(frozen=True)
class GeneratedToken:
    token_id: int
    token: str  # readable piece
    probability: float  # the model's own probability for it (before sampling filters)
    candidates: tuple[Prediction, ...]  # the top candidates at this step, model probabilities


@dataclass(frozen=True)
class GenerationResult:
    model_name: str
    prompt: str
    generated_text: str
    tokens: tuple[GeneratedToken, ...]
    settings: GenerationSettings
    finished: bool = False
    stop_reason: str = ""
    notices: tuple[str, ...] = ()


def _processors(settings: GenerationSettings):
    # deferred: transformers; the page's task modules import lm/, a generation step needs it
    from transformers import (LogitsProcessorList, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper,
                              TopKLogitsWarper, TopPLogitsWarper)

    chain = LogitsProcessorList()
    if settings.repetition_penalty != 1.0:
        chain.append(RepetitionPenaltyLogitsProcessor(settings.repetition_penalty))
    if settings.strategy == "sample":
        if settings.temperature != 1.0:
            chain.append(TemperatureLogitsWarper(settings.temperature))
        if settings.top_k:
            chain.append(TopKLogitsWarper(settings.top_k))
        if settings.top_p < 1.0:
            chain.append(TopPLogitsWarper(settings.top_p))
    return chain


def prompt_ids(lm: LoadedModel, prompt: str, room: int) -> tuple[list[int], list[str]]:
    """Token ids of the prompt, keeping the most recent ones so `room` new tokens still fit."""
    tokenizer = lm.tokenizer
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"] if prompt else []
    notices = []
    limit = lm.max_positions - room
    if len(ids) > limit:
        notices.append(f"The prompt is {len(ids)} tokens; to leave room for {room} new tokens within "
                       f"{lm.name}'s {lm.max_positions}, its first {len(ids) - limit} tokens were dropped.")
        ids = ids[-limit:]
    if not ids:
        ids = [tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id]
    return ids, notices


def stream_generate(lm: LoadedModel, prompt: str, settings: GenerationSettings, *,
                    candidates_k: int = 5, forced_token_ids: tuple[int, ...] = (),
                    known_next: KnownNext | None = None) -> Iterator[GenerationResult]:
    """Yield the growing result after every new token.

    `forced_token_ids` are emitted first instead of being chosen (the step-by-step mode uses this to
    continue from a candidate the user picked); their probabilities are still reported.
    `known_next`: the prompt's token ids as the caller read them, with the next-token log-probabilities (and KV
    cache) it already computed: generation continues from those ids, the first token is chosen from the
    log-probabilities without running the model again, and the second step reads only that token (the reuse
    is skipped with a repetition penalty, which needs raw logits).
    """
    # deferred: torch; the page's task modules import lm/, only a running model needs it
    import torch

    settings = settings.validated()
    candidates_k = check_int(candidates_k, "Candidates", 1, MAX_CANDIDATES)
    prompt = clean_text(prompt, what="prompt").text if prompt and prompt.strip() else ""
    notices: list[str] = []
    room = min(settings.max_new_tokens + len(forced_token_ids), lm.max_positions - 1)
    if room < settings.max_new_tokens + len(forced_token_ids):
        notices.append(f"{lm.name} reads at most {lm.max_positions} tokens, so at most {room} can be generated.")
    if known_next is not None and 0 < len(known_next.token_ids) <= lm.max_positions - room:
        # Continue from exactly the tokens the caller read, not from a new tokenization of `prompt` (the two can
        # differ at the edge, e.g. a space token left before a gap), so the first step matches its prediction.
        ids, trunc_notices = [int(i) for i in known_next.token_ids], []
    else:
        ids, trunc_notices = prompt_ids(lm, prompt, room)
    notices += trunc_notices
    seed = settings.seed
    if settings.strategy == "sample" and seed is None:
        seed = random.randrange(2**31)
        settings = replace(settings, seed=seed)
        notices.append(f"Sampling with seed {seed}; enter it to reproduce this text.")
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    processors = _processors(settings)
    eos = lm.tokenizer.eos_token_id

    # Project only the last position onto the vocabulary (as model.generate does), where the model allows it.
    only_last = {"logits_to_keep": 1} if keeps_logits(lm.model) else {}
    reuse = (known_next if known_next is not None and tuple(known_next.token_ids) == tuple(ids)
             and not forced_token_ids and settings.repetition_penalty == 1.0 else None)
    cached = reuse is not None and reuse.cache is not None and reuse.cache.get_seq_length() == len(ids)
    generated: list[GeneratedToken] = []
    all_ids = torch.tensor([ids])
    past = reuse.cache if cached else None
    step_input = all_ids
    prompt_len = len(ids)
    stop_reason = f"reached {room} new tokens"
    for step in range(room):
        # Per step, never across `yield`: grad mode is thread-local and gradio may resume this generator on
        # another worker thread, which would leave the first thread stuck in inference mode.
        with torch.inference_mode():
            if step == 0 and reuse is not None:  # log-probabilities give the same softmax and choices as logits
                logits = reuse.log_probs.float()[None, :]
            else:
                out = lm.model(input_ids=step_input, cache=past, use_cache=True, **only_last)
                past = out.cache
                logits = out.logits[:, -1, :].float()
            model_probs = logits.softmax(-1)[0]
            if step < len(forced_token_ids):
                next_id = int(forced_token_ids[step])
                if not 0 <= next_id < model_probs.shape[0]:
                    raise PlaygroundError(f"Token id {next_id} is not in {lm.name}'s vocabulary.")
            else:
                scores = processors(all_ids, logits)
                if settings.strategy == "greedy":
                    next_id = int(scores.argmax(-1))
                else:
                    next_id = int(torch.multinomial(scores.softmax(-1), 1, generator=generator))
            generated.append(GeneratedToken(
                token_id=next_id, token=display_piece(lm.tokenizer, next_id),
                probability=float(model_probs[next_id]),
                candidates=top_predictions(lm.tokenizer, model_probs, candidates_k),
            ))
            all_ids = torch.cat([all_ids, torch.tensor([[next_id]])], dim=1)
            step_input = all_ids[:, -1:] if past is not None else all_ids  # no cache yet: read the prompt too
            done = next_id == eos and step >= len(forced_token_ids)
            if done:
                stop_reason = "the model produced its end-of-text token"
            text = lm.tokenizer.decode(all_ids[0, prompt_len:].tolist(), skip_special_tokens=True)
        yield GenerationResult(model_name=lm.name, prompt=prompt, generated_text=text,
                               tokens=tuple(generated), settings=settings, finished=done or step == room - 1,
                               stop_reason=stop_reason if done or step == room - 1 else "",
                               notices=tuple(notices))
        if done:
            return


def final(stream: Iterable[T]) -> T:
    """The last item of a stream of growing results (every stream here yields at least once)."""
    last = deque(stream, maxlen=1)
    if not last:
        raise PlaygroundError("Nothing was generated.")
    return last[0]


def generate(lm: LoadedModel, prompt: str, settings: GenerationSettings, **kwargs) -> GenerationResult:
    """The whole generation at once (the last streamed result)."""
    return final(stream_generate(lm, prompt, settings, **kwargs))
