"""Extractive question answering's bounds, settings and results: plain data, shared by `question_answering.py`
(the handlers) and `qa_spans.py` (the model pass and span selection)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from playground.core.text_input import check_int

TASK = "question-answering"  # the registry task whose models the tab and /answer run
DEFAULT_MAX_LENGTH = 384  # the old pipeline's max_seq_len
DEFAULT_STRIDE = 128  # the old pipeline's doc_stride
DEFAULT_MAX_ANSWER_TOKENS = 15  # the old pipeline's max_answer_len
MAX_ANSWER_TOKENS = 64
MAX_QUESTION_TOKENS = 64  # the old pipeline's max_question_len
MIN_CONTEXT_ROOM = 16  # a window must leave at least this many tokens for the context
MAX_TOP_N = 10
MAX_STRIDE = 256
MAX_WINDOWS = 16  # enough for MAX_CHARS of context at 384 tokens per window; tiny models read less
SQUAD_VERSIONS = ("1.1", "2")
ProgressFn = Callable[[float, str], None]  # (fraction done, what is happening); gr.Progress fits


@dataclass(frozen=True)
class QASettings:
    top_n: int = 3
    max_answer_tokens: int = DEFAULT_MAX_ANSWER_TOKENS
    stride: int = DEFAULT_STRIDE
    max_length: int = DEFAULT_MAX_LENGTH  # tokens per window; capped by the model's maximum

    def validated(self) -> "QASettings":
        return replace(
            self,
            top_n=check_int(self.top_n, "Top-n answers", 1, MAX_TOP_N),
            max_answer_tokens=check_int(self.max_answer_tokens, "Max answer length (tokens)", 1, MAX_ANSWER_TOKENS),
            stride=check_int(self.stride, "Stride (overlap between windows)", 0, MAX_STRIDE),
            max_length=check_int(self.max_length, "Window length (tokens)", 32, 4096),
        )


@dataclass(frozen=True)
class QAEncoding:
    """Question + context as the model reads them: one row per window (unpadded)."""

    question: str
    context: str
    input_ids: tuple[tuple[int, ...], ...]
    sequence_ids: tuple[tuple[int | None, ...], ...]  # None: special token, 0: question, 1: context
    offsets: tuple[tuple[tuple[int, int], ...], ...]  # character spans into the question or the context
    segment_ids: tuple[tuple[int, ...], ...]  # token_type_ids as BERT numbers them
    cls_index: tuple[int, ...]
    uses_segment_ids: bool  # whether the model is given token_type_ids
    max_length: int
    stride: int
    context_tokens: int  # in the whole context
    notices: tuple[str, ...] = ()

    @property
    def window_count(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class QAToken:
    position: int
    token: str
    segment: str  # "question" | "context" | "special"
    segment_id: int
    start: int | None  # character span in the question or the context (see segment); None for specials
    end: int | None
    start_probability: float
    end_probability: float


@dataclass(frozen=True)
class QAWindow:
    index: int  # 1-based
    tokens: tuple[QAToken, ...]
    context_start: int  # the context characters this window covers
    context_end: int
    null_score: float  # start + end logit at [CLS]
    best_score: float | None  # best valid span in this window


@dataclass(frozen=True)
class AnswerSpan:
    text: str
    start: int  # character span in the context
    end: int
    score: float  # start logit + end logit
    probability: float  # P(start) × P(end), softmax within its window
    window: int  # 1-based
    token_start: int  # positions in that window
    token_end: int


@dataclass(frozen=True)
class SpanSelection:
    answer: AnswerSpan | None  # None: the null score won ("no answer in the context")
    candidates: tuple[AnswerSpan, ...]  # top-n spans over all windows, best first
    null_score: float | None  # lowest [CLS] score over windows (SQuAD 2.0 models), else None
    decision: str
    windows: tuple[QAWindow, ...]


@dataclass(frozen=True)
class QAResult(SpanSelection):
    """The span selection, with what was asked and how the model read it."""

    model_name: str
    question: str
    context: str
    squad_version: str
    layout: str  # e.g. "[CLS] question [SEP] context [SEP]"
    segment_note: str
    settings: QASettings
    notices: tuple[str, ...] = ()
    squad_version_source: str = ""  # how we know which SQuAD the model was trained on (see `squad_version`)

    @property
    def window_count(self) -> int:
        return len(self.windows)


# ---- which SQuAD a model was trained on ----------------------------------------------------------
