"""Fine-tuning, the second half of the story: a small classification head on the pre-trained lab BERT and GPT,
next to the same architecture trained from scratch on the same few labelled sentences.

For each model, each number of labelled examples (8, 16, 32, 64 by default) and each repeat, both contenders
get the same examples (balanced, drawn with the seed), the same steps and the same learning rate; accuracy
is measured on held-out review sentences written in other frames than the training examples. The curve
is the mean over repeats. Nothing is assumed about who wins.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_float, check_int
from playground.lm.training import TrainSettings, set_cpu_threads
from playground.models.lab import LAB_BERT, LAB_GPT, language_model_body
from playground.tasks.lab_corpus import SENTIMENT_FRAMES, LabelledSentence, sentiment_examples

DEFAULT_SIZES = (8, 16, 32, 64)
MAX_EXAMPLES = 256
DEFAULT_STEPS = 40
DEFAULT_REPEATS = 3
DEFAULT_LEARNING_RATE = 1e-3
TEST_SIZE = 240
TRAIN_FRAMES = SENTIMENT_FRAMES[:3]  # the labelled examples come from these frames, the test from the others
INITS = ("pre-trained", "from scratch")
POOLING = {LAB_BERT: "mean", LAB_GPT: "last"}  # BERT: every token sees the whole text; GPT: only the last one


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
    notices: tuple[str, ...] = ()


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


def _encode(tokenizer, texts: list[str], device) -> dict:
    enc = tokenizer(texts, return_tensors="pt", padding=True)
    return {"input_ids": enc["input_ids"].to(device), "attention_mask": enc["attention_mask"].to(device)}


def _train_and_score(run_dir: Path, name: str, pretrained: bool, train: Sequence[LabelledSentence],
                     test: Sequence[LabelledSentence], steps: int, learning_rate: float, seed: int) -> float:
    import torch
    from accelerate import Accelerator

    from playground.lm.objectives import PooledClassifier  # torch at import: imported lazily

    body, tokenizer, hidden = language_model_body(run_dir, name, pretrained, seed=seed)
    torch.manual_seed(seed + 1)  # the new head starts the same for both contenders
    model = PooledClassifier(body, hidden, pooling=POOLING.get(name, "last"))
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
            order = torch.randperm(len(train), generator=generator)[:batch_size]
            enc = _encode(tokenizer, [texts[i] for i in order], accelerator.device)
            loss = model(**enc, labels=labels[order].to(accelerator.device)).loss
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return _accuracy(model, tokenizer, test, accelerator.device)
    finally:
        accelerator.free_memory()
        torch.set_num_threads(threads_before)


def _accuracy(model, tokenizer, test: Sequence[LabelledSentence], device) -> float:
    import torch

    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(test), 64):
            chunk = test[start:start + 64]
            predicted = model(**_encode(tokenizer, [e.text for e in chunk], device)).logits.argmax(-1).cpu()
            correct += int((predicted == torch.tensor([e.label for e in chunk])).sum())
    return correct / len(test)


def finetune_curve(run_dir: Path, sizes: object = DEFAULT_SIZES, models: Sequence[str] = (LAB_BERT, LAB_GPT),
                   steps: object = DEFAULT_STEPS, repeats: object = DEFAULT_REPEATS,
                   learning_rate: object = DEFAULT_LEARNING_RATE, seed: object = 0,
                   progress: Callable[[float, str], None] | None = None) -> FinetuneResult:
    """Accuracy against the number of labelled examples, pre-trained vs from scratch, for each lab model."""
    sizes = check_sizes(sizes)
    steps = check_int(steps, "Fine-tuning steps", 1, 500)
    repeats = check_int(repeats, "Repeats", 1, 10)
    learning_rate = check_float(learning_rate, "Learning rate", 1e-6, 1e-1)
    seed = check_int(seed, "Seed", 0, 2**31 - 1)
    pool, test = split_examples()
    started = time.perf_counter()
    points = []
    total = len(models) * len(sizes) * len(INITS) * repeats
    done = 0
    for name in models:
        for size in sizes:
            for init in INITS:
                scores = []
                for repeat in range(repeats):
                    examples = draw_examples(pool, size, seed + 1000 * repeat + size)
                    scores.append(_train_and_score(run_dir, name, init == "pre-trained", examples, test, steps,
                                                   learning_rate, seed + repeat))
                    done += 1
                    if progress:
                        progress(done / total, f"{name}, {init}, {size} examples")
                points.append(FinetunePoint(model_name=name, init=init, examples=size,
                                            accuracy=sum(scores) / len(scores), accuracies=tuple(scores)))
    return FinetuneResult(sizes=sizes, points=tuple(points), test_size=len(test), repeats=repeats, steps=steps,
                          learning_rate=learning_rate, seconds=time.perf_counter() - started)
