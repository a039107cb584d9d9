"""GPT → Assistant tab views (pure: result → component values) and the recording of the user's choices."""

from playground.tasks.assistant.data import MAX_CHOICES, parse_choices
from playground.tasks.assistant.results import (BestOfN, ChoiceMove, DpoResult, LoraResult, MaskSlot, RewardResult,
                                                SftResult, SideBySide, spread)
from playground.ui.tabs.assistant import (_choose, best_rows, dpo_summary, lora_summary, mask_strip, side_rows,
                                         sft_summary)

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


def test_dpo_summary_says_how_far_the_model_moved_toward_your_choices():
    moves = (ChoiceMove("Question: Pet?\nAnswer:", "The owl.", "The dog.", False, False, 9.2),
             ChoiceMove("Question: City?\nAnswer:", "Paris.", "Rome.", True, True, -0.2))
    s = spread([0.5])
    result = DpoResult(0.1, 1e-4, 2, 1.0, 330, 2, (), s, s, s, 0.74, s, (), (), 10.0, your_moves=moves)
    text = dpo_summary(result)
    assert "**Your 2 choice(s)**: the SFT model preferred your better answer in 1, the DPO model in 1" in text
    assert "moved toward your choice (log-ratio margin > 0) in 1 of 2 (mean margin +4.50 nats)" in text
    assert "Your" not in dpo_summary(DpoResult(0.1, 1e-4, 2, 1.0, 330, 0, (), s, s, s, 0.74, s, (), (), 10.0))


def test_lora_summary_shows_sft_and_dpo_and_where_the_adapters_are_served():
    result = LoraResult("gpt2", 8, 811_008, 125_250_816, 12, (3.0, 2.0), 180.0, 0.01, 0.40, 0.05, 0.45, "/x/sft", 170.0,
                        dpo_steps=9, dpo_losses=(0.69, 0.6), dpo_exact=0.42, dpo_f1=0.47,
                        dpo_heldout_margin=(0.0, 0.31), dpo_beta=0.1, dpo_saved_to="/x/dpo",
                        served_as=("gpt2-lora-sft@t", "gpt2-lora-dpo@t"))
    text = lora_summary(result)
    assert "| LoRA SFT | 40% | 0.45 |" in text and "| LoRA DPO (β 0.1, 9 steps) | 42% | 0.47 |" in text
    assert "0.000 → 0.310" in text and "**gpt2-lora-sft@t**, **gpt2-lora-dpo@t**" in text
    sft_only = lora_summary(LoraResult("gpt2", 8, 1, 2, 1, (1.0,), 5.0, 0.0, 0.0, 0.0, 0.0, "/x/sft", 5.0))
    assert "LoRA DPO" not in sft_only and "`/x/sft`" in sft_only
