"""Fine-tuning, the second half of the story: a small classification head on the pre-trained lab BERT and GPT,
next to the same architecture trained from scratch on the same few labelled sentences.

For each model, each number of labelled examples (8, 16, 32, 64 by default) and each repeat, both contenders
get the same examples (balanced, drawn with the seed), the same steps and the same learning rate; accuracy
is measured on held-out review sentences written in other frames than the training examples. The curve
is the mean over repeats, its spread their sample standard deviation. Nothing is assumed about who wins.

How the classifier is trained — the recipe (full fine-tuning, a frozen encoder + linear head, gradual unfreezing
with discriminative learning rates), the pooling, and ULMFiT's three stages as one more curve — is `transfer.py`;
the defaults here were chosen on a validation split by `study.py` (docs/lab.md has the tables).

Two options: the user's own labelled lines (`positive: I loved it`, one a line) instead of the built-in
reviews, split into training examples and a held-out set; and a real small checkpoint (e.g. DistilBERT,
loaded by the caller through the model store) fine-tuned the same way within a time budget of its own.
"""

from __future__ import annotations

import copy
import random
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_float, check_int, shown
from playground.core.types import LoadedModel
from playground.tasks import lab
from playground.tasks.lab.corpus import SENTIMENT_FRAMES, LabelledSentence, sentiment_examples
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT, LAB_LSTM

DEFAULT_SIZES = (8, 16, 32, 64)
MAX_EXAMPLES = 256
DEFAULT_STEPS = 40
DEFAULT_REPEATS = 5
# The recipes (`transfer.py` trains them) and their learning rates, the poolings: chosen on the validation split
# (`study.py`; docs/lab.md has the table): full fine-tuning at 1e-3 was best for both models (1e-4 barely moves in
# 40 steps; the frozen encoder and gradual unfreezing stay near chance); GPT needs its last token, BERT mean ≈ [CLS].
RECIPES = {"full": "full fine-tuning", "frozen": "frozen encoder + linear head",
           "gradual": "gradual unfreezing with discriminative learning rates (ULMFiT)"}
DEFAULT_RECIPE = "full"
LEARNING_RATES = {"full": 1e-3, "frozen": 1e-2, "gradual": 1e-2}
POOLINGS = ("first", "mean", "last")  # first = BERT's [CLS]
AUTO = "auto"  # each model's default pooling (POOLING)
# ULMFiT's three stages: pre-training → unsupervised (language-model) fine-tuning → supervised fine-tuning.
ULMFIT = "pre-trained + LM fine-tuned"
REMEDY = "pre-trained + more MLM on cued reviews"  # the study's "transfer anyway" curve (lab-bert; study.py)
DEFAULT_LM_STEPS = 200
MAX_LM_STEPS = 2000
LM_LEARNING_RATE = 1e-4  # one rate, not validated: picked after a single smoke run at 1e-3 (docs/lab.md says so)
TEST_SIZE = 240
TRAIN_FRAMES = SENTIMENT_FRAMES[:3]  # the labelled examples come from these frames, the test from the others
INITS = ("pre-trained", "from scratch")
POOLING = {LAB_BERT: "mean", LAB_GPT: "last", LAB_LSTM: "last"}  # BERT: every token sees the whole text; GPT: only the last
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
    init: str  # "pre-trained" | "from scratch" | ULMFIT
    examples: int
    accuracy: float  # mean over repeats
    accuracies: tuple[float, ...]
    sd: float = 0.0  # sample standard deviation of `accuracies`


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
    recipe: str = DEFAULT_RECIPE  # how the classifier was trained (RECIPES); the ULMFiT curve always gradually
    pooling: str = AUTO
    lm_steps: int = 0  # ULMFiT's unsupervised fine-tuning steps (0 = no ULMFiT curve)


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


def checkpoint_body(loaded: LoadedModel):
    """(body, tokenizer, hidden size) of a loaded encoder checkpoint: a private, trainable copy of its body
    (the store's model is shared by every user and stays untouched)."""
    body = copy.deepcopy(loaded.model.base_model)
    body.requires_grad_(True)
    tokenizer = loaded.tokenizer
    if tokenizer.pad_token_id is None:  # padding is masked out anyway; the shared tokenizer stays as it is
        tokenizer = copy.deepcopy(tokenizer)
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    config = body.config
    hidden = getattr(config, "hidden_size", None) or getattr(config, "dim", None)
    return body, tokenizer, int(hidden)



