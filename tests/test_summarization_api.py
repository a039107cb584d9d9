"""The /summarize endpoint through gradio_client, on the running tiny app.

What the tab shows is tested without a server in test_summarization_tab.py; here: the endpoint's name, inputs and
JSON result, streaming, and errors arriving as clear messages.
"""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.")


def test_endpoint_is_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert "/summarize" in names


def test_summarize_endpoint_streams_json(client):
    job = client.submit(TESLA, 8, 0, 1, 1.0, "tiny-pegasus", api_name="/summarize")
    updates = list(job)
    assert len(updates) >= 2  # streamed, not one final blob
    result = job.outputs()[-1]
    assert result["finished"] and result["streamed"] and len(result["tokens"]) <= 8
    assert [len(u["tokens"]) for u in job.outputs()] == list(range(1, len(result["tokens"]) + 1))
    assert result["encoder_tokens"]["tokens"][0]["display"] == "▁Tesla"


def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client):
    with pytest.raises(AppError, match="cannot be more than"):
        client.predict(TESLA, 5, 9, 1, 1.0, "tiny-pegasus", api_name="/summarize")
    assert client.predict("Great!", False, 1, "tiny-distilbert-sst2", api_name="/sentiment")["results"]
