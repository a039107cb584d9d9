"""The /sentiment, /answer and /summarize endpoints through gradio_client, on the running tiny app.

What each tab shows is tested without a server in test_heads_tabs.py; here: the endpoints' names, inputs
and JSON results, streaming, and errors arriving as clear messages.
"""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.")


def test_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/sentiment", "/answer", "/summarize"} <= names


def test_sentiment_endpoint_one_result_per_line(client):
    result = client.predict("I loved it.\n\nI hated it.\nIt was fine.", True, 2, "tiny-distilbert-sst2",
                            api_name="/sentiment")
    assert [r["text"] for r in result["results"]] == ["I loved it.", "I hated it.", "It was fine."]
    assert [r["line_number"] for r in result["results"]] == [1, 2, 3]
    assert {l["label"] for l in result["results"][1]["labels"]} == {"NEGATIVE", "POSITIVE"}
    assert result["attribution_target"] == "POSITIVE − NEGATIVE"
    assert client.predict(text="Great!", api_name="/sentiment")["model_name"] == "tiny-distilbert-sst2"


def test_answer_endpoint_returns_the_span_and_candidates(client):
    result = client.predict(TESLA, "Who founded Tesla?", 3, 15, 128, "tiny-roberta-squad2", api_name="/answer")
    assert result["squad_version"] == "2" and result["layout"] == "<s> question </s> </s> context </s>"
    assert len(result["candidates"]) == 3
    best = result["answer"] or result["candidates"][0]
    assert TESLA[best["start"]:best["end"]] == best["text"]
    assert ("No answer" in result["decision"]) == (result["answer"] is None)


def test_summarize_endpoint_streams_json(client):
    job = client.submit(TESLA, 8, 0, 1, 1.0, "tiny-pegasus", api_name="/summarize")
    updates = list(job)
    assert len(updates) >= 2  # streamed, not one final blob
    result = job.outputs()[-1]
    assert result["finished"] and result["streamed"] and len(result["tokens"]) <= 8
    assert [len(u["tokens"]) for u in job.outputs()] == list(range(1, len(result["tokens"]) + 1))
    assert result["encoder_tokens"]["tokens"][0]["display"] == "▁Tesla"


@pytest.mark.parametrize("args, api, message", [
    (("ok", False, 99, "tiny-distilbert-sst2"), "/sentiment", "Line to explain|maximum value 20"),
    ((TESLA, "", 3, 15, 128, "tiny-distilbert-squad"), "/answer", "question is empty"),
    ((TESLA, 5, 9, 1, 1.0, "tiny-pegasus"), "/summarize", "cannot be more than"),
])
def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client, args, api, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api)
    assert client.predict("Great!", False, 1, "tiny-distilbert-sst2", api_name="/sentiment")["results"]
