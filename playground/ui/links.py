"""Share links: a tab and its inputs in the URL query (`?tab=compare&text=…&top_k=8`), and back.

Each tab that can be linked hands `page.py` a `LinkedView`: its input components under short query names and
the event function its run button uses. "Copy link" writes the selected view's current inputs into a URL;
opening that URL selects the tab, fills the inputs and runs the same function the button runs. The interview
tour (`tour.py`) opens its stops the same way.

A link is input like any other: every value is read as that input's own component would accept it (text cut to
the app's limit, numbers parsed and range-checked, choices — model names too — only from the list this app
offers), and a value that fails is left at its default with a visible notice, never an error. Values equal to a
default are left out of a link, so links stay short and one copied on a Space also opens on a tiny local app.

The top of the file is pure (query text ↔ values); `LinkedView` and the wiring below need gradio.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote, urlencode

import gradio as gr

from playground.core.errors import PlaygroundError
from playground.core.text_input import MAX_CHARS, check_float, check_int, markdown_literal, shown

TAB_KEY = "tab"
# Query keys Gradio itself reads (`?view=api`, `?__theme=dark`): never ours, never reported as unknown.
GRADIO_KEYS = frozenset({"view", "__theme"})
LONG_LINK_CHARS = 8000  # many chat apps, proxies and servers cut or refuse URLs longer than this
MAX_NOTICES = 8  # a hostile link with a thousand bad keys still gets a short notice
TRUE_WORDS, FALSE_WORDS = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


# ---- pure: one input as a URL carries it ---------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One input of a linked view: its query key, what it accepts, and its default (what the tab starts with)."""

    name: str  # query key, e.g. "top_k"
    label: str  # the input's label, for notices
    kind: str  # "text" | "int" | "float" | "bool" | "choice"
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False  # a number that may be empty (None)
    max_chars: int = MAX_CHARS


def field_value(f: Field, raw: str) -> Any:
    """The value a query string stands for, validated as the input would be; PlaygroundError when it is not one."""
    if f.kind == "text":
        return raw[: f.max_chars]
    if f.optional and raw.strip() == "":
        return None
    if f.kind == "bool":
        word = raw.strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise PlaygroundError(f"{f.label} must be 1 or 0 (true or false), got {shown(raw)}.")
    if f.kind == "int":
        return check_int(raw, f.label, int(f.minimum), int(f.maximum))
    if f.kind == "float":
        return check_float(raw, f.label, f.minimum, f.maximum)
    if f.kind == "choice":
        for choice in f.choices:
            if raw == str(choice):
                return choice
        listed = ", ".join(map(str, f.choices[:12])) + (", …" if len(f.choices) > 12 else "")
        raise PlaygroundError(f"{f.label}: {shown(raw)} is not one of the choices here ({listed}).")
    raise ValueError(f"unknown field kind {f.kind!r}")


def query_text(f: Field, value: Any) -> str:
    """A value as the link writes it (the inverse of `field_value`)."""
    if f.kind == "bool":
        return "1" if value else "0"
    if value is None:
        return ""
    if f.kind == "int" or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _same(a: Any, b: Any) -> bool:
    """Equal as inputs: a slider's 5.0 is the default 5."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b)
    return a == b


@dataclass(frozen=True)
class LinkRequest:
    """What a link (or a tour stop) asks for: a place (tab or sub-tab id) and every input of its view."""

    place: str | None  # None: the link named no place this app has (its notices say why)
    values: dict[str, Any] = field(default_factory=dict)  # query key → value, defaults where the link had none
    notices: tuple[str, ...] = ()  # Markdown: every value the link typed in is escaped (`markdown_literal`)


def read_values(fields: Sequence[Field], params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Every field's value: from `params` where given and valid, else its default (with a notice saying why)."""
    values, notices = {}, []
    for f in fields:
        values[f.name] = f.default
        if f.name not in params:
            continue
        raw = params[f.name]
        try:
            values[f.name] = field_value(f, raw)
        except PlaygroundError as exc:
            notices.append(f"ignored `{f.name}`: {markdown_literal(str(exc))} Kept the default.")
            continue
        if f.kind == "text" and len(raw) > f.max_chars:
            notices.append(f"`{f.name}` was cut to {f.max_chars:,} characters (the link had {len(raw):,}).")
    return values, notices


