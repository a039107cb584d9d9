"""Labelled words for the probes, drawn (seeded) from the Pretraining lab's world (`tasks.lab.corpus`).

- `noun_kind`: the noun of a fact sentence — an animal ("The dog barked at the mailman.") or an object ("She
  opened the window and let the fresh air in."). A property of the word type itself.
- `review_sentiment`: the reviewed thing ("movie", "concert", …) labelled with its review's sentiment, which
  only the adjective, verb and reaction carry — before the noun in some templates, after it in others. A
  property of the context, not of the word: a left-to-right model can know it only when the deciding words
  come first.
"""

from __future__ import annotations

import random

from playground.core.errors import PlaygroundError
from playground.lm.inside_results import LabelledWord
from playground.tasks.lab.corpus import (ANIMALS, NAMES, NEGATIVE, NEGATIVE_REACTIONS, NEGATIVE_VERBS,
                                         OBJECT_FRAMES_HELDOUT, OBJECT_FRAMES_TRAIN, OBJECTS, POSITIVE,
                                         POSITIVE_REACTIONS, POSITIVE_VERBS, PURPOSE_FIRST_FRAMES_HELDOUT,
                                         PURPOSE_FIRST_FRAMES_TRAIN, SUBJECT_FRAMES_HELDOUT, SUBJECT_FRAMES_TRAIN,
                                         SUBJECTS, THINGS)

LABEL_SETS = {
    "noun_kind": "noun: animal vs object (a property of the word)",
    "review_sentiment": "reviewed thing: its review's sentiment (a property of the context)",
}
EXAMPLES = 240  # sentences per label set: one labelled word each
SEED = 27


def check_label_set(label_set: object) -> str:
    for key, label in LABEL_SETS.items():
        if label_set in (key, label):
            return key
    raise PlaygroundError(f"Probe labels must be one of {', '.join(LABEL_SETS)}, got {label_set!r}.")


def _noun_kind(rng: random.Random) -> LabelledWord:
    if rng.random() < 0.5:
        noun = rng.choice(tuple(ANIMALS))
        frame = rng.choice(SUBJECT_FRAMES_TRAIN + SUBJECT_FRAMES_HELDOUT)
        return LabelledWord(frame.format(N=noun, P=rng.choice(ANIMALS[noun])), noun, "animal")
    noun = rng.choice(tuple(OBJECTS))
    verb, purposes = OBJECTS[noun]
    past, infinitive = rng.choice(purposes)
    frame = rng.choice(OBJECT_FRAMES_TRAIN + OBJECT_FRAMES_HELDOUT + PURPOSE_FIRST_FRAMES_TRAIN
                       + PURPOSE_FIRST_FRAMES_HELDOUT)
    sentence = frame.format(S=rng.choice(SUBJECTS), V=verb, N=noun, A=past, I=infinitive)
    return LabelledWord(sentence[0].upper() + sentence[1:], noun, "object")


def _review(rng: random.Random) -> LabelledWord:
    positive = rng.random() < 0.5
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    adjective = rng.choice(POSITIVE if positive else NEGATIVE)
    verb = rng.choice(POSITIVE_VERBS if positive else NEGATIVE_VERBS)
    reaction = rng.choice(POSITIVE_REACTIONS if positive else NEGATIVE_REACTIONS)
    sentence = rng.choice((f"{name} {verb} the {thing}; it was {adjective}.",  # decided before the noun
                           f"The {thing} was {adjective}, and {name} {reaction}.",  # decided after it
                           f"{name} said the {thing} was {adjective} and {reaction}."))
    return LabelledWord(sentence, thing, "positive" if positive else "negative")


def labelled_words(label_set: str, count: int = EXAMPLES, seed: int = SEED) -> list[LabelledWord]:
    """`count` distinct labelled sentences of the label set, the same on every machine."""
    draw = _noun_kind if check_label_set(label_set) == "noun_kind" else _review
    rng = random.Random(seed)
    seen: dict[str, LabelledWord] = {}
    for _ in range(count * 20):
        example = draw(rng)
        seen.setdefault(example.sentence, example)
        if len(seen) == count:
            break
    return list(seen.values())
