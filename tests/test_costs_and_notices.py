"""Issue 9: costly requests have real caps (a clear message before any work) and no notice is lost."""

import time

import pytest

import playground.tasks.measure as measure
import playground.tasks.summary_settings as summary_settings
from playground.core.errors import PlaygroundError
from playground.core.text_input import MAX_CHARS
from playground.tasks.measure import measure_models, within_work_budget
from playground.tasks.summarization import MAX_BEAM_TOKENS, SummarySettings, summarize
from playground.tasks.compare import run_generate, tokenize_api

TEXT = ("Tesla is an American electric vehicle and clean energy company. It was founded in 2003 by Martin "
        "Eberhard and Marc Tarpenning, and it is headquartered in Austin, Texas.")
LARGEST = ["google/pegasus-xsum", "google/pegasus-cnn_dailymail", "gpt2-medium", "bert-large-uncased"]


# ---- /summarize ---------------------------------------------------------------------------------------

def test_beam_search_has_a_budget_with_a_clear_message():
    with pytest.raises(PlaygroundError, match="8 beams × 256 new tokens") as info:
        SummarySettings(max_new_tokens=256, num_beams=8).validated()
    assert f"at most {MAX_BEAM_TOKENS}" in str(info.value) and "at most 64 new tokens" in str(info.value)
    for beams, tokens in ((8, 64), (4, 128), (2, 256), (1, 256)):
        SummarySettings(max_new_tokens=tokens, num_beams=beams).validated()


@pytest.mark.parametrize("beams", [1, 3])
def test_a_summary_stops_at_its_time_limit_and_says_so(store, monkeypatch, beams):
    monkeypatch.setattr(summary_settings, "MAX_SECONDS", 0.0)  # the decoding reads it there
    result = summarize(store.get("tiny-pegasus", "summarization"), TEXT,
                       SummarySettings(max_new_tokens=40, min_new_tokens=40, num_beams=beams))
    assert result.finished and len(result.tokens) < 40
    assert "at most 0 seconds" in result.stop_reason


# ---- /measure -----------------------------------------------------------------------------------------

def test_measuring_the_largest_models_at_full_length_is_refused_before_anything_is_built(monkeypatch):
    monkeypatch.setattr(measure, "build_model", lambda *a, **k: pytest.fail("nothing may be built"))
    started = time.perf_counter()
    with pytest.raises(PlaygroundError, match="more work than one request may do") as info:
        measure_models(LARGEST, input_tokens=512, repeats=10)
    assert time.perf_counter() - started < 5
    assert "fewer repeats" in str(info.value) and "shorter input" in str(info.value)


def test_models_past_the_work_budget_are_named_not_measured():
    todo, rest = within_work_budget(["bert-base-uncased", "google/pegasus-xsum", "google/pegasus-cnn_dailymail"],
                                    None, 512, 3, tiny=False)
    assert todo == ["bert-base-uncased", "google/pegasus-xsum"] and rest == ["google/pegasus-cnn_dailymail"]
    assert within_work_budget(LARGEST, None, 128, 5, tiny=False) == (LARGEST, [])  # the defaults fit


def test_repeats_are_capped_lower_with_a_clear_message():
    with pytest.raises(PlaygroundError, match="Repeats must be a whole number between 1 and 10"):
        measure_models(["gpt2"], repeats=20, tiny=True)


# ---- notices that used to be lost ------------------------------------------------------------------

class _Ctx:
    def __init__(self, store):
        self.store = store

    def model(self, name, task, variant="fp32"):
        return self.store.get(name, task, variant)


def test_tokenize_keeps_the_cut_and_control_character_notices(store):
    long_text = "Tesla\x07 is here. " * 400  # over 4,000 characters, with control characters
    result = tokenize_api(_Ctx(store), long_text, "tiny-bert")
    assert any(f"cut to its first {MAX_CHARS}" in note for note in result.notes)
    assert any("control character" in note for note in result.notes)


def test_generate_from_only_a_mask_says_where_it_starts(store):
    results = list(run_generate(_Ctx(store), "[MASK]", 3, gpt_model="tiny-gpt2"))
    assert results and all(any("Nothing is left of the first [MASK]" in n for n in r.notices) for r in results)
    plain = list(run_generate(_Ctx(store), "Tesla is [MASK]", 3, gpt_model="tiny-gpt2"))[-1]
    assert not any("Nothing is left" in n for n in plain.notices)


def test_generate_takes_a_numeric_seed_from_a_script(store):
    first = list(run_generate(_Ctx(store), "Tesla is", 4, "sample", seed=7, gpt_model="tiny-gpt2"))[-1]
    second = list(run_generate(_Ctx(store), "Tesla is", 4, "sample", seed="7", gpt_model="tiny-gpt2"))[-1]
    assert first.generated_text == second.generated_text and first.settings.seed == 7


@pytest.mark.parametrize("text", ["  Leading and   multiple spaces  ", "Tabs\tand", "two\nlines\n"])
def test_tokenize_reads_whitespace_as_typed(store, text):
    for name in ("tiny-gpt2", "tiny-bert"):
        result = tokenize_api(_Ctx(store), text, name)
        tokenizer = store.get(name, "tokenizer-only").tokenizer
        assert result.input_ids == tokenizer(text)["input_ids"], name


def test_tokenize_says_how_a_gap_is_written(store):
    result = tokenize_api(_Ctx(store), "The ___ barked.", "tiny-bert")
    assert any("written as [MASK]" in note for note in result.notes)
    assert [t.kind for t in result.tokens].count("mask") == 1
