"""Every Compare-tab endpoint through gradio_client, against the running app on tiny models."""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client

TESLA = "Tesla is an American [MASK] company headquartered in Austin, Texas."


def test_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/compare", "/fill_mask", "/next_token", "/generate", "/tokenize", "/attention"} <= names


def test_compare_returns_the_compare_result_as_json(client):
    result = client.predict(TESLA, 5, "electric", 1, 1, "tiny-bert", "tiny-gpt2", api_name="/compare")
    assert result["bert_model"] == "tiny-bert" and result["gpt_model"] == "tiny-gpt2"
    assert len(result["bert"]["masks"][0]["predictions"]) == 5
    assert result["gpt"]["context"] == "Tesla is an American"
    right = [w for w in result["gpt_influence"]["words"] if w["side"] == "right"]
    assert right and all(w["influence"] == 0 for w in right)
    first = result["bert_tokens"]["tokens"][0]  # the first chip the tab shows (see test_compare_tab.py)
    assert first["display"] == "[CLS]" and first["kind"] == "special"
    assert result["bert_word"]["word"] == result["gpt_word"]["word"] == "electric"


def test_fill_mask_next_token_and_tokenize(client):
    fill = client.predict("The [MASK] sat on the ___.", 3, "tiny-bert", api_name="/fill_mask")
    assert [m["mask_number"] for m in fill["masks"]] == [1, 2]
    nxt = client.predict("Tesla is an [MASK] company", 4, "tiny-gpt2", api_name="/next_token")
    assert nxt["context"] == "Tesla is an" and len(nxt["predictions"]) == 4
    tok = client.predict("Tesla is", "tiny-gpt2", api_name="/tokenize")
    assert [t["display"] for t in tok["tokens"]][1] == "␣is"
    tok = client.predict("Tesla is", "tiny-bert", api_name="/tokenize")
    assert tok["tokens"][0]["piece"] == "[CLS]"


def test_generate_streams_token_by_token(client):
    job = client.submit("Tesla is", 6, "greedy", 1.0, 0, 1.0, "", "tiny-gpt2", api_name="/generate")
    updates = list(job)
    assert len(updates) >= 2  # streamed, not one final blob
    final = job.outputs()[-1]
    assert len(final["tokens"]) <= 6 and final["finished"]


def test_attention_endpoint(client):
    data = client.predict(TESLA, 2, 1, 3, "tiny-bert", "tiny-gpt2", api_name="/attention")
    assert data["bert"]["layer"] == 2 and data["gpt"]["layer"] == 2
    rows = data["gpt"]["weights"]
    assert all(w == 0 for i, row in enumerate(rows) for j, w in enumerate(row) if j > i)
    # The mask figures' data: what word 3 ("American") may see in each model, through each one's own tokens.
    assert data["bert_mask"]["query"] == data["gpt_mask"]["query"] == 3
    assert data["bert_mask"]["word"] == data["gpt_mask"]["word"] == data["words"][3]["text"] == "American"
    assert data["gpt_mask"]["rows"] == data["words"][3]["gpt_positions"]
    assert data["bert_mask"]["rows"] == data["words"][3]["bert_positions"]
    for row in data["gpt_mask"]["rows"]:
        assert data["gpt_mask"]["pattern"][row] == [1] * (row + 1) + [0] * (len(rows) - row - 1)
    assert all(set(data["bert_mask"]["pattern"][row]) == {1} for row in data["bert_mask"]["rows"])


@pytest.mark.parametrize("args, api, message", [
    (("", 5, "tiny-bert"), "/fill_mask", "empty"),
    (("no gap here", 5, "tiny-bert"), "/fill_mask", "[MASK]"),
    ((TESLA, 50, "tiny-bert"), "/fill_mask", "top-k"),
    ((TESLA, 5, "someone/evil-model"), "/fill_mask", "model_cards"),
    (("x [MASK]", 5, "tiny-gpt2"), "/fill_mask", "unavailable"),
    (("Tesla", 3, "gpt2"), "/next_token", "python -m playground download gpt2"),
    (("\x00\x01", 3, "tiny-gpt2"), "/next_token", "no visible"),
])
def test_bad_input_gets_a_clear_message_and_the_app_stays_up(client, args, api, message):
    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api)
    assert message in str(info.value)
    assert client.predict("[MASK] works", 1, "tiny-bert", api_name="/fill_mask")["masks"]


def test_absurd_generation_length_is_refused(client):
    with pytest.raises(AppError, match="Max new tokens|greater than maximum value 200"):
        client.predict("Tesla", 100000, "greedy", 1.0, 0, 1.0, "", "tiny-gpt2", api_name="/generate")


def test_non_latin_and_emoji_text_with_keyword_inputs_and_the_profiles_models(client):
    result = client.predict(text="東京は[MASK]です 🚗", top_k=3, api_name="/compare")
    assert result["bert"]["masks"]
    assert (result["bert_model"], result["gpt_model"]) == ("tiny-bert", "tiny-gpt2")


def test_sampling_with_a_seed_is_reproducible_through_the_api_and_bad_seeds_are_explained(client):
    args = ("Tesla is", 8, "sample", 1.3, 0, 1.0, "42", "tiny-gpt2")
    first = client.predict(*args, api_name="/generate")
    second = client.predict(*args, api_name="/generate")
    assert first["generated_text"] == second["generated_text"] and first["settings"]["seed"] == 42
    with pytest.raises(AppError, match="Seed"):
        client.predict("Tesla is", 8, "sample", 1.3, 0, 1.0, "abc", "tiny-gpt2", api_name="/generate")
