import pytest

from playground.core.errors import PlaygroundError
from playground.core.text_input import MAX_CHARS, check_float, check_int, clean_text, with_mask_token


@pytest.mark.parametrize("bad", [None, "", "   ", "\n\t", 42])
def test_empty_text_is_rejected_with_a_clear_message(bad):
    with pytest.raises(PlaygroundError, match="empty"):
        clean_text(bad)


def test_mask_spellings_are_normalised_and_counted():
    cleaned = clean_text("a [mask] b ___ c <MASK> d [MASK]")
    assert cleaned.text == "a [MASK] b [MASK] c [MASK] d [MASK]"
    assert cleaned.mask_count == 4


def test_two_underscores_are_not_a_mask():
    assert clean_text("snake__case").mask_count == 0


def test_control_characters_are_removed_and_reported_but_unicode_kept():
    cleaned = clean_text("Grüße\x00 😀 東京\x07 ok")
    assert cleaned.text == "Grüße 😀 東京 ok"
    assert any("2 control" in n for n in cleaned.notices)


def test_only_control_characters_is_an_error():
    with pytest.raises(PlaygroundError, match="no visible"):
        clean_text("\x00\x01")


def test_long_text_is_cut_with_a_notice():
    cleaned = clean_text("a" * (MAX_CHARS + 10))
    assert len(cleaned.text) == MAX_CHARS
    assert any(str(MAX_CHARS + 10) in n for n in cleaned.notices)


def test_mask_token_spelling_per_tokenizer():
    assert with_mask_token("x [MASK] y", "<mask>") == "x <mask> y"
    assert with_mask_token("x [MASK] y", "[MASK]") == "x [MASK] y"


@pytest.mark.parametrize("value", [0, 21, 3.5, "abc", None, float("nan"), float("inf")])
def test_check_int_rejects_out_of_range_and_non_integers(value):
    with pytest.raises(PlaygroundError, match="top-k"):
        check_int(value, "top-k", 1, 20)


def test_check_int_accepts_slider_floats():
    assert check_int(5.0, "top-k", 1, 20) == 5


def test_check_float_exclusive_lower_bound():
    with pytest.raises(PlaygroundError):
        check_float(0.0, "Temperature", 0.0, 5.0, low_inclusive=False)
    assert check_float(0.5, "Temperature", 0.0, 5.0, low_inclusive=False) == 0.5


# ---- whitespace: tidied by default (and said), kept as typed where tokens are shown -------------------

def test_whitespace_is_kept_as_typed_when_asked():
    typed = "  Leading and   multiple spaces \tand\ttabs\r\nlines  "
    kept = clean_text(typed, keep_whitespace=True)
    assert kept.text == typed and kept.notices == () and kept.whitespace_note == ""
    assert clean_text("a <mask> b", keep_whitespace=True, gaps=False).text == "a <mask> b"  # gaps as typed too


def test_tidying_whitespace_says_what_it_changed():
    tidied = clean_text("  Tabs\tand  ")
    assert tidied.text == "Tabs and"
    assert "2 leading and 2 trailing whitespace character(s) removed" in tidied.whitespace_note
    assert "1 tab(s) read as spaces" in tidied.whitespace_note
    assert clean_text("Tabs and").whitespace_note == ""