def parse_link(params: Mapping[str, str], places: Sequence[str],
               views: Mapping[str, Sequence[Field]]) -> LinkRequest | None:
    """The view a page's query asks for; None when it asks for none (no `tab`: an ordinary visit).

    `places`: every tab and sub-tab id; `views`: the fields of those that a link can fill and run."""
    if TAB_KEY not in params:
        return None
    place = params[TAB_KEY].strip()
    if place not in places:
        return LinkRequest(None, notices=(f"this playground has no tab {markdown_literal(shown(place))}; tabs: "
                                          f"{', '.join(places)}.",))
    fields = views.get(place, ())
    values, notices = read_values(fields, params)
    known = {f.name for f in fields} | {TAB_KEY} | GRADIO_KEYS
    unknown = [k for k in params if k not in known and not k.startswith("__")]
    if unknown:
        # a typed key is shown quoted and escaped, not in backticks: a backtick in it would end the code
        names = ", ".join(markdown_literal(shown(k, 30)) for k in unknown[:5]) + (", …" if len(unknown) > 5 else "")
        notices.append(f"ignored {names}: not an input of {place}.")
    return LinkRequest(place, values, tuple(notices[:MAX_NOTICES]))


def link_query(place: str, fields: Sequence[Field], values: Mapping[str, Any]) -> tuple[str, list[str]]:
    """`?tab=place&key=value…` for these input values, leaving out defaults and anything a link could not be
    opened with (e.g. a model typed in that is not on the list); notices say what was left out."""
    pairs, notices = [(TAB_KEY, place)], []
    for f in fields:
        value = values.get(f.name, f.default)
        if f.kind == "text" and value is None:  # an empty textbox
            value = ""
        if _same(value, f.default):
            continue
        text = query_text(f, value)
        try:
            field_value(f, text)
        except PlaygroundError as exc:
            notices.append(f"the link leaves out `{f.name}` (it opens with the default): {markdown_literal(str(exc))}")
            continue
        if f.kind == "text" and len(text) > f.max_chars:
            notices.append(f"`{f.name}` is cut to {f.max_chars:,} characters in the link.")
            text = text[: f.max_chars]
        pairs.append((f.name, text))
    return "?" + urlencode(pairs, quote_via=quote), notices


def notice_markdown(notices: Sequence[str], what: str = "Link") -> str:
    return "\n".join(f"- ⚠️ {what}: {n}" for n in notices)


# ---- a tab's inputs as components --------------------------------------------------------------------

def _choice_values(component: Any) -> tuple[Any, ...]:
    return tuple(c[1] if isinstance(c, (tuple, list)) else c for c in (component.choices or ()))


def component_field(name: str, component: Any, choices: Sequence[Any] | None = None) -> Field:
    """The Field an input component stands for: its label, default, range or choices."""
    label = str(component.label or name)
    if isinstance(component, gr.Checkbox):
        return Field(name, label, "bool", bool(component.value))
    if isinstance(component, (gr.Dropdown, gr.Radio)):
        return Field(name, label, "choice", component.value,
                     choices=tuple(choices) if choices is not None else _choice_values(component))
    if isinstance(component, gr.Slider):
        whole = float(component.step).is_integer() and float(component.minimum).is_integer()
        return Field(name, label, "int" if whole else "float", component.value, component.minimum, component.maximum)
    if isinstance(component, gr.Number):
        whole = component.precision == 0
        low = component.minimum if component.minimum is not None else -1e12
        high = component.maximum if component.maximum is not None else 1e12
        return Field(name, label, "int" if whole else "float", component.value, low, high,
                     optional=component.value is None)
    if isinstance(component, gr.Textbox):
        return Field(name, label, "text", component.value or "")
    raise TypeError(f"a link cannot carry a {type(component).__name__} ({name})")


@dataclass
class LinkedView:
    """A tab (or sub-tab) a link can open: its inputs under query keys, in the order its run event takes them,
    the event function its run button uses, and that event's outputs."""

    place: str  # the tab or sub-tab id, e.g. "compare", "pretraining-mlm"
    inputs: dict[str, Any]  # query key → input component
    run: Callable  # the run button's event function: run(*input values) → its outputs' values
    outputs: list[Any]
    anchor: str | None = None  # elem_id to scroll to once the view is opened from a link
    choices: dict[str, Sequence[Any]] = dataclasses.field(default_factory=dict)  # choice lists wider than shown
    # Component updates for filling inputs, where a plain value is not enough (e.g. a dropdown's choices).
    fill: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # A check across inputs that each field's own choices cannot make (e.g. a metric that belongs to another
    # task): the link's values → (corrected values, Markdown notices of what was ignored).
    check: Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]] | None = None
    state: Any = None  # gr.State the page sets to run the view (made by `wire_runs`)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(component_field(name, c, self.choices.get(name)) for name, c in self.inputs.items())


_serial = itertools.count(1)  # every opening differs, so opening the same view twice runs it twice


