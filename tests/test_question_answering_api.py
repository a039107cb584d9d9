"""The /answer endpoint through gradio_client, on the running tiny app.

What the tab shows is tested without a server in test_question_answering_tab.py; here: the endpoint's name, inputs and
JSON result, and errors arriving as clear messages.
"""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.")


def test_endpoint_is_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert "/answer" in names


def test_answer_endpoint_returns_the_span_and_candidates(client):
    result = client.predict(TESLA, "Who founded Tesla?", 3, 15, 128, "tiny-roberta-squad2", api_name="/answer")
    assert result["squad_version"] == "2" and result["layout"] == "<s> question </s> </s> context </s>"
    assert len(result["candidates"]) == 3
    best = result["answer"] or result["candidates"][0]
    assert TESLA[best["start"]:best["end"]] == best["text"]
    assert ("No answer" in result["decision"]) == (result["answer"] is None)


def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client):
    with pytest.raises(AppError, match="question is empty"):
        client.predict(TESLA, "", 3, 15, 128, "tiny-distilbert-squad", api_name="/answer")
    assert client.predict("Great!", False, 1, "tiny-distilbert-sst2", api_name="/sentiment")["results"]
