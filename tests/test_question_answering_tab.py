"""The Question answering tab without a server: its handler (what /answer returns,
`playground/tasks/question_answering.py`), its view function (what each component shows) and its event."""

import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.question_answering import run_answer
from playground.ui.tabs.question_answering import answer_view, show_answer
from playground.ui.widgets import to_json

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.")


def test_answer_view_shows_span_candidates_plot_and_segments(ctx):
    result = run_answer(ctx, TESLA, "Who founded Tesla?", 3, 15, 128, "tiny-roberta-squad2")
    assert result.squad_version == "2" and result.layout == "<s> question </s> </s> context </s>"
    assert "from the model card of deepset/roberta-base-squad2" in result.squad_version_source
    view = answer_view(result)
    assert "".join(chip[0] for chip in view.answer) == TESLA  # the whole context, spans highlighted
    assert ("No answer" in view.decision) == (result.answer is None)
    assert "SQuAD 2.0" in view.decision and result.squad_version_source in view.decision
    assert len(view.candidates) == 3 and view.plot is not None
    assert "<s> question </s> </s> context </s>" in view.layout
    assert {label for _, label in view.segments} == {"special", "question (segment 0)", "context (segment 1)"}
    assert len(view.windows) == len(result.windows)
    assert view.json == to_json(result)


def test_answer_slides_windows_over_a_long_context(ctx):
    context = " ".join([TESLA] * 4)
    result = run_answer(ctx, context, "Who founded Tesla?", 2, 15, 16, "tiny-distilbert-squad")
    assert len(result.windows) > 1 and result.squad_version == "1.1"
    assert result.answer is not None  # a SQuAD 1.1 model always answers
    assert any("windows" in n for n in result.notices)
    view = answer_view(result)
    assert "SQuAD 1.1" in view.decision and "Showing window" in view.layout


# ---- bad input: the handler refuses with the sentence the UI and the API show ----------------------

@pytest.mark.parametrize("args, message", [
    ((TESLA, "", 3, 15, 128, "tiny-distilbert-squad"), "question is empty"),
    (("", "Who founded Tesla?", 3, 15, 128, "tiny-distilbert-squad"), "context is empty"),
    (("Tesla.", "Who founded the electric car company in Texas?", 3, 15, 128, "tiny-distilbert-squad"),
     "longer than the context"),
    (("... !!! ???", "Who?", 3, 15, 128, "tiny-distilbert-squad"), "no usable text"),
])
def test_bad_input_gets_a_clear_message(ctx, args, message):
    with pytest.raises(PlaygroundError, match=message):
        run_answer(ctx, *args)


def test_the_qa_event_passes_its_progress_bar_down(ctx):
    heard: list[tuple[float, str]] = []
    context = " ".join([TESLA] * 4)
    view = show_answer(ctx, context, "Who founded Tesla?", 2, 15, 16, "tiny-distilbert-squad",
                       lambda f, s: heard.append((f, s)))
    assert view.json == to_json(run_answer(ctx, context, "Who founded Tesla?", 2, 15, 16, "tiny-distilbert-squad"))
    assert heard[0] == (0.0, "Reading window 1 of %d" % len(view.windows)) and heard[-1][0] == 1.0
