"""What the "look inside" primitives return (logit lens, contextual embeddings, KV cache, attribution check,
probes): plain frozen dataclasses, no torch, so the task package and the UI can name them without importing
the heavy modules that compute them (`lm.lens`, `lm.embeddings`, `lm.kv_cache`, `lm.attribution`, `lm.probes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.predictions import Prediction


@dataclass(frozen=True)
class LensLayer:
    layer: str  # "embeddings", "layer 1", …; the last row is the model's own output
    top: tuple[Prediction, ...]  # this layer's top-k through the output head
    answer_rank: int  # where the final answer stands at this layer (1 = top)
    answer_probability: float


@dataclass(frozen=True)
class LensResult:
    model_name: str
    direction: str  # "bidirectional" | "causal"
    text: str  # the sentence the model read
    slot: str  # what is predicted ("[MASK]" for BERT, "(next token)" or the gap's filler for GPT)
    position: int  # input index whose hidden states are decoded
    answer: Prediction  # the model's final top prediction, followed through the layers
    layers: tuple[LensLayer, ...]
    head: str  # which modules decode a hidden state (the model's own final norm/transform and output layer)
    forward_passes: int  # always 1: one pass with output_hidden_states serves every layer
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmbeddingResult:
    model_name: str
    direction: str
    word: str
    first: str  # the two sentences
    second: str
    first_tokens: tuple[str, ...]  # the word's tokens in each sentence
    second_tokens: tuple[str, ...]
    static_similarity: float  # cosine of the word's input (token) embeddings: 1 when it is the same token(s)
    layers: tuple[str, ...]  # "embeddings" (token + position), "layer 1", …
    similarity: tuple[float, ...]  # cosine of the word's vectors in the two sentences, per layer
    identical: tuple[bool, ...]  # whether the vectors are bit-identical, per layer
    forward_passes: int  # 1: both sentences in one padded batch
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CacheLayer:
    layer: int  # 1-based
    positions: int  # earlier positions compared
    keys_changed: int  # earlier positions whose key vector is not bit-identical after the append
    values_changed: int
    max_key_change: float  # largest |difference| of any earlier key element
    max_value_change: float


@dataclass(frozen=True)
class Timing:
    median_ms: float
    min_ms: float
    max_ms: float
    repeats: int


@dataclass(frozen=True)
class CacheResult:
    model_name: str
    direction: str
    text: str
    appended: str  # the token appended (as the vocabulary spells it)
    layers: tuple[CacheLayer, ...]
    reusable: bool  # no earlier key or value changed at any layer: the cache can be reused
    full_read: Timing  # re-reading the whole text with the token appended
    cached_step: Timing | None  # reading only the new token with the earlier keys/values cached (stale for an
    # encoder, whose keys changed; None for a model whose layers the stale step does not know)
    cached_step_error: float | None  # max |logit difference| of the cached step against the full re-read
    forward_passes: int  # passes the comparison itself took (1: both versions in one padded batch)
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Completeness:
    """Integrated gradients' completeness: the attributions sum to f(input) − f(baseline)."""
    attribution_sum: float
    f_input: float  # log p(target) at the slot
    f_baseline: float
    relative_error: float  # |sum − (f_input − f_baseline)| / |f_input − f_baseline|
    steps: int


@dataclass(frozen=True)
class LabelledWord:
    """One probe example: a sentence and the word in it whose vector is labelled."""
    sentence: str
    word: str  # the word probed (its first whole-word occurrence in the sentence)
    label: str


@dataclass(frozen=True)
class ProbeLayer:
    layer: str
    accuracy: float  # held-out accuracy on the real labels, mean over repeats
    accuracy_spread: float  # standard deviation over repeats
    control_accuracy: float  # held-out accuracy on the control task (a random label per word type)
    control_spread: float
    selectivity: float  # accuracy − control accuracy (Hewitt & Liang 2019)


@dataclass(frozen=True)
class ProbeResult:
    model_name: str
    direction: str
    label_set: str
    labels: tuple[str, ...]
    examples: int  # labelled words (one per sentence)
    word_types: int
    majority: float  # held-out accuracy of always guessing the most common label
    repeats: int  # seeds: a fresh train/test split and control labelling each
    layers: tuple[ProbeLayer, ...]
    forward_passes: int  # batched passes that read every example once (every layer from each)
    seconds: float
    notices: tuple[str, ...] = ()
