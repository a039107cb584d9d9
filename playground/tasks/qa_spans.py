"""The Question answering tab's model pass and span selection: the QA head over each window, then the best spans
(start ≤ end, both in the context, at most `max_answer_tokens` apart) and the SQuAD 2.0 "no answer" decision.

torch is imported at the top: `question_answering.py` (which the page imports) reaches this module at call time as
`tasks.qa_spans` (`playground/tasks/__init__.py`).
"""

from __future__ import annotations

from typing import Sequence

import torch

from playground.core.errors import PlaygroundError
from playground.core.tokens import display_piece, padded_batch
from playground.core.types import LoadedModel
from playground.tasks.qa_results import (SQUAD_VERSIONS, AnswerSpan, ProgressFn, QAEncoding, QASettings,
                                         QAToken, QAWindow, SpanSelection)


# ---- span selection (pure, works on any logits) ---------------------------------------------------

def best_spans(start_logits: Sequence[float], end_logits: Sequence[float], allowed: Sequence[bool],
               max_answer_tokens: int, top_n: int) -> list[tuple[int, int, float]]:
    """The top-n (start, end, start_logit + end_logit) with start ≤ end < start + max_answer_tokens and
    both ends on allowed (context) tokens — never in the question or on special tokens."""
    start = torch.as_tensor(start_logits, dtype=torch.float32)
    end = torch.as_tensor(end_logits, dtype=torch.float32)
    ok = torch.as_tensor(allowed, dtype=torch.bool)
    if not start.shape == end.shape == ok.shape or start.dim() != 1:
        raise ValueError("start logits, end logits and the allowed mask must be 1-D and equally long")
    n = start.shape[0]
    index = torch.arange(n)
    length = index[None, :] - index[:, None]  # end - start
    valid = (length >= 0) & (length < max_answer_tokens) & ok[:, None] & ok[None, :]
    count = int(valid.sum())
    if count == 0:
        return []
    scores = (start[:, None] + end[None, :]).masked_fill(~valid, float("-inf"))
    values, flat = scores.flatten().topk(min(top_n, count))
    return [(int(f) // n, int(f) % n, float(v)) for v, f in zip(values, flat)]


def window_probabilities(logits, allowed: Sequence[bool]):
    """Softmax over the allowed positions only (others get probability 0)."""
    ok = torch.as_tensor(allowed, dtype=torch.bool)
    return logits.float().masked_fill(~ok, float("-inf")).softmax(-1)


def window_logits(lm: LoadedModel, encoding: QAEncoding, progress: ProgressFn | None = None):
    """Start and end logits of every window, one forward pass per window: ([T_w], [T_w]) per window.

    One window at a time (not one padded batch) so a long context can report "window 2 of 5" as it goes;
    the compute is the same, the peak memory lower, and the logits do not depend on whether anyone listens.
    """
    starts, ends = [], []
    count = encoding.window_count
    for w in range(count):
        if progress and count > 1:  # one window is quick: no progress bar for it
            progress(w / count, f"Reading window {w + 1} of {count}")
        ids, mask = padded_batch(encoding.input_ids[w:w + 1], lm.tokenizer.pad_token_id)
        inputs = {"input_ids": ids, "attention_mask": mask}
        if encoding.uses_segment_ids:
            inputs["token_type_ids"] = padded_batch(encoding.segment_ids[w:w + 1], 0)[0]
        with torch.inference_mode():
            out = lm.model(**inputs)
        starts.append(out.start_logits[0].float())
        ends.append(out.end_logits[0].float())
    if progress and count > 1:
        progress(1.0, f"Read {count} windows; choosing the answer")
    return starts, ends


# ---- from logits to an answer (pure: testable with hand-made logits) -------------------------------

def select_answers(encoding: QAEncoding, start_logits: Sequence, end_logits: Sequence, settings: QASettings,
                   version: str, tokenizer=None) -> SpanSelection:
    """The answer (or "no answer"), top-n candidates and per-window scores from per-window logits."""
    settings = settings.validated()
    if version not in SQUAD_VERSIONS:
        raise PlaygroundError(f"SQuAD version must be one of {', '.join(SQUAD_VERSIONS)}, got {version!r}.")
    squad2 = version == "2"
    candidates: dict[tuple[int, int], AnswerSpan] = {}
    windows: list[QAWindow] = []
    for w in range(encoding.window_count):
        start = torch.as_tensor(start_logits[w], dtype=torch.float32)
        end = torch.as_tensor(end_logits[w], dtype=torch.float32)
        seq, offsets, cls = encoding.sequence_ids[w], encoding.offsets[w], encoding.cls_index[w]
        context_mask = [sid == 1 for sid in seq]
        # SQuAD 2.0 models spread probability over [CLS] too ("no answer"); 1.1 models only over the context.
        shown = [ok or (squad2 and i == cls) for i, ok in enumerate(context_mask)]
        p_start, p_end = window_probabilities(start, shown), window_probabilities(end, shown)
        spans = best_spans(start, end, context_mask, settings.max_answer_tokens, settings.top_n)
        for s, e, score in spans:
            char_start, char_end = offsets[s][0], offsets[e][1]
            span = AnswerSpan(text=encoding.context[char_start:char_end], start=char_start, end=char_end,
                              score=score, probability=float(p_start[s] * p_end[e]), window=w + 1,
                              token_start=s, token_end=e)
            key = (char_start, char_end)  # the same span seen by two overlapping windows: keep its best score
            if key not in candidates or candidates[key].score < score:
                candidates[key] = span
        context_chars = [offsets[i] for i, ok in enumerate(context_mask) if ok]
        windows.append(QAWindow(
            index=w + 1,
            tokens=tuple(_window_tokens(encoding, w, p_start, p_end, tokenizer)),
            context_start=context_chars[0][0] if context_chars else 0,
            context_end=context_chars[-1][1] if context_chars else 0,
            null_score=float(start[cls] + end[cls]), best_score=spans[0][2] if spans else None,
        ))
    ranked = tuple(sorted(candidates.values(), key=lambda a: -a.score)[:settings.top_n])
    best = ranked[0] if ranked else None
    if not squad2:
        decision = ("This model was fine-tuned on SQuAD 1.1, where every question has an answer, so it always "
                    "picks a span — even when the context does not contain the answer.")
        return SpanSelection(best, ranked, None, decision, tuple(windows))
    cls = f"`{tokenizer.cls_token}`" if tokenizer is not None and tokenizer.cls_token else "[CLS]"
    null = min(win.null_score for win in windows)
    null_window = next(win.index for win in windows if win.null_score == null)
    if best is None or null > best.score:
        best_text = f"the best span '{best.text}' scores {best.score:.2f}" if best else "no valid span exists"
        decision = (f"No answer in the context: the null score (start + end logit at the {cls} token, window "
                    f"{null_window}) is {null:.2f}, while {best_text}. This SQuAD 2.0 model was trained to point "
                    f"at {cls} when the context does not answer the question.")
        return SpanSelection(None, ranked, null, decision, tuple(windows))
    decision = (f"Answer found: the best span scores {best.score:.2f} (start + end logit), above the null score "
                f"{null:.2f} (start + end logit at {cls}, window {null_window}).")
    return SpanSelection(best, ranked, null, decision, tuple(windows))


def _window_tokens(encoding: QAEncoding, w: int, p_start, p_end, tokenizer) -> list[QAToken]:
    out = []
    for i, (token_id, sid, (s, e), seg) in enumerate(zip(encoding.input_ids[w], encoding.sequence_ids[w],
                                                         encoding.offsets[w], encoding.segment_ids[w])):
        segment = "special" if sid is None else ("question" if sid == 0 else "context")
        piece = display_piece(tokenizer, token_id) if tokenizer is not None else str(token_id)
        out.append(QAToken(position=i, token=piece, segment=segment, segment_id=int(seg),
                           start=None if sid is None else s, end=None if sid is None else e,
                           start_probability=float(p_start[i]), end_probability=float(p_end[i])))
    return out
