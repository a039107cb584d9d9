"""GPT → Assistant endpoints through gradio_client against the running app (tiny profile; the lab models and the
shipped assistant checkpoints are there too): JSON objects back, clear messages for bad input, the app stays up."""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # gradio_client against the live app


def test_assistant_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/assistant_sft", "/assistant_reward", "/assistant_pair", "/assistant_dpo", "/assistant_lora",
            "/assistant_report"} <= names


def test_report_and_pair_return_json_objects_from_the_shipped_models(client):
    card = client.predict(api_name="/assistant_report")
    assert isinstance(card, dict) and "report card" in card["markdown"] and set(card["stages"]) == {"sft", "reward",
                                                                                                      "dpo"}
    pair = client.predict(seed=3, api_name="/assistant_pair")
    assert isinstance(pair, dict) and pair["prompt"].startswith("Question: ") and {"first", "second"} <= set(pair)


@pytest.mark.parametrize("kwargs, says", [
    ({"your_pairs": "a line without the separator", "api_name": "/assistant_sft"}, "not a pair"),
    ({"your_pairs": "q => a\n" * 5000, "api_name": "/assistant_sft"}, "characters"),
    ({"beta": 0, "api_name": "/assistant_dpo"}, "β"),
    ({"your_choices": "q => only one answer", "api_name": "/assistant_dpo"}, "Choice 1"),
    ({"model_name": "gpt2", "budget_s": 5, "api_name": "/assistant_lora"}, "python -m playground download gpt2"),
])
def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client, kwargs, says):
    with pytest.raises(AppError, match=says):
        client.predict(**kwargs)
    assert client.predict(api_name="/assistant_report")["markdown"]


def test_lora_sft_and_dpo_adapters_are_served_by_name_to_the_other_endpoints(client):
    result = client.predict(model_name="tiny-gpt2", budget_s=6, epochs=1, with_dpo=True, api_name="/assistant_lora")
    assert isinstance(result, dict) and result["dpo_steps"] >= 1 and len(result["served_as"]) == 2
    sft_name, dpo_name = result["served_as"]
    assert sft_name.startswith("tiny-gpt2-lora-sft@") and dpo_name.startswith("tiny-gpt2-lora-dpo@")
    for name in (sft_name, dpo_name):  # the same names every `model` field takes
        step = client.predict(text="Question: Which animal barked at the mailman?\nAnswer: [MASK]", top_k=3,
                              model=name, fast=False, api_name="/next_token")
        assert isinstance(step, dict) and step["model_name"] == name and len(step["predictions"]) == 3
