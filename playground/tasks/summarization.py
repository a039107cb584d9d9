"""Abstractive summarization with an encoder–decoder (Pegasus): the encoder reads the whole text once,
in both directions; the decoder writes the summary one token at a time, attending to its own previous
tokens (causally) and, through cross-attention, to every encoder output.

Greedy decoding (1 beam) is streamed honestly: our own loop runs the encoder once and steps the decoder
with a KV cache, applying the same logits processors `model.generate` would (min new tokens, forced
end-of-sequence at the length limit, and the checkpoint's own repetition settings), so the final text
equals `model.generate(..., num_beams=1, do_sample=False)`.

Beam search cannot be streamed token by token: it keeps `num_beams` partial summaries and only decides
which one wins at the very end — the first tokens of the winner may change until the last step. So with
beams > 1 we run `model.generate`, then score the winning sequence with one teacher-forced decoder pass to
report each token's probability.
"""

from __future__ import annotations

from typing import Iterator

from playground import tasks
from playground.lm.generation import final
from playground.core.types import LoadedModel
from playground.tasks.context import AppContext
# Re-exported: the tab and the API name these here; `summary_settings.py` holds them (light, shared with the heavy half).
from playground.tasks.summary_settings import (  # noqa: F401
    CANDIDATES, DecodedToken, LENGTH_PENALTY_RANGE, MAX_BEAMS, MAX_BEAM_TOKENS, MAX_NEW_TOKENS, MAX_SECONDS,
    ProgressFn, SummaryResult, SummarySettings, TASK, check_settings, decoder_limit, encode_text)

# The decoding itself (`summary_decoding.py`) imports torch and transformers at its top; this module reaches it at
# call time as `tasks.summary_decoding`, so importing it (and starting the app) stays fast.


def stream_summary(lm: LoadedModel, text: str, settings: SummarySettings,
                   progress: ProgressFn | None = None) -> Iterator[SummaryResult]:
    """Yield the growing summary after every decoder step (greedy), or once at the end (beam search).

    `progress`, if given, hears (fraction, stage): the encoder pass, then each decoder step out of the most
    the settings allow (a summary that ends sooner jumps to 1), or each beam-search step. The decoding
    (`summary_decoding.py`, torch at its top) is imported on the first call.
    """
    return tasks.summary_decoding.stream_summary(lm, text, settings, progress)


def summarize(lm: LoadedModel, text: str, settings: SummarySettings | None = None,
              progress: ProgressFn | None = None) -> SummaryResult:
    """The finished summary (the last streamed result)."""
    return final(stream_summary(lm, text, settings or SummarySettings(), progress))


# ---- the handler: what the Summarization tab and /summarize run -----------------------------------

def run_summarize(ctx: AppContext, text: str, max_new_tokens: int = 60, min_new_tokens: int = 0, num_beams: int = 1,
                  length_penalty: float = 1.0, model_name: str = "google/pegasus-xsum") -> Iterator[SummaryResult]:
    """Stream the summary (greedy: token by token; beam search: when the search finishes)."""
    yield from summary_with_progress(ctx, text, max_new_tokens, min_new_tokens, num_beams, length_penalty,
                                     model_name, None)


def summary_with_progress(ctx: AppContext, text: str, max_new_tokens: int, min_new_tokens: int, num_beams: int,
                          length_penalty: float, model_name: str,
                          progress: ProgressFn | None) -> Iterator[SummaryResult]:
    """`run_summarize`, telling `progress` (fraction, stage) how the encoder and each decoder step are going."""
    lm = ctx.model(model_name, TASK)
    settings = SummarySettings(max_new_tokens=max_new_tokens, min_new_tokens=min_new_tokens, num_beams=num_beams,
                               length_penalty=length_penalty)
    yield from stream_summary(lm, text, settings, progress)