def validation_split() -> tuple[list[LabelledSentence], list[LabelledSentence]]:
    """(training pool, validation set) inside the training frames — the first two train, the third validates —
    for choosing the lab's defaults; the test frames stay unseen until the choice is made."""
    examples = sentiment_examples()
    pool = [e for e in examples if any(_from_frame(e.text, f) for f in TRAIN_FRAMES[:-1])]
    return pool, [e for e in examples if _from_frame(e.text, TRAIN_FRAMES[-1])]


def check_recipe(recipe: object) -> str:
    if recipe in ("", None, "default"):
        return DEFAULT_RECIPE
    if not isinstance(recipe, str) or recipe not in RECIPES:
        raise PlaygroundError(f"Unknown fine-tuning recipe {shown(str(recipe), 30)}. Choose one of: "
                              f"{', '.join(RECIPES)} ({'; '.join(f'{k}: {v}' for k, v in RECIPES.items())}).")
    return str(recipe)


def check_pooling(pooling: object) -> str:
    if pooling in ("", None, AUTO):
        return AUTO
    if not isinstance(pooling, str) or pooling not in POOLINGS:
        raise PlaygroundError(f"Unknown pooling {shown(str(pooling), 30)}. Choose one of: {AUTO}, "
                              f"{', '.join(POOLINGS)}.")
    return str(pooling)


def spread(scores: Sequence[float]) -> float:
    """The sample standard deviation of the repeats (0 for one repeat)."""
    return statistics.stdev(scores) if len(scores) > 1 else 0.0


def _body(run_dir: Path, name: str, init: str, seed: int, checkpoint: LoadedModel | None,
          adapted: dict, unlabelled: Sequence[str], lm_steps: int, lm_learning_rate: float):
    """The contender's body: a checkpoint's private copy, a lab model pre-trained / from scratch, or ULMFiT's
    stage-2 body (language-model fine-tuned on the unlabelled reviews; once per repeat, copied for each size)."""
    if checkpoint is not None and name == checkpoint.name:
        return checkpoint_body(checkpoint)
    if init == ULMFIT:
        if (name, seed) not in adapted:
            adapted[(name, seed)] = lab.transfer.lm_finetune(run_dir, name, unlabelled, lm_steps,
                                                             lm_learning_rate, seed)
        body, tokenizer, hidden = adapted[(name, seed)]
        return lab.transfer.copied(body), tokenizer, hidden
    return lab.transfer.lab_body(run_dir, name, init == "pre-trained", seed=seed)


