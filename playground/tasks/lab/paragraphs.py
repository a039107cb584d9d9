"""Short paragraphs of the lab world, for the next-sentence head: each one a few sentences about one person,
animal, worker, city or outing, so that the sentence after another one names the same thing again.

`nsp_pairs` makes BERT's next-sentence data from them: half the pairs are a sentence and the one after it
(IsNext), half a sentence and one drawn from another paragraph (NotNext). The training pairs and the held-out
pairs come from different seeds, and no held-out pair is a training pair.

Pure Python; nothing here imports torch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from playground.tasks.lab.corpus import (ACTIVITIES, ANIMALS, CAPITALS, DAYS, DRINKS, FOODS, JOBS, NAMES, NEGATIVE,
                                         NEGATIVE_REACTIONS, PLACES, POSITIVE, POSITIVE_REACTIONS, THINGS, WEATHER)

NSP_TRAIN_SEED = 11
NSP_HELDOUT_SEED = 12


@dataclass(frozen=True)
class SentencePair:
    first: str
    second: str
    is_next: bool


def _outing(rng: random.Random) -> list[str]:
    name, place, day = rng.choice(NAMES), rng.choice(PLACES), rng.choice(DAYS)
    food, drink = rng.choice(FOODS), rng.choice(DRINKS)
    return [f"On {day}, {name} went to the {place}.", f"At the {place}, {name} bought some {food}.",
            f"Then {name} drank a cup of {drink}.", f"In the evening {name} carried the {food} home."]


def _animal(rng: random.Random) -> list[str]:
    noun = rng.choice(tuple(ANIMALS))
    first, second = rng.sample(ANIMALS[noun], 2) if len(ANIMALS[noun]) > 1 else ANIMALS[noun] * 2
    return [f"The {noun} {first}.", f"Later the same {noun} {second}.", f"Everyone liked the {noun}."]


def _job(rng: random.Random) -> list[str]:
    noun = rng.choice(tuple(JOBS))
    first, second = rng.sample(JOBS[noun], 2)
    return [f"The {noun} {first}.", f"After that, the {noun} {second}.", f"It was a long day for the {noun}."]


def _city(rng: random.Random) -> list[str]:
    country = rng.choice(tuple(CAPITALS))
    city = CAPITALS[country]
    return [f"{city} is the capital of {country}.", f"Many people in {country} live in {city}.",
            f"Every year tourists visit {city}."]


def _review(rng: random.Random) -> list[str]:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    positive = rng.random() < 0.5
    adjective = rng.choice(POSITIVE if positive else NEGATIVE)
    reaction = rng.choice(POSITIVE_REACTIONS if positive else NEGATIVE_REACTIONS)
    return [f"{name} went to see the {thing}.", f"{name} said the {thing} was {adjective}.",
            f"Afterwards {name} {reaction}."]


def _weather(rng: random.Random) -> list[str]:
    name, day, weather = rng.choice(NAMES), rng.choice(DAYS), rng.choice(WEATHER)
    return [f"It was {weather} on {day}.", f"Because it was {weather}, {name} stayed at home.",
            f"At home {name} {rng.choice(ACTIVITIES)}."]


PARAGRAPHS: tuple[Callable[[random.Random], list[str]], ...] = (_outing, _animal, _job, _city, _review, _weather)


def lab_paragraph(rng: random.Random) -> list[str]:
    """One paragraph of the lab world (its sentences, in order)."""
    return rng.choice(PARAGRAPHS)(rng)


def _pairs(count: int, seed: int) -> list[SentencePair]:
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        paragraph = lab_paragraph(rng)
        i = rng.randrange(len(paragraph) - 1)
        if rng.random() < 0.5:
            pairs.append(SentencePair(paragraph[i], paragraph[i + 1], True))
            continue
        other = lab_paragraph(rng)  # a sentence of another paragraph; it may share nothing with the first
        second = rng.choice(other)
        if second not in paragraph:
            pairs.append(SentencePair(paragraph[i], second, False))
    return pairs


def nsp_pairs(count: int, heldout: bool = False) -> list[SentencePair]:
    """Next-sentence pairs (about half IsNext). The held-out ones never repeat a training pair and are exactly
    half IsNext (true continuations repeat more often, so filtering alone would leave fewer of them), so
    chance — and always answering one label — is 50 %."""
    if not heldout:
        return _pairs(count, NSP_TRAIN_SEED)
    seen = {(p.first, p.second) for p in _pairs(NSP_TRAIN_PAIRS, NSP_TRAIN_SEED)}
    fresh = [p for p in dict.fromkeys(_pairs(count * 8, NSP_HELDOUT_SEED)) if (p.first, p.second) not in seen]
    is_next, not_next = [p for p in fresh if p.is_next], [p for p in fresh if not p.is_next]
    half = count // 2
    if len(is_next) < half or len(not_next) < count - half:
        raise ValueError(f"not enough fresh held-out pairs for {count}")
    mixed = is_next[:half] + not_next[:count - half]
    random.Random(NSP_HELDOUT_SEED).shuffle(mixed)
    return mixed


NSP_TRAIN_PAIRS = 6000
