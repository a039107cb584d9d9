"""The Sentiment, Question answering and Summarization tabs without a server: their handlers (what the
/sentiment, /answer and /summarize endpoints return) and their view functions (what each component shows)."""

import gradio as gr
import pytest

from playground.core.errors import PlaygroundError
from playground.models.cards import load_catalog
from playground.tasks.context import AppContext
from playground.models.profiles import tiny_profile
from playground.ui.head_card import show_head_card
from playground.ui.tabs.question_answering import answer_view, run_answer
from playground.ui.tabs.sentiment import run_sentiment, sentiment_view
from playground.ui.tabs.summarization import run_summarize, stream_summary_view, summary_view
from playground.ui.widgets import to_json

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.")


@pytest.fixture(scope="module")
def ctx(store):
    return AppContext(store=store, profile=tiny_profile(), catalog=load_catalog())


# ---- Sentiment ------------------------------------------------------------------------------------

def test_sentiment_view_explains_the_chosen_line(ctx):
    batch = run_sentiment(ctx, "I loved it.\n\nI hated it.\nIt was fine.", True, 2, "tiny-distilbert-sst2")
    assert [r.text for r in batch.results] == ["I loved it.", "I hated it.", "It was fine."]
    assert batch.attribution_target == "POSITIVE − NEGATIVE"
    view = sentiment_view(batch, 2)
    assert [row[0] for row in view.results] == [1, 2, 3]
    assert set(view.label) == {"NEGATIVE", "POSITIVE"}
    assert view.tokens[0] == ("[CLS]", "[CLS] → classifier head")
    assert "Line 2" in view.summary and "gradient × input" in view.summary
    chips = [(c["token"], c["class_or_confidence"]) for c in view.attribution.value]
    colours = view.attribution.color_map
    assert "".join(chip for chip, _ in chips) == "I hated it."
    # Every word is labelled by the way it pushed: green towards POSITIVE, red towards NEGATIVE, by strength.
    shares = {w.word: w.share for w in batch.results[1].word_attributions}
    for chip, label in chips:
        if label is not None:
            assert label.startswith("→ POSITIVE" if shares[chip] > 0 else "→ NEGATIVE")
            assert ("strong" in label) == (abs(shares[chip]) >= 0.5)
    assert max(abs(s) for s in shares.values()) == pytest.approx(1.0)  # the strongest word is always coloured
    assert colours["→ POSITIVE (strong)"] == "#16a34a" and colours["→ NEGATIVE (strong)"] == "#dc2626"
    assert view.json == to_json(batch)
    assert len(view.token_rows) == len(batch.results[1].token_attributions)


def test_sentiment_view_explains_the_last_line_when_asked_past_the_end(ctx):
    batch = run_sentiment(ctx, "Great!", False, 5, "tiny-distilbert-sst2")
    view = sentiment_view(batch, 5)
    assert "only 1 line(s); explaining line 1" in view.notices
    assert not view.summary.startswith("Line")  # one line: no "Line n:" prefix


# ---- Question answering ---------------------------------------------------------------------------

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


# ---- Summarization --------------------------------------------------------------------------------

def test_summary_views_stream_light_updates_then_everything(ctx):
    views = list(stream_summary_view(ctx, TESLA, 8, 0, 1, 1.0, "tiny-pegasus"))
    assert len(views) >= 2  # streamed, not one final blob
    first, middle, last = views[0], views[1:-1], views[-1]
    assert first.encoder != gr.skip() and first.encoder  # the first update fills everything
    assert all(v.encoder == gr.skip() and v.steps == gr.skip() and v.json == gr.skip() for v in middle)
    result = last.json
    assert result["finished"] and result["streamed"] and len(result["tokens"]) <= 8
    assert result["summary"] == last.summary
    assert last.encoder[0][0] == "▁Tesla" and len(last.steps) == len(result["tokens"])
    assert "Done" in last.status and "encoder read" in last.status
    assert len(last.decoder) == len(result["tokens"])


def test_summarize_beam_search(ctx):
    results = list(run_summarize(ctx, TESLA, 6, 2, 3, 0.8, "tiny-pegasus"))
    assert "Searching" in summary_view(results[0], full=False).status  # beam search cannot stream tokens
    result = results[-1]
    assert not result.streamed and result.settings.num_beams == 3 and result.finished
    assert 2 <= len(result.tokens) <= 6


# ---- model card accordion -------------------------------------------------------------------------

def test_head_card_names_the_checkpoint_a_tiny_model_stands_in_for(ctx):
    text = show_head_card(ctx, "tiny-roberta-squad2")
    assert "tiny random-weight stand-in" in text and "deepset/roberta-base-squad2" in text
    assert "No card in model_cards/" in show_head_card(ctx, "someone/unknown")


# ---- bad input: the handlers refuse with the sentence the UI and the API show ---------------------

@pytest.mark.parametrize("handler, args, message", [
    (run_sentiment, ("", False, 1, "tiny-distilbert-sst2"), "empty"),
    (run_sentiment, ("ok", False, 99, "tiny-distilbert-sst2"), "Line to explain|maximum value 20"),
    (run_answer, (TESLA, "", 3, 15, 128, "tiny-distilbert-squad"), "question is empty"),
    (run_answer, ("", "Who founded Tesla?", 3, 15, 128, "tiny-distilbert-squad"), "context is empty"),
    (run_answer, ("Tesla.", "Who founded the electric car company in Texas?", 3, 15, 128, "tiny-distilbert-squad"),
     "longer than the context"),
    (run_answer, ("... !!! ???", "Who?", 3, 15, 128, "tiny-distilbert-squad"), "no usable text"),
    (run_summarize, (TESLA, 100000, 0, 1, 1.0, "tiny-pegasus"), "Max new tokens|maximum"),
    (run_summarize, (TESLA, 5, 9, 1, 1.0, "tiny-pegasus"), "cannot be more than"),
    (run_summarize, ("", 5, 0, 1, 1.0, "tiny-pegasus"), "empty"),
])
def test_bad_input_gets_a_clear_message(ctx, handler, args, message):
    with pytest.raises(PlaygroundError, match=message):
        result = handler(ctx, *args)
        if handler is run_summarize:
            list(result)  # a stream validates when it starts


def test_the_qa_and_summary_events_pass_their_progress_bar_down(ctx):
    from playground.ui.tabs.question_answering import show_answer

    heard: list[tuple[float, str]] = []
    context = " ".join([TESLA] * 4)
    view = show_answer(ctx, context, "Who founded Tesla?", 2, 15, 16, "tiny-distilbert-squad",
                       lambda f, s: heard.append((f, s)))
    assert view.json == to_json(run_answer(ctx, context, "Who founded Tesla?", 2, 15, 16, "tiny-distilbert-squad"))
    assert heard[0] == (0.0, "Reading window 1 of %d" % len(view.windows)) and heard[-1][0] == 1.0
    heard.clear()
    views = list(stream_summary_view(ctx, TESLA, 6, 6, 1, 1.0, "tiny-pegasus", lambda f, s: heard.append((f, s))))
    assert views[-1].json == to_json(list(run_summarize(ctx, TESLA, 6, 6, 1, 1.0, "tiny-pegasus"))[-1])
    assert heard[0][1].startswith("Encoding ") and heard[1] == (1 / 6, "Decoder step 1 of at most 6")
    assert heard[-1] == (1.0, "Done")
