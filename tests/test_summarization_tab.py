"""The Summarization tab without a server: its handler (what /summarize streams,
`playground/tasks/summarization.py`), its view function (what each component shows) and its streamed event."""

import gradio as gr
import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.summarization import run_summarize
from playground.ui.tabs.summarization import stream_summary_view, summary_view
from playground.ui.widgets import to_json

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.")


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


# ---- bad input: the handler refuses with the sentence the UI and the API show ----------------------

@pytest.mark.parametrize("args, message", [
    ((TESLA, 100000, 0, 1, 1.0, "tiny-pegasus"), "Max new tokens|maximum"),
    ((TESLA, 5, 9, 1, 1.0, "tiny-pegasus"), "cannot be more than"),
    (("", 5, 0, 1, 1.0, "tiny-pegasus"), "empty"),
])
def test_bad_input_gets_a_clear_message(ctx, args, message):
    with pytest.raises(PlaygroundError, match=message):
        list(run_summarize(ctx, *args))  # a stream validates when it starts


def test_the_summary_event_passes_its_progress_bar_down(ctx):
    heard: list[tuple[float, str]] = []
    views = list(stream_summary_view(ctx, TESLA, 6, 6, 1, 1.0, "tiny-pegasus", lambda f, s: heard.append((f, s))))
    assert views[-1].json == to_json(list(run_summarize(ctx, TESLA, 6, 6, 1, 1.0, "tiny-pegasus"))[-1])
    assert heard[0][1].startswith("Encoding ") and heard[1] == (1 / 6, "Decoder step 1 of at most 6")
    assert heard[-1] == (1.0, "Done")
