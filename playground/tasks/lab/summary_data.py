"""Paragraphs of lab facts with their summaries, for the summarization head (`summarizer.py`).

A paragraph tells one person's day: where they went and when, and two or three more facts (what they bought,
drank, thought of a show, what the weather was, what they did in the evening), with one or two sentences that
state no fact ("Nobody else came along.") put in among them. Its summary restates the facts — and only the
facts — in a fixed order, in short sentences: "Anna went to the park on Sunday. Anna bought bread. Anna drank
tea." A fact is *stated* by a summary when its words appear in it (`fact_recall`).

Training, validation (for choosing a recipe) and held-out paragraphs come from three seeds; no validation or
held-out paragraph is a training paragraph. `gap_sentence_examples` is Pegasus's pre-training objective on lab
paragraphs (`paragraphs.lab_paragraph`): a whole sentence replaced by `<mask_1>`, and that sentence the target.

Pure Python; nothing here imports torch.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable

from playground.tasks.lab.corpus import (ACTIVITIES, DAYS, DRINKS, FOODS, NAMES, NEGATIVE, PLACES, POSITIVE, THINGS,
                                         WEATHER)
from playground.tasks.lab.paragraphs import lab_paragraph

SUMMARY_TRAIN_SEED = 31
SUMMARY_VALIDATION_SEED = 32
SUMMARY_HELDOUT_SEED = 33
MASK_SENTENCE = "<mask_1>"  # Pegasus's gap-sentence mask (its tokenizer's mask_token_sent)

FILLERS = ("Nobody else came along.", "It was an ordinary day.", "Nothing else happened.",
           "The streets were quiet.", "Everyone was busy.", "Time passed quickly.")


@dataclass(frozen=True)
class SummaryExample:
    paragraph: str
    summary: str
    facts: tuple[str, ...]  # the words each fact is stated with (the place, the day, the food, …)


# Each extra fact: (sentence in the paragraph, sentence in the summary, the fact's words); {N} the person.
def _food(rng: random.Random, place: str) -> tuple[str, str, tuple[str, ...]]:
    food = rng.choice(FOODS)
    return f"At the {place}, {{N}} bought some {food}.", f"{{N}} bought {food}.", (food,)


def _drink(rng: random.Random, place: str) -> tuple[str, str, tuple[str, ...]]:
    drink = rng.choice(DRINKS)
    return f"Then {{N}} drank a cup of {drink}.", f"{{N}} drank {drink}.", (drink,)


def _show(rng: random.Random, place: str) -> tuple[str, str, tuple[str, ...]]:
    thing, adjective = rng.choice(THINGS), rng.choice(POSITIVE + NEGATIVE)
    return (f"Later {{N}} saw the {thing} and said it was {adjective}.", f"The {thing} was {adjective}.",
            (thing, adjective))


def _weather(rng: random.Random, place: str) -> tuple[str, str, tuple[str, ...]]:
    weather = rng.choice(WEATHER)
    return f"The weather was {weather} all day.", f"It was {weather}.", (weather,)


def _evening(rng: random.Random, place: str) -> tuple[str, str, tuple[str, ...]]:
    activity = rng.choice(ACTIVITIES)
    return f"In the evening {{N}} {activity}.", f"{{N}} {activity}.", (activity,)


EXTRA_FACTS: tuple[Callable[[random.Random, str], tuple[str, str, tuple[str, ...]]], ...] = (
    _food, _drink, _show, _weather, _evening)  # the summary's fixed order


def _example(rng: random.Random) -> SummaryExample:
    name, place, day = rng.choice(NAMES), rng.choice(PLACES), rng.choice(DAYS)
    chosen = sorted(rng.sample(range(len(EXTRA_FACTS)), rng.choice((2, 3))))
    extras = [EXTRA_FACTS[i](rng, place) for i in chosen]
    sentences = [f"On {day}, {name} went to the {place}."] + [said.format(N=name) for said, _, _ in extras]
    for filler in rng.sample(FILLERS, rng.choice((1, 2))):
        sentences.insert(rng.randint(1, len(sentences)), filler)
    summary = [f"{name} went to the {place} on {day}."] + [short.format(N=name) for _, short, _ in extras]
    facts = (name, place, day) + tuple(word for _, _, words in extras for word in words)
    return SummaryExample(" ".join(sentences), " ".join(summary), facts)


def _draw(count: int, seed: int, exclude: set[str]) -> list[SummaryExample]:
    rng = random.Random(seed)
    out: list[SummaryExample] = []
    seen = set(exclude)
    for _ in range(count * 20):
        if len(out) == count:
            return out
        example = _example(rng)
        if example.paragraph not in seen:
            seen.add(example.paragraph)
            out.append(example)
    raise ValueError(f"not enough distinct paragraphs for {count}")


def summary_examples(count: int, split: str = "train", train_count: int = 0) -> list[SummaryExample]:
    """`count` paragraphs of the split ("train", "validation" or "heldout"); the other splits never repeat a
    paragraph of the first `train_count` training ones."""
    if split == "train":
        return _draw(count, SUMMARY_TRAIN_SEED, set())
    seed = {"validation": SUMMARY_VALIDATION_SEED, "heldout": SUMMARY_HELDOUT_SEED}[split]
    return _draw(count, seed, {e.paragraph for e in _draw(train_count, SUMMARY_TRAIN_SEED, set())})


def gap_sentence_examples(count: int, seed: int = SUMMARY_TRAIN_SEED) -> list[tuple[str, str]]:
    """Pegasus's gap-sentence pre-training: (paragraph with one sentence replaced by <mask_1>, that sentence), on
    lab paragraphs of every kind and on the summarization paragraphs (their training seed)."""
    rng = random.Random(seed + 1000)
    pool = summary_examples(count // 2 + 1)
    out = []
    for i in range(count):
        sentences = lab_paragraph(rng) if i % 2 else _split(pool[i // 2].paragraph)
        gap = rng.randrange(len(sentences))
        masked = sentences[:gap] + [MASK_SENTENCE] + sentences[gap + 1:]
        out.append((" ".join(masked), sentences[gap]))
    return out


def _split(paragraph: str) -> list[str]:
    return re.split(r"(?<=\.)\s+", paragraph)


# ---- scoring -------------------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def fact_recall(summary: str, facts: tuple[str, ...]) -> float:
    """Share of the facts whose words appear, in order and whole, in the summary."""
    said = f" {' '.join(_words(summary))} "
    return sum(f" {' '.join(_words(fact))} " in said for fact in facts) / len(facts)


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 on lowercased words (longest common subsequence)."""
    a, b = _words(candidate), _words(reference)
    if not a or not b:
        return 0.0
    previous = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for j, y in enumerate(b):
            row.append(previous[j] + 1 if x == y else max(previous[j + 1], row[j]))
        previous = row
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)
