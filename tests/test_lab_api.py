"""Pretraining lab endpoints through gradio_client, against the running app (tiny profile, lab folder in a temp dir)."""

import pytest
from gradio_client.exceptions import AppError

from playground.tasks.lab_corpus import builtin_corpus

SMALL_TEXT = " ".join(builtin_corpus(200))

pytestmark = pytest.mark.server  # gradio_client against the live app


def test_lab_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/pretrain", "/direction_test", "/finetune"} <= names


def test_direction_test_endpoint(client):
    out = client.predict(api_name="/direction_test")
    rows = {r["model_name"]: r for r in out["rows"]}
    assert set(rows) == {"lab-bert", "lab-gpt", "lab-lstm"}
    assert rows["lab-bert"]["reads"] == "both sides" and rows["lab-gpt"]["reads"] == "left only"
    assert rows["lab-gpt"]["left_count"] + rows["lab-gpt"]["right_count"] + rows["lab-gpt"]["skipped"] == len(out["items"])
    assert set(out["chance"]) == {"left", "right"}


def test_finetune_endpoint(client):
    out = client.predict(sizes="4, 8", repeats=1, steps=3, seed=1, api_name="/finetune")
    assert out["sizes"] == [4, 8] and len(out["points"]) == 2 * 2 * 2  # models × sizes × (pre-trained, scratch)
    assert all(0 <= p["accuracy"] <= 1 for p in out["points"])
    with pytest.raises(AppError, match="even"):
        client.predict(sizes="3", api_name="/finetune")


def test_pretrain_streams_progress_and_serves_the_new_models(client):
    job = client.submit(corpus_text=SMALL_TEXT, preset="tiny", steps=6, seq_len=24, api_name="/pretrain")
    updates = list(job)
    assert len(updates) >= 2  # streamed: at least "preparing" and the final state
    final = job.outputs()[-1]
    assert final["status"] == "finished" and final["saved_to"] and final["step"] == 6
    assert {m["name"] for m in final["models"]} == {"lab-bert", "lab-gpt", "lab-lstm"}
    filled = client.predict("The [MASK] barked.", 3, "lab-bert", api_name="/fill_mask")
    assert filled["model_name"] == "lab-bert" and len(filled["masks"][0]["predictions"]) == 3
    with pytest.raises(AppError, match="too small"):
        client.predict(corpus_text="Two words.", preset="tiny", steps=2, api_name="/pretrain")
