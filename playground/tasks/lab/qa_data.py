"""Extractive questions about lab paragraphs, SQuAD 2.0 style: a short paragraph of lab facts, a question, and
the answer's characters in the paragraph — or none, when the paragraph does not say (a third of them).

Every kind of fact has training question frames and held-out ones ("Which place did Anna go to?" is trained
on, "To which place did Anna go?" and "Tell me where Anna went." are only asked in the test: new sentences
around the words that say what is asked), and the held-out paragraphs come from another seed.
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
UNANSWERABLE_SHARE = 1 / 3  # of the held-out questions
TRAIN_UNANSWERABLE_SHARE = 0.4  # more of them in training: with a third, the head said "no answer" too rarely

# kind -> (training frames, held-out frames); {N} name, {P} place, {K} country, {A} what an animal/worker did
QUESTION_FRAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "place": (("Where did {N} go?", "Which place did {N} go to?", "Where did {N} go on that day?",
               "Name the place {N} went to.", "{N} went where?"),
              ("Tell me where {N} went.", "To which place did {N} go?")),
    "day": (("When did {N} go to the {P}?", "Which day did {N} go to the {P}?",
             "Name the day {N} went to the {P}.", "{N} went to the {P} on which day?"),
            ("On which day did {N} go to the {P}?", "Tell me when {N} went to the {P}.")),
    "food": (("What did {N} buy?", "Which food did {N} buy?", "Name the food {N} bought.", "{N} bought what?"),
             ("What food did {N} buy at the {P}?", "Tell me what {N} bought.")),
    "drink": (("What did {N} drink?", "Which drink did {N} have?", "Name the drink {N} had.", "{N} drank what?"),
              ("What drink did {N} have?", "Tell me what {N} drank.")),
    "capital": (("What is the capital of {K}?", "Which city is the capital of {K}?", "Name the capital of {K}.",
                 "The capital of {K} is which city?"),
                ("Tell me the capital of {K}.", "What city is the capital of {K}?")),
    "animal": (("Which animal {A}?", "What animal {A}?", "Say which animal {A}.", "The animal that {A} is which one?"),
               ("Tell me which animal {A}.", "Name the animal that {A}.")),
    "job": (("Who {A}?", "Which worker {A}?", "Say who {A}.", "The worker who {A} is which one?"),
            ("Tell me who {A}.", "Name the worker who {A}.")),
}
# Training questions sometimes start with one of these, so that the head learns to look past a preamble for the
# words that matter (the held-out frames have preambles of their own: "Tell me …", "Name the …").
OPENINGS = ("Quick question:", "Please answer:", "I wonder,", "One more thing:", "Say,")


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
    city = CAPITALS[country]
    return f"{city} is the capital of {country}.", {"capital": ({"K": country}, city)}, country


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
    if not heldout and rng.random() < 0.5:
        frame = f"{rng.choice(OPENINGS)} {frame[0].lower()}{frame[1:]}"
    if rng.random() < (UNANSWERABLE_SHARE if heldout else TRAIN_UNANSWERABLE_SHARE):
        absent = _absent_fields(kind, fields, context, rng)
        if absent is not None:
            return QAExample(context, frame.format(**absent), "", -1, kind)
    offset = context.index(text)  # the fact's own sentence, then the answer inside it
    return QAExample(context, frame.format(**fields), answer, offset + text.index(answer), kind)


def qa_examples(count: int, heldout: bool = False) -> list[QAExample]:
    """Training examples (training frames, one seed) or held-out ones (held-out frames, another seed)."""
    rng = random.Random(QA_HELDOUT_SEED if heldout else QA_TRAIN_SEED)
    return [qa_example(rng, heldout) for _ in range(count)]
