"""Shared UI plumbing: the app context, error adaptation and value conversions."""

from __future__ import annotations

import dataclasses
import functools
import html
import inspect
import logging
from typing import Any, Callable

import gradio as gr

from playground.core.errors import PlaygroundError
from playground.core.predictions import percent  # noqa: F401  (the tabs' one probability format)
from playground.models.context import AppContext

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
    if isinstance(exc, PlaygroundError):
        return _safe_error(str(exc), print_exception=False)
    log.exception("unexpected error in a handler")
    return _safe_error(f"Something went wrong ({type(exc).__name__}: {str(exc)[:300]}). The app is still running; "
                       "try different input.")


def user_errors(fn: Callable) -> Callable:
    """Turn PlaygroundError (and anything unexpected) into a visible, escaped gr.Error; works for generators too."""
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


def json_endpoint(ctx: AppContext, fn: Callable, api_name: str, **defaults: Any) -> None:
    """Publish `fn(ctx, ...)` as a named JSON API endpoint (usable from gradio_client with keywords).

    `fn` is a module-level handler whose first parameter is the app context; the endpoint's signature is
    the rest of it (type hints drive the API schema), with `defaults` overriding parameter defaults —
    e.g. the profile's default model. Results are dataclasses, returned as JSON; errors become clear
    messages. Generators stream.
    """
    signature = inspect.signature(fn)
    params = [p.replace(default=defaults[p.name]) if p.name in defaults else p
              for p in list(signature.parameters.values())[1:]]
    if inspect.isgeneratorfunction(fn):
        def endpoint(*args, **kwargs):
            for value in fn(ctx, *args, **kwargs):
                yield to_json(value)
    else:
        def endpoint(*args, **kwargs):
            return to_json(fn(ctx, *args, **kwargs))
    endpoint.__name__, endpoint.__doc__ = fn.__name__, fn.__doc__
    endpoint.__signature__ = signature.replace(parameters=params, return_annotation=dict)
    hints = {p.name: p.annotation for p in params if p.annotation is not inspect.Parameter.empty}
    endpoint.__annotations__ = {**hints, "return": dict}
    published = user_errors(endpoint)
    published.handler = fn  # what the endpoint serves, for the README-vs-dataclass test
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
    choices = ctx.profile.choices(task)
    return gr.Dropdown(choices=choices, value=choices[0], label=label, allow_custom_value=ctx.store.allow_unlisted)
