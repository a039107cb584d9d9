"""The issue's hypothesis, measured: do a review's antonyms fill the same slots for a lab model?

Two probes of a pre-trained lab model, no training (torch at import: reached as `lab.slots`):

- **Slot polarity.** In review sentences whose sentiment is given away by another word (*Anna loved the movie;
  it was ___.* — the cue on the left; *The movie was ___, and Anna asked for a refund.* — on the right), the
  share of the model's probability on the 20 review adjectives that goes to the cue's polarity: 0.5 = the
  antonyms are interchangeable in that slot, 1 = the model knows which kind belongs there. BERT reads the
  masked slot (both cues); GPT and the LSTM predict the next word (the left cue only: the right one comes after).
- **Embedding geometry.** The mean cosine similarity of the adjectives' input vectors within a polarity and
  across (the issue's measurement): if antonyms are as close as synonyms, a head on top has nothing to split.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from pathlib import Path

import torch
import transformers as tf

from playground.models.construction import constructs
from playground.tasks.lab.corpus import NAMES, NEGATIVE, NEGATIVE_REACTIONS, NEGATIVE_VERBS, POSITIVE, \
    POSITIVE_REACTIONS, POSITIVE_VERBS, THINGS
from playground.tasks.lab.networks import load_lstm
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT, LAB_LSTM

PROBE_NAMES = NAMES[:2]
LEFT = "left cue: {name} loved / hated the {thing}; it was ___."
RIGHT = "right cue: The {thing} was ___, and {name} smiled all evening / asked for a refund."


@dataclass(frozen=True)
class SlotPolarity:
    model_name: str
    context: str  # LEFT | RIGHT
    agreement: float  # mean share of the adjective probability on the cue's polarity
    sd: float  # over the contexts
    contexts: int


@dataclass(frozen=True)
class EmbeddingGeometry:
    model_name: str
    within: float  # mean cosine between two adjectives of the same polarity
    across: float  # mean cosine between a positive and a negative adjective


def _contexts(kind: str) -> list[tuple[str, int]]:
    """(sentence with ___ at the adjective, polarity of its cue)."""
    out = []
    for name, thing, polarity in itertools.product(PROBE_NAMES, THINGS, (1, 0)):
        if kind == LEFT:
            out += [(f"{name} {verb} the {thing}; it was ___.", polarity)
                    for verb in (POSITIVE_VERBS if polarity else NEGATIVE_VERBS)]
        else:
            out += [(f"The {thing} was ___, and {name} {reaction}.", polarity)
                    for reaction in (POSITIVE_REACTIONS if polarity else NEGATIVE_REACTIONS)]
    return out


@constructs
def _load(run_dir: Path, name: str):
    if name == LAB_LSTM:
        loaded = load_lstm(run_dir, name)
        return loaded.model.eval(), loaded.tokenizer
    auto = tf.AutoModelForMaskedLM if name == LAB_BERT else tf.AutoModelForCausalLM
    return auto.from_pretrained(Path(run_dir) / name).eval(), tf.AutoTokenizer.from_pretrained(Path(run_dir) / name)


def _adjective_ids(tokenizer, masked: bool) -> tuple[list[int], list[int]]:
    def one(word: str) -> int:
        ids = tokenizer(word if masked else " " + word, add_special_tokens=False)["input_ids"]
        return ids[0]  # every review adjective is one token in the lab tokenizers (the tests check it)
    return [one(w) for w in POSITIVE], [one(w) for w in NEGATIVE]


def _slot_distribution(model, tokenizer, sentence: str, masked: bool) -> torch.Tensor:
    if masked:
        enc = tokenizer(sentence.replace("___", tokenizer.mask_token), return_tensors="pt")
        position = int((enc["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0])
    else:  # the words before the slot; the next token's distribution
        enc = tokenizer(sentence.split(" ___")[0], return_tensors="pt")
        position = enc["input_ids"].shape[1] - 1
    logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
    return logits[0, position].softmax(-1)


def slot_polarity(run_dir: Path, names=(LAB_BERT, LAB_GPT, LAB_LSTM)) -> list[SlotPolarity]:
    rows = []
    with torch.inference_mode():
        for name in names:
            model, tokenizer = _load(run_dir, name)
            masked = name == LAB_BERT
            positive, negative = _adjective_ids(tokenizer, masked)
            for kind in (LEFT, RIGHT) if masked else (LEFT,):
                shares = []
                for sentence, polarity in _contexts(kind):
                    p = _slot_distribution(model, tokenizer, sentence, masked)
                    mass_pos, mass_neg = float(p[positive].sum()), float(p[negative].sum())
                    shares.append((mass_pos if polarity else mass_neg) / max(mass_pos + mass_neg, 1e-12))
                rows.append(SlotPolarity(name, kind, statistics.fmean(shares), statistics.stdev(shares), len(shares)))
    return rows


def embedding_geometry(run_dir: Path, names=(LAB_BERT, LAB_GPT, LAB_LSTM)) -> list[EmbeddingGeometry]:
    rows = []
    for name in names:
        model, tokenizer = _load(run_dir, name)
        positive, negative = _adjective_ids(tokenizer, name == LAB_BERT)
        vectors = torch.nn.functional.normalize(model.get_input_embeddings().weight.detach(), dim=-1) \
            if name != LAB_LSTM else torch.nn.functional.normalize(model.embedding.weight.detach(), dim=-1)
        cos = vectors @ vectors.T

        def mean(a: list[int], b: list[int]) -> float:
            return statistics.fmean(float(cos[i, j]) for i in a for j in b if i != j)
        rows.append(EmbeddingGeometry(name, within=(mean(positive, positive) + mean(negative, negative)) / 2,
                                      across=mean(positive, negative)))
    return rows
