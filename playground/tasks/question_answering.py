"""Extractive question answering: the span head, span selection, sliding windows and "no answer".

A QA head is one linear layer that turns every token's final vector into two numbers: a start logit
and an end logit. The answer is the context span (s, e) with s ≤ e, at most `max_answer_tokens` long,
that maximises start_logit[s] + end_logit[e]. Nothing is generated: the answer is always a piece of the
context.

Contexts longer than the model's window are split into overlapping windows (`stride` tokens shared by
neighbouring windows, the old pipeline's `doc_stride`), so an answer past the first window is still seen
whole in some window. Each window repeats the question: `[CLS] question [SEP] context-part [SEP]`.

SQuAD 2.0 models were also trained on unanswerable questions, where the target span is `[CLS]` itself;
start_logit[CLS] + end_logit[CLS] is the "null score". As in the Hugging Face SQuAD 2.0 post-processing,
the lowest null score over the windows is compared with the best span's score: if it is higher, the
model says there is no answer. SQuAD 1.1 models never saw such questions and always pick a span.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Sequence

from playground import tasks
from playground.models.cards import CardCatalog
from playground.core.errors import PlaygroundError
from playground.models.registry import card_for
from playground.core.types import LoadedModel
from playground.core.text_input import clean_text
from playground.core.tokens import encode_pair, overflow_spans, pair_rows
from playground.tasks.context import AppContext
# Re-exported: the tab and the API name these here; `qa_results.py` holds them (light, shared with the heavy half).
from playground.tasks.qa_results import (  # noqa: F401
    AnswerSpan, DEFAULT_MAX_ANSWER_TOKENS, DEFAULT_MAX_LENGTH, DEFAULT_STRIDE, MAX_ANSWER_TOKENS,
    MAX_QUESTION_TOKENS, MAX_STRIDE, MAX_TOP_N, MAX_WINDOWS, MIN_CONTEXT_ROOM, ProgressFn, QAEncoding, QAResult,
    QASettings, QAToken, QAWindow, SQUAD_VERSIONS, SpanSelection, TASK)

# The model pass and span selection (`qa_spans.py`) import torch at their top; this module reaches them at call time
# as `tasks.qa_spans`, so importing it (and starting the app) stays fast.

def squad_version(catalog: CardCatalog, name: str) -> tuple[str, str]:
    """("2" | "1.1", how we know) from the model card's `squad_version` field."""
    card = card_for(catalog, name)
    value = card.extra.get("squad_version") if card else None
    if value is not None:
        version = "2" if str(value).strip() in ("2", "2.0") else "1.1"
        source = f"from the model card of {card.hub_id}"
        if card.hub_id != name:
            source += f", which {name} stands in for"
        return version, source
    return "1.1", f"{name} has no card with `squad_version`; treated as a SQuAD 1.1 model (always answers)"


# ---- encoding -------------------------------------------------------------------------------------

def _model_takes(lm: LoadedModel, argument: str) -> bool:
    return argument in inspect.signature(lm.model.forward).parameters


def encode_windows(lm: LoadedModel, question: str, context: str, settings: QASettings) -> QAEncoding:
    """Tokenise question + context into overlapping windows (validating both texts first)."""
    settings = settings.validated()
    tokenizer = lm.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise PlaygroundError(f"{lm.name} has no fast tokenizer, which sliding windows need (offset mapping).")
    q = clean_text(question, what="question")
    c = clean_text(context, what="context")
    notices = list(q.notices) + list(c.notices)
    if not any(ch.isalnum() for ch in c.text):
        raise PlaygroundError("The context has no usable text (only symbols or punctuation) — paste the paragraph "
                              "the answer should come from.")
    if not any(ch.isalnum() for ch in q.text):
        raise PlaygroundError("The question has no words — type a question such as 'Who founded Tesla?'.")
    # verbose=False: these counts are meant to exceed the model's length (windows follow).
    q_ids = tokenizer(q.text, add_special_tokens=False, verbose=False)["input_ids"]
    c_ids = tokenizer(c.text, add_special_tokens=False, verbose=False)["input_ids"]
    if not c_ids or all(i == tokenizer.unk_token_id for i in c_ids):
        raise PlaygroundError(f"{lm.name}'s vocabulary cannot read any of the context (every token is unknown).")
    if len(q_ids) > len(c_ids):
        raise PlaygroundError(f"The question ({len(q_ids)} tokens) is longer than the context ({len(c_ids)} "
                              "tokens). Put the paragraph to search in the context box and a short question "
                              "in the question box.")
    max_length = min(settings.max_length, lm.max_positions)
    specials = tokenizer.num_special_tokens_to_add(pair=True)
    longest_question = min(MAX_QUESTION_TOKENS, max_length - specials - MIN_CONTEXT_ROOM)
    if len(q_ids) > longest_question:
        raise PlaygroundError(f"The question is {len(q_ids)} tokens; with windows of {max_length} tokens, "
                              f"{lm.name} needs it to be at most {longest_question} tokens to leave room for the "
                              "context. Shorten the question.")
    room = max_length - specials - len(q_ids)  # context tokens per window
    stride = settings.stride
    if stride > room // 2:
        stride = room // 2
    if stride != settings.stride and len(c_ids) > room:  # only worth saying when the context needs windows
        notices.append(f"A stride of {settings.stride} tokens is more than half of the {room} context tokens per "
                       f"window, so windows overlap by {stride} tokens instead.")
    # The whole pair, cut into windows per call (never via the shared tokenizer's truncation and stride
    # settings, which every request shares): the question whole in each, the context in overlapping spans.
    full = encode_pair(tokenizer, q.text, c.text)
    spans = overflow_spans(full.sequence_ids.count(1), room, stride)
    count = min(len(spans), MAX_WINDOWS)
    rows = pair_rows(full, full.sequence_ids.count(0), spans[:count])
    if len(spans) > MAX_WINDOWS:
        last = rows[-1]
        last_end = max(e for (s, e), sid in zip(last.offsets, last.sequence_ids) if sid == 1)
        notices.append(f"The context needs {len(spans)} windows; only the first {MAX_WINDOWS} were read (up to "
                       f"character {last_end} of {len(c.text)}).")
    sequence_ids = tuple(row.sequence_ids for row in rows)
    has_type_ids = "token_type_ids" in tokenizer.model_input_names
    if has_type_ids:
        segment_ids = tuple(row.type_ids for row in rows)
    else:  # BERT's numbering, for display: 0 up to the first context token, 1 from there on
        segment_ids = tuple(tuple(_bert_segments(seq)) for seq in sequence_ids)
    uses_segments = (has_type_ids and _model_takes(lm, "token_type_ids")
                     and getattr(lm.model.config, "type_vocab_size", 1) > 1)
    cls_id = tokenizer.cls_token_id
    cls_index = tuple(row.input_ids.index(cls_id) if cls_id in row.input_ids else 0 for row in rows)
    return QAEncoding(
        question=q.text, context=c.text, input_ids=tuple(row.input_ids for row in rows), sequence_ids=sequence_ids,
        offsets=tuple(tuple((int(s), int(e)) for s, e in row.offsets) for row in rows),
        segment_ids=segment_ids, cls_index=cls_index, uses_segment_ids=uses_segments,
        max_length=max_length, stride=stride, context_tokens=len(c_ids), notices=tuple(notices),
    )


