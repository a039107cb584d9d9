"""The Pre-training tab's endpoints through gradio_client, against the running app on tiny models."""

import pytest
from gradio_client.exceptions import AppError

from playground.tasks.mlm_simulator import PRESET

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client


def test_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/mask_sim", "/nsp", "/generate_step", "/compare_tokenizers"} <= names


def test_mask_sim_returns_the_structured_result(client):
    result = client.predict(PRESET, 0.3, 4, True, "tiny-bert", "tiny-gpt2", api_name="/mask_sim")
    assert result["bert_model"] == "tiny-bert" and result["gpt_model"] == "tiny-gpt2"
    assert result["seed"] == 4 and result["mask_rate"] == 0.3 and result["rule"] == "80/10/10"
    assert len(result["selected"]) == round(0.3 * result["maskable"])
    assert sum(result["counts"].values()) == len(result["selected"])
    slot = result["selected"][0]
    assert {"position", "original", "action", "shown", "predictions", "rank", "gpt"} <= set(slot)
    assert slot["action"] in ("masked", "random", "unchanged")
    assert result["bert_recovery"]["slots"] == len(result["selected"])
    assert result["gpt_recovery_aligned"]["slots"] + len(result["unaligned"]) == len(result["selected"])
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


def test_generate_step_sampling_is_reproducible(client):
    kwargs = dict(max_new_tokens=6, strategy="sample", temperature=1.3, seed=9, api_name="/generate_step")
    first, again = client.predict("Tesla", **kwargs), client.predict("Tesla", **kwargs)
    assert [s["token_id"] for s in first["steps"]] == [s["token_id"] for s in again["steps"]]


def test_compare_tokenizers_returns_three_views(client):
    result = client.predict("Hello ML 🚗", api_name="/compare_tokenizers")
    assert [v["scheme"] for v in result["views"]] == ["WordPiece", "byte-level BPE", "SentencePiece"]
    assert [v["model_name"] for v in result["views"]] == ["tiny-bert", "tiny-gpt2", "tiny-pegasus"]
    assert all(set(v["facts"]) >= {"unknown words", "casing", "spaces", "emoji"} for v in result["views"])


def test_an_unavailable_tokenizer_is_reported_and_the_others_still_shown(client):
    result = client.predict("Hello", "tiny-bert", "gpt2", "tiny-pegasus", api_name="/compare_tokenizers")
    assert [v["model_name"] for v in result["views"]] == ["tiny-bert", "tiny-pegasus"]
    assert any("python -m playground download gpt2" in n for n in result["notices"])


@pytest.mark.parametrize("args, kwargs, api, message", [
    (("",), {}, "/mask_sim", "empty"),
    ((PRESET, 0.0), {}, "/mask_sim", "Mask rate"),
    ((PRESET, 1.5), {}, "/mask_sim", "Mask rate"),
    ((PRESET, 0.15, "abc"), {}, "/mask_sim", "Seed"),
    ((PRESET, 0.15, 2.5), {}, "/mask_sim", "Seed"),
    (("🚗 🚗",), {}, "/mask_sim", "Nothing to mask"),
    (("A.", ""), {}, "/nsp", "sentence B"),
    (("",), {}, "/generate_step", "empty"),
    (("Tesla", 10**6), {}, "/generate_step", "Max new tokens"),
    (("Tesla", 5), {"strategy": "sample", "seed": "x"}, "/generate_step", "Seed"),
    (("Tesla", 5), {"previous_token_ids": [5, 6, 7], "step": 2, "choice_token_id": 10**9}, "/generate_step",
     "Chosen token id"),
    (("  ",), {}, "/compare_tokenizers", "empty"),
])
def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client, args, kwargs, api, message):
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api, **kwargs)
    assert message in str(info.value)
    assert client.predict(PRESET, api_name="/mask_sim")["selected"]


def test_a_choice_outside_the_candidates_is_refused(client):
    final = client.predict("Tesla is", 3, candidates=2, api_name="/generate_step")
    ids = [s["token_id"] for s in final["steps"]]
    allowed = {c["token_id"] for c in final["steps"][1]["candidates"]}
    outsider = next(i for i in range(100) if i not in allowed)
    with pytest.raises(AppError, match="not among step 2's top-2 candidates"):
        client.predict("Tesla is", 3, candidates=2, previous_token_ids=ids, step=2, choice_token_id=outsider,
                       api_name="/generate_step")
