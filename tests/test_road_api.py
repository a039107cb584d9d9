"""The RNN → Transformer endpoints through gradio_client, against the running app (tiny profile)."""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # gradio_client against the live app


def test_road_endpoints_answer_with_json_and_refuse_what_is_out_of_bounds(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/road_results", "/road_lm", "/road_long_range", "/road_gradients", "/road_seq2seq"} <= names
    shipped = client.predict(api_name="/road_results")
    assert set(shipped) == {"lm", "long_range", "gradients", "seq2seq", "command"}
    assert all(len(p["values"]) == 5 for p in shipped["long_range"]["points"])
    out = client.predict(distances="3", seeds=2, steps=10, api_name="/road_long_range")
    assert {p["series"] for p in out["points"]} == {"vanilla RNN", "GRU", "LSTM", "transformer"}
    assert all(len(p["values"]) == 2 for p in out["points"])
    with pytest.raises(AppError, match="Each distance must be a whole number between 1 and 64"):
        client.predict(distances="100", api_name="/road_long_range")
    with pytest.raises(AppError, match="The task must be one of reverse, copy"):
        client.predict(task="sort", api_name="/road_seq2seq")
