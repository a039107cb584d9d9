"""Instruction data from the lab world: questions about its facts and reviews, the answers the world decides, and
preference pairs (the right answer vs a wrong one of the same kind).

Seeded like the lab corpus, so the data is the same on every machine. The held-out split asks about the same
facts in question *frames* that never appear in training ("Name the animal that barked at the mailman." vs
"Which animal barked at the mailman?"): a model that answers them has learned to answer, not the lines.

The user's own pairs (one `question => answer` a line) are parsed here, bounded in size and count.
Nothing here imports torch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from playground.core.errors import PlaygroundError
from playground.tasks.lab.corpus import (ANIMALS, CAPITALS, JOBS, NEGATIVE, OBJECTS, POSITIVE, SENTIMENT_FRAMES,
                                         THINGS, _article)

DATA_SEED = 2026
PROMPT_TEMPLATE = "Question: {q}\nAnswer:"  # the lab tokenizer has no chat template: plain prompt/completion text
PAIR_SEPARATOR = "=>"  # a user's pair: `question => answer`, one a line
MAX_USER_PAIRS = 200
MAX_USER_CHARS = 20_000  # the whole paste
MAX_LINE_CHARS = 200
REVIEWS_TRAIN, REVIEWS_HELDOUT = 180, 24

# ---- question frames: {P} predicate, {K} country, {I} purpose (infinitive), {V} verb, {R} review -----------
ANIMAL_TRAIN = ("Which animal {P}?", "What animal {P}?", "Tell me which animal {P}.")
ANIMAL_HELDOUT = ("Name the animal that {P}.",)
JOB_TRAIN = ("Who {P}?", "Which worker {P}?", "Tell me who {P}.")
JOB_HELDOUT = ("Name the person that {P}.",)
OBJECT_TRAIN = ("What did she {V} to {I}?", "Which thing did he {V} to {I}?", "Tell me what Anna {V} to {I}.")
OBJECT_HELDOUT = ("Name the thing that Tom {V} to {I}.",)
CAPITAL_TRAIN = ("What is the capital of {K}?", "Which city is the capital of {K}?", "Tell me the capital of {K}.")
CAPITAL_HELDOUT = ("Name the capital city of {K}.",)
REVIEW_TRAIN = ("Is this review positive or negative: {R}", "What is the sentiment of this review: {R}")
REVIEW_HELDOUT = ("Name the feeling of this review: {R}",)

# the present-tense verb of each object's action ("opened" → "open"), for the questions
_VERB_NOW = {"opened": "open", "turned on": "turn on"}


@dataclass(frozen=True)
class Instruction:
    question: str
    answer: str  # the world's answer, e.g. "The dog." / "Paris." / "Positive."
    category: str  # animal | job | object | capital | review | yours
    wrong: tuple[str, ...] = ()  # wrong answers of the same kind (the rejected side of a preference pair)

    @property
    def prompt(self) -> str:
        return PROMPT_TEMPLATE.format(q=self.question)

    @property
    def completion(self) -> str:
        return " " + self.answer


@dataclass(frozen=True)
class PreferencePair:
    prompt: str
    chosen: str  # completions, each starting with a space
    rejected: str
    source: str = "built-in"  # built-in | yours


@dataclass(frozen=True)
class InstructionSplit:
    train: tuple[Instruction, ...]
    heldout: tuple[Instruction, ...]


def _noun_answer(noun: str) -> str:
    return f"The {noun}."


def _fact_items(heldout: bool) -> list[Instruction]:
    items: list[Instruction] = []
    for category, table, tframes, hframes in (("animal", ANIMALS, ANIMAL_TRAIN, ANIMAL_HELDOUT),
                                               ("job", JOBS, JOB_TRAIN, JOB_HELDOUT)):
        for noun, predicates in table.items():
            wrong = tuple(_noun_answer(n) for n in table if n != noun)
            for predicate in predicates:
                for frame in (hframes if heldout else tframes):
                    items.append(Instruction(frame.format(P=predicate), _noun_answer(noun), category, wrong))
    for noun, (verb, purposes) in OBJECTS.items():
        wrong = tuple(_noun_answer(n) for n in OBJECTS if n != noun)
        for _past, infinitive in purposes:
            for frame in (OBJECT_HELDOUT if heldout else OBJECT_TRAIN):
                question = frame.format(V=_VERB_NOW[verb] if "did" in frame else verb, I=infinitive)
                items.append(Instruction(question, _noun_answer(noun), "object", wrong))
    for country, city in CAPITALS.items():
        wrong = tuple(f"{c}." for k, c in CAPITALS.items() if k != country)
        for frame in (CAPITAL_HELDOUT if heldout else CAPITAL_TRAIN):
            items.append(Instruction(frame.format(K=country), f"{city}.", "capital", wrong))
    return items


def _review_items(rng: random.Random, count: int, frames: tuple[str, ...], skip: set[str]) -> list[Instruction]:
    items, seen = [], set(skip)
    while len(items) < count:
        frame = rng.choice(SENTIMENT_FRAMES)
        thing, positive = rng.choice(THINGS), rng.random() < 0.5
        adjective = rng.choice(POSITIVE if positive else NEGATIVE)
        review = frame.format(T=thing, A=adjective, R=_article(adjective))
        if review in seen:
            continue
        seen.add(review)
        answer = "Positive." if positive else "Negative."
        wrong = ("Negative.",) if positive else ("Positive.",)
        items.append(Instruction(rng.choice(frames).format(R=review), answer, "review", wrong))
    return items


def instruction_split(seed: int = DATA_SEED) -> InstructionSplit:
    """The built-in instructions: every fact in the training frames (+ reviews), and the held-out split in frames
    training never uses (+ reviews training never shows)."""
    rng = random.Random(seed)
    train = _fact_items(heldout=False) + _review_items(rng, REVIEWS_TRAIN, REVIEW_TRAIN, set())
    train_reviews = {i.question.split(": ", 1)[1] for i in train if i.category == "review"}
    heldout = _fact_items(heldout=True) + _review_items(rng, REVIEWS_HELDOUT, REVIEW_HELDOUT, train_reviews)
    rng.shuffle(train)
    return InstructionSplit(train=tuple(train), heldout=tuple(heldout))


def preference_pairs(items: tuple[Instruction, ...] | list[Instruction], seed: int = DATA_SEED,
                     per_item: int = 1) -> list[PreferencePair]:
    """The world's rule as preferences: the right answer is chosen over a wrong one of the same kind."""
    rng = random.Random(seed)
    pairs = []
    for item in items:
        for wrong in rng.sample(item.wrong, min(per_item, len(item.wrong))):
            pairs.append(PreferencePair(item.prompt, item.completion, " " + wrong))
    return pairs


