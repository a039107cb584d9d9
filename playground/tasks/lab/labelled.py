"""The fine-tuning curve's inputs and result, without torch: its bounds and defaults, the user's labelled lines
(`positive: I loved it`, one a line) parsed and split into a training pool and a held-out set, the built-in
reviews split by frame, and the frozen result the tab and the JSON API show (`finetune.py` trains and measures).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_int, shown
from playground.tasks.lab.corpus import SENTIMENT_FRAMES, LabelledSentence, sentiment_examples
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT

DEFAULT_SIZES = (8, 16, 32, 64)
MAX_EXAMPLES = 256
DEFAULT_STEPS = 40
DEFAULT_REPEATS = 3
DEFAULT_LEARNING_RATE = 1e-3
TEST_SIZE = 240
TRAIN_FRAMES = SENTIMENT_FRAMES[:3]  # the labelled examples come from these frames, the test from the others
INITS = ("pre-trained", "from scratch")
POOLING = {LAB_BERT: "mean", LAB_GPT: "last"}  # BERT: every token sees the whole text; GPT: only the last one
BUILTIN_DATA = "built-in reviews"
USER_DATA = "your labelled lines"

# The user's labelled lines: `label: text`, one a line.
LABELS = {"positive": 1, "negative": 0}
LINE_FORMAT = "positive: I loved every minute of it"
MAX_LABELLED_CHARS = 40_000  # checked before any per-character work
MAX_LABELLED_LINES = 400
MAX_LINE_CHARS = 300
MIN_TEST_PER_LABEL = 2  # held out from the user's lines, per label (a quarter of them, at least this)
MIN_TRAIN_PER_LABEL = 2
MIN_PER_LABEL = MIN_TEST_PER_LABEL + MIN_TRAIN_PER_LABEL

# The real checkpoint: an encoder (its card lists one of these tasks), fine-tuned like lab-bert (mean pooling).
CHECKPOINT_TASKS = ("fill-mask", "sentiment")
DEFAULT_CHECKPOINT = "distilbert-base-uncased"
DEFAULT_CHECKPOINT_BUDGET_S = 180.0
MAX_CHECKPOINT_BUDGET_S = 1800.0


@dataclass(frozen=True)
class FinetunePoint:
    model_name: str
    init: str  # "pre-trained" | "from scratch"
    examples: int
    accuracy: float  # mean over repeats
    accuracies: tuple[float, ...]


@dataclass(frozen=True)
class FinetuneResult:
    sizes: tuple[int, ...]
    points: tuple[FinetunePoint, ...]
    test_size: int
    repeats: int
    steps: int
    learning_rate: float
    seconds: float
    chance: float = 0.5
    data: str = BUILTIN_DATA  # BUILTIN_DATA | USER_DATA
    train_pool: int = 0  # labelled examples the training sets were drawn from
    checkpoint: str = ""  # the real checkpoint fine-tuned for comparison ("" = none)
    notices: tuple[str, ...] = ()



# ---- the user's labelled lines -----------------------------------------------------------------------------

def parse_labelled_lines(text: object) -> list[LabelledSentence]:
    """`positive: …` / `negative: …` lines → labelled sentences; empty lines and exact repeats are skipped.

    Every problem names its line, so a long paste can be fixed without guessing.
    """
    if not isinstance(text, str):
        raise PlaygroundError(f"Labelled lines must be text, one `{LINE_FORMAT}` a line.")
    if len(text) > MAX_LABELLED_CHARS:
        raise PlaygroundError(f"The labelled lines are {len(text):,} characters; paste at most "
                              f"{MAX_LABELLED_CHARS:,} ({MAX_LABELLED_LINES} lines).")
    text = "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)  # lone surrogates: not text
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise PlaygroundError(f"No labelled lines: write one example a line, e.g. `{LINE_FORMAT}`.")
    if len(lines) > MAX_LABELLED_LINES:
        raise PlaygroundError(f"{len(lines)} labelled lines; the lab takes at most {MAX_LABELLED_LINES}.")
    examples: list[LabelledSentence] = []
    seen: dict[str, tuple[int, int]] = {}  # text -> (label, line)
    for number, line in lines:
        label, colon, sentence = line.partition(":")
        label, sentence = label.strip().lower(), sentence.strip()
        if not colon:
            raise PlaygroundError(f"Line {number} has no label: start it with `positive:` or `negative:` "
                                  f"(e.g. `{LINE_FORMAT}`).")
        if label not in LABELS:
            raise PlaygroundError(f"Line {number}: unknown label {shown(label, 30)}; use "
                                  f"{' or '.join(LABELS)} (`{LINE_FORMAT}`).")
        if not sentence:
            raise PlaygroundError(f"Line {number} has a label but no text after the colon.")
        if len(sentence) > MAX_LINE_CHARS:
            raise PlaygroundError(f"Line {number} is {len(sentence):,} characters long; lines may have up to "
                                  f"{MAX_LINE_CHARS}.")
        key = " ".join(sentence.lower().split())
        if key in seen:
            if seen[key][0] != LABELS[label]:
                raise PlaygroundError(f"Line {number} repeats the text of line {seen[key][1]} with the other label.")
            continue
        seen[key] = (LABELS[label], number)
        examples.append(LabelledSentence(sentence, LABELS[label]))
    return examples


def split_user_examples(examples: Sequence[LabelledSentence]) -> tuple[list[LabelledSentence], list[LabelledSentence]]:
    """(training pool, held-out set): a quarter of each label held out (at least MIN_TEST_PER_LABEL), fixed."""
    counts = {name: sum(e.label == label for e in examples) for name, label in LABELS.items()}
    if min(counts.values()) < MIN_PER_LABEL:
        have = " and ".join(f"{n} {name}" for name, n in counts.items())
        raise PlaygroundError(
            f"Too few labelled lines for a held-out split: give at least {MIN_PER_LABEL} lines of each label "
            f"({MIN_TRAIN_PER_LABEL} to train on, {MIN_TEST_PER_LABEL} held out to measure accuracy); "
            f"you gave {have}.")
    rng = random.Random(0)
    pool, test = [], []
    for label in LABELS.values():
        group = [e for e in examples if e.label == label]
        rng.shuffle(group)
        held = max(MIN_TEST_PER_LABEL, len(group) // 4)
        test += group[:held]
        pool += group[held:]
    return pool, test


def fit_sizes(sizes: tuple[int, ...], pool: Sequence[LabelledSentence]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The sizes a pool can serve (half of each label); larger ones are replaced by the largest it can."""
    largest = 2 * min(sum(e.label == label for e in pool) for label in LABELS.values())
    fitted = tuple(sorted({min(n, largest) for n in sizes}))
    if fitted == sizes:
        return sizes, ()
    return fitted, (f"Your lines leave {len(pool)} training examples, so at most {largest} balanced ones (half "
                    f"of each label): sizes above {largest} were replaced by {largest}.",)


