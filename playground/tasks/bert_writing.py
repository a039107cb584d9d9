"""Can BERT write? Text generated with a masked LM by filling masks, next to GPT-2 writing from the same prompt.

Two ways to make BERT write `length` new tokens after a prompt, both greedy (the most probable token; special
tokens such as [SEP], [UNK] and [MASK] itself are never chosen, so no [MASK] is left):
- **left to right**: append one [MASK] after the text so far, fill it, repeat — BERT reads
  `[CLS] prompt … [MASK] [SEP]`, with nothing but the end of the input to the right of the slot;
- **all at once, refined** (Mask-Predict, Ghazvininejad et al. 2019, Section 3): write `length` [MASK]s, fill
  them all in one pass, then for rounds t = 1 … T−1 re-mask the n = ⌊length · (T − t) / T⌋ tokens with the
  lowest probability and predict them again from everything else; a token keeps the probability it had when
  it was last predicted.
GPT-2 writes the same number of tokens greedily, one at a time from the tokens on its left — the task it was
trained for (it may stop early at its end-of-text token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_int, clean_text
from playground.core.tokens import display_piece
from playground.core.types import LoadedModel
from playground.lm.generation import GenerationSettings, generate
from playground.lm.masked_lm import lm_logits
from playground.tasks.context import AppContext

FILL_TASK, GEN_TASK = "fill-mask", "text-generation"  # the models it loads: BERT's masked LM, GPT-2
MAX_WRITE_TOKENS = 40
MAX_ROUNDS = 10
DEFAULT_LENGTH, DEFAULT_ROUNDS = 12, 4
EXAMPLES = ("The weather today is", "Tesla is an American", "Once upon a time")
LESSON = (
    "BERT was trained to fill gaps that have text on both sides. Asked to write, it gets a gap with only the end "
    "of the input to its right, or a row of gaps filled independently of each other; it tends to end sentences "
    "early or repeat itself, and re-masking its least confident tokens only partly repairs that. GPT-2 was "
    "trained for exactly this: every next token from the tokens on its left."
)


@dataclass(frozen=True)
class FilledToken:
    index: int  # 0-based place among the written tokens
    token_id: int
    token: str
    probability: float  # the model's probability for it when it was chosen


@dataclass(frozen=True)
class WritingStep:
    step: int
    read: str  # what the model read at this step: the text so far, with its [MASK]s
    text: str  # the written text after this step
    filled: tuple[FilledToken, ...]  # what this step wrote: one token, or every re-masked one


@dataclass(frozen=True)
class Writing:
    method: str  # "left-to-right" | "mask-predict" | "causal"
    model_name: str
    prompt: str
    text: str  # prompt and continuation, decoded
    continuation: str
    tokens: tuple[FilledToken, ...]  # the final tokens with the probability each had when last chosen
    surfaces: tuple[str, ...]  # each final token as it reads in `text` (its spaces and glued pieces included)
    steps: tuple[WritingStep, ...]
    stop_reason: str


@dataclass(frozen=True)
class BertWritingResult:
    prompt: str
    length: int
    rounds: int
    left_to_right: Writing
    mask_predict: Writing
    gpt: Writing
    lesson: str = LESSON
    notices: tuple[str, ...] = ()


def _specials_around(tokenizer) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after one sequence ([CLS] … [SEP], <s> … </s>)."""
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a")["input_ids"]
    start = next(i for i in range(len(full)) if full[i:i + len(bare)] == bare)
    return full[:start], full[start + len(bare):]


def surfaces(tokenizer, prompt_ids: Sequence[int], ids: Sequence[int]) -> tuple[str, ...]:
    """Each token of `ids` as it reads after the prompt: the text each one adds when decoded in sequence."""
    out, before = [], tokenizer.decode(list(prompt_ids))
    for n in range(1, len(ids) + 1):
        after = tokenizer.decode([*prompt_ids, *ids[:n]])
        out.append(after[len(before):] if after.startswith(before) else display_piece(tokenizer, ids[n - 1]))
        before = after
    return tuple(out)


