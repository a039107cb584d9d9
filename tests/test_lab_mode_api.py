"""`--models lab`, walked through the API as a script would: every named endpoint answers its tab's default
inputs (the lab world's, `playground/tasks/world_examples.py`) without an error, and Compare's default gap is
filled correctly by lab-bert.

The heads' answers to their defaults and examples (lab-sentiment, lab-qa, lab-nsp, lab-summarizer) are checked in
process by tests/test_world_examples.py; here the walk asserts "no error, not empty" for every endpoint, and the
answers of Compare and Summarization through the API.
"""

import socket

import pytest
from gradio_client import Client

from playground.tasks import world_examples
from playground.tasks.context import AppOptions
from playground.ui.page import CSS, THEME, build_app
from playground.ui.serving import launch

pytestmark = [pytest.mark.server, pytest.mark.slow]

# Each endpoint's required inputs: the first (default) example of its tab in lab mode.
GAP = world_examples.COMPARE[0]
REQUIRED = {
    "/compare": (GAP.text,),
    "/attention": (GAP.text,),
    "/generate": (GAP.text,),
    "/fill_mask": (GAP.text,),
    "/next_token": (GAP.text,),
    "/tokenize": (GAP.text,),
    "/mask_sim": (world_examples.MASKED_LM[0],),
    "/nsp": world_examples.NEXT_SENTENCE["true continuation"],
    "/generate_step": (world_examples.STEP_PROMPTS[0],),
    "/compare_tokenizers": (world_examples.TOKENIZERS[0],),
    "/replaced_tokens": (world_examples.REPLACED_TOKENS,),
    "/bert_write": (world_examples.WRITING_PROMPTS[0],),
    "/pretrain": (),
    "/direction_test": (),
    "/finetune": (),
    "/sentiment": (world_examples.SENTIMENT[0][0],),
    "/answer": world_examples.QUESTION_ANSWERING[0],
    "/summarize": (world_examples.SUMMARIZATION[0],),
    "/models": (),
    "/choose_variant": ("question-answering",),
    "/measure": (["bert-base-uncased", "gpt2"],),  # the Measure tab's default selection
    # Inside, RNN → Transformer and GPT → Assistant: every input has a default.
    **{name: () for name in ("/inside_lens", "/inside_embeddings", "/inside_cache", "/inside_attribution",
                             "/inside_probes", "/road_results", "/road_lm", "/road_long_range", "/road_gradients",
                             "/road_seq2seq", "/assistant_sft", "/assistant_reward", "/assistant_pair",
                             "/assistant_dpo", "/assistant_lora", "/assistant_report")},
}
# The lab's training runs and Measure are minutes long at their defaults; the walk runs them short (their
# defaults' length is the Measure estimate's and the lab's own tests' business).
SHORTENED = {
    "/pretrain": dict(steps=20, time_budget_s=30),
    "/finetune": dict(sizes="8", repeats=1, steps=5),
    "/measure": dict(input_tokens=16, repeats=1),
    "/inside_probes": dict(repeats=2),
    "/road_lm": dict(seeds=1, steps=10, time_budget_s=2),
    "/road_long_range": dict(distances="2", seeds=1, steps=10),
    "/road_gradients": dict(seeds=1),
    "/road_seq2seq": dict(max_length=3, seeds=1, steps=20),
    "/assistant_sft": dict(epochs=1),
    "/assistant_reward": dict(epochs=1, best_of=2),
    "/assistant_dpo": dict(epochs=1, seeds=1),
    # offline, the default (gpt2) is not on this machine: that message is tests/test_assistant_api.py's business
    "/assistant_lora": dict(model_name="lab-gpt", budget_s=5, epochs=1),
}


@pytest.fixture(scope="module")
def lab_client(tiny_dir, tmp_path_factory):
    demo = build_app(AppOptions(models="lab", tiny_dir=tiny_dir, lab_dir=tmp_path_factory.mktemp("lab")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS, theme=THEME)
    yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    demo.close()


@pytest.fixture(scope="module")
def endpoints(lab_client) -> dict:
    return lab_client.view_api(return_format="dict", print_info=False)["named_endpoints"]


def test_the_walk_covers_every_endpoint(endpoints):
    assert set(endpoints) == set(REQUIRED), "a new endpoint needs its tab's default inputs in REQUIRED"


def _not_empty(value) -> bool:
    if isinstance(value, dict):
        return any(_not_empty(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_not_empty(v) for v in value)
    return value not in (None, "", 0, False)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_endpoint_answers_its_default_inputs(lab_client, endpoints, name):
    required = [p for p in endpoints[name]["parameters"] if not p["parameter_has_default"]]
    assert len(required) == len(REQUIRED[name])
    result = lab_client.predict(*REQUIRED[name], **SHORTENED.get(name, {}), api_name=name)
    assert _not_empty(result)
    if isinstance(result, dict):
        assert not result.get("error")


def test_compares_default_gap_is_filled_correctly_by_lab_bert(lab_client):
    result = lab_client.predict(GAP.text, api_name="/compare")
    assert result["bert_model"] == "lab-bert" and result["gpt_model"] == "lab-gpt"
    assert result["bert"]["masks"][0]["predictions"][0]["token"] == GAP.answer


def test_the_electra_default_pair_fits_in_lab_mode(lab_client, endpoints):
    defaults = {p["parameter_name"]: p["parameter_default"] for p in endpoints["/replaced_tokens"]["parameters"]}
    result = lab_client.predict(world_examples.REPLACED_TOKENS, api_name="/replaced_tokens")
    assert result["generator"] == defaults["generator"] and result["corrupted"]


def test_the_summarization_default_is_summarized_with_every_fact(lab_client):
    result = lab_client.predict(world_examples.SUMMARIZATION[0], api_name="/summarize")
    assert result["model_name"] == "lab-summarizer"
    assert result["summary"] == "Anna went to the market on Sunday. Anna bought bread. Anna drank tea. It was sunny."
