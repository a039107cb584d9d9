"""/models, /choose_variant and /measure through gradio_client, against the running app (tiny mode).

The handlers and what the tab shows are tested without a server in test_models_tab.py; here: the
endpoints' names, inputs and JSON results, and errors arriving as clear messages.
"""

import pytest
from gradio_client.exceptions import AppError

from playground.models.cards import CARDS_DIR

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client


def test_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/models", "/choose_variant", "/measure"} <= names


def test_models_lists_every_card_with_sources(client):
    out = client.predict(api_name="/models")
    assert out["count"] == len(list(CARDS_DIR.glob("*.md"))) == len(out["models"])
    by_slug = {m["slug"]: m for m in out["models"]}
    bert_large = by_slug["bert-large-uncased"]
    assert bert_large["kind"] == "runnable" and bert_large["parameters"] == 335174458
    assert bert_large["scores"]["squad-v1.1-f1-dev"] == 90.9
    assert all(b["source"] for m in out["models"] for b in m["benchmarks"])
    history = client.predict("history", api_name="/models")
    assert history["count"] >= 7 and all(not m["runnable"] and m["hub_id"] is None for m in history["models"])
    assert {m["slug"] for m in history["models"]} >= {"history--gpt-3", "history--ulmfit"}


def test_choose_variant_with_keyword_arguments_and_impossible_limits(client):
    out = client.predict(task="qa", max_parameters_m=5, api_name="/choose_variant")
    assert out["nothing_fits"] and out["ranked"] == []
    assert out["closest"][0]["hub_id"] == "albert-base-v2"
    assert out["explanation"].startswith("**Nothing fits")


def test_measure_returns_json_and_caps(client):
    out = client.predict(["distilbert-base-uncased", "huawei-noah/TinyBERT_General_4L_312D"], 32, 2,
                         "question-answering", api_name="/measure")
    assert [m["model_class"] for m in out["measurements"]] == ["DistilBertForQuestionAnswering",
                                                               "BertForQuestionAnswering"]
    assert all(m["latency_ms"] > 0 and m["peak_memory_mb"] > m["weights_mb"] for m in out["measurements"])
    assert any("Tiny mode" in n for n in out["notices"])
    five = ["gpt2", "bert-base-uncased", "albert-base-v2", "roberta-base", "google/electra-small-discriminator"]
    out = client.predict(five, 16, 1, None, api_name="/measure")
    assert len(out["measurements"]) == 4 and out["not_measured"] == ["google/electra-small-discriminator"]


@pytest.mark.parametrize("args, api, message", [
    (("qa", -1), "/choose_variant", "Max parameters"),
    ((["someone/evil-model"],), "/measure", "No architecture"),
    (("everything",), "/models", "Kind must be one of"),
])
def test_bad_input_gives_a_clear_error(client, args, api, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api)
