"""A summary's bounds, settings and result, and the preprocessing shared by `summarization.py` (the handlers)
and `summary_decoding.py` (the decoding, torch at its top): checking settings against the model, encoding the text."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from playground.core.errors import PlaygroundError
from playground.core.predictions import Prediction
from playground.core.text_input import check_float, check_int, clean_text
from playground.core.tokens import TokenizedText, tokenize
from playground.core.types import LoadedModel

TASK = "summarization"  # the registry task whose models the tab and /summarize run
MAX_NEW_TOKENS = 256
MAX_BEAMS = 8
# Beam search costs about beams × new tokens decoder steps; 8 × 256 took over a minute on Pegasus' real shape
# on 2 cores. 512 allows 8 beams × 64 tokens, 4 × 128 or 2 × 256.
MAX_BEAM_TOKENS = 512
MAX_SECONDS = 30.0  # a summary stops here, with what it has, however it is decoded
LENGTH_PENALTY_RANGE = (0.0, 3.0)
CANDIDATES = 5
ProgressFn = Callable[[float, str], None]  # (fraction done, what is happening); gr.Progress fits


@dataclass(frozen=True)
class SummarySettings:
    max_new_tokens: int = 60
    min_new_tokens: int = 0
    num_beams: int = 1  # 1 = greedy, streamed token by token
    length_penalty: float = 1.0  # beam search only: score / length**penalty; > 1 favours longer summaries

    def validated(self) -> "SummarySettings":
        max_new = check_int(self.max_new_tokens, "Max new tokens", 1, MAX_NEW_TOKENS)
        min_new = check_int(self.min_new_tokens, "Min new tokens", 0, MAX_NEW_TOKENS)
        if min_new > max_new:
            raise PlaygroundError(f"Min new tokens ({min_new}) cannot be more than max new tokens ({max_new}).")
        beams = check_int(self.num_beams, "Beams", 1, MAX_BEAMS)
        if beams > 1 and beams * max_new > MAX_BEAM_TOKENS:
            raise PlaygroundError(
                f"{beams} beams × {max_new} new tokens is more search than one request may run here (beams × new "
                f"tokens at most {MAX_BEAM_TOKENS}, e.g. 8 × 64, 4 × 128 or 2 × 256): lower the beams or the "
                f"length (with {beams} beams, at most {MAX_BEAM_TOKENS // beams} new tokens).")
        return replace(self, max_new_tokens=max_new, min_new_tokens=min_new, num_beams=beams,
                       length_penalty=check_float(self.length_penalty, "Length penalty", *LENGTH_PENALTY_RANGE))


@dataclass(frozen=True)
class DecodedToken:
    step: int  # 1-based
    token_id: int
    token: str  # readable SentencePiece piece (▁ = start of a word)
    probability: float  # the model's probability for it, given the text and the summary so far
    candidates: tuple[Prediction, ...]  # the most probable tokens at this step
    rank: int = 1  # 1 = the model's own top choice; > 1: a generation rule or the beam search chose it


@dataclass(frozen=True)
class SummaryResult:
    model_name: str
    text: str
    encoder_tokens: TokenizedText  # what the encoder read (after truncation)
    decoder_start: str  # the token the decoder starts from (Pegasus: <pad>)
    summary: str
    tokens: tuple[DecodedToken, ...]
    settings: SummarySettings
    decoding: str  # how the summary was produced, in words
    streamed: bool  # True when each yield added one decoder step
    finished: bool = False
    stop_reason: str = ""
    notices: tuple[str, ...] = ()


def decoder_limit(lm: LoadedModel) -> int:
    """Most tokens the decoder can write (its position embeddings bound the summary length)."""
    return max(1, lm.max_positions - 1)


def check_settings(lm: LoadedModel, settings: SummarySettings) -> tuple[SummarySettings, list[str]]:
    settings = settings.validated()
    notices = []
    limit = decoder_limit(lm)
    if settings.max_new_tokens > limit:
        notices.append(f"{lm.name}'s decoder has {lm.max_positions} positions, so the summary is capped at {limit} "
                       f"tokens (asked for {settings.max_new_tokens}).")
        settings = replace(settings, max_new_tokens=limit, min_new_tokens=min(settings.min_new_tokens, limit))
    if settings.num_beams == 1 and settings.length_penalty != 1.0:
        notices.append("Length penalty only affects beam search; with 1 beam it is ignored.")
    return settings, notices


def encode_text(lm: LoadedModel, text: str) -> tuple[str, TokenizedText, list[str]]:
    """The cleaned text and the encoder's input tokens, truncated to the model's maximum, with a notice of
    how much was cut."""
    cleaned = clean_text(text)
    if not any(ch.isalnum() for ch in cleaned.text):
        raise PlaygroundError("The text has no words to summarize — paste a paragraph or an article.")
    tokens = tokenize(lm, cleaned.text)
    notices = list(cleaned.notices) + list(tokens.notes)
    if tokens.truncated_tokens:
        read_to = max((t.end for t in tokens.tokens if t.end is not None), default=0)
        cut = len(cleaned.text) - read_to
        notices.append(f"Summarizing only the first {read_to} of {len(cleaned.text)} characters: the last {cut} "
                       f"characters ({cut / len(cleaned.text):.0%} of the text) were never read by the encoder.")
    return cleaned.text, tokens, notices