def _check_prompt(prompt: str) -> str:
    cleaned = clean_text(prompt, what="prompt")
    if cleaned.mask_count:
        raise PlaygroundError("Write the prompt without [MASK] or ___: the model adds its own masks after it.")
    return cleaned.text


@dataclass(frozen=True)
class _Canvas:
    """What BERT reads: [CLS] prompt written… [SEP], the written part a list of token ids with None for [MASK]."""
    lm: LoadedModel
    before: tuple[int, ...]  # [CLS]
    prompt_ids: tuple[int, ...]
    after: tuple[int, ...]  # [SEP]

    def predict(self, written: Sequence[int | None]) -> tuple[list[int], list[float]]:
        """Greedy token and its probability at every None (= [MASK]) of `written`, in one forward pass."""
        mask = self.lm.tokenizer.mask_token_id
        ids = [*self.before, *self.prompt_ids, *(mask if t is None else t for t in written), *self.after]
        offset = len(self.before) + len(self.prompt_ids)
        slots = [offset + i for i, t in enumerate(written) if t is None]
        logits = lm_logits(self.lm, ids)[0, slots].float()
        logits[:, list(self.lm.tokenizer.all_special_ids)] = float("-inf")
        probabilities = logits.softmax(-1)
        best = probabilities.argmax(-1)
        return [int(b) for b in best], [float(probabilities[i, b]) for i, b in enumerate(best)]

    def show(self, written: Sequence[int | None], *, prompt: bool = True) -> str:
        """The prompt and the written tokens as the model reads them, each open slot as the mask token."""
        mask = self.lm.tokenizer.mask_token_id
        ids = [*(self.prompt_ids if prompt else ()), *(mask if t is None else t for t in written)]
        return self.lm.tokenizer.decode(ids)

    def filled(self, index: int, token_id: int, probability: float) -> FilledToken:
        return FilledToken(index, token_id, display_piece(self.lm.tokenizer, token_id), probability)


def _canvas(lm: LoadedModel, prompt: str, length: int) -> tuple[_Canvas, list[str]]:
    tokenizer = lm.tokenizer
    if tokenizer.mask_token_id is None:
        raise PlaygroundError(f"{lm.name} has no mask token, so it cannot write by filling masks.")
    before, after = _specials_around(tokenizer)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    room = lm.max_positions - len(before) - len(after) - length
    notices = []
    if len(prompt_ids) > room:
        notices.append(f"The prompt is {len(prompt_ids)} tokens; to leave room for {length} new tokens within "
                       f"{lm.name}'s {lm.max_positions}, its first {len(prompt_ids) - room} tokens were dropped.")
        prompt_ids = prompt_ids[len(prompt_ids) - room:]
    return _Canvas(lm, tuple(before), tuple(prompt_ids), tuple(after)), notices


def _writing(canvas: _Canvas, method: str, written: list[int], tokens: dict[int, FilledToken],
             steps: list[WritingStep], stop_reason: str) -> Writing:
    return Writing(method=method, model_name=canvas.lm.name, prompt=canvas.show([]), text=canvas.show(written),
                   continuation=canvas.show(written, prompt=False),
                   tokens=tuple(tokens[i] for i in range(len(written))),
                   surfaces=surfaces(canvas.lm.tokenizer, canvas.prompt_ids, written), steps=tuple(steps),
                   stop_reason=stop_reason)


def write_left_to_right(canvas: _Canvas, length: int) -> Writing:
    """Append a [MASK], fill it with BERT's most probable token, repeat `length` times."""
    written: list[int] = []
    tokens: dict[int, FilledToken] = {}
    steps = []
    for index in range(length):
        read = canvas.show([*written, None])
        (token_id,), (probability,) = canvas.predict([*written, None])
        written.append(token_id)
        tokens[index] = canvas.filled(index, token_id, probability)
        steps.append(WritingStep(step=index + 1, read=read, text=canvas.show(written), filled=(tokens[index],)))
    return _writing(canvas, "left-to-right", written, tokens, steps, f"wrote {length} tokens")


