"""Issue 9: the bounds the app is served with (docs/safety.md): one concurrency budget, a bounded
queue that says "busy", request bodies capped before they are read, uploads off, sessions that expire."""

import asyncio
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import httpx
import pytest

from playground.tasks.lab.corpus import MAX_CORPUS_BYTES
from playground.ui import serving


def test_every_model_event_shares_one_budget_and_measurements_have_their_own(tiny_demo):
    demo = tiny_demo
    groups = serving.bound_concurrency(demo)
    model = set(groups[serving.MODEL_GROUP])
    assert {"compare", "attention", "generate", "fill_mask", "next_token", "tokenize", "mask_sim", "nsp",
            "generate_step", "compare_tokenizers", "sentiment", "answer", "summarize"} <= model
    assert {"compare_view", "generate_view"} <= model  # the tabs' own (private) events too
    assert {"measure", "choose_variant"} <= set(groups[serving.MEASURE_GROUP])
    assert "models" in groups[serving.LIGHT_GROUP]
    assert "stop_measuring" in groups[serving.LIGHT_GROUP]  # Stop never waits behind model work
    # A lab run trains for minutes: it has its own group (the lab's job queue trains one at a time), so it never
    # holds up the other tabs' model events; its direction test is ordinary model work.
    assert {"pretrain", "finetune"} <= set(groups[serving.LAB_GROUP])
    assert "direction_test" in model and not {"pretrain", "finetune"} & model
    limits = {(fn.concurrency_id, fn.concurrency_limit) for fn in demo.fns.values() if fn.fn is not None}
    assert limits == {(serving.MODEL_GROUP, 1), (serving.MEASURE_GROUP, 1), (serving.LIGHT_GROUP, 4),
                      (serving.LAB_GROUP, 4)}


# ---- the request-limits middleware, on its own -----------------------------------------------------

def _asgi(body_chunks, headers, path="/gradio_api/call/tokenize", status=200, routes=None):
    """Run RequestLimits over a stub app; returns (status, body, what the app received or None)."""
    seen = {}

    async def app(scope, receive, send):
        message = await receive()
        seen["body"] = message["body"]
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = list(body_chunks)
    sent = []

    async def receive():
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    # In a thread of its own: a browser test's driver may keep an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as runner:
        runner.submit(asyncio.run, serving.RequestLimits(app, routes=routes)(scope, receive, send)).result()
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, seen.get("body")


def test_a_body_over_the_limit_is_refused_before_the_app_reads_it():
    status, body, received = _asgi([b"x"], [(b"content-length", str(serving.MAX_BODY_BYTES + 1).encode())])
    assert status == 413 and received is None and b"larger than" in body
    chunk = b"x" * 65536  # no content-length (chunked): counted while read, stopped at the limit
    status, body, received = _asgi([chunk] * 100, [])
    assert status == 413 and received is None


def test_a_small_body_reaches_the_app_unchanged():
    status, body, received = _asgi([b'{"data": ', b'["hi"]}'], [])
    assert (status, body, received) == (200, b"ok", b'{"data": ["hi"]}')


def test_uploads_are_refused_off_the_upload_route_and_over_the_limit():
    status, body, received = _asgi([b"--x"], [(b"content-type", b"multipart/form-data; boundary=x")],
                                   path="/gradio_api/queue/join")
    assert status == 403 and received is None and b"upload route" in body
    status, body, received = _asgi([b"--x"], [(b"content-type", b"multipart/form-data; boundary=x"),
                                              (b"content-length", b"5000000")], path="/gradio_api/upload")
    assert status == 413 and received is None and b"limited to 1 MB" in body


def test_a_full_queue_is_answered_in_plain_words():
    status, body, _ = _asgi([b"{}"], [], path="/gradio_api/queue/join", status=503)
    assert status == 503 and json.loads(body)["detail"] == serving.BUSY
    assert "busy" in serving.BUSY and "try again" in serving.BUSY


def test_a_call_must_name_an_endpoint_and_inputs_left_out_get_their_defaults(tiny_demo):
    routes = serving.ApiRoutes.of(tiny_demo)
    call = lambda api, body: _asgi([body], [], path=f"/gradio_api/call/{api}", routes=routes)  # noqa: E731
    status, body, received = call("tokenize", b'{"data": ["Tesla is"]}')
    assert status == 200 and json.loads(received)["data"] == ["Tesla is", "tiny-bert"]  # the profile's default
    status, body, received = call("nope<b>", b'{"data": []}')
    assert status == 404 and received is None and b"no endpoint /nope&lt;b&gt;" in body and b"/tokenize" in body
    status, body, _ = call("nsp", b'{"data": ["A cat."]}')
    assert status == 422 and b"sentence_a, sentence_b, model (missing: sentence_b)" in body
    for bad in (b"{not json", b'{"data": "x"}', b"[1, 2]"):
        status, body, _ = call("tokenize", bad)
        assert status == 422 and b"data" in body
    status, body, _ = _asgi([b'{"data": [], "fn_index": 99999, "session_hash": "x"}'], [],
                            path="/gradio_api/queue/join", routes=routes)
    assert status == 404 and b"no event 99999" in body


