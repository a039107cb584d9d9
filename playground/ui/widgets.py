"""Shared UI plumbing, in plain Gradio: error adaptation (inline in a panel for UI events, a raised error for the
JSON API, both plain `functools.wraps` decorators), publishing a JSON endpoint (`gr.api`), and value conversions.

An event that needs its session (`request: gr.Request`) is wired as a method bound to the app context
(`types.MethodType(handler, ctx)`): Gradio reads the handler's own type hints, which a `functools.partial` hides."""

from __future__ import annotations

import dataclasses
import functools
import html
import inspect
import logging
import re
from typing import Any, Callable, Sequence

import gradio as gr

from playground.core.errors import PlaygroundError
from playground.core.predictions import percent  # noqa: F401  (the tabs' one probability format)
from playground.tasks.context import AppContext
from playground.tasks.session_models import model_choices

log = logging.getLogger("playground")

# Colours shared by every tab so a token kind always looks the same. Gradio paints a chip in its colour at half
# opacity; these mid-tone shades keep the chip text readable (WCAG AA, >= 4.5:1) in both themes: black text
# on the light page, white text on the dark one (CHIP_CSS).
TOKEN_COLORS = {
    "special": "#8b5cf6",  # violet: [CLS] [SEP] </s> <|endoftext|>
    "mask": "#ef4444",  # red: the gap
    "word": "#3b82f6",  # blue: a piece that starts a word
    "continuation": "#10b981",  # green: ## / glued pieces
    "unknown": "#f59e0b",  # amber: [UNK]
    "hidden from the slot": "#6b7280",  # grey, drawn outlined and struck through: GPT-2 cannot see these
}


def _rgb(hex_color: str) -> str:
    """'#6b7280' -> '107, 114, 128': how Gradio writes a chip colour into the chip's inline style."""
    return ", ".join(str(int(hex_color[i:i + 2], 16)) for i in (1, 3, 5))


# Gradio gives a category chip no class, only an inline background (its colour at 0.5 alpha) and `color: black`,
# so the dark theme overrides the text colour, and the hidden kind is found by its colour.
_HIDDEN = f'[style*="rgba({_rgb(TOKEN_COLORS["hidden from the slot"])}, 0.5)"]'
CHIP_CSS = f"""
.dark .token.highlighted, .dark .legend-item {{color: #fff !important;}}
.token.highlighted{_HIDDEN}, .legend-item{_HIDDEN} {{
  background-color: transparent !important; color: var(--body-text-color) !important;
  outline: 1.5px dashed var(--body-text-color-subdued); outline-offset: -1.5px; text-decoration: line-through;
}}
"""


def to_json(value: Any) -> Any:
    """Dataclass results → plain JSON-able dicts/lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


MAX_MESSAGE_CHARS = 700  # an error pop-up is a sentence or three; anything longer echoes too much


def safe_message(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """An error message as the pop-up may show it: HTML-escaped (the pop-up renders HTML, and messages can echo
    what a user typed) and cut in the middle when too long, so the advice at its end survives."""
    if len(message) > limit:
        head, tail = message[: limit * 3 // 5], message[-(limit * 2 // 5):]
        message = f"{head} …[{len(message) - len(head) - len(tail):,} characters cut]… {tail}"
    return html.escape(message, quote=False)


def _safe_error(message: str, **kwargs: Any) -> gr.Error:
    error = gr.Error(safe_message(message), **kwargs)
    error.playground_safe = True  # escaped once; an outer `user_errors` passes it on as it is
    return error


def _user_facing(exc: Exception) -> gr.Error:
    """What the user sees for an exception: a safe gr.Error (one already made safe is passed on as it is)."""
    if isinstance(exc, gr.Error):
        if getattr(exc, "playground_safe", False):
            return exc
        return _safe_error(str(exc.message), duration=exc.duration, visible=exc.visible, title=exc.title,
                           print_exception=False)
    return _safe_error(failure_message(exc), print_exception=False)


def user_errors(fn: Callable) -> Callable:
    """Turn PlaygroundError (and anything unexpected) into a visible, escaped gr.Error; works for generators too.
    For the JSON API (a client needs an error, not a value); UI events use `inline_errors`."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                error = _user_facing(exc)
                if error is exc:
                    raise
                raise error from exc
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            error = _user_facing(exc)
            if error is exc:
                raise
            raise error from exc
    return wrapper


# ---- UI events: a failure stays in its panel ---------------------------------------------------------
# A raised gr.Error is a pop-up that closes after ~10 s and paints a red "Error" badge on every output, over the
# last results; a UI event instead sends its panel an inline message that stays until the next run, clears the
# panel's other outputs, and raises a gr.Warning as the notification.

