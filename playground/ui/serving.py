"""How the playground is served: every bound a busy public Space needs, in one place (docs/safety.md).

- Requests: a body over `MAX_BODY_BYTES` is refused (413) before it is read whole, parsed or looked at
  character by character; the Pretraining lab's training (`CORPUS_HANDLERS`) takes up to `CORPUS_BODY_BYTES`,
  room for a 1 MB corpus pasted as JSON; files only to the upload route, at most 1 MB (the lab's .txt corpus).
- Work: one concurrency budget for a 2-core machine. Every event that runs a model shares the "model" group
  (`MODEL_CONCURRENCY` at a time, whatever the endpoint); measurements (`/measure`, `/choose_variant`) have
  their own group of one; the Pretraining lab's runs have a group of their own (its job queue runs them one at a
  time, so a 3-minute training run never holds up the other tabs); only events that read model cards run beside them.
- Waiting: at most `QUEUE_MAX_SIZE` requests wait; the next one is told the playground is busy.
- Sessions: at most `SESSION_CAPACITY` sessions keep server-side state (the oldest is dropped first), and temporary
  files are deleted every `DELETE_CACHE[0]` seconds once older than `DELETE_CACHE[1]`.

`app.py` and the tests' live app both launch through `launch`, so the tests run under these bounds.
"""

from __future__ import annotations

import functools
import html
import inspect
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import gradio as gr
from starlette.middleware import Middleware

from playground.tasks.lab.corpus import MAX_CORPUS_BYTES

MAX_BODY_BYTES = 256 * 1024  # texts are cut to 4,000 characters anyway; this leaves room for any escaping
QUEUE_MAX_SIZE = 32  # waiting requests over all endpoints; 32 short ones drain in well under a minute
MODEL_CONCURRENCY = 1  # model events at once: one forward pass already uses both cores
MEASURE_CONCURRENCY = 1  # measurements at once (beside at most MODEL_CONCURRENCY model events)
LIGHT_CONCURRENCY = 4  # events that only read model cards
LAB_CONCURRENCY = 4  # lab events at once: the lab's own job queue trains one at a time, the rest see their place
SESSION_CAPACITY = 64  # sessions whose server-side state is kept (Gradio's default is 10,000)
DELETE_CACHE = (600, 3600)  # every 10 minutes, delete temporary files older than an hour

MODEL_GROUP, MEASURE_GROUP, LIGHT_GROUP, LAB_GROUP = "model", "measure", "light", "lab"
# Event and endpoint functions (by name, as in the tab files) that load no model and run no forward pass.
# The lab's Stop (`_stop_event`) only sets a flag: in the model group it would wait behind the run it stops.
LIGHT_HANDLERS = frozenset({"models", "list_models", "show_table", "show_card", "metric_dropdown", "show_head_card",
                            "timeline_plot", "candidates_view", "load_example",
                            "stop_measuring", "_stop_event",  # a Stop must not wait behind model work
                            "stop_enabled", "stop_disabled",  # a Stop button offered only while its run runs
                            # share links and the tour: they fill inputs; the runs they start are model events
                            "open_link_view", "share_link", "start_tour", "tour_step", "end_tour",
                            "road_results", "_road_stop_event",  # the road's shipped results; its Stop
                            # GPT → Assistant: recording a choice, the report card, Stop (no model work)
                            "choose_first", "choose_second", "_report_event", "assistant_report", "_stop_assistant",
                            "session_models"})  # a model dropdown's list, with this session's own models
# Handlers that build and time models (`tasks/measure.py`).
MEASURE_HANDLERS = frozenset({"measure", "choose_variant", "show_choice", "show_measurement"})
# The lab's training and fine-tuning (`core/jobs.py` queues them, one at a time per app): in the model group a run
# would block every other tab's model events for minutes.
LAB_HANDLERS = frozenset({"_pretrain_event", "pretrain", "_finetune_event", "finetune",
                          # the RNN → Transformer tab's training runs (the same job queue)
                          "_road_lm_event", "road_lm", "_road_long_range_event", "road_long_range",
                          "_road_gradients_event", "road_gradients", "_road_seq2seq_event", "road_seq2seq",
                          # GPT → Assistant's training stages (`tasks/assistant/handlers.py`)
                          "_sft_event", "assistant_sft", "_reward_event", "assistant_reward", "_dpo_event",
                          "assistant_dpo", "_lora_event", "assistant_lora"})
# The events that take a pasted corpus (up to MAX_CORPUS_BYTES of text, not 4,000 characters): their requests may
# be larger. JSON can write a character as \uXXXX (a 2-byte UTF-8 character as 6 bytes), so a 1 MB corpus
# fits in 3 MB; the rest is room for the other inputs.
CORPUS_HANDLERS = frozenset({"_pretrain_event", "pretrain"})
CORPUS_BODY_BYTES = 4 * MAX_CORPUS_BYTES

TOO_LARGE = (f"The request is larger than {MAX_BODY_BYTES // 1024} KB, the most this playground accepts here (the "
             "Pretraining lab's corpus aside). Texts are read up to 4,000 characters anyway: paste a shorter text.")