def check_sizes(sizes: object) -> tuple[int, ...]:
    """'8, 16, 32' or [8, 16, 32] → (8, 16, 32): even counts (half positive, half negative), at most MAX_EXAMPLES."""
    if isinstance(sizes, str):
        parts = [p for p in sizes.replace(",", " ").split() if p]
    elif isinstance(sizes, (list, tuple)):
        parts = list(sizes)
    else:
        parts = []
    if not parts or len(parts) > 8:
        raise PlaygroundError("Give 1 to 8 numbers of labelled examples, e.g. '8, 16, 32, 64'.")
    out = sorted({check_int(p, "Number of labelled examples", 2, MAX_EXAMPLES) for p in parts})
    if any(n % 2 for n in out):
        raise PlaygroundError("Numbers of labelled examples must be even (half positive, half negative).")
    return tuple(out)


def split_examples(examples: Sequence[LabelledSentence] | None = None) -> tuple[list[LabelledSentence], list[LabelledSentence]]:
    """(training pool, test set): the pool from TRAIN_FRAMES, a fixed sample of the other frames as the test."""
    examples = list(examples or sentiment_examples())
    pool = [e for e in examples if any(_from_frame(e.text, f) for f in TRAIN_FRAMES)]
    rest = [e for e in examples if e not in pool]
    test = random.Random(0).sample(rest, min(TEST_SIZE, len(rest)))
    return pool, test


def _from_frame(text: str, frame: str) -> bool:
    head = frame.split("{")[0]
    tail = frame.rsplit("}", 1)[-1]
    return text.startswith(head) and text.endswith(tail)


def draw_examples(pool: Sequence[LabelledSentence], count: int, seed: int) -> list[LabelledSentence]:
    """`count` examples, half of each label, drawn with `seed`."""
    rng = random.Random(seed)
    by_label = {label: [e for e in pool if e.label == label] for label in (0, 1)}
    if any(len(v) < count // 2 for v in by_label.values()):
        raise PlaygroundError(f"Not enough labelled examples for {count} (have {len(pool)}).")
    chosen = rng.sample(by_label[0], count // 2) + rng.sample(by_label[1], count // 2)
    rng.shuffle(chosen)
    return chosen
