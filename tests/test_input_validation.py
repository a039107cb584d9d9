"""Issue 9: the app's own validation of numbers and text, and error messages that are safe to show."""

import time

import gradio as gr
import pytest

from playground.core.errors import PlaygroundError
from playground.core.text_input import MAX_CHARS, check_bool, check_float, check_int, clean_text, shown
from playground.ui.widgets import MAX_MESSAGE_CHARS, safe_message, user_errors


@pytest.mark.parametrize("value, words", [
    (float("nan"), "NaN"), ("NaN", "NaN"), (float("inf"), "infinity"), ("-inf", "infinity"),
    ("abc", "the text 'abc'"), ([1, 2], "not a list"), ({"a": 1}, "not an object"), (True, "not true/false"),
    (False, "not true/false"), (None, "missing"), (3.5, "got 3.5"), (21, "got 21"),
])
def test_check_int_explains_every_kind_of_bad_value(value, words):
    with pytest.raises(PlaygroundError, match="top-k") as info:
        check_int(value, "top-k", 1, 20)
    assert words in str(info.value) and "whole number between 1 and 20" in str(info.value)


@pytest.mark.parametrize("value, words", [
    (float("nan"), "NaN"), (float("-inf"), "infinity"), ("warm", "the text 'warm'"), ([0.5], "not a list"),
    (True, "not true/false"), (None, "missing"),
])
def test_check_float_explains_every_kind_of_bad_value(value, words):
    with pytest.raises(PlaygroundError, match="Temperature") as info:
        check_float(value, "Temperature", 0.0, 5.0, low_inclusive=False)
    assert words in str(info.value)


def test_numbers_as_text_still_work_where_a_text_box_holds_them():
    assert check_int("42", "Seed", 0, 100) == 42 and check_float(" 0.5 ", "Top-p", 0.0, 1.0) == 0.5


def test_booleans_are_checked_too():
    assert check_bool(True, "One per line") is True and check_bool(0, "One per line") is False
    for bad in ("yes", None, 2, [True]):
        with pytest.raises(PlaygroundError, match="One per line must be true or false"):
            check_bool(bad, "One per line")


def test_a_long_value_is_echoed_short():
    with pytest.raises(PlaygroundError) as info:
        check_int("x" * 20_000, "Seed", 0, 10)
    assert len(str(info.value)) < 200 and "20,000 characters" in str(info.value)
    assert shown("<b>" * 100).endswith("(300 characters)")


@pytest.mark.parametrize("value, kind", [(42, "a number"), ([1], "a list"), ({"t": 1}, "an object"),
                                         (True, "true/false")])
def test_non_text_is_refused_not_turned_into_text(value, kind):
    with pytest.raises(PlaygroundError, match="empty") as info:
        clean_text(value)
    assert f"must be text, not {kind}" in str(info.value)


@pytest.mark.parametrize("invisible", ["\u200b\u200b", "\u200d \ufeff", "\u2060\u00ad"])
def test_text_of_only_invisible_characters_is_refused(invisible):
    with pytest.raises(PlaygroundError, match="no visible"):
        clean_text(invisible)


def test_lone_surrogates_are_removed_with_a_notice():
    cleaned = clean_text("Tesla \ud800is here\udfff")
    assert cleaned.text == "Tesla is here"
    assert any("unpaired surrogate" in n for n in cleaned.notices)
    with pytest.raises(PlaygroundError, match="no visible"):
        clean_text("\ud800")


def test_a_huge_text_is_cut_before_any_per_character_work():
    huge = "word " * 2_000_000  # 10 MB
    started = time.perf_counter()
    cleaned = clean_text(huge)
    assert time.perf_counter() - started < 0.5  # walking every character takes seconds
    assert len(cleaned.text) == MAX_CHARS
    assert any(f"{MAX_CHARS} of {len(huge.strip())} characters" in n for n in cleaned.notices)


# ---- messages -------------------------------------------------------------------------------------

def test_error_messages_are_escaped_and_capped():
    @user_errors
    def seed_box(seed):
        check_int(seed, "Seed", 0, 10)

    with pytest.raises(gr.Error) as info:
        seed_box("<img src=x onerror=alert(1)><b>bold</b>")
    message = info.value.message
    assert "<img" not in message and "<b>" not in message and "&lt;img" in message

    @user_errors
    def echoes_everything(task):
        raise PlaygroundError(f"Unknown task '{task}'. Choose one of: fill-mask, nsp.")

    with pytest.raises(gr.Error) as info:
        echoes_everything("<i>" + "t" * 20_000)
    message = info.value.message
    assert len(message) < MAX_MESSAGE_CHARS + 100 and "<i>" not in message
    assert message.endswith("Choose one of: fill-mask, nsp.")  # the advice survives the cut


def test_unexpected_errors_and_gradio_errors_from_below_are_escaped_once():
    @user_errors
    def broken():
        raise TypeError("<script>x</script>")

    with pytest.raises(gr.Error) as info:
        broken()
    assert "&lt;script&gt;" in info.value.message and "<script>" not in info.value.message

    nested = user_errors(user_errors(lambda: (_ for _ in ()).throw(PlaygroundError("a < b"))))
    with pytest.raises(gr.Error) as info:
        nested()
    assert info.value.message == "a &lt; b"
    assert safe_message("x" * 5000).count("characters cut") == 1
