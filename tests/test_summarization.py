"""Pegasus summarization on the tiny model: streaming equals generate, beam search, truncation, limits."""

import pytest
import torch

from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.tasks.summarization import SummarySettings, stream_summary, summarize

TEXT = "Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning. Tesla makes electric cars."


@pytest.fixture(scope="module")
def pegasus(store):
    return store.get("tiny-pegasus", "summarization")


def _generate(lm, text, **kwargs):
    enc = lm.tokenizer(text, return_tensors="pt", truncation=True, max_length=lm.max_positions)
    with torch.inference_mode():
        return lm.model.generate(**enc, do_sample=False, **kwargs)[0, 1:].tolist()  # drop the decoder start token


def test_greedy_streams_token_by_token_and_equals_generate(pegasus):
    updates = list(stream_summary(pegasus, TEXT, SummarySettings(max_new_tokens=12)))
    assert [len(u.tokens) for u in updates] == list(range(1, len(updates) + 1))  # one new token per yield
    assert all(u.streamed for u in updates)
    assert [u.finished for u in updates] == [False] * (len(updates) - 1) + [True]
    for earlier, later in zip(updates, updates[1:]):
        assert later.tokens[:-1] == earlier.tokens  # earlier tokens never change
    final = updates[-1]
    expected = _generate(pegasus, TEXT, max_new_tokens=12, num_beams=1)
    assert [t.token_id for t in final.tokens] == expected
    assert final.summary == pegasus.tokenizer.decode(expected, skip_special_tokens=True).strip()
    assert final.stop_reason
    assert all(0.0 < t.probability <= 1.0 and t.candidates for t in final.tokens)
    assert final.decoder_start == "<pad>"  # Pegasus starts decoding from the pad token


def test_min_new_tokens_matches_generate(pegasus):
    final = summarize(pegasus, TEXT, SummarySettings(max_new_tokens=10, min_new_tokens=10))
    assert len(final.tokens) == 10
    eos = pegasus.tokenizer.eos_token_id
    assert eos not in [t.token_id for t in final.tokens[:-1]]
    assert [t.token_id for t in final.tokens] == _generate(pegasus, TEXT, max_new_tokens=10, min_new_tokens=10,
                                                           num_beams=1)
    # The tiny model's config forces </s> at the length limit, as generate() does; the rank shows it was forced.
    assert final.tokens[-1].token_id == eos and final.tokens[-1].rank > 1 and "forced" in final.stop_reason


def test_beam_search_is_not_streamed_and_equals_generate(pegasus):
    settings = SummarySettings(max_new_tokens=10, num_beams=3, length_penalty=0.6)
    updates = list(stream_summary(pegasus, TEXT, settings))
    assert len(updates) == 2 and not updates[0].finished and updates[0].tokens == ()
    assert not updates[-1].streamed and "beam search with 3 beams" in updates[-1].decoding
    expected = _generate(pegasus, TEXT, max_new_tokens=10, num_beams=3, length_penalty=0.6)
    while expected and expected[-1] == pegasus.tokenizer.pad_token_id:
        expected.pop()
    assert [t.token_id for t in updates[-1].tokens] == expected
    assert all(0.0 < t.probability <= 1.0 for t in updates[-1].tokens)


def test_encoder_input_is_sentencepiece_and_long_text_is_truncated_with_a_notice(pegasus):
    result = summarize(pegasus, TEXT, SummarySettings(max_new_tokens=3))
    pieces = [t.piece for t in result.encoder_tokens.tokens]
    assert pieces[0] == "▁Tesla" and pieces[-1] == "</s>"
    assert not any("dropped" in n for n in result.notices)

    long = " ".join([TEXT] * 20)
    result = summarize(pegasus, long, SummarySettings(max_new_tokens=3))
    assert len(result.encoder_tokens.tokens) == pegasus.max_positions == 64
    assert result.encoder_tokens.tokens[-1].piece == "</s>"
    assert any("dropped from the end" in n for n in result.notices)
    cut = next(n for n in result.notices if "never read" in n)
    assert f"of {len(long)} characters" in cut


def test_settings_are_capped_with_clear_messages(pegasus):
    result = summarize(pegasus, TEXT, SummarySettings(max_new_tokens=200, num_beams=1, length_penalty=2.0))
    assert result.settings.max_new_tokens == 63  # tiny Pegasus: 64 decoder positions
    assert any("capped at 63" in n for n in result.notices)
    assert any("only affects beam search" in n for n in result.notices)


@pytest.mark.parametrize("settings, message", [
    (SummarySettings(max_new_tokens=0), "Max new tokens"),
    (SummarySettings(max_new_tokens=100000), "Max new tokens"),
    (SummarySettings(max_new_tokens=5, min_new_tokens=9), "cannot be more than"),
    (SummarySettings(min_new_tokens=-1), "Min new tokens"),
    (SummarySettings(num_beams=50), "Beams"),
    (SummarySettings(length_penalty=99.0), "Length penalty"),
    (SummarySettings(length_penalty=float("nan")), "Length penalty"),
])
def test_absurd_settings_are_refused(pegasus, settings, message):
    with pytest.raises(PlaygroundError, match=message):
        summarize(pegasus, TEXT, settings)


@pytest.mark.parametrize("text, message", [("", "empty"), ("  ", "empty"), ("!!! ??? ...", "no words")])
def test_empty_text_is_refused(pegasus, text, message):
    with pytest.raises(PlaygroundError, match=message):
        summarize(pegasus, text)


def test_only_encoder_decoders_summarize(bert):
    with pytest.raises(PlaygroundError, match="not an encoder–decoder"):
        summarize(bert, TEXT)


def test_real_checkpoints_have_cards_and_fail_offline_with_the_download_command(store):
    for name in ("google/pegasus-xsum", "google/pegasus-cnn_dailymail"):
        with pytest.raises(ModelUnavailable, match=f"python -m playground download {name}"):
            store.get(name, "summarization")


def test_a_paused_summary_stream_does_not_leave_the_thread_in_inference_mode(pegasus):
    """Gradio resumes generators on worker threads; grad mode is thread-local, so a stream paused between
    tokens must not hold `torch.inference_mode()` open (gradient-based tabs on that thread would break)."""
    stream = stream_summary(pegasus, "Tesla is an American electric vehicle company.", SummarySettings(max_new_tokens=5))
    next(stream)
    assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()
    stream.close()


def _recorder():
    heard: list[tuple[float, str]] = []
    return heard, lambda fraction, stage: heard.append((fraction, stage))


@pytest.mark.parametrize("beams", [1, 2])
def test_progress_follows_the_encoder_and_each_decoder_step_and_changes_nothing(pegasus, beams):
    settings = SummarySettings(max_new_tokens=10, min_new_tokens=10, num_beams=beams)
    heard, tell = _recorder()
    with_progress = summarize(pegasus, TEXT, settings, progress=tell)
    assert with_progress == summarize(pegasus, TEXT, settings)  # listening changes nothing
    fractions = [f for f, _ in heard]
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)  # strictly increasing
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in fractions)
    assert heard[0][1].startswith("Encoding ") and heard[-1][1] == "Done"
    steps = [stage for _, stage in heard if "step" in stage]
    assert len(steps) >= len(with_progress.tokens) - 1  # every decoder step is heard
    if beams == 1:
        assert steps[0] == "Decoder step 1 of at most 10"
    else:
        assert steps[0] == "Beam search (2 beams): step 1 of at most 10"
        assert any(stage == "Scoring the winning summary" for _, stage in heard)
