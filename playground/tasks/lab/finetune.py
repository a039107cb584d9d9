"""Fine-tuning, the second half of the story: a small classification head on the pre-trained lab BERT and GPT,
next to the same architecture trained from scratch on the same few labelled sentences.

For each model, each number of labelled examples (8, 16, 32, 64 by default) and each repeat, both contenders
get the same examples (balanced, drawn with the seed), the same steps and the same learning rate; accuracy
is measured on held-out review sentences written in other frames than the training examples. The curve
is the mean over repeats. Nothing is assumed about who wins.

Two options: the user's own labelled lines (`positive: I loved it`, one a line) instead of the built-in
reviews, split into training examples and a held-out set; and a real small checkpoint (e.g. DistilBERT,
loaded by the caller through the model store) fine-tuned the same way within a time budget of its own.
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_float, check_int, shown
from playground.core.tokens import padded_batch
from playground.core.types import LoadedModel
from playground.lm.training import TrainSettings, set_cpu_threads
from playground.models.construction import constructing
from playground.tasks.lab.corpus import SENTIMENT_FRAMES, LabelledSentence, sentiment_examples
from playground.tasks.lab.networks import language_model_body
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


class _BudgetReached(Exception):
    """The checkpoint's time budget ran out (between two steps)."""


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


def _max_tokens(body) -> int:
    """The longest input the body's position embeddings allow (a user's line may be longer)."""
    config = body.config
    return int(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 512)


def _encode(tokenizer, texts: list[str], device, max_tokens: int = 512) -> dict:
    """A padded batch, each row cut to `max_tokens` here, per call: asking the tokenizer to truncate or pad would
    set that state on its Rust backend, which the model store shares with every other request."""
    keeps_last = tokenizer.num_special_tokens_to_add() > 0  # an encoder's closing [SEP] survives the cut
    rows = []
    for row in tokenizer(texts)["input_ids"]:
        if len(row) > max_tokens:
            row = row[:max_tokens - 1] + row[-1:] if keeps_last else row[:max_tokens]
        rows.append(row)
    ids, mask = padded_batch(rows, tokenizer.pad_token_id)
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device)}


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


def _train_and_score(body, tokenizer, hidden: int, pooling: str, train: Sequence[LabelledSentence],
                     test: Sequence[LabelledSentence], steps: int, learning_rate: float, seed: int,
                     deadline: float | None = None, release: bool = False) -> float:
    import torch  # heavy: deferred from start-up
    from accelerate import Accelerator  # heavy: deferred from start-up

    from playground.lm.objectives import PooledClassifier  # torch at import: imported lazily

    with constructing():  # a new layer: its init functions are what a concurrent load patches
        torch.manual_seed(seed + 1)  # the new head starts the same for both contenders
        model = PooledClassifier(body, hidden, pooling=pooling)
    max_tokens = _max_tokens(body)
    accelerator = Accelerator()
    threads_before = set_cpu_threads(accelerator, TrainSettings().cpu_threads)
    try:
        optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
        model, optimizer = accelerator.prepare(model, optimizer)
        generator = torch.Generator().manual_seed(seed)
        batch_size = min(16, len(train))
        texts, labels = [e.text for e in train], torch.tensor([e.label for e in train])
        model.train()
        for _ in range(steps):
            if deadline is not None and time.perf_counter() > deadline:
                raise _BudgetReached
            order = torch.randperm(len(train), generator=generator)[:batch_size]
            enc = _encode(tokenizer, [texts[i] for i in order], accelerator.device, max_tokens)
            loss = model(**enc, labels=labels[order].to(accelerator.device)).loss
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return _accuracy(model, tokenizer, test, accelerator.device, max_tokens)
    finally:
        # free_memory's full garbage collection costs more than a small lab run itself on the CPU; it matters
        # for an accelerator's cache and for a large checkpoint's copy, so those get it.
        if release or accelerator.device.type != "cpu":
            accelerator.free_memory()
        torch.set_num_threads(threads_before)


