"""Extractive questions about lab paragraphs, SQuAD 2.0 style: a short paragraph of lab facts, a question, and
the answer's characters in the paragraph — or none, when the paragraph does not say (a third of them).

Every kind of fact has training question frames and held-out ones ("Where did Anna go?" is trained on,
"To which place did Anna go?" is only asked in the test), and the held-out paragraphs come from another seed.
An unanswerable question asks the paragraph's own kind of question about someone or something it never
mentions, so the words of the question alone cannot tell.

Pure Python; nothing here imports torch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from playground.tasks.lab.corpus import ANIMALS, CAPITALS, DAYS, DRINKS, FOODS, JOBS, NAMES, PLACES

QA_TRAIN_SEED = 21
QA_HELDOUT_SEED = 22
UNANSWERABLE_SHARE = 1 / 3

# kind -> (training frames, held-out frames); {N} name, {P} place, {K} country, {A} what an animal/worker did
QUESTION_FRAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "place": (("Where did {N} go?", "Where did {N} go on that day?"), ("To which place did {N} go?",)),
    "day": (("When did {N} go to the {P}?", "What day did {N} go to the {P}?"),
            ("On which day did {N} visit the {P}?",)),
    "food": (("What did {N} buy?", "What did {N} buy at the {P}?"), ("Which food did {N} get at the {P}?",)),
    "drink": (("What did {N} drink?", "What did {N} drink afterwards?"), ("Which drink did {N} have?",)),
    "capital": (("What is the capital of {K}?", "What is the capital city of {K}?"),
                ("Which city is the capital of {K}?",)),
    "animal": (("Which animal {A}?", "What animal {A}?"), ("Name the animal that {A}.",)),
    "job": (("Who {A}?", "Which worker {A}?"), ("Name the worker who {A}.",)),
}


@dataclass(frozen=True)
class QAExample:
    context: str
    question: str
    answer: str  # "" when the context does not answer the question
    answer_start: int  # character offset in the context; -1 when unanswerable
    kind: str


def _outing(rng: random.Random) -> tuple[str, dict[str, tuple[dict[str, str], str]], str]:
    name, place, day = rng.choice(NAMES), rng.choice(PLACES), rng.choice(DAYS)
    food, drink = rng.choice(FOODS), rng.choice(DRINKS)
    text = f"On {day}, {name} went to the {place}. There {name} bought some {food}. Then {name} drank {drink}."
    fields = {"N": name, "P": place}
    return text, {"place": (fields, place), "day": (fields, day), "food": (fields, food),
                  "drink": (fields, drink)}, name


def _capital(rng: random.Random) -> tuple[str, dict[str, tuple[dict[str, str], str]], str]:
    country = rng.choice(tuple(CAPITALS))
    return f"{CAPITALS[country]} is the capital of {country}.", {"capital": ({"K": country}, CAPITALS[country])}, country


def _doer(rng: random.Random, table: dict[str, tuple[str, ...]], kind: str):
    noun = rng.choice(tuple(table))
    act = rng.choice(table[noun])
    return f"The {noun} {act}.", {kind: ({"A": act}, noun)}, noun


FACTS = (_outing, _capital, lambda rng: _doer(rng, ANIMALS, "animal"), lambda rng: _doer(rng, JOBS, "job"))


def _absent_fields(kind: str, fields: dict[str, str], context: str, rng: random.Random) -> dict[str, str] | None:
    """The same question about a name, country or deed the paragraph never mentions (None if none is left)."""
    if kind in ("place", "day", "food", "drink"):
        options = [n for n in NAMES if n not in context]
        return {**fields, "N": rng.choice(options)} if options else None
    if kind == "capital":
        options = [k for k in CAPITALS if k not in context]
        return {"K": rng.choice(options)} if options else None
    table = ANIMALS if kind == "animal" else JOBS
    options = [a for acts in table.values() for a in acts if a not in context]
    return {"A": rng.choice(options)} if options else None


def qa_example(rng: random.Random, heldout: bool) -> QAExample:
    """One paragraph of 3 lab facts and one question about it (answerable or not)."""
    facts = [fact(rng) for fact in rng.sample(FACTS, 3)]  # one fact of each kind: never two Annas
    context = " ".join(text for text, _, _ in facts)
    text, questions, _ = rng.choice(facts)
    kind = rng.choice(tuple(questions))
    fields, answer = questions[kind]
    frame = rng.choice(QUESTION_FRAMES[kind][1 if heldout else 0])
    if rng.random() < UNANSWERABLE_SHARE:
        absent = _absent_fields(kind, fields, context, rng)
        if absent is not None:
            return QAExample(context, frame.format(**absent), "", -1, kind)
    offset = context.index(text)  # the fact's own sentence, then the answer inside it
    return QAExample(context, frame.format(**fields), answer, offset + text.index(answer), kind)


def qa_examples(count: int, heldout: bool = False) -> list[QAExample]:
    """Training examples (training frames, one seed) or held-out ones (held-out frames, another seed)."""
    rng = random.Random(QA_HELDOUT_SEED if heldout else QA_TRAIN_SEED)
    return [qa_example(rng, heldout) for _ in range(count)]