CORPUS_TOO_LARGE = (f"The request is larger than {CORPUS_BODY_BYTES // 1_000_000} MB, the most this playground "
                    f"accepts. The Pretraining lab reads a corpus of up to {MAX_CORPUS_BYTES // 1_000_000} MB of "
                    "text: paste or upload a shorter one.")
UPLOADS_OFF = "Files can only be sent to the upload route (the Pretraining lab's .txt corpus)."
# The one input that takes a file is the lab's .txt corpus; the lab refuses more than 1 MB of text itself.
MAX_UPLOAD_BYTES = MAX_CORPUS_BYTES
UPLOAD_TOO_LARGE = f"Uploads are limited to {MAX_UPLOAD_BYTES // 1_000_000} MB (the Pretraining lab's .txt corpus)."
BUSY = f"The playground is busy: {QUEUE_MAX_SIZE} requests are already waiting. Please try again in a minute."


def handler_name(fn: Callable | None) -> str:
    """The tab handler behind an event function, through `user_errors`/`functools.wraps` and partials."""
    seen = 0
    while fn is not None and seen < 20:
        seen += 1
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif getattr(fn, "__wrapped__", None) is not None:
            fn = fn.__wrapped__
        else:
            break
    return getattr(fn, "__name__", "")


def concurrency_group(fn: Callable | None) -> str:
    name = handler_name(fn)
    if name in LIGHT_HANDLERS:
        return LIGHT_GROUP
    if name in LAB_HANDLERS:
        return LAB_GROUP
    return MEASURE_GROUP if name in MEASURE_HANDLERS else MODEL_GROUP  # unknown: counted as model work


GROUP_LIMITS = {MODEL_GROUP: MODEL_CONCURRENCY, MEASURE_GROUP: MEASURE_CONCURRENCY, LIGHT_GROUP: LIGHT_CONCURRENCY,
                LAB_GROUP: LAB_CONCURRENCY}


def bound_concurrency(demo: gr.Blocks) -> dict[str, list[str]]:
    """Put every queued event of `demo` in its group (returns {group: [api names]}, for tests)."""
    groups: dict[str, list[str]] = {}
    for block_fn in demo.fns.values():
        if block_fn.fn is None:  # JavaScript-only events never reach the server
            continue
        group = concurrency_group(block_fn.fn)
        block_fn.concurrency_id, block_fn.concurrency_limit = group, GROUP_LIMITS[group]
        groups.setdefault(group, []).append(str(block_fn.api_name))
    return groups


_MISSING = object()
_CALL_PATH = re.compile(r"/call/([^/]+)/?$")


@dataclass(frozen=True)
class ApiRoutes:
    """What a request may name: the public endpoints' parameters (name, default or _MISSING) and every event."""

    parameters: dict[str, tuple[tuple[str, Any], ...]] = field(default_factory=dict)  # by api name
    by_index: dict[int, str] = field(default_factory=dict)  # fn_index → api name, public endpoints
    indexes: frozenset[int] = frozenset()  # every event the page may trigger
    corpus_apis: frozenset[str] = frozenset()  # public endpoints that take a lab corpus (CORPUS_HANDLERS)
    corpus_indexes: frozenset[int] = frozenset()  # every event that takes one, the page's own included

    @classmethod
    def of(cls, demo: gr.Blocks) -> "ApiRoutes":
        parameters, by_index, corpus_apis, corpus_indexes = {}, {}, set(), set()
        for index, block_fn in demo.fns.items():
            if block_fn.fn is not None and handler_name(block_fn.fn) in CORPUS_HANDLERS:
                corpus_indexes.add(index)
                if block_fn.api_visibility == "public" and block_fn.api_name:
                    corpus_apis.add(block_fn.api_name)
            if block_fn.fn is None or block_fn.api_visibility != "public" or not block_fn.api_name:
                continue
            signature = inspect.signature(block_fn.fn)
            parameters[block_fn.api_name] = tuple(
                (p.name, _MISSING if p.default is inspect.Parameter.empty else p.default)
                for p in signature.parameters.values())
            by_index[index] = block_fn.api_name
        return cls(parameters, by_index, frozenset(demo.fns), frozenset(corpus_apis), frozenset(corpus_indexes))

    def body_limit(self, path: str, default: int) -> int:
        """The most a request to `path` may send before it is read: more for the lab's corpus. /queue/join names
        its event inside the body, so it may send that much; `takes_corpus` checks the event once read."""
        call = _CALL_PATH.search(path)
        if call is not None:
            return CORPUS_BODY_BYTES if call.group(1) in self.corpus_apis else default
        if path.endswith("/queue/join") and self.corpus_indexes:
            return max(default, CORPUS_BODY_BYTES)
        return default

    def takes_corpus(self, path: str, body: bytes) -> bool:
        """Whether this request (read whole) goes to an event that takes a lab corpus."""
        call = _CALL_PATH.search(path)
        if call is not None:
            return call.group(1) in self.corpus_apis
        try:
            index = json.loads(body).get("fn_index")
        except (ValueError, AttributeError):
            return False
        return index in self.corpus_indexes

    def complete(self, path: str, body: bytes) -> tuple[bytes, tuple[int, str] | None]:
        """The body with an endpoint's missing trailing inputs filled with their defaults, or a refusal
        (status, message) for an endpoint that does not exist or inputs that cannot be completed."""
        if not self.parameters:
            return body, None
        call = _CALL_PATH.search(path)
        if call is None and not path.endswith("/queue/join"):
            return body, None
        try:
            request = json.loads(body)
        except ValueError:
            return body, (422, 'The request is not JSON; send {"data": [the inputs in order]}.')
        if not isinstance(request, dict) or not isinstance(request.get("data"), list):
            return body, (422, 'Send the inputs as {"data": [the inputs in order]}.')
        if call is not None:
            api = call.group(1)
            if api not in self.parameters:
                return body, (404, f"There is no endpoint /{_echo(api)}. Endpoints: "
                                   f"{', '.join('/' + name for name in sorted(self.parameters))}.")
        else:
            index = request.get("fn_index")
            if not isinstance(index, int) or isinstance(index, bool) or index not in self.indexes:
                return body, (404, f"There is no event {_echo(index)} on this page.")
            api = self.by_index.get(index)
            if api is None:  # the page's own events: the browser sends every input
                return body, None
        data, wanted = request["data"], self.parameters[api]
        missing = [name for name, default in wanted[len(data):] if default is _MISSING]
        if missing:
            names = ", ".join(name for name, _ in wanted)
            return body, (422, f"/{api} needs its inputs in this order: {names} (missing: {', '.join(missing)}).")
        if len(data) < len(wanted):
            request["data"] = data + [default for _, default in wanted[len(data):]]
            body = json.dumps(request).encode()
        return body, None


