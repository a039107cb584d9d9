"""Pretraining lab endpoints through gradio_client, against the running app (tiny profile, lab folder in a temp dir)."""

import time

import pytest
from gradio_client.exceptions import AppError

from playground.tasks.lab.corpus import builtin_corpus

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


def test_finetune_endpoint_on_labelled_lines_with_a_checkpoint(client):
    lines = "\n".join([f"positive: {w} food and a {w} view" for w in ("great", "lovely", "fine", "superb")]
                      + [f"negative: {w} food and a {w} room" for w in ("awful", "cold", "dirty", "bad")])
    out = client.predict(sizes="4", repeats=1, steps=2, labelled_lines=lines, checkpoint="tiny-distilbert-sst2",
                         api_name="/finetune")
    assert out["data"] == "your labelled lines" and out["test_size"] == 4 and out["checkpoint"] == "tiny-distilbert-sst2"
    assert {(p["model_name"], p["init"]) for p in out["points"]} == {
        ("lab-bert", "pre-trained"), ("lab-bert", "from scratch"), ("lab-gpt", "pre-trained"),
        ("lab-gpt", "from scratch"), ("tiny-distilbert-sst2", "pre-trained")}
    offline = client.predict(sizes="4", repeats=1, steps=1, labelled_lines=lines, checkpoint="distilbert-base-uncased",
                             api_name="/finetune")
    assert offline["checkpoint"] == "" and {p["model_name"] for p in offline["points"]} == {"lab-bert", "lab-gpt"}
    assert "python -m playground download distilbert-base-uncased" in offline["notices"][0]
    with pytest.raises(AppError, match="Line 1: unknown label 'good'"):
        client.predict(labelled_lines="good: nice", api_name="/finetune")
    with pytest.raises(AppError, match="Too few labelled lines for a held-out split"):
        client.predict(labelled_lines="positive: nice\nnegative: bad", api_name="/finetune")


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


def test_a_clients_run_is_its_own_and_one_run_per_client_at_a_time(client, live_app):
    """Two clients (two sessions): A trains; B's lab-bert answers do not change; A reaches its run by name."""
    from gradio_client import Client

    a = Client(live_app, verbose=False)
    before = client.predict("The [MASK] barked at the mailman.", 5, "lab-bert", api_name="/fill_mask")
    job = a.submit(corpus_text=SMALL_TEXT, preset="tiny", steps=400, seq_len=24, api_name="/pretrain")
    next(iter(job))  # A's run has started (or is queued)
    with pytest.raises(AppError, match="already has a lab run"):
        a.predict(corpus_text=SMALL_TEXT, preset="tiny", steps=2, api_name="/pretrain")
    job.cancel()
    final = None
    for _ in range(3):  # the cancelled run leaves the gate within a poll; then A may train again
        try:
            final = a.predict(corpus_text=SMALL_TEXT, preset="tiny", steps=6, seq_len=24, api_name="/pretrain")
            break
        except AppError as exc:
            assert "already has a lab run" in str(exc)
            time.sleep(2)
    assert final is not None and final["status"] == "finished"
    own = final["session_models"]["lab-bert"]
    assert own.startswith("lab-bert@")
    assert client.predict("The [MASK] barked at the mailman.", 5, "lab-bert", api_name="/fill_mask") == before
    mine = a.predict("The [MASK] barked at the mailman.", 5, own, api_name="/fill_mask")
    assert mine["model_name"] == own and mine["masks"] != before["masks"]