def run_event(view: LinkedView) -> Callable:
    """The event that runs `view` once the page has set its state: the run button's function on the link's
    values (read from the request itself, so nothing depends on when the hidden tab's inputs are drawn)."""
    names = list(view.inputs)

    def values(request: dict) -> list[Any]:
        return [request["values"][name] for name in names]

    if inspect.isgeneratorfunction(view.run):
        def run_streamed(request):
            if request:
                yield from view.run(*values(request))
        event = run_streamed
    else:
        def run_once(request):
            return view.run(*values(request)) if request else [gr.skip()] * len(view.outputs)
        event = run_once
    # The serving bounds group an event by the tab handler behind it (`serving.handler_name`); Gradio reads the
    # one-argument signature, not the wrapped function's.
    event.__wrapped__ = view.run
    event.__signature__ = inspect.Signature([inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)])
    return event


def wire_runs(views: Sequence[LinkedView]) -> None:
    """One state per view; setting it (a link, a tour step) runs the view, with the button's progress display."""
    for view in views:
        view.state = gr.State(None)
        view.state.change(run_event(view), [view.state], view.outputs, api_visibility="private")


def view_request(view: LinkedView, values: dict[str, Any]) -> dict[str, Any]:
    return {"serial": next(_serial), "values": values}


# ---- the page: opening a view, and copying its link ------------------------------------------------

def after_open_js(parents: Mapping[str, str]) -> str:
    """Client-side, once a view is opened: remember the sub-tab now selected in its top tab (Copy link reads
    it), then scroll to the part of the view the link or tour stop is about, once its tab has drawn it."""
    return f"""(place, anchor) => {{
  const top = {json.dumps(dict(parents))}[place];
  if (top) (window.playgroundSubtabs ||= {{}})[top] = place;
  if (!anchor) return;
  let tries = 0;
  const go = () => {{
    const el = document.getElementById(anchor);
    if (el && el.offsetParent !== null) el.scrollIntoView({{behavior: 'smooth', block: 'start'}});
    else if (++tries < 50) setTimeout(go, 100);
  }};
  setTimeout(go, 50);
}}"""


# Copy link sends the page's own address (without its query) first, for the link to start with.
PAGE_URL_JS = "(...args) => { args[0] = location.href.split('#')[0].split('?')[0]; return args; }"
# navigator.clipboard needs a secure context (https, or 127.0.0.1/localhost); the box shows the link anyway.
COPY_JS = """(url) => {
  if (url && navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {});
}"""
MAX_PAGE_URL_CHARS = 2000


# A warning toast belongs to the tab whose run failed (its message also stays in that tab's panel): leaving the tab
# dismisses it, so it does not sit over another tab.
DISMISS_TOASTS_JS = "document.querySelectorAll('[data-testid=\"toast-close\"]').forEach((b) => b.click());"


def select_js(place: str, top: str | None = None) -> str:
    """A tab's select event, client-side only: the place Copy link should describe. A top tab with sub-tabs
    stands for the sub-tab last selected in it (else itself: its first sub-tab opens)."""
    if top is not None:  # a sub-tab
        return (f"() => {{ {DISMISS_TOASTS_JS} (window.playgroundSubtabs ||= {{}})[{top!r}] = {place!r}; "
                f"return {place!r}; }}")
    return f"() => {{ {DISMISS_TOASTS_JS} return (window.playgroundSubtabs || {{}})[{place!r}] || {place!r}; }}"


def page_link(page_url: str, query: str) -> str:
    """The full link: the page's address (when it is a plain http(s) one) and the query."""
    ok = isinstance(page_url, str) and page_url.startswith(("http://", "https://")) and \
        len(page_url) <= MAX_PAGE_URL_CHARS and not any(c in page_url for c in "\"'<> \n")
    return (page_url if ok else "") + query


