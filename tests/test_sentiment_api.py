"""The /sentiment endpoint through gradio_client, on the running tiny app.

What the tab shows is tested without a server in test_sentiment_tab.py; here: the endpoint's name, inputs and
JSON result, and errors arriving as clear messages.
"""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client


def test_endpoint_is_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert "/sentiment" in names


def test_sentiment_endpoint_one_result_per_line(client):
    result = client.predict("I loved it.\n\nI hated it.\nIt was fine.", True, 2, "tiny-distilbert-sst2",
                            api_name="/sentiment")
    assert [r["text"] for r in result["results"]] == ["I loved it.", "I hated it.", "It was fine."]
    assert [r["line_number"] for r in result["results"]] == [1, 2, 3]
    assert {l["label"] for l in result["results"][1]["labels"]} == {"NEGATIVE", "POSITIVE"}
    assert result["attribution_target"] == "POSITIVE − NEGATIVE"
    assert client.predict(text="Great!", api_name="/sentiment")["model_name"] == "tiny-distilbert-sst2"


def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client):
    with pytest.raises(AppError, match="Line to explain|maximum value 20"):
        client.predict("ok", False, 99, "tiny-distilbert-sst2", api_name="/sentiment")
    assert client.predict("Great!", False, 1, "tiny-distilbert-sst2", api_name="/sentiment")["results"]
