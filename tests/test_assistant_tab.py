"""GPT → Assistant tab views (pure: result → component values) and the recording of the user's choices."""

from playground.tasks.assistant.data import MAX_CHOICES, parse_choices
from playground.tasks.assistant.results import (BestOfN, MaskSlot, RewardResult, SftResult, SideBySide, spread)
from playground.ui.tabs.assistant import _choose, best_rows, mask_strip, side_rows, sft_summary

ROW = SideBySide("Name the animal that barked.", "The dog.", "the capital of Italy.", "The dog.", False, True)


def _sft() -> SftResult:
    strip = (MaskSlot("Question", False), MaskSlot(":", False), MaskSlot(" The", True), MaskSlot(" dog", True))
    return SftResult("lab-gpt", 330, 74, 0, strip, (3.0, 1.0), 0.05, 0.06, 0.74, 0.75, (ROW,), 12.0)


def test_mask_strip_greys_the_question_and_colours_the_answer():
    assert mask_strip(_sft()) == [("Question", None), (":", None), (" The", "answer (in the loss)"),
                                  (" dog", "answer (in the loss)")]
    assert "2 of 4 tokens counted" in sft_summary(_sft()) and "| after SFT | 74% | 0.75 |" in sft_summary(_sft())


def test_side_by_side_and_best_of_n_rows():
    assert side_rows([ROW]) == [[ROW.question, "The dog.", "the capital of Italy.", "The dog.", "✗", "✓"]]
    result = RewardResult("lab-bert", 480, 74, (0.7,), 0.68, 0.5, BestOfN("Q", ("a", "b"), (0.1, 0.9), 1), 8.0)
    assert best_rows(result) == [[1, "a", 0.1, ""], [2, "b", 0.9, "← pick"]]


def test_choices_accumulate_per_session_bounded_and_parse_back_as_preferences():
    pair = {"question": "Which animal barked?", "first": "The cat.", "second": "The dog | or so"}
    choices, count = _choose(pair, "second", [])
    assert count.startswith("1 choice")
    (parsed,) = parse_choices("\n".join(choices))
    assert parsed.chosen == " The dog / or so" and parsed.rejected == " The cat."
    many, _ = _choose(pair, "first", ["x => a | b"] * (MAX_CHOICES + 5))
    assert len(many) == MAX_CHOICES and many[-1].startswith("Which animal barked? => The cat.")
    assert _choose(None, "first", ["x => a | b"])[0] == ["x => a | b"]  # nothing shown yet: nothing recorded


def test_spread():
    s = spread([0.4, 0.5, 0.6])
    assert (s.mean, s.low, s.high) == (0.5, 0.4, 0.6) and abs(s.std - 0.1) < 1e-9