@dataclass
class LinkOpener:
    """Opens a `LinkRequest` on the page: selects its tab (and sub-tab), fills its view's inputs, and sets the
    view's state, which runs it (`wire_runs`). Links and the tour both open views through it."""

    views: dict[str, LinkedView]  # place → view
    tabs: Any  # the top-level gr.Tabs
    subtabs: dict[str, Any]  # top tab id → its gr.Tabs of sub-tabs
    notice: Any  # gr.Markdown: what a link got wrong
    place_box: Any  # hidden gr.Textbox: the place Copy link describes
    anchor_box: Any  # hidden gr.Textbox: the elem_id to scroll to once opened

    @property
    def parents(self) -> dict[str, str | None]:
        """Every place id, in page order → the top tab it is under (None for a top tab)."""
        out: dict[str, str | None] = {}
        for tab in self.tabs.children:
            out[str(tab.id)] = None
            for sub in getattr(self.subtabs.get(str(tab.id)), "children", ()):
                out[str(sub.id)] = str(tab.id)
        return out

    def fields(self) -> dict[str, tuple[Field, ...]]:
        return {place: view.fields for place, view in self.views.items()}

    def checked(self, request: LinkRequest | None) -> LinkRequest | None:
        """`request` after its view's check across inputs (a link's values disagreeing with each other)."""
        view = self.views.get(request.place) if request is not None and request.place else None
        if view is None or view.check is None:
            return request
        values, notices = view.check(dict(request.values))
        return dataclasses.replace(request, values=values, notices=(*request.notices, *notices)[:MAX_NOTICES])

    def inputs(self) -> list[Any]:
        return [c for view in self.views.values() for c in view.inputs.values()]

    def outputs(self) -> list[Any]:
        return [self.tabs, *self.subtabs.values(), self.notice, self.place_box, self.anchor_box, *self.inputs(),
                *(view.state for view in self.views.values())]

    def values(self, request: LinkRequest | None, what: str = "Link", anchor: str | None = None) -> list[Any]:
        """One value per `outputs()` component: what opening `request` changes (gr.skip() elsewhere)."""
        skip = gr.skip()
        if request is None:
            return [skip] * len(self.outputs())
        notice = notice_markdown(request.notices, what)
        if request.place is None:
            rest = 2 + len(self.inputs()) + len(self.views)
            return [skip] * (1 + len(self.subtabs)) + [notice] + [skip] * rest
        parent = self.parents.get(request.place)
        subs = [gr.Tabs(selected=request.place) if parent == top else skip for top in self.subtabs]
        target = self.views.get(request.place)
        out = [gr.Tabs(selected=parent or request.place), *subs, notice, request.place,
               anchor or (target.anchor if target else None) or ""]
        for view in self.views.values():
            if view is not target:
                out += [skip] * len(view.inputs)
                continue
            updates = view.fill(request.values) if view.fill else {}
            out += [updates.get(name, request.values[name]) for name in view.inputs]
        out += [view_request(view, request.values) if view is target else skip for view in self.views.values()]
        return out

    def shown_place(self, place: str) -> str:
        """The place on screen: a top tab with sub-tabs shows its selected one (the first, until one is picked)."""
        subtabs = self.subtabs.get(place)
        if subtabs is not None and subtabs.children:
            return str(subtabs.selected or subtabs.children[0].id)
        return place

    def link(self, page_url: str, place: str, *inputs: Any) -> tuple[str, list[str]]:
        """The link to `place` with these input values (all views' inputs, in `inputs()` order)."""
        place = self.shown_place(place)
        offsets = itertools.accumulate((len(v.inputs) for v in self.views.values()), initial=0)
        for (key, view), start in zip(self.views.items(), offsets):
            if key == place:
                values = dict(zip(view.inputs, inputs[start:start + len(view.inputs)]))
                query, notices = link_query(place, view.fields, values)
                break
        else:  # a tab with nothing to fill: the link just opens it
            query, notices = "?" + urlencode([(TAB_KEY, place if place in self.parents else "compare")]), []
        url = page_link(page_url, query)
        if len(url) > LONG_LINK_CHARS:
            notices.append(f"this link is {len(url):,} characters long; some chat apps and servers cut links "
                           f"over {LONG_LINK_CHARS:,}. Shorten the text to share it safely.")
        return url, notices

    def wire(self, demo: gr.Blocks, share_button: Any, link_box: Any, page_url_box: Any) -> None:
        """Page load opens the link in the URL; Copy link writes the selected view's; tab clicks are tracked."""
        places = list(self.parents)
        fields = self.fields()

        def open_link_view(request: gr.Request):
            params = dict(request.query_params) if request is not None else {}
            return self.values(self.checked(parse_link(params, places, fields)))

        self.after_open(demo.load(open_link_view, None, self.outputs(), api_visibility="private",
                                  show_progress="hidden"))

        def share_link(page_url: str, place: str, *inputs: Any):
            url, notices = self.link(page_url, place, *inputs)
            return gr.Textbox(value=url, visible=True), notice_markdown(notices)

        share_button.click(share_link, [page_url_box, self.place_box, *self.inputs()], [link_box, self.notice],
                           js=PAGE_URL_JS, api_visibility="private", show_progress="hidden").then(
            None, [link_box], None, js=COPY_JS, api_visibility="private")
        for tab in self.tabs.children:
            tab.select(None, None, [self.place_box], js=select_js(str(tab.id)), api_visibility="private")
            for sub in getattr(self.subtabs.get(str(tab.id)), "children", ()):
                sub.select(None, None, [self.place_box], js=select_js(str(sub.id), str(tab.id)),
                           api_visibility="private")

    def after_open(self, event: Any) -> Any:
        """Chain the client-side part of opening a view (sub-tab memory, scrolling) after `event`."""
        parents = {place: top for place, top in self.parents.items() if top}
        return event.then(None, [self.place_box, self.anchor_box], None, js=after_open_js(parents),
                          api_visibility="private")
