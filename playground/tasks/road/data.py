"""The road's data, all seeded and drawn from the lab's small world (`playground/tasks/lab/corpus.py`); no torch.

- the lab corpus as words (one shared word vocabulary), for the language-model race;
- the long-range set: the label word is decided by the word exactly `d` positions before the query;
- the copy / reverse task for the encoder–decoder, with a fixed held-out set never used for training.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass

from playground.tasks.lab.corpus import ANIMALS, DAYS, FOODS, NAMES, PLACES, builtin_corpus, builtin_heldout

# ---- words -----------------------------------------------------------------------------------------------

UNK, EOS = "<unk>", "<eos>"
_WORD = re.compile(r"[a-z]+|[^\sa-z]")
LM_TRAIN_SENTENCES = 4000  # of the lab corpus: ~43k words, enough for a 3-minute race on 2 cores
LM_HELDOUT_SENTENCES = 300  # the lab's held-out sentences (no training sentence among them)


def words(sentence: str) -> list[str]:
    return _WORD.findall(sentence.lower())


@dataclass(frozen=True)
class WordCorpus:
    vocabulary: tuple[str, ...]
    train: tuple[int, ...]  # the sentences as one stream of word ids, each followed by <eos>
    heldout: tuple[int, ...]


def lab_word_corpus(train_sentences: int = LM_TRAIN_SENTENCES,
                    heldout_sentences: int = LM_HELDOUT_SENTENCES) -> WordCorpus:
    """The lab corpus as word ids: the vocabulary is the training text's; a held-out word outside it is <unk>."""
    train = builtin_corpus(train_sentences)
    heldout = builtin_heldout(heldout_sentences)
    vocabulary = (UNK, EOS) + tuple(sorted({w for s in train for w in words(s)}))
    index = {w: i for i, w in enumerate(vocabulary)}

    def stream(sentences: list[str]) -> tuple[int, ...]:
        return tuple(i for s in sentences for i in [index.get(w, 0) for w in words(s)] + [index[EOS]])

    return WordCorpus(vocabulary, stream(train), stream(heldout))


# ---- the long-range set ------------------------------------------------------------------------------------
# "dog … made" → barked: the animal decides its sound. The animal sits exactly d positions before the query
# word "made"; the d − 1 words between are everyday words of the lab world (names, places, food, days) that
# say nothing about any animal.

SOUNDS = {animal: predicates[0].split()[0] for animal, predicates in ANIMALS.items()}  # dog → barked, …
KEYS = tuple(SOUNDS)
LABELS = tuple(SOUNDS.values())
FILLERS = tuple(dict.fromkeys(w.lower() for w in NAMES + PLACES + FOODS + DAYS))
QUERY = "made"
LONG_RANGE_VOCABULARY = (UNK,) + KEYS + FILLERS + (QUERY,)


@dataclass(frozen=True)
class LongRangeItem:
    words: tuple[str, ...]  # the last word is the query; the model's output there must name the label
    label: str
    distance: int


def long_range_label(sequence: tuple[str, ...] | list[str], distance: int) -> str:
    """The one rule of the set: the sound of the animal exactly `distance` positions before the query (the last
    word). Nothing else in the sequence matters."""
    return SOUNDS[sequence[len(sequence) - 1 - distance]]


def long_range_item(rng: random.Random, distance: int) -> LongRangeItem:
    if distance < 1:
        raise ValueError("distance must be at least 1")
    key = rng.choice(KEYS)
    sequence = (key,) + tuple(rng.choice(FILLERS) for _ in range(distance - 1)) + (QUERY,)
    return LongRangeItem(sequence, long_range_label(sequence, distance), distance)


def long_range_set(distance: int, count: int, seed: int) -> list[LongRangeItem]:
    rng = random.Random(f"long-range/{distance}/{seed}")
    return [long_range_item(rng, distance) for _ in range(count)]


# ---- copy / reverse ----------------------------------------------------------------------------------------
# Sequences of the lab's animal words; the decoder writes them back in order (copy) or backwards (reverse).
# A fixed fifth of all sequences (by a hash of the words) is held out: never drawn for training.

SEQ_SYMBOLS = KEYS
PAD, BOS = "<pad>", "<bos>"
SEQ_VOCABULARY = (PAD, BOS) + SEQ_SYMBOLS
SEQ_TASKS = ("reverse", "copy")


def is_heldout(sequence: tuple[str, ...]) -> bool:
    return zlib.crc32(" ".join(sequence).encode()) % 5 == 0


def seq_target(sequence: tuple[str, ...], task: str) -> tuple[str, ...]:
    return tuple(reversed(sequence)) if task == "reverse" else tuple(sequence)


def seq_batch(rng: random.Random, length: int, count: int, heldout: bool) -> list[tuple[str, ...]]:
    """`count` sequences of `length` words, all held out or none (rejection sampling: a fifth is held out)."""
    out: list[tuple[str, ...]] = []
    while len(out) < count:
        sequence = tuple(rng.choice(SEQ_SYMBOLS) for _ in range(length))
        if is_heldout(sequence) == heldout:
            out.append(sequence)
    return out
