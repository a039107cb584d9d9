"""How the playground is served: every bound a busy public Space needs, in one place (README "Safety defaults").

- Requests: a body over `MAX_BODY_BYTES` is refused (413) before it is read whole, parsed or looked at
  character by character; uploads are off (no input takes a file).
- Work: one concurrency budget for a 2-core machine. Every event that runs a model shares the "model" group
  (`MODEL_CONCURRENCY` at a time, whatever the endpoint); measurements (`/measure`, `/choose_variant`) have
  their own group of one; only events that read model cards run beside them.
- Waiting: at most `QUEUE_MAX_SIZE` requests wait; the next one is told the playground is busy.
- Sessions: at most `SESSION_CAPACITY` sessions keep server-side state (the oldest is dropped first), and temporary
  files are deleted every `DELETE_CACHE[0]` seconds once older than `DELETE_CACHE[1]`.

`app.py` and the tests' live app both launch through `launch`, so the tests run under these bounds.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

import gradio as gr
from starlette.middleware import Middleware

MAX_BODY_BYTES = 256 * 1024  # texts are cut to 4,000 characters anyway; this leaves room for any escaping
QUEUE_MAX_SIZE = 32  # waiting requests over all endpoints; 32 short ones drain in well under a minute
MODEL_CONCURRENCY = 1  # model events at once: one forward pass already uses both cores
MEASURE_CONCURRENCY = 1  # measurements at once (beside at most MODEL_CONCURRENCY model events)
LIGHT_CONCURRENCY = 4  # events that only read model cards
SESSION_CAPACITY = 64  # sessions whose server-side state is kept (Gradio's default is 10,000)
DELETE_CACHE = (600, 3600)  # every 10 minutes, delete temporary files older than an hour

MODEL_GROUP, MEASURE_GROUP, LIGHT_GROUP = "model", "measure", "light"
# Handlers (named as in the tab files) that load no model and run no forward pass.
LIGHT_HANDLERS = frozenset({"list_models", "show_table", "show_card", "metric_dropdown", "show_head_card",
                            "timeline_plot", "candidates_view", "load_example"})
# Handlers that build and time models (`models/measure.py`).
MEASURE_HANDLERS = frozenset({"measure_api", "choose_variant_api", "show_choice", "show_measurement"})

TOO_LARGE = (f"The request is larger than {MAX_BODY_BYTES // 1024} KB, the most this playground accepts. Texts are "
             "read up to 4,000 characters anyway: paste a shorter text.")
UPLOADS_OFF = "This playground takes no files: uploads are off."
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
    return MEASURE_GROUP if name in MEASURE_HANDLERS else MODEL_GROUP  # unknown: counted as model work


GROUP_LIMITS = {MODEL_GROUP: MODEL_CONCURRENCY, MEASURE_GROUP: MEASURE_CONCURRENCY, LIGHT_GROUP: LIGHT_CONCURRENCY}


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


class RequestLimits:
    """ASGI middleware: refuse oversized bodies and uploads before the app reads them, and say "busy" plainly
    when the queue is full."""

    def __init__(self, app, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if b"multipart/form-data" in headers.get(b"content-type", b""):
            await _refuse(send, 403, UPLOADS_OFF)
            return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _refuse(send, 413, TOO_LARGE)
            return
        body, more = bytearray(), True  # read it here (at most the limit), then hand it on
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await _refuse(send, 413, TOO_LARGE)
                return
        await self.app(scope, _replay(bytes(body), receive), _busy_in_words(send, scope.get("path", "")))


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
    app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), Middleware(RequestLimits)]
    return demo.launch(state_session_capacity=SESSION_CAPACITY, max_file_size=0, app_kwargs=app_kwargs,
                       **launch_kwargs)
