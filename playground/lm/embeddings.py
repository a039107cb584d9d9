"""Contextual vs static embeddings, written once for both readers: a word's vector in two sentences, compared
(cosine) at every layer, next to its input token embedding, which is the same whatever the sentence.

Both sentences go through the model in one right-padded batch (one forward pass with `output_hidden_states`).
The batch matters for the "identical" column: a left-to-right model's vector for a word depends only on the
tokens up to it, so with the same words before it GPT-2's vectors are *bit-identical* in the two sentences —
but only when both are computed by the same kernels on the same shapes; two separate passes over sentences of
different lengths differ in the last bits (~1e-7) from the arithmetic alone, which would hide the point.
"""

from __future__ import annotations

import re

import torch

from playground.core.errors import PlaygroundError
from playground.core.text_input import clean_text, shown
from playground.core.tokens import display_piece, padded_batch
from playground.lm.inside_results import EmbeddingResult
from playground.lm.lens import layer_names
from playground.lm.readers import TextInput, TextReader


def find_word(text: str, word: str) -> tuple[int, int]:
    """Characters of the first whole-word occurrence of `word` in `text` (case-insensitive)."""
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
    if match is None:
        raise PlaygroundError(f"The word {shown(word)} is not in the sentence {shown(text)}.")
    return match.span()


def word_positions(inp: TextInput, word: str) -> list[int]:
    positions = inp.covering(*find_word(inp.text, word))
    if not positions:
        raise PlaygroundError(f"The word {shown(word)} fell in the part of the text that was cut off.")
    return positions


def hidden_states(reader: TextReader, inputs: list[TextInput]) -> torch.Tensor:
    """layers+1 × batch × length × hidden: every layer's states of the inputs, read in one padded batch (by the
    base model: the output head's projection onto the vocabulary is not needed here)."""
    ids, attention = padded_batch([inp.input_ids for inp in inputs], reader.lm.tokenizer.pad_token_id)
    with torch.inference_mode():
        out = reader.lm.model.base_model(input_ids=ids, attention_mask=attention, output_hidden_states=True)
    return torch.stack(out.hidden_states).float()


def _cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=-1))


def contextual_similarity(reader: TextReader, first: str, second: str, word: str) -> EmbeddingResult:
    """Cosine of `word`'s vector (the mean over its tokens) in the two sentences, per layer, and the same for its
    static input embedding."""
    word = clean_text(word, what="word").text
    inputs = [reader.text_input(clean_text(s, what="sentence").text) for s in (first, second)]
    where = [word_positions(inp, word) for inp in inputs]
    states = hidden_states(reader, inputs)
    vectors = [states[:, row, positions].mean(1) for row, positions in enumerate(where)]  # layers+1 × hidden
    table = reader.lm.model.get_input_embeddings().weight
    with torch.inference_mode():
        static = [table[[inp.input_ids[p] for p in positions]].mean(0) for inp, positions in zip(inputs, where)]
    pieces = [tuple(display_piece(reader.lm.tokenizer, inp.input_ids[p]) for p in positions)
              for inp, positions in zip(inputs, where)]
    notices = []
    if pieces[0] != pieces[1]:
        notices.append(f"The word is read as different tokens in the two sentences ({' '.join(pieces[0])} vs "
                       f"{' '.join(pieces[1])}), so even its static embeddings differ.")
    return EmbeddingResult(model_name=reader.lm.name, direction=reader.direction, word=word,
                           first=inputs[0].text, second=inputs[1].text, first_tokens=pieces[0],
                           second_tokens=pieces[1], static_similarity=_cosine(*static),
                           layers=layer_names(len(states)),
                           similarity=tuple(_cosine(a, b) for a, b in zip(*vectors)),
                           identical=tuple(bool(torch.equal(a, b)) for a, b in zip(*vectors)), forward_passes=1,
                           notices=tuple(notices))