ERROR_BOX_STYLE = ("border:1px solid #ef4444;border-left:6px solid #ef4444;border-radius:8px;padding:8px 12px;"
                   "margin:4px 0;background:rgba(239,68,68,0.10)")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_SKIP = {"__type__": "update"}  # what gr.skip() sends: the component keeps its value


def _as_html(message: str) -> str:
    """A message for an HTML view: escaped and capped (`safe_message`), `code` spans as code, one line."""
    return _CODE_SPAN.sub(r"<code>\1</code>", safe_message(message)).replace("\n", "<br>")


def error_box(message: str) -> str:
    """A failure as the panel shows it: an error box (HTML, for a Markdown or HTML component), the message
    escaped and capped like the pop-up's, `code` spans (the command that fixes it) as code, on one HTML block so
    no part of the message is read as Markdown."""
    return f'<div class="playground-error" role="alert" style="{ERROR_BOX_STYLE}">⚠️ {_as_html(message)}</div>'


def failure_message(exc: Exception) -> str:
    """What the user reads for an exception: a PlaygroundError's (or gr.Error's) own message; anything unexpected
    is logged with its traceback and gets a generic one (unescaped: `error_box` and `safe_message` escape)."""
    if isinstance(exc, gr.Error):
        return html.unescape(str(exc.message)) if getattr(exc, "playground_safe", False) else str(exc.message)
    if isinstance(exc, PlaygroundError):
        return str(exc)
    log.exception("unexpected error in a handler")
    return (f"Something went wrong ({type(exc).__name__}: {str(exc)[:300]}). The app is still running; "
            "try different input.")


def cleared_value(component: Any) -> Any:
    """What an output shows once its panel's run failed: nothing (no stale result under the message). Sliders
    keep their value (they are the user's controls); a dropdown of the last result's choices is emptied."""
    if isinstance(component, gr.Slider):
        return gr.skip()
    if isinstance(component, gr.Dropdown):
        return gr.update(choices=[], value=None)
    return None


def inline_errors(fn: Callable, outputs: Sequence[Any], message: Any, keep: Sequence[Any] = ()) -> Callable:
    """A UI event function (`fn` sends one value per component of `outputs`, or the value for a single output)
    whose failure stays in its panel: on a PlaygroundError (or anything unexpected) the `message` output — one of
    `outputs`, a Markdown or HTML component — shows `error_box`, every other output is cleared (`cleared_value`;
    those in `keep` stay as they are) and a gr.Warning pops up as the notification. A generator's failure after
    some sends is one more send. The next run's first send replaces the message (a skipped message is cleared).
    `fn` itself stays reachable as `__wrapped__` (it raises), e.g. for the warm start."""
    outputs = list(outputs)
    index = next((i for i, o in enumerate(outputs) if o is message), None)
    if index is None:
        raise ValueError("the message component must be one of the event's outputs")
    single = len(outputs) == 1
    cleared = [gr.skip() if any(o is k for k in keep) else cleared_value(o) for o in outputs]

    def failed(exc: Exception) -> Any:
        text = failure_message(exc)
        gr.Warning(_as_html(text))  # the notification; the message in the panel is what stays
        values = [*cleared]
        values[index] = error_box(text)
        return values[0] if single else tuple(values)

    def first(values: Any) -> Any:
        """The run's first send: it replaces a message left by the last run, even where the view skips it."""
        if single:
            return "" if values == _SKIP else values
        values = list(values)
        if values[index] == _SKIP:
            values[index] = ""
        return tuple(values)

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_event(*args, **kwargs):
            sent = False
            try:
                for values in fn(*args, **kwargs):
                    yield values if sent else first(values)
                    sent = True
            except Exception as exc:
                yield failed(exc)
        return gen_event

    @functools.wraps(fn)
    def event(*args, **kwargs):
        try:
            return first(fn(*args, **kwargs))
        except Exception as exc:
            return failed(exc)
    return event


def shown(ctx: AppContext, handler: Callable, view: Callable, values: Callable = tuple) -> Callable:
    """A UI event function: `handler(ctx, *inputs)` shown through `view` (every result, for a stream), turned into
    component values by `values` (a NamedTuple view already is them). Wrap it in `inline_errors` to wire it."""
    if inspect.isgeneratorfunction(handler):
        def show_steps(*inputs):
            for result in handler(ctx, *inputs):
                yield values(view(result))
        show_steps.__name__ = f"show_{handler.__name__}"
        return show_steps

    def show(*inputs):
        return values(view(handler(ctx, *inputs)))
    show.__name__ = f"show_{handler.__name__}"
    return show


