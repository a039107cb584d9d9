"""The Summarization tab's decoding: greedy decoding streamed by our own loop (the encoder once, the decoder step by step
with a KV cache and `generate`'s own logits processors), and beam search through `model.generate` with the winner
scored by one teacher-forced pass (see `summarization.py` for why).

torch and transformers are imported at the top: `summarization.py` (which the page imports) reaches this module at
call time as `tasks.summary_decoding` (`playground/tasks/__init__.py`).
"""

from __future__ import annotations

import time
from typing import Iterator

import torch
from transformers import (ForcedEOSTokenLogitsProcessor, LogitsProcessorList, MinNewTokensLengthLogitsProcessor,
                          NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor, StoppingCriteria,
                          StoppingCriteriaList)
from transformers.modeling_outputs import BaseModelOutput

from playground.core.errors import PlaygroundError
from playground.core.predictions import rank_of, top_predictions
from playground.core.tokens import TokenizedText, display_piece
from playground.core.types import LoadedModel
from playground.tasks import summary_settings
from playground.tasks.summary_settings import (CANDIDATES, DecodedToken, ProgressFn, SummaryResult,
                                               SummarySettings, check_settings, encode_text)


def _processors(lm: LoadedModel, settings: SummarySettings):
    """The logits processors `generate` applies for greedy search with these settings, in its order."""
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
                do_sample=False, num_return_sequences=1, max_time=summary_settings.MAX_SECONDS)


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
    deadline = time.monotonic() + summary_settings.MAX_SECONDS
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
            reason = f"stopped after {step} tokens: a summary may take at most {summary_settings.MAX_SECONDS:.0f} seconds"
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
    decoding = (f"beam search with {settings.num_beams} beams (length penalty {settings.length_penalty}): not "
                "streamed, because the winning beam is only known at the end; probabilities are the model's, "
                "from one teacher-forced decoder pass over the winner")
    yield _result(lm, text, tokens, settings, [], decoding, False, False, "", notices)  # "searching…" for the UI
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
    if time.monotonic() - started >= summary_settings.MAX_SECONDS and generated and generated[-1].token_id != eos:
        reason = f"stopped after {len(generated)} tokens: a summary may take at most {summary_settings.MAX_SECONDS:.0f} seconds"
    yield _result(lm, text, tokens, settings, generated, decoding, False, True, reason, notices)