def _accuracy(model, tokenizer, test: Sequence[LabelledSentence], device, max_tokens: int = 512) -> float:
    import torch  # heavy: deferred from start-up

    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(test), 64):
            chunk = test[start:start + 64]
            enc = _encode(tokenizer, [e.text for e in chunk], device, max_tokens)
            predicted = model(**enc).logits.argmax(-1).cpu()
            correct += int((predicted == torch.tensor([e.label for e in chunk])).sum())
    return correct / len(test)


def finetune_curve(run_dir: Path, sizes: object = DEFAULT_SIZES, models: Sequence[str] = (LAB_BERT, LAB_GPT),
                   steps: object = DEFAULT_STEPS, repeats: object = DEFAULT_REPEATS,
                   learning_rate: object = DEFAULT_LEARNING_RATE, seed: object = 0, labelled_lines: object = "",
                   checkpoint: LoadedModel | None = None, checkpoint_budget_s: object = DEFAULT_CHECKPOINT_BUDGET_S,
                   notices: Sequence[str] = (),
                   progress: Callable[[float, str], None] | None = None) -> FinetuneResult:
    """Accuracy against the number of labelled examples, pre-trained vs from scratch, for each lab model;
    on the built-in reviews or on the user's labelled lines; plus `checkpoint` (pre-trained) if given."""
    sizes = check_sizes(sizes)
    steps = check_int(steps, "Fine-tuning steps", 1, 500)
    repeats = check_int(repeats, "Repeats", 1, 10)
    learning_rate = check_float(learning_rate, "Learning rate", 1e-6, 1e-1)
    seed = check_int(seed, "Seed", 0, 2**31 - 1)
    budget = check_float(checkpoint_budget_s, "Checkpoint time budget (s)", 1, MAX_CHECKPOINT_BUDGET_S)
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
        pool, test = split_examples()
    started = time.perf_counter()
    contenders = [(name, init) for name in models for init in INITS]
    if checkpoint is not None:
        contenders.append((checkpoint.name, "pre-trained"))
    points = []
    total = len(contenders) * len(sizes) * repeats
    done = 0
    deadline = None
    for name, init in contenders:
        is_checkpoint = checkpoint is not None and name == checkpoint.name
        if is_checkpoint:
            deadline = time.perf_counter() + budget
        for size in sizes:
            scores = []
            try:
                for repeat in range(repeats):
                    examples = draw_examples(pool, size, seed + 1000 * repeat + size)
                    if is_checkpoint:
                        body, tokenizer, hidden = checkpoint_body(checkpoint)
                        pooling = "mean"
                    else:
                        body, tokenizer, hidden = language_model_body(run_dir, name, init == "pre-trained",
                                                                      seed=seed + repeat)
                        pooling = POOLING.get(name, "last")
                    scores.append(_train_and_score(body, tokenizer, hidden, pooling, examples, test, steps,
                                                   learning_rate, seed + repeat, deadline if is_checkpoint else None,
                                                   release=is_checkpoint))
                    done += 1
                    if progress:
                        progress(done / total, f"{name}, {init}, {size} examples")
            except _BudgetReached:
                reached = [p.examples for p in points if p.model_name == name]
                notices.append(f"{name}: its time budget ({budget:.0f} s) ran out at {size} examples"
                               + (f"; measured up to {max(reached)}." if reached else "; nothing measured.")
                               + " Give it a larger budget, fewer steps or fewer repeats.")
                break
            points.append(FinetunePoint(model_name=name, init=init, examples=size,
                                        accuracy=sum(scores) / len(scores), accuracies=tuple(scores)))
    return FinetuneResult(sizes=sizes, points=tuple(points), test_size=len(test), repeats=repeats, steps=steps,
                          learning_rate=learning_rate, seconds=time.perf_counter() - started,
                          data=USER_DATA if user else BUILTIN_DATA, train_pool=len(pool),
                          checkpoint=checkpoint.name if checkpoint is not None else "", notices=tuple(notices))
