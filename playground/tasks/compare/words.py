"""The sentence's words — the unit of the attention controls' "what can word i see" selector — and the tokens
each model reads every word as (the two tokenizations differ, so one token position would name different words
in the two models)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from playground.core.text_input import MASK
from playground.core.tokens import WORD_PATTERN, TokenizedText

# A word of the sentence, or one punctuation mark; a gap (written "[MASK]" once cleaned) is one word.
_SENTENCE_WORD = re.compile(rf"{re.escape(MASK)}|{WORD_PATTERN.pattern}")


@dataclass(frozen=True)
class SentenceWord:
    """One word of the sentence (the "what can word i see" selector's unit) and the tokens each model reads it
    as: the two tokenizations differ (WordPiece splits words BPE keeps whole, BERT adds [CLS]), so one token
    position would name different words in the two models."""

    index: int
    text: str  # as in the cleaned sentence ("[MASK]" for a gap)
    start: int  # character span in the cleaned sentence
    end: int
    bert_positions: tuple[int, ...]  # BERT's tokens for it (empty: none, e.g. cut off at the model's length)
    gpt_positions: tuple[int, ...]  # GPT-2's tokens for it (a gap: the tokens of the word filling it)


class _Spans:
    """A tokenization's character spans, ordered, to find the tokens covering a word by bisection (a long text
    has hundreds of words and tokens: this is on every Compare click)."""

    def __init__(self, tokens: TokenizedText) -> None:
        spans = sorted((t.end, t.start, t.position) for t in tokens.tokens if t.start is not None)
        self.ends = [end for end, _, _ in spans]
        self.spans = spans

    def covering(self, start: int, end: int) -> tuple[int, ...]:
        """Positions of the tokens whose characters overlap [start, end), in order."""
        hits = []
        for i in range(bisect.bisect_right(self.ends, start), len(self.spans)):
            _, t_start, position = self.spans[i]
            if t_start >= end:  # a tokenizer's spans do not nest: ordered by end, they are ordered by start
                break
            hits.append(position)  # ends after `start` (the bisection) and starts before `end`
        return tuple(sorted(hits))


def sentence_words(text: str, bert_tokens: TokenizedText, bert_gaps: tuple[str, ...], gpt_tokens: TokenizedText,
                   gpt_gaps: tuple[str, ...]) -> tuple[SentenceWord, ...]:
    """The words of the cleaned sentence `text`, each mapped to the tokens that cover it in each model's text:
    the sentence with its gaps written as `bert_gaps` (BERT's mask token) and `gpt_gaps` (GPT-2's fillers)."""
    words, shift, gap = [], {"bert": 0, "gpt": 0}, 0
    bert_spans, gpt_spans = _Spans(bert_tokens), _Spans(gpt_tokens)
    for match in _SENTENCE_WORD.finditer(text):
        start, end = match.span()
        spans = {}
        for model, gaps in (("bert", bert_gaps), ("gpt", gpt_gaps)):
            written = len(gaps[gap]) if match.group() == MASK and gap < len(gaps) else end - start
            spans[model] = (start + shift[model], start + shift[model] + written)
            shift[model] += written - (end - start)
        gap += match.group() == MASK
        words.append(SentenceWord(index=len(words), text=match.group(), start=start, end=end,
                                  bert_positions=bert_spans.covering(*spans["bert"]),
                                  gpt_positions=gpt_spans.covering(*spans["gpt"])))
    return tuple(words)


def first_gap(words: tuple[SentenceWord, ...]) -> int:
    """The index of the first gap (where the tab's selector starts), or 0 without one."""
    return next((w.index for w in words if w.text == MASK), 0)