# ---- scoring answers -----------------------------------------------------------------------------------------

# exact match and token F1: `playground.core.answer_scores` (shared with the QA head's score)


# ---- the user's own pairs ------------------------------------------------------------------------------------

def parse_user_pairs(text: str) -> list[Instruction]:
    """`question => answer` lines (blank lines skipped) as instructions, or a clear refusal."""
    if text is None or text == "":
        return []
    if not isinstance(text, str):
        raise PlaygroundError("Your pairs must be text: one `question => answer` a line.")
    if len(text) > MAX_USER_CHARS:
        raise PlaygroundError(f"Your pairs are {len(text):,} characters; paste at most {MAX_USER_CHARS:,} "
                              f"(up to {MAX_USER_PAIRS} lines of `question {PAIR_SEPARATOR} answer`).")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_USER_PAIRS:
        raise PlaygroundError(f"You gave {len(lines)} pairs; the tab takes at most {MAX_USER_PAIRS}.")
    items = []
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_CHARS:
            raise PlaygroundError(f"Line {number} is {len(line)} characters long; keep each pair under "
                                  f"{MAX_LINE_CHARS}.")
        question, separator, answer = line.partition(PAIR_SEPARATOR)
        if not separator or not question.strip() or not answer.strip() or PAIR_SEPARATOR in answer:
            shown = line if len(line) <= 60 else line[:60] + "…"
            raise PlaygroundError(f"Line {number} ('{shown}') is not a pair: write `question {PAIR_SEPARATOR} "
                                  "answer`, e.g. `Which animal barked at the mailman? => The dog.`")
        items.append(Instruction(" ".join(question.split()), " ".join(answer.split()), "yours"))
    return items


# ---- the user's own preferences ------------------------------------------------------------------------------

CHOICE_SEPARATOR = "|"  # a choice: `question => better answer | worse answer`
MAX_CHOICES = 100


def choice_line(question: str, better: str, worse: str) -> str:
    """One recorded choice as a line (separators inside the answers become '/')."""
    def clean(text: str) -> str:
        return " ".join(text.replace(PAIR_SEPARATOR, "/").replace(CHOICE_SEPARATOR, "/").split())[:MAX_LINE_CHARS // 3]
    return f"{clean(question)} {PAIR_SEPARATOR} {clean(better) or '…'} {CHOICE_SEPARATOR} {clean(worse) or '…'}"


def parse_choices(text: str) -> list[PreferencePair]:
    """`question => better | worse` lines as preference pairs (the better answer chosen), or a clear refusal."""
    if text is None or text == "":
        return []
    if not isinstance(text, str):
        raise PlaygroundError("Your choices must be text: one `question => better answer | worse answer` a line.")
    if len(text) > MAX_USER_CHARS:
        raise PlaygroundError(f"Your choices are {len(text):,} characters; send at most {MAX_USER_CHARS:,}.")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_CHOICES:
        raise PlaygroundError(f"You sent {len(lines)} choices; DPO takes at most {MAX_CHOICES} of yours.")
    pairs = []
    for number, line in enumerate(lines, 1):
        question, separator, answers = line.partition(PAIR_SEPARATOR)
        better, bar, worse = answers.partition(CHOICE_SEPARATOR)
        if not separator or not bar or not question.strip() or not better.strip() or not worse.strip() or \
                len(line) > MAX_LINE_CHARS:
            shown = line if len(line) <= 60 else line[:60] + "…"
            raise PlaygroundError(f"Choice {number} ('{shown}') is not `question {PAIR_SEPARATOR} better answer "
                                  f"{CHOICE_SEPARATOR} worse answer` (under {MAX_LINE_CHARS} characters).")
        prompt = PROMPT_TEMPLATE.format(q=" ".join(question.split()))
        pairs.append(PreferencePair(prompt, " " + " ".join(better.split()), " " + " ".join(worse.split()), "yours"))
    return pairs
