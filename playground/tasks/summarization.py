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

import time
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from playground.core.errors import PlaygroundError
from playground.lm.generation import final
from playground.core.types import LoadedModel
from playground.core.predictions import Prediction, rank_of, top_predictions
from playground.core.text_input import check_float, check_int, clean_text
from playground.core.tokens import TokenizedText, display_piece, tokenize
from playground.tasks.context import AppContext

# Lazy imports: torch and transformers are imported inside the functions that run a model, so importing this
# module (and starting the app) stays fast.

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


def _processors(lm: LoadedModel, settings: SummarySettings):
    """The logits processors `generate` applies for greedy search with these settings, in its order."""
    from transformers import (ForcedEOSTokenLogitsProcessor, LogitsProcessorList, MinNewTokensLengthLogitsProcessor,
                              NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor)

    config = lm.model.generation_config
    eos = config.eos_token_id if config.eos_token_id is not None else lm.tokenizer.eos_token_id
    chain = LogitsProcessorList()
    if config.repetition_penalty is not None and config.repetition_penalty != 1.0:
        chain.append(RepetitionPenaltyLogitsProcessor(config.repetition_penalty))
    if config.no_repeat_ngram_size:
        chain.append(NoRepeatNGramLogitsProcessor(config.no_repeat_ngram_size))
    if settings.min_new_tokens:
        # The decoder input starts with one token (the decoder start token), which is not "new".
        chain.append(MinNewTokensLengthLogitsProcessor(1, settings.min_new_tokens, eos))
    if config.forced_eos_token_id is not None:
        chain.append(ForcedEOSTokenLogitsProcessor(1 + settings.max_new_tokens, config.forced_eos_token_id))
    return chain


def _generate_kwargs(settings: SummarySettings) -> dict:
    """Arguments that make `model.generate` follow exactly these settings (not the checkpoint's defaults)."""
    return dict(max_new_tokens=settings.max_new_tokens, min_new_tokens=settings.min_new_tokens or None,
                min_length=0, num_beams=settings.num_beams, length_penalty=settings.length_penalty,
                do_sample=False, num_return_sequences=1, max_time=MAX_SECONDS)


def _result(lm: LoadedModel, text: str, tokens: TokenizedText, settings: SummarySettings,
            generated: list[DecodedToken], decoding: str, streamed: bool, finished: bool, stop_reason: str,
            notices: list[str]) -> SummaryResult:
    ids = [t.token_id for t in generated]
    start = display_piece(lm.tokenizer, lm.model.config.decoder_start_token_id)
    return SummaryResult(
        model_name=lm.name, text=text, encoder_tokens=tokens, decoder_start=start,
        summary=lm.tokenizer.decode(ids, skip_special_tokens=True).strip(), tokens=tuple(generated),
        settings=settings, decoding=decoding, streamed=streamed, finished=finished, stop_reason=stop_reason,
        notices=tuple(notices),
    )


def stream_summary(lm: LoadedModel, text: str, settings: SummarySettings,
                   progress: ProgressFn | None = None) -> Iterator[SummaryResult]:
    """Yield the growing summary after every decoder step (greedy), or once at the end (beam search).

    `progress`, if given, hears (fraction, stage): the encoder pass, then each decoder step out of the most
    the settings allow (a summary that ends sooner jumps to 1), or each beam-search step.
    """
    import torch

    if lm.model is None or not getattr(lm.model.config, "is_encoder_decoder", False):
        raise PlaygroundError(f"{lm.name} is not an encoder–decoder model, so it cannot summarize here.")
    settings, notices = check_settings(lm, settings)
    cleaned, tokens, encode_notices = encode_text(lm, text)
    notices = encode_notices + notices
    input_ids = torch.tensor([tokens.input_ids])
    mask = torch.ones_like(input_ids)
    eos = lm.tokenizer.eos_token_id
    tell = progress or (lambda fraction, stage: None)
    tell(0.0, f"Encoding {len(tokens.tokens)} tokens")
    with torch.inference_mode():
        encoder_outputs = lm.model.get_encoder()(input_ids=input_ids, attention_mask=mask)  # once, for every step
    if settings.num_beams > 1:
        yield from _beam_summary(lm, cleaned, tokens, settings, encoder_outputs, mask, notices, tell)
        tell(1.0, "Done")
        return

    decoding = ("greedy (1 beam), streamed token by token: the encoder ran once; each step runs the decoder on one "
                "new token")
    processors = _processors(lm, settings)
    sequence = torch.tensor([[lm.model.config.decoder_start_token_id]])
    step_input, cache = sequence, None
    generated: list[DecodedToken] = []
    deadline = time.monotonic() + MAX_SECONDS
    for step in range(1, settings.max_new_tokens + 1):
        # inference_mode per step, never across `yield`: grad mode is thread-local and gradio may resume this
        # generator on another worker thread (see generation.stream_generate).
        with torch.inference_mode():
            out = lm.model(encoder_outputs=encoder_outputs, attention_mask=mask, decoder_input_ids=step_input,
                           cache=cache, use_cache=True)
            cache = out.cache
            logits = out.logits[:, -1, :].float()
            probs = logits.softmax(-1)[0]
            scores = processors(sequence, logits.clone())
            next_id = int(scores.argmax(-1))
            generated.append(DecodedToken(
                step=step, token_id=next_id, token=display_piece(lm.tokenizer, next_id),
                probability=float(probs[next_id]), candidates=top_predictions(lm.tokenizer, probs, CANDIDATES),
                rank=rank_of(probs, next_id),
            ))
            sequence = torch.cat([sequence, torch.tensor([[next_id]])], dim=1)
            step_input = sequence[:, -1:]
        done = next_id == eos
        out_of_time = not done and time.monotonic() > deadline
        last = done or out_of_time or step == settings.max_new_tokens
        tell(1.0 if last else step / settings.max_new_tokens,
             "Done" if last else f"Decoder step {step} of at most {settings.max_new_tokens}")
        reason = _stop_reason(generated[-1], eos, settings, lm) if last else ""
        if out_of_time and step < settings.max_new_tokens:
            reason = f"stopped after {step} tokens: a summary may take at most {MAX_SECONDS:.0f} seconds"
        yield _result(lm, cleaned, tokens, settings, generated, decoding, True, last, reason, notices)
        if done or out_of_time:
            return