def finetune_curve(run_dir: Path, sizes: object = DEFAULT_SIZES, models: Sequence[str] = (LAB_BERT, LAB_GPT),
                   steps: object = DEFAULT_STEPS, repeats: object = DEFAULT_REPEATS,
                   learning_rate: object = 0, seed: object = 0, labelled_lines: object = "",
                   checkpoint: LoadedModel | None = None, checkpoint_budget_s: object = DEFAULT_CHECKPOINT_BUDGET_S,
                   notices: Sequence[str] = (), recipe: object = DEFAULT_RECIPE, pooling: object = AUTO,
                   ulmfit: object = False, lm_steps: object = DEFAULT_LM_STEPS,
                   split: tuple[list[LabelledSentence], list[LabelledSentence]] | None = None,
                   lm_learning_rate: float = LM_LEARNING_RATE, inits: Sequence[str] | None = None,
                   stop: threading.Event | None = None, ulmfit_learning_rate: float | None = None,
                   progress: Callable[[float, str], None] | None = None) -> FinetuneResult:
    """Accuracy against the number of labelled examples, pre-trained vs from scratch (and ULMFiT's three stages
    if `ulmfit`), for each lab model, trained with `recipe`; on the built-in reviews or on the user's labelled
    lines; plus `checkpoint` (pre-trained) if given. `learning_rate` 0 = the recipe's default; `split` (pool,
    held-out) replaces the built-in one (the study's validation split)."""
    sizes = check_sizes(sizes)
    steps = check_int(steps, "Fine-tuning steps", 1, 500)
    repeats = check_int(repeats, "Repeats", 1, 10)
    recipe = check_recipe(recipe)
    pooling = check_pooling(pooling)
    learning_rate = check_float(learning_rate, "Learning rate (0 = the recipe's default)", 0, 1e-1) \
        or LEARNING_RATES[recipe]
    ulmfit_learning_rate = ulmfit_learning_rate or LEARNING_RATES["gradual"]  # stage 3: gradual unfreezing's rate
    seed = check_int(seed, "Seed", 0, 2**31 - 1)
    budget = check_float(checkpoint_budget_s, "Checkpoint time budget (s)", 1, MAX_CHECKPOINT_BUDGET_S)
    lm_steps = check_int(lm_steps, "Language-model fine-tuning steps", 1, MAX_LM_STEPS)
    if not isinstance(ulmfit, bool):
        raise PlaygroundError("ulmfit must be true or false.")
    unknown = [m for m in models if m not in POOLING]
    if unknown:
        raise PlaygroundError(f"The fine-tuning lab trains {', '.join(POOLING)}; not {', '.join(unknown)}.")
    notices = list(notices)
    labelled_lines = "" if labelled_lines is None else labelled_lines
    if not isinstance(labelled_lines, str):
        parse_labelled_lines(labelled_lines)  # says what is wrong
    user = bool(labelled_lines.strip())
    if user:
        pool, test = split_user_examples(parse_labelled_lines(labelled_lines))
        sizes, fitted = fit_sizes(sizes, pool)
        notices += fitted
    else:
        pool, test = split or split_examples()
    unlabelled = [e.text for e in pool]  # ULMFiT's stage 2 reads these without their labels; never the held-out
    started = time.perf_counter()
    inits = tuple(inits or INITS + ((ULMFIT,) if ulmfit else ()))
    contenders = [(name, init) for name in models for init in inits]
    if checkpoint is not None:
        contenders.append((checkpoint.name, "pre-trained"))
    points, adapted = [], {}
    total = len(contenders) * len(sizes) * repeats
    done = 0
    for name, init in contenders:
        if stop is not None and stop.is_set():
            notices.append(f"Stopped after {done} of {total} runs: the curves measured in full are shown.")
            break
        is_checkpoint = checkpoint is not None and name == checkpoint.name
        deadline = time.perf_counter() + budget if is_checkpoint else None
        for size in sizes:
            scores = []
            try:
                for repeat in range(repeats):
                    if stop is not None and stop.is_set():
                        raise lab.transfer.BudgetReached
                    examples = draw_examples(pool, size, seed + 1000 * repeat + size)
                    body, tokenizer, hidden = _body(run_dir, name, init, seed + repeat, checkpoint, adapted,
                                                    unlabelled, lm_steps, lm_learning_rate)
                    scores.append(lab.transfer.train_and_score(
                        body, tokenizer, hidden, _pooling(pooling, name, is_checkpoint), examples, test, steps,
                        ulmfit_learning_rate if init == ULMFIT else learning_rate, seed + repeat,
                        recipe="gradual" if init == ULMFIT else recipe,
                        deadline=deadline, release=is_checkpoint))
                    done += 1
                    if progress:
                        progress(done / total, f"{name}, {init}, {size} examples")
            except lab.transfer.BudgetReached:
                if stop is not None and stop.is_set():
                    break
                reached = [p.examples for p in points if p.model_name == name]
                notices.append(f"{name}: its time budget ({budget:.0f} s) ran out at {size} examples"
                               + (f"; measured up to {max(reached)}." if reached else "; nothing measured.")
                               + " Give it a larger budget, fewer steps or fewer repeats.")
                break
            points.append(FinetunePoint(model_name=name, init=init, examples=size,
                                        accuracy=sum(scores) / len(scores), accuracies=tuple(scores),
                                        sd=spread(scores)))
    return FinetuneResult(sizes=sizes, points=tuple(points), test_size=len(test), repeats=repeats, steps=steps,
                          learning_rate=learning_rate, seconds=time.perf_counter() - started,
                          data=USER_DATA if user else BUILTIN_DATA, train_pool=len(pool),
                          checkpoint=checkpoint.name if checkpoint is not None else "", notices=tuple(notices),
                          recipe=recipe, pooling=pooling, lm_steps=lm_steps if ulmfit else 0)


def _pooling(pooling: str, name: str, is_checkpoint: bool) -> str:
    if pooling != AUTO:
        return pooling
    return "mean" if is_checkpoint else POOLING[name]
