"""The Pre-training tab's endpoints through gradio_client, against the running app on tiny models: names,
parameters, defaults, JSON, streaming and errors over the wire. What the handlers compute is checked
without a server in test_pretraining_tab.py."""

import pytest
from gradio_client.exceptions import AppError

from playground.tasks.mlm_simulator import PRESET

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client


def test_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/mask_sim", "/nsp", "/generate_step", "/compare_tokenizers", "/replaced_tokens", "/bert_write"} <= names


def test_mask_sim_returns_the_structured_result(client):
    result = client.predict(PRESET, 0.3, 4, True, "tiny-bert", "tiny-gpt2", api_name="/mask_sim")
    assert result["bert_model"] == "tiny-bert" and result["gpt_model"] == "tiny-gpt2"
    assert result["seed"] == 4 and result["mask_rate"] == 0.3 and result["rule"] == "80/10/10"
    assert result["selected"] and {"position", "action", "gpt"} <= set(result["selected"][0])
    assert client.predict(PRESET, 0.3, 4, api_name="/mask_sim")["selected"] == result["selected"]  # same seed


def test_nsp_returns_probabilities_and_segment_ids(client):
    result = client.predict("The cat sat on the mat.", "It was happy.", "tiny-bert", api_name="/nsp")
    assert set(result["probabilities"]) == {"IsNext", "NotNext"}
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    segments = [t["segment"] for t in result["tokens"]]
    assert segments[0] == 0 and segments[-1] == 1 and segments == sorted(segments)
    assert result["layout"].startswith("[CLS]") and result["layout"].count("[SEP]") == 2


def test_generate_step_streams_and_continues_from_a_pick(client):
    job = client.submit("Tesla is", 5, api_name="/generate_step")
    updates = list(job)
    assert len(updates) >= 2  # streamed token by token
    final = job.outputs()[-1]
    assert len(final["steps"]) == 5 and final["finished"]
    assert len(final["steps"][0]["candidates"]) == 5
    ids = [s["token_id"] for s in final["steps"]]
    choice = final["steps"][1]["candidates"][2]["token_id"]
    picked = client.predict("Tesla is", 5, previous_token_ids=ids, step=2, choice_token_id=choice,
                            api_name="/generate_step")
    assert [s["token_id"] for s in picked["steps"]][:2] == [ids[0], choice]
    assert [s["source"] for s in picked["steps"]] == ["kept", "picked", "model", "model", "model"]
    assert picked["picked_step"] == 2


def test_compare_tokenizers_returns_three_views(client):
    result = client.predict("Hello ML 🚗", api_name="/compare_tokenizers")
    assert [v["scheme"] for v in result["views"]] == ["WordPiece", "byte-level BPE", "SentencePiece"]
    assert [v["model_name"] for v in result["views"]] == ["tiny-bert", "tiny-gpt2", "tiny-pegasus"]
    assert all(set(v["facts"]) >= {"unknown words", "casing", "spaces", "emoji"} for v in result["views"])


def test_compare_tokenizers_takes_a_fourth_multilingual_tokenizer(client):
    result = client.predict("पेरिस फ्रांस की राजधानी है।", multilingual_model="tiny-xlm-roberta",
                            api_name="/compare_tokenizers")
    assert [v["model_name"] for v in result["views"]] == ["tiny-bert", "tiny-gpt2", "tiny-pegasus", "tiny-xlm-roberta"]
    assert result["views"][3]["scheme"] == "SentencePiece" and result["views"][3]["unknown_count"] == 0
    assert result["views"][0]["facts"]["scripts"].startswith("Devanagari")


def test_replaced_tokens_reports_which_tokens_were_replaced(client):
    result = client.predict("The chef cooked a delicious meal for the guests.", api_name="/replaced_tokens")
    assert result["discriminator"] == "tiny-electra" and result["generator"] == "tiny-bert"
    assert result["corrupted"] and result["mask_rate"] == 0.15 and result["seed"] == 0
    tokens = result["tokens"]
    assert result["judged"] == len(tokens) and result["selected"] == sum(t["selected"] for t in tokens) >= 1
    assert result["replaced"] == sum(bool(t["replaced"]) for t in tokens)
    assert all(0 <= t["probability_replaced"] <= 1 for t in tokens) and "every token" in result["why"]
    typed = client.predict("The chef ate the meal.", False, api_name="/replaced_tokens")
    assert not typed["corrupted"] and {t["replaced"] for t in typed["tokens"]} == {None}


def test_bert_write_returns_the_three_writings(client):
    result = client.predict("The weather today is", 5, 2, api_name="/bert_write")
    assert result["length"] == 5 and result["rounds"] == 2
    for key in ("left_to_right", "mask_predict"):
        writing = result[key]
        assert writing["model_name"] == "tiny-bert" and len(writing["tokens"]) == 5
        assert "[MASK]" not in writing["text"] and writing["steps"]
    assert len(result["left_to_right"]["steps"]) == 5 and len(result["mask_predict"]["steps"]) == 2
    assert result["gpt"]["model_name"] == "tiny-gpt2" and 1 <= len(result["gpt"]["tokens"]) <= 5


# One per endpoint: the message reaches the client (every message is checked in test_pretraining_tab.py).
@pytest.mark.parametrize("args, kwargs, api, message", [
    (("",), {}, "/mask_sim", "empty"),
    (("A.", ""), {}, "/nsp", "sentence B"),
    (("Tesla", 5), {"previous_token_ids": [5, 6, 7], "step": 2, "choice_token_id": 10**9}, "/generate_step",
     "Chosen token id"),
    (("  ",), {}, "/compare_tokenizers", "empty"),
    (("The chef.",), {"generator": "tiny-xlm-roberta"}, "/replaced_tokens", "different vocabularies"),
    (("The [MASK] is",), {}, "/bert_write", "without [MASK]"),
])
def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client, args, kwargs, api, message):
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api, **kwargs)
    assert message in str(info.value)
    assert client.predict(PRESET, api_name="/mask_sim")["selected"]
