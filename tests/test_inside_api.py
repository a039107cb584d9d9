"""The Inside tab's endpoints through gradio_client, on the running tiny app: named, JSON results for both
models, and errors as clear messages (what the tab shows is tested without a server in test_inside_tab.py)."""

import pytest
from gradio_client.exceptions import AppError

pytestmark = pytest.mark.server  # starts the live app and talks to it with gradio_client


def test_inside_endpoints_answer_for_both_models(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/inside_lens", "/inside_embeddings", "/inside_cache", "/inside_attribution", "/inside_probes"} <= names
    lens = client.predict("The dog [MASK] at the mailman.", 3, "tiny-bert", "tiny-gpt2", api_name="/inside_lens")
    assert lens["bert"]["layers"][-1]["answer_rank"] == 1 and len(lens["gpt"]["layers"][0]["top"]) == 3
    cache = client.predict("The dog barked at the", "mailman", "tiny-bert", "tiny-gpt2", api_name="/inside_cache")
    assert cache["gpt"]["reusable"] and not cache["bert"]["reusable"] and cache["bert"]["cached_step_error"] > 0


def test_inside_errors_are_clear_and_the_app_stays_up(client):
    with pytest.raises(AppError, match="Attribution method must be one of"):
        client.predict("The [MASK] barked.", "saliency", "tiny-bert", "tiny-gpt2", api_name="/inside_attribution")
    with pytest.raises(AppError, match="is not in the sentence"):
        client.predict("A river bank.", "A money box.", "bank", "tiny-bert", "tiny-gpt2", api_name="/inside_embeddings")
    assert client.predict("The [MASK] barked.", "gradient", "tiny-bert", "tiny-gpt2",
                          api_name="/inside_attribution")["method"] == "gradient"
