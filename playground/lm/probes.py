"""Linear probes per layer, written once for both readers, with Hewitt & Liang's (2019) control task.

Every labelled word's vector (the mean over its tokens) is read at every layer from batched forward passes
with `output_hidden_states` (each example read once). Per layer, a logistic regression (scikit-learn, on
standardised features) learns the label on a random 70 % of the sentences and is scored on the other 30 %.
The control task gives each word *type* a random label (same label proportions) and trains the same probe on
it: a probe that scores well there memorises word identities, not the property. Selectivity = accuracy −
control accuracy; a probe is only evidence about the representation where it is selective. Each repeat draws
a fresh split and a fresh control labelling from its own seed; the result reports mean and spread.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Callable, Sequence

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from playground.core.errors import PlaygroundError
from playground.lm.embeddings import hidden_states, word_positions
from playground.lm.inside_results import LabelledWord, ProbeLayer, ProbeResult
from playground.lm.lens import layer_names
from playground.lm.readers import TextReader

BATCH = 32
TEST_SHARE = 0.3
BUDGET_S = 9.0  # per model: the tab reads two, within the 20 s
MIN_REPEATS = 2  # a spread needs two
Progress = Callable[[float, str], None]


def word_vectors(reader: TextReader, examples: Sequence[LabelledWord],
                 progress: Progress | None = None) -> tuple[np.ndarray, int]:
    """layers+1 × examples × hidden: each example's word vector at every layer; and the passes it took."""
    chunks, passes = [], 0
    for start in range(0, len(examples), BATCH):
        batch = examples[start:start + BATCH]
        inputs = [reader.text_input(e.sentence) for e in batch]
        where = [word_positions(inp, e.word) for inp, e in zip(inputs, batch)]
        states = hidden_states(reader, inputs)
        chunks.append(torch.stack([states[:, row, positions].mean(1) for row, positions in enumerate(where)], 1))
        passes += 1
        if progress:
            progress(0.4 * (start + len(batch)) / len(examples), f"{reader.lm.name}: reading the examples")
    return torch.cat(chunks, 1).numpy(), passes


def control_labels(types: Sequence[str], labels: Sequence[str], rng: random.Random) -> list[str]:
    """A random label per word type, in the real labels' proportions over the types (Hewitt & Liang 2019)."""
    distinct = sorted(set(types))
    pool = [labels[types.index(t)] for t in distinct]
    rng.shuffle(pool)
    assigned = dict(zip(distinct, pool))
    return [assigned[t] for t in types]


def _accuracy(features: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    if len(set(labels[train])) < 2:
        return float(np.mean(labels[test] == labels[train][0]))
    # liblinear: one thread (lbfgs through a threaded BLAS was 20x slower on a loaded 2-core machine)
    probe = make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear", max_iter=500))
    probe.fit(features[train], labels[train])
    return float(probe.score(features[test], labels[test]))


def train_probes(reader: TextReader, examples: Sequence[LabelledWord], label_set: str, repeats: int = 5,
                 seed: int = 0, progress: Progress | None = None, budget_s: float = BUDGET_S) -> ProbeResult:
    """A probe per layer on the examples' labels and on the control task, `repeats` seeded splits each — fewer
    (at least 2, said in a notice) when the time since the start passes `budget_s`."""
    if len({e.label for e in examples}) < 2:
        raise PlaygroundError("A probe needs examples of at least two labels.")
    began = time.perf_counter()
    features, passes = word_vectors(reader, examples, progress)
    labels = np.array([e.label for e in examples])
    types = [e.word.lower() for e in examples]
    n = len(examples)
    scores = [[] for _ in features]
    controls = [[] for _ in features]
    majority = []
    done = 0
    for r in range(repeats):
        if r >= MIN_REPEATS and time.perf_counter() - began > budget_s:
            break
        done += 1
        rng = random.Random(seed + r)
        order = list(range(n))
        rng.shuffle(order)
        cut = int(n * TEST_SHARE)
        test, train = np.array(order[:cut]), np.array(order[cut:])
        control = np.array(control_labels(types, list(labels), rng))
        values, counts = np.unique(labels[train], return_counts=True)
        majority.append(float(np.mean(labels[test] == values[counts.argmax()])))
        for layer, layer_features in enumerate(features):
            scores[layer].append(_accuracy(layer_features, labels, train, test))
            controls[layer].append(_accuracy(layer_features, control, train, test))
        if progress:
            progress(0.4 + 0.6 * (r + 1) / repeats, f"{reader.lm.name}: probes, repeat {r + 1} of {repeats}")

    def spread(values: list[float]) -> float:
        return statistics.stdev(values) if len(values) > 1 else 0.0

    notices = () if done == repeats else (
        f"{reader.lm.name}: stopped after {done} of {repeats} repeats, at the {budget_s:g} s time budget.",)
    layers = tuple(ProbeLayer(layer=name, accuracy=statistics.mean(a), accuracy_spread=spread(a),
                              control_accuracy=statistics.mean(c), control_spread=spread(c),
                              selectivity=statistics.mean(a) - statistics.mean(c))
                   for name, a, c in zip(layer_names(len(features)), scores, controls))
    return ProbeResult(model_name=reader.lm.name, direction=reader.direction, label_set=label_set,
                       labels=tuple(sorted(set(labels))), examples=n, word_types=len(set(types)),
                       majority=statistics.mean(majority), repeats=done, layers=layers, forward_passes=passes,
                       seconds=time.perf_counter() - began, notices=notices)
