"""The /sentiment, /answer and /summarize endpoints through gradio_client, on the running tiny app."""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.")


def test_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/sentiment", "/answer", "/summarize"} <= names


def test_sentiment_endpoint_one_row_per_line(client):
    out = client.predict("I loved it.\n\nI hated it.\nIt was fine.", True, 2, "tiny-distilbert-sst2",
                         api_name="/sentiment")
    notices, label, table, tokens, attribution, summary, token_rows, result = out
    assert [r["text"] for r in result["results"]] == ["I loved it.", "I hated it.", "It was fine."]
    assert [row[0] for row in table["data"]] == [1, 2, 3]
    assert {c["label"] for c in label["confidences"]} == {"NEGATIVE", "POSITIVE"}
    assert tokens[0] == {"token": "[CLS]", "class_or_confidence": "[CLS] → classifier head"}
    assert "Line 2" in summary and "gradient × input" in summary
    scored = [chip for chip in attribution if chip["class_or_confidence"] is not None]
    assert "".join(chip["token"] for chip in attribution) == "I hated it."
    assert scored and all(-1.0 <= chip["class_or_confidence"] <= 1.0 for chip in scored)
    assert result["attribution_target"] == "POSITIVE − NEGATIVE"


def test_answer_endpoint_returns_span_candidates_plot_and_segments(client):
    out = client.predict(TESLA, "Who founded Tesla?", 3, 15, 128, "tiny-roberta-squad2", api_name="/answer")
    notices, decision, highlighted, candidates, plot, layout, segments, token_rows, windows, result = out
    assert result["squad_version"] == "2" and result["layout"] == "<s> question </s> </s> context </s>"
    assert len(result["candidates"]) == 3
    assert "".join(chip["token"] for chip in highlighted) == TESLA  # the whole context, spans highlighted
    best = result["answer"] or result["candidates"][0]
    assert TESLA[best["start"]:best["end"]] == best["text"]
    assert ("No answer" in decision) == (result["answer"] is None)
    assert "SQuAD 2.0" in decision
    assert len(candidates["data"]) == 3 and plot is not None
    assert "<s> question </s> </s> context </s>" in layout
    assert {chip["class_or_confidence"] for chip in segments} == {"special", "question (segment 0)",
                                                                 "context (segment 1)"}
    assert len(windows["data"]) == result["windows"].__len__()


def test_answer_endpoint_slides_windows_over_a_long_context(client):
    context = " ".join([TESLA] * 4)
    result = client.predict(context, "Who founded Tesla?", 2, 15, 16, "tiny-distilbert-squad", api_name="/answer")[-1]
    assert len(result["windows"]) > 1 and result["squad_version"] == "1.1"
    assert result["answer"] is not None  # a SQuAD 1.1 model always answers
    assert any("windows" in n for n in result["notices"])


def test_summarize_endpoint_streams_and_returns_json(client):
    job = client.submit(TESLA, 8, 0, 1, 1.0, "tiny-pegasus", api_name="/summarize")
    updates = list(job)
    assert len(updates) >= 2  # streamed, not one final blob
    notices, encoder, summary, decoder, status, steps, result = job.outputs()[-1]
    assert result["finished"] and result["streamed"] and len(result["tokens"]) <= 8
    assert result["summary"] == summary
    assert encoder[0]["token"] == "▁Tesla" and len(steps["data"]) == len(result["tokens"])
    assert "Done" in status and "encoder read" in status


def test_summarize_endpoint_beam_search(client):
    result = client.predict(TESLA, 6, 2, 3, 0.8, "tiny-pegasus", api_name="/summarize")[-1]
    assert not result["streamed"] and result["settings"]["num_beams"] == 3 and result["finished"]
    assert 2 <= len(result["tokens"]) <= 6


@pytest.mark.parametrize("args, api, message", [
    (("", False, 1, "tiny-distilbert-sst2"), "/sentiment", "empty"),
    (("ok", False, 99, "tiny-distilbert-sst2"), "/sentiment", "Line to explain|maximum value 20"),
    ((TESLA, "", 3, 15, 128, "tiny-distilbert-squad"), "/answer", "question is empty"),
    (("", "Who founded Tesla?", 3, 15, 128, "tiny-distilbert-squad"), "/answer", "context is empty"),
    (("Tesla.", "Who founded the electric car company in Texas?", 3, 15, 128, "tiny-distilbert-squad"), "/answer",
     "longer than the context"),
    (("... !!! ???", "Who?", 3, 15, 128, "tiny-distilbert-squad"), "/answer", "no usable text"),
    ((TESLA, 100000, 0, 1, 1.0, "tiny-pegasus"), "/summarize", "Max new tokens|maximum"),
    ((TESLA, 5, 9, 1, 1.0, "tiny-pegasus"), "/summarize", "cannot be more than"),
    (("", 5, 0, 1, 1.0, "tiny-pegasus"), "/summarize", "empty"),
])
def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client, args, api, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api)
    assert client.predict("Great!", False, 1, "tiny-distilbert-sst2", api_name="/sentiment")[-1]["results"]
