"""What the attention controls draw: each model's attention mask seen from one word, one layer and head of each
model, and the attention of every layer and head kept per session (`AttentionSource`), so another layer, head or
word is drawn without reading the models again."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from playground.core.errors import PlaygroundError
from playground.core.text_input import check_int, clean_text
from playground.core.tokens import TokenizedText
from playground.lm.attention import AttentionMap, AttentionStack
from playground.lm.influence import attention_mask_pattern
from playground.tasks.compare.words import SentenceWord

# Attention of every layer and head is kept per session up to this size per model (bert-base: about 85 tokens);
# beyond it, moving the layer/head/query controls reads the models again.
MAX_KEPT_ATTENTION_BYTES = 4 * 2**20


@dataclass(frozen=True)
class AttentionMask:
    """Which tokens each token may attend to, with one word's rows picked out (the mask figure's data)."""

    model_name: str
    direction: str  # "bidirectional": every token sees all | "causal": token t sees the tokens ≤ t
    tokens: tuple[str, ...]
    query: int  # the picked word's index in the sentence (see SentenceWord)
    word: str  # that word, as in the sentence
    rows: tuple[int, ...]  # this model's token positions for it: the rows picked out (empty: it has none)
    pattern: tuple[tuple[int, ...], ...]  # pattern[i][j] = 1 where token i may attend to token j


def attention_mask(model_name: str, direction: str, tokens: TokenizedText, word: SentenceWord | None,
                   rows: tuple[int, ...]) -> AttentionMask:
    pattern = attention_mask_pattern(direction, len(tokens.tokens))
    return AttentionMask(model_name=model_name, direction=direction, tokens=tuple(t.display for t in tokens.tokens),
                         query=word.index if word else 0, word=word.text if word else "", rows=rows,
                         pattern=tuple(tuple(row) for row in pattern))


def word_masks(bert_model: str, gpt_model: str, bert_tokens: TokenizedText, gpt_tokens: TokenizedText,
               words: tuple[SentenceWord, ...], query: int) -> tuple[AttentionMask, AttentionMask]:
    """Both models' masks with the rows of word `query` (clamped to the sentence's words) picked out."""
    word = words[min(query, len(words) - 1)] if words else None
    return (attention_mask(bert_model, "bidirectional", bert_tokens, word, word.bert_positions if word else ()),
            attention_mask(gpt_model, "causal", gpt_tokens, word, word.gpt_positions if word else ()))


@dataclass(frozen=True)
class AttentionComparison:
    """One layer and head of each model on the same sentence, and what one word's tokens may attend to in each."""

    bert: AttentionMap
    gpt: AttentionMap
    bert_mask: AttentionMask
    gpt_mask: AttentionMask
    words: tuple[SentenceWord, ...]  # the words `query` counts in


@dataclass(frozen=True)
class HeadSummary:
    """How spread out each head's attention is: per layer × head, the entropy (bits) of a query's attention over
    the keys, averaged over every query. Low: the head looks at a few tokens; near log2(tokens): everywhere.
    A few numbers per head, so it is kept for inputs whose full attention is too large to keep (512 tokens)."""

    model_name: str
    tokens: int
    entropy: tuple[tuple[float, ...], ...]  # entropy[layer - 1][head - 1], bits


def head_summary(stack: AttentionStack) -> HeadSummary:
    """The stack's mean attention entropy per layer and head (tensor methods only: no torch import here)."""
    weights = stack.weights
    bits = -weights.xlogy(weights).sum(-1).mean(-1) / 0.6931471805599453  # 0 · log 0 = 0 (masked keys)
    return HeadSummary(model_name=stack.model_name, tokens=len(stack.tokens),
                       entropy=tuple(tuple(row) for row in bits.tolist()))


@dataclass(frozen=True, eq=False)
class AttentionSource:
    """Both models' attention on one sentence, every layer and head: what the attention controls redraw from.
    A stack is None when it was too large to keep (see MAX_KEPT_ATTENTION_BYTES)."""

    text: str  # the cleaned sentence
    bert_model: str
    gpt_model: str
    bert_tokens: TokenizedText
    gpt_tokens: TokenizedText
    bert: AttentionStack | None
    gpt: AttentionStack | None
    words: tuple[SentenceWord, ...] = ()
    summaries: tuple[HeadSummary, ...] = ()  # BERT's and GPT-2's, when `kept` made them

    def serves(self, text: str, bert_model: str, gpt_model: str) -> bool:
        """Whether it holds the attention these inputs ask for (same sentence and models, nothing dropped)."""
        if self.bert is None or self.gpt is None or (bert_model, gpt_model) != (self.bert_model, self.gpt_model):
            return False
        try:
            return clean_text(text).text == self.text
        except PlaygroundError:
            return False

    def kept(self) -> "AttentionSource":
        """This source with any stack over the size limit dropped (what a session keeps), and each model's
        `HeadSummary`, made before the drop."""
        def small(stack: AttentionStack | None) -> AttentionStack | None:
            return stack if stack is not None and stack.nbytes <= MAX_KEPT_ATTENTION_BYTES else None
        summaries = tuple(head_summary(s) for s in (self.bert, self.gpt) if s is not None)
        return dataclasses.replace(self, bert=small(self.bert), gpt=small(self.gpt), summaries=summaries)


def clamped(stack: AttentionStack, layer: int, head: int) -> AttentionMap:
    """One layer/head selection shared by two models of different depth: clamp to each model's size."""
    return stack.map(min(layer, stack.num_layers), min(head, stack.num_heads))


def attention_from(source: AttentionSource, layer: int = 1, head: int = 1, query: int = 0) -> AttentionComparison:
    """One layer/head (clamped to each model) and the masks seen from word `query` of the sentence (clamped to
    its words; each model picks out its own tokens for it), drawn from attention already computed — no model
    call."""
    layer = check_int(layer, "Layer", 1, 1000)
    head = check_int(head, "Head", 1, 1000)
    query = check_int(query, "Word", 0, 10_000)
    bert_mask, gpt_mask = word_masks(source.bert_model, source.gpt_model, source.bert_tokens, source.gpt_tokens,
                                     source.words, query)
    return AttentionComparison(bert=clamped(source.bert, layer, head), gpt=clamped(source.gpt, layer, head),
                               bert_mask=bert_mask, gpt_mask=gpt_mask, words=source.words)