def _stop_reason(last: DecodedToken, eos: int, settings: SummarySettings, lm: LoadedModel) -> str:
    eos_piece = f"`{lm.tokenizer.convert_ids_to_tokens(eos)}`"  # backticks: `</s>` would vanish as HTML in Markdown
    if last.token_id == eos and last.rank > 1:
        return f"reached {settings.max_new_tokens} new tokens; the last one was forced to {eos_piece}"
    if last.token_id == eos:
        return f"the decoder produced its end-of-sequence token {eos_piece}"
    return f"reached {settings.max_new_tokens} new tokens"


def _step_reporter(tell: ProgressFn, settings: SummarySettings):
    """A stopping criterion that never stops: `generate` calls it once per step, so it reports the steps."""
    import torch
    from transformers import StoppingCriteria

    class StepReporter(StoppingCriteria):
        step = 0

        def __call__(self, input_ids, scores, **kwargs):
            self.step += 1
            n = settings.max_new_tokens
            tell(self.step / (n + 1), f"Beam search ({settings.num_beams} beams): step {self.step} of at most {n}")
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StepReporter()


def _beam_summary(lm: LoadedModel, text: str, tokens: TokenizedText, settings: SummarySettings, encoder_outputs,
                  mask, notices: list[str], tell: ProgressFn) -> Iterator[SummaryResult]:
    import torch
    from transformers import StoppingCriteriaList

    decoding = (f"beam search with {settings.num_beams} beams (length penalty {settings.length_penalty}): not "
                "streamed, because the winning beam is only known at the end; probabilities are the model's, "
                "from one teacher-forced decoder pass over the winner")
    yield _result(lm, text, tokens, settings, [], decoding, False, False, "", notices)  # "searching…" for the UI
    from transformers.modeling_outputs import BaseModelOutput

    with torch.inference_mode():
        # generate() expands encoder outputs to one row per beam in place, so it gets its own container.
        for_generate = BaseModelOutput(last_hidden_state=encoder_outputs.last_hidden_state)
        started = time.monotonic()
        output = lm.model.generate(encoder_outputs=for_generate, attention_mask=mask,
                                   stopping_criteria=StoppingCriteriaList([_step_reporter(tell, settings)]),
                                   **_generate_kwargs(settings))
        tell((settings.max_new_tokens + 0.5) / (settings.max_new_tokens + 1), "Scoring the winning summary")
        sequence = output[0:1]
        logits = lm.model(encoder_outputs=encoder_outputs, attention_mask=mask,
                          decoder_input_ids=sequence[:, :-1]).logits[0].float()
    probs = logits.softmax(-1)
    eos, pad = lm.tokenizer.eos_token_id, lm.tokenizer.pad_token_id
    generated = []
    for step, token_id in enumerate(sequence[0, 1:].tolist(), start=1):
        if token_id == pad and generated and generated[-1].token_id == eos:
            break  # padding after the end of a beam that finished early
        generated.append(DecodedToken(
            step=step, token_id=token_id, token=display_piece(lm.tokenizer, token_id),
            probability=float(probs[step - 1, token_id]),
            candidates=top_predictions(lm.tokenizer, probs[step - 1], CANDIDATES),
            rank=rank_of(probs[step - 1], token_id),
        ))
    reason = _stop_reason(generated[-1], eos, settings, lm) if generated else "the search produced no tokens"
    if time.monotonic() - started >= MAX_SECONDS and generated and generated[-1].token_id != eos:
        reason = f"stopped after {len(generated)} tokens: a summary may take at most {MAX_SECONDS:.0f} seconds"
    yield _result(lm, text, tokens, settings, generated, decoding, False, True, reason, notices)


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