def _bert_segments(sequence_ids: Sequence[int | None]) -> list[int]:
    out, segment = [], 0
    for sid in sequence_ids:
        segment = 1 if sid == 1 else segment
        out.append(segment)
    return out


def layout(encoding: QAEncoding, tokenizer) -> str:
    """The input pattern, e.g. `[CLS] question [SEP] context [SEP]` or `<s> question </s> </s> context </s>`."""
    parts: list[str] = []
    for token_id, sid in zip(encoding.input_ids[0], encoding.sequence_ids[0]):
        part = tokenizer.convert_ids_to_tokens(int(token_id)) if sid is None else ("question", "context")[sid]
        if sid is None or not parts or parts[-1] != part:
            parts.append(part)
    return " ".join(parts)


def segment_note(lm: LoadedModel, encoding: QAEncoding) -> str:
    if encoding.uses_segment_ids:
        return ("Segment ids (token_type_ids): 0 for the question part, 1 for the context part; the model adds a "
                "learned segment embedding to every token.")
    model_type = getattr(lm.model.config, "model_type", "this model")
    return (f"{lm.name} is given no segment ids ({model_type} has no segment embeddings): the separator tokens "
            "alone tell the question from the context. The ids shown are BERT's numbering, for comparison.")


def answer_question(lm: LoadedModel, question: str, context: str, settings: QASettings | None = None,
                    version: str = "1.1", version_source: str = "", progress: ProgressFn | None = None) -> QAResult:
    """Encode into windows, run the QA head over each window, select spans and decide.

    `version` is the SQuAD the model was fine-tuned on and `version_source` how we know it (both from
    `squad_version`); `progress`, if given, hears (fraction, "Reading window i of n") for a long context.
    """
    settings = (settings or QASettings()).validated()
    encoding = encode_windows(lm, question, context, settings)
    starts, ends = tasks.qa_spans.window_logits(lm, encoding, progress)
    selection = tasks.qa_spans.select_answers(encoding, starts, ends, settings, version, lm.tokenizer)
    notices = list(encoding.notices)
    if encoding.window_count > 1:
        notices.append(f"The context is {encoding.context_tokens} tokens, more than fit next to the question in "
                       f"{encoding.max_length} tokens, so it was read in {encoding.window_count} overlapping "
                       f"windows ({encoding.stride} tokens shared by neighbours).")
    return QAResult(
        **vars(selection), model_name=lm.name, question=encoding.question, context=encoding.context,
        squad_version=version, layout=layout(encoding, lm.tokenizer), segment_note=segment_note(lm, encoding),
        settings=replace(settings, stride=encoding.stride, max_length=encoding.max_length), notices=tuple(notices),
        squad_version_source=version_source,
    )


# ---- the handler: what the Question answering tab and /answer run ---------------------------------

def run_answer(ctx: AppContext, context: str, question: str, top_n: int = 3,
               max_answer_tokens: int = DEFAULT_MAX_ANSWER_TOKENS, stride: int = DEFAULT_STRIDE,
               model_name: str = "distilbert-base-cased-distilled-squad") -> QAResult:
    """Find the answer span in the context; top-n candidates, windows, and the start/end probabilities."""
    return answer_with_progress(ctx, context, question, top_n, max_answer_tokens, stride, model_name, None)


def answer_with_progress(ctx: AppContext, context: str, question: str, top_n: int, max_answer_tokens: int,
                         stride: int, model_name: str, progress: ProgressFn | None) -> QAResult:
    """`run_answer`, telling `progress` (fraction, "Reading window i of n") how a long context is going."""
    lm = ctx.model(model_name, TASK)
    version, source = squad_version(ctx.catalog, model_name)
    settings = QASettings(top_n=top_n, max_answer_tokens=max_answer_tokens, stride=stride)
    return answer_question(lm, question, context, settings, version, source, progress)