def remask_count(length: int, rounds: int, t: int) -> int:
    """Mask-Predict's schedule: how many tokens round t (1 … rounds−1) re-masks."""
    return length * (rounds - t) // rounds


def write_mask_predict(canvas: _Canvas, length: int, rounds: int) -> Writing:
    """`length` [MASK]s filled at once, then `rounds − 1` rounds re-masking the least confident tokens."""
    written: list[int | None] = [None] * length
    tokens: dict[int, FilledToken] = {}
    steps = []
    for t in range(rounds):
        if t:
            n = remask_count(length, rounds, t)
            if n == 0:
                continue
            for index in sorted(range(length), key=lambda i: (tokens[i].probability, i))[:n]:
                written[index] = None
        read = canvas.show(written)
        open_slots = [i for i, token_id in enumerate(written) if token_id is None]
        ids, probabilities = canvas.predict(written)
        for index, token_id, probability in zip(open_slots, ids, probabilities):
            written[index] = token_id
            tokens[index] = canvas.filled(index, token_id, probability)
        steps.append(WritingStep(step=len(steps) + 1, read=read, text=canvas.show(written),
                                 filled=tuple(tokens[i] for i in open_slots)))
    return _writing(canvas, "mask-predict", [int(t) for t in written], tokens, steps,
                    f"{len(steps)} round(s): all {length} at once, then re-masking the least confident")


def write_causal(gpt: LoadedModel, prompt: str, length: int) -> Writing:
    """GPT-2's greedy left-to-right generation of `length` tokens, each step as one filled token."""
    result = generate(gpt, prompt, GenerationSettings(max_new_tokens=length, strategy="greedy"), candidates_k=1)
    tokens, steps, ids = [], [], []
    for index, token in enumerate(result.tokens):
        read = result.prompt + gpt.tokenizer.decode(ids)
        ids.append(token.token_id)
        tokens.append(FilledToken(index, token.token_id, token.token, token.probability))
        steps.append(WritingStep(step=index + 1, read=read, text=result.prompt + gpt.tokenizer.decode(ids),
                                 filled=(tokens[-1],)))
    prompt_ids = gpt.tokenizer(result.prompt, add_special_tokens=False)["input_ids"]
    return Writing(method="causal", model_name=gpt.name, prompt=result.prompt,
                   text=result.prompt + result.generated_text, continuation=result.generated_text,
                   tokens=tuple(tokens), surfaces=surfaces(gpt.tokenizer, prompt_ids, ids), steps=tuple(steps),
                   stop_reason=result.stop_reason)


def bert_writing(bert: LoadedModel, gpt: LoadedModel, prompt: str, length: int = DEFAULT_LENGTH,
                 rounds: int = DEFAULT_ROUNDS) -> BertWritingResult:
    """BERT writing `length` tokens after `prompt` both ways, and GPT-2 from the same prompt and length."""
    text = _check_prompt(prompt)
    length = check_int(length, "Length", 1, MAX_WRITE_TOKENS)
    rounds = check_int(rounds, "Rounds", 1, MAX_ROUNDS)
    canvas, notices = _canvas(bert, text, length)
    return BertWritingResult(prompt=text, length=length, rounds=rounds,
                             left_to_right=write_left_to_right(canvas, length),
                             mask_predict=write_mask_predict(canvas, length, rounds),
                             gpt=write_causal(gpt, text, length), notices=tuple(notices))


def bert_write_api(ctx: AppContext, prompt: str, length: int = DEFAULT_LENGTH, rounds: int = DEFAULT_ROUNDS,
                   bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2") -> BertWritingResult:
    """BERT writes `length` tokens after the prompt by filling masks — left to right, and all at once refined
    over `rounds` rounds (Mask-Predict) — and GPT-2 writes as many from the same prompt; every step recorded."""
    bert, gpt = ctx.models((bert_model, FILL_TASK), (gpt_model, GEN_TASK))
    return bert_writing(bert, gpt, prompt, length, rounds)