def _echo(value: object, limit: int = 40) -> str:
    text = str(value)
    return html.escape(text if len(text) <= limit else text[:limit] + "…", quote=False)


class RequestLimits:
    """ASGI middleware: refuse oversized bodies and uploads before the app reads them, check that a call names
    an endpoint that exists (filling in the defaults of inputs left out), and say "busy" plainly when the queue
    is full."""

    def __init__(self, app, max_body_bytes: int = MAX_BODY_BYTES, routes: ApiRoutes | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.routes = routes or ApiRoutes()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if b"multipart/form-data" in headers.get(b"content-type", b""):
            declared = headers.get(b"content-length")
            if not scope.get("path", "").endswith("/upload"):
                await _refuse(send, 403, UPLOADS_OFF)
            elif declared is None or not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
                await _refuse(send, 413, UPLOAD_TOO_LARGE)  # a declared size is required; multipart adds a little
            else:
                await self.app(scope, receive, send)  # Gradio enforces max_file_size on the file itself
            return
        path = scope.get("path", "")
        limit = self.routes.body_limit(path, self.max_body_bytes)
        too_large = TOO_LARGE if limit <= self.max_body_bytes else CORPUS_TOO_LARGE
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, 413, too_large)
            return
        body, more = bytearray(), True  # read it here (at most the limit), then hand it on
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _refuse(send, 413, too_large)
                return
        # Only the lab's corpus events may use the larger limit (a /queue/join says which event it is inside).
        if len(body) > self.max_body_bytes and not self.routes.takes_corpus(path, bytes(body)):
            await _refuse(send, 413, TOO_LARGE)
            return
        completed, refusal = self.routes.complete(path, bytes(body))
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        scope = {**scope, "headers": headers + [(b"content-length", str(len(completed)).encode())]}
        await self.app(scope, _replay(completed, receive), _busy_in_words(send, path))


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # e.g. http.disconnect
    return replay


def _busy_in_words(send, path: str):
    """Gradio answers a full queue with 503 "Queue is full. Max size is …"; say it in the playground's words."""
    if not (path.endswith("/queue/join") or "/call/" in path):
        return send
    busy = False

    async def wrapped(message):
        nonlocal busy
        if message["type"] == "http.response.start" and message["status"] == 503:
            busy = True
            body = json.dumps({"detail": BUSY}).encode()
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            await send({**message, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if busy:  # gradio's own body for the 503: already replaced
            return
        await send(message)
    return wrapped


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"detail": message, "error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def launch(demo: gr.Blocks, **launch_kwargs: Any):
    """Queue and launch `demo` under the playground's bounds; returns what `Blocks.launch` returns."""
    bound_concurrency(demo)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=MODEL_CONCURRENCY, api_open=False)
    app_kwargs = dict(launch_kwargs.pop("app_kwargs", None) or {})
    app_kwargs["middleware"] = [*app_kwargs.get("middleware", []),
                                Middleware(RequestLimits, routes=ApiRoutes.of(demo))]
    return demo.launch(state_session_capacity=SESSION_CAPACITY, max_file_size=MAX_UPLOAD_BYTES, app_kwargs=app_kwargs,
                       **launch_kwargs)