def view_fields(view_type: type) -> list[str]:
    """The field names of a view type (a dataclass or a NamedTuple), in order: one per output component."""
    if dataclasses.is_dataclass(view_type):
        return [f.name for f in dataclasses.fields(view_type)]
    return list(view_type._fields)


def view_outputs(components: Any, view_type: type) -> list[Any]:
    """The components a view fills, in its field order; `components` maps names to components (a dict, or an
    object with one attribute per component), named like the view's fields."""
    get = components.__getitem__ if isinstance(components, dict) else functools.partial(getattr, components)
    return [get(name) for name in view_fields(view_type)]


def publish_endpoint(endpoint: Callable, api_name: str, serves: Callable) -> None:
    """`gr.api(endpoint, api_name=…)` for a JSON endpoint: errors become clear messages (`user_errors`).

    `endpoint` is a plain function with the API's parameters, defaults and type hints (Gradio reads them for the
    API page and gradio_client), returning the task's dataclass as JSON (`to_json`); `serves` is the task
    handler it calls, whose return type `tests/test_api_docs.py` checks against docs/api.md.
    """
    published = user_errors(endpoint)
    # Gradio evaluates parameter hints itself but takes the return annotation as written, which under postponed
    # annotations is the string "dict": the API page would say "Any". The signature, with its strings evaluated:
    published.__signature__ = inspect.signature(endpoint, eval_str=True)
    published.handler = serves
    gr.api(published, api_name=api_name)


def highlighted_tokens(tokens, hidden_from: int | None = None) -> list[tuple[str, str]]:
    """TokenizedText → HighlightedText value, one chip per token, coloured by kind."""
    out = []
    for t in tokens.tokens:
        kind = "hidden from the slot" if hidden_from is not None and t.position >= hidden_from else t.kind
        out.append((t.display, kind))
    return out


def highlighted_scores(text: str, spans: list[tuple[int, int, float]]) -> list[tuple[str, float | None]]:
    """A sentence with scored character spans → HighlightedText value (unscored gaps kept as plain text)."""
    out: list[tuple[str, float | None]] = []
    cursor = 0
    for start, end, score in sorted(spans):
        if start > cursor:
            out.append((text[cursor:start], None))
        out.append((text[start:end], round(score, 4)))
        cursor = end
    if cursor < len(text):
        out.append((text[cursor:], None))
    return out


def token_table(tokens) -> list[list[Any]]:
    return [[t.position, t.display, t.token_id, t.kind] for t in tokens.tokens]


def label_value(predictions) -> dict[str, float]:
    """Predictions → gr.Label value (distinct keys even if two pieces display alike)."""
    out: dict[str, float] = {}
    for p in predictions:
        key = p.token if p.token not in out else f"{p.token} (id {p.token_id})"
        out[key] = p.probability
    return out


def notices_markdown(*groups) -> str:
    lines = [n for group in groups for n in (group or ())]
    return "\n".join(f"- ℹ️ {line}" for line in dict.fromkeys(lines)) if lines else ""


def model_dropdown(ctx: AppContext, task: str, label: str) -> gr.Dropdown:
    """The profile's models for `task`; opening the list adds the models this session trained itself (the
    Pretraining lab's lab-gpt@…, the Assistant tab's lab-gpt-sft@… / lab-gpt-dpo@…), for this session only."""
    choices = ctx.profile.choices(task)
    dropdown = gr.Dropdown(choices=choices, value=choices[0], label=label, allow_custom_value=ctx.store.allow_unlisted)

    def session_models(request: gr.Request) -> dict:
        return gr.update(choices=model_choices(ctx, getattr(request, "session_hash", None) or "", task))

    dropdown.focus(session_models, None, dropdown, api_visibility="private", show_progress="hidden")
    return dropdown


def duration(seconds: float) -> str:
    """12 s, 2 min 5 s."""
    seconds = max(1, round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


# ---- Stop buttons: clickable only while their run runs ----------------------------------------------

def stop_enabled() -> gr.Button:
    return gr.Button(interactive=True)


def stop_disabled() -> gr.Button:
    return gr.Button(interactive=False)


def stop_only_while_running(run_button: gr.Button, stop: gr.Button, register_run: Callable[[], Any]) -> Any:
    """A Stop button (created with interactive=False) is enabled as its run starts and disabled once the run ends,
    finished, failed or stopped: a Stop with nothing to stop is not offered. `register_run()` wires the run's own
    click and returns its event (returned here)."""
    quick = dict(api_visibility="private", queue=False, show_progress="hidden")
    # Registered before the run: the page handles a click's listeners in order, and one after a streaming run
    # would wait for the run to end.
    run_button.click(stop_enabled, None, stop, **quick)
    run_event = register_run()
    run_event.then(stop_disabled, None, stop, **quick)
    return run_event