def test_a_1_mb_lab_corpus_gets_through_and_only_the_lab_takes_that_much(tiny_demo):
    routes = serving.ApiRoutes.of(tiny_demo)
    corpus = "Ça a été un été très chaud à Montréal.\n" * (MAX_CORPUS_BYTES // 47)  # just under 1 MB of UTF-8
    assert MAX_CORPUS_BYTES - 100 < len(corpus.encode()) <= MAX_CORPUS_BYTES
    body = json.dumps({"data": [corpus, "tiny"]}).encode()  # ASCII-escaped, as Python's json writes it
    assert len(body) > 1.5 * MAX_CORPUS_BYTES
    status, _, received = _asgi([body], [(b"content-length", str(len(body)).encode())],
                                path="/gradio_api/call/pretrain", routes=routes)
    assert status == 200 and json.loads(received)["data"][0] == corpus
    # The page's Train button sends it through /queue/join, naming its event inside the body.
    train = next(i for i, fn in tiny_demo.fns.items() if serving.handler_name(fn.fn) == "_pretrain_event")
    other = next(i for i, fn in tiny_demo.fns.items() if fn.api_name == "tokenize")
    for index, expected in ((train, 200), (other, 413)):
        joined = json.dumps({"data": [corpus], "fn_index": index, "session_hash": "x"}).encode()
        status, body_out, received = _asgi([joined[:65536], joined[65536:]], [], path="/gradio_api/queue/join",
                                           routes=routes)
        assert status == expected, body_out
        assert (received is None) == (expected == 413)
        if expected == 413:
            assert json.loads(body_out)["detail"] == serving.TOO_LARGE
    # Elsewhere the limit and its message stay as they were.
    status, body_out, received = _asgi([body], [], path="/gradio_api/call/tokenize", routes=routes)
    assert status == 413 and received is None and json.loads(body_out)["detail"] == serving.TOO_LARGE
    assert "4,000 characters" in serving.TOO_LARGE and f"{serving.MAX_BODY_BYTES // 1024} KB" in serving.TOO_LARGE
    # Beyond the lab's own limit, the lab's message: what it reads, and how much.
    status, body_out, _ = _asgi([b"x"], [(b"content-length", str(serving.CORPUS_BODY_BYTES + 1).encode())],
                                path="/gradio_api/call/pretrain", routes=routes)
    assert status == 413 and "up to 1 MB of text" in json.loads(body_out)["detail"]
    assert serving.MAX_UPLOAD_BYTES == MAX_CORPUS_BYTES and routes.corpus_apis == {"pretrain"}


# ---- through a live server ----------------------------------------------------------------------

def _api(live_app: str) -> str:
    return live_app.rstrip("/") + "/gradio_api"


def _call(http: httpx.Client, base: str, api: str, data: list, session: str | None = None) -> str:
    """One request the way a script does it (POST /call, then read the event stream); a new session each time."""
    posted = http.post(f"{base}/call/{api}", json={"data": data, "session_hash": session or uuid.uuid4().hex})
    posted.raise_for_status()
    return http.get(f"{base}/call/{api}/{posted.json()['event_id']}").text


@pytest.mark.server
def test_uploads_are_off_on_the_live_app(live_app):
    with httpx.Client(timeout=30) as http:
        refused = http.post(f"{_api(live_app)}/upload", files={"files": ("big.bin", b"\0" * 2_000_000)})
    assert refused.status_code == 413 and "limited to 1 MB" in refused.text


@pytest.mark.server
def test_a_huge_request_is_refused_at_once_and_the_app_answers_the_next(live_app):
    base = _api(live_app)
    huge = {"data": ["word " * 400_000, "tiny-bert"]}  # 2 MB of text
    with httpx.Client(timeout=30) as http:
        started = time.perf_counter()
        refused = http.post(f"{base}/call/tokenize", json=huge)
        assert refused.status_code == 413 and "larger than" in refused.json()["detail"]
        assert time.perf_counter() - started < 2
        assert '"tokens"' in _call(http, base, "tokenize", ["Tesla is", "tiny-bert"])


@pytest.mark.server
def test_a_1_mb_corpus_paste_reaches_the_lab_which_explains_what_it_lacks(live_app):
    base = _api(live_app)
    corpus = "the cat sat on the mat.\n" * (MAX_CORPUS_BYTES // 24)  # 1 MB; its JSON is over 1 MB
    with httpx.Client(timeout=60) as http:
        answer = _call(http, base, "pretrain", [corpus, "tiny", 1])
    assert "only 1 distinct sentence" in answer and "larger than" not in answer, answer[:300]


@pytest.mark.server
def test_api_ranges_do_not_depend_on_what_the_session_did_before(client):
    """The tab narrows its sliders to the sentence it showed; the API's ranges stay the documented ones."""
    client.predict("A [MASK] cat.", 5, "", 1, 1, "tiny-bert", "tiny-gpt2", api_name="/compare")  # a short one
    text = "Tesla is an American electric vehicle and clean energy company headquartered in Austin, Texas [MASK]."
    data = client.predict(text, 1, 1, 15, "tiny-bert", "tiny-gpt2", api_name="/attention")  # word 15 of 17
    assert data["bert_mask"]["query"] == 15 and data["bert_mask"]["word"] == "[MASK]"
    again = client.predict("A [MASK] cat.", 5, "", 3, 2, "tiny-bert", "tiny-gpt2", api_name="/compare")
    assert again["bert_attention"]["layer"] == 2  # layer 3 is clamped to the tiny model's 2 layers, not refused


@pytest.mark.server
@pytest.mark.slow  # 54 s on 2 busy cores
def test_sessions_expire_so_new_sessions_leave_memory_bounded(live_app):
    """500 requests, each from a new session (as scripts and fresh tabs are): Gradio keeps every session's
    state (~0.6 MB with this many components) up to `state_session_capacity`, 10,000 by default — over 6 GB.
    With the playground's capacity the server's memory stays flat."""
    import gc

    import psutil

    base, process = _api(live_app), psutil.Process()
    local = threading.local()

    def one(i: int) -> bool:
        if not hasattr(local, "http"):
            local.http = httpx.Client(timeout=60)
        return '"tokens"' in _call(local.http, base, "tokenize", [f"request {i}: Tesla is", "tiny-bert"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert all(pool.map(one, range(6)))  # connections and first-call allocations
        gc.collect()
        before = process.memory_info().rss
        answered = sum(pool.map(one, range(500)))
    gc.collect()
    grown_mb = (process.memory_info().rss - before) / 2**20
    assert answered == 500
    # At most SESSION_CAPACITY sessions (~40 MB) plus noise; without the bound, 500 sessions hold over 300 MB.
    assert grown_mb < 120, f"server memory grew by {grown_mb:.0f} MB over 500 new sessions"


@pytest.mark.server
def test_a_full_queue_says_busy_and_try_again(monkeypatch):
    """A flood beyond the queue's bound is answered at once ("busy, try again"), never left hanging."""
    from gradio_client import Client
    from gradio_client.utils import QueueError

    release = threading.Event()

    def slow(text: str) -> str:
        release.wait(timeout=30)
        return text

    with gr.Blocks() as blocker:
        gr.api(slow, api_name="slow")
    monkeypatch.setattr(serving, "QUEUE_MAX_SIZE", 2)
    _, url, _ = serving.launch(blocker, server_name="127.0.0.1", server_port=None, prevent_thread_lock=True,
                               quiet=True)
    base = url.rstrip("/") + "/gradio_api"
    try:
        with httpx.Client(timeout=30) as http:
            accepted = [http.post(f"{base}/call/slow", json={"data": [str(i)]}) for i in range(3)]  # 1 runs, 2 wait
            time.sleep(0.5)
            full = http.post(f"{base}/call/slow", json={"data": ["one too many"]})
        assert [r.status_code for r in accepted] == [200, 200, 200]
        assert full.status_code == 503 and full.json()["detail"] == serving.BUSY
        with pytest.raises(QueueError, match="(?i)try again"):
            Client(url, verbose=False).predict("from gradio_client", api_name="/slow")
    finally:
        release.set()
        blocker.close()


def test_the_safety_page_states_every_bound_as_the_code_sets_it():
    from pathlib import Path

    from playground.tasks.measure import MAX_MODELS_PER_REQUEST, MAX_REPEATS
    from playground.tasks.summarization import MAX_BEAM_TOKENS, MAX_SECONDS

    safety = (Path(__file__).resolve().parents[1] / "docs" / "safety.md").read_text()
    for needle in (f"**{serving.MAX_BODY_BYTES // 1024} KB**", f"at most **{serving.QUEUE_MAX_SIZE}** requests",
                   f"runs **{serving.MODEL_CONCURRENCY} at a time**", f"group of **{serving.MEASURE_CONCURRENCY}**",
                   f"at most **{serving.SESSION_CAPACITY}** sessions",
                   f"at most **{serving.MAX_UPLOAD_BYTES // 1_000_000} MB**",
                   f"takes up to **{serving.CORPUS_BODY_BYTES // 1_000_000} MB**",
                   f"Pretraining lab's training and fine-tuning have a group of **{serving.LAB_CONCURRENCY}**",
                   f"beams × new tokens ≤ {MAX_BEAM_TOKENS}", f"**{MAX_SECONDS:.0f} s** per",
                   f"repeats ≤ {MAX_REPEATS}", f"at most {MAX_MODELS_PER_REQUEST} models", "*by repo id*",
                   "python -m playground.soak"):
        assert needle in safety, needle
