"""A UI event's failure stays in its panel (`widgets.inline_errors`): an error box in the panel's message component,
the panel's other outputs cleared, a gr.Warning as the notification; and a feature that needs several missing
models names them all, with one download command."""

import logging

import gradio as gr
import pytest

import playground.models.loader as loader
from playground.core.errors import ModelsUnavailable, ModelUnavailable, PlaygroundError, unavailable
from playground.models.cards import load_catalog
from playground.tasks.context import AppContext
from playground.models.profiles import default_profile
from playground.tasks.compare import run_compare
from playground.ui.widgets import error_box, inline_errors

SKIP = {"__type__": "update"}


@pytest.fixture()
def panel():
    """A panel's outputs: its notices (the message), a result of each kind, a slider, a dropdown, session state."""
    with gr.Blocks():
        c = dict(notices=gr.Markdown(), label=gr.Label(), table=gr.Dataframe(headers=["a"]), plot=gr.Plot(),
                 slider=gr.Slider(1, 5), pick=gr.Dropdown(choices=["x"]), models=gr.Dropdown(multiselect=True),
                 last=gr.State())
    return c


def _outputs(c):
    return list(c.values())


def _fails(message="Model 'm' is unavailable: offline. Run `python -m playground download m`."):
    def event(*inputs):
        raise PlaygroundError(message)
    return event


def test_a_failure_shows_inline_clears_the_panel_and_warns(panel):
    event = inline_errors(_fails(), _outputs(panel), panel["notices"], keep=[panel["models"]])
    with pytest.warns(UserWarning, match="python -m playground download m"):  # gr.Warning outside a request
        sent = dict(zip(panel, event("text")))
    assert sent["notices"].startswith('<div class="playground-error" role="alert"')
    assert "<code>python -m playground download m</code>" in sent["notices"]  # the fix, as code
    assert sent["label"] is None and sent["table"] is None and sent["plot"] is None and sent["last"] is None
    assert sent["slider"] == SKIP and sent["models"] == SKIP  # the user's controls stay as they are
    assert sent["pick"] == {"__type__": "update", "choices": [], "value": None}  # the last result's choices go


def test_the_message_is_escaped_capped_and_one_html_block():
    shown = error_box("<img src=x onerror=alert(1)> **bold**\n\n[link](javascript:x) " + "y" * 2000)
    assert "<img" not in shown and "&lt;img" in shown
    assert "\n" not in shown  # a blank line would end the HTML block and let the rest be read as Markdown
    assert "characters cut" in shown and len(shown) < 1200


def test_the_next_run_replaces_the_message(panel):
    outputs = _outputs(panel)
    calls = iter([_fails(), lambda *a: ("notice", {"x": 1.0}, [[1]], None, 3, gr.skip(), gr.skip(), "kept")])
    event = inline_errors(lambda *a: next(calls)(*a), outputs, panel["notices"])
    with pytest.warns(UserWarning):
        assert "playground-error" in event()[0]
    assert event() == ("notice", {"x": 1.0}, [[1]], None, 3, SKIP, SKIP, "kept")
    # A view that skips its message on the first send still clears the last run's error.
    skipping = inline_errors(lambda: (gr.skip(), {}, [], None, 1, SKIP, SKIP, None), outputs, panel["notices"])
    assert skipping()[0] == ""


def test_a_stream_that_fails_midway_ends_with_the_message(panel):
    outputs = _outputs(panel)

    def stream():
        yield (gr.skip(), {"a": 1.0}, [[1]], None, 1, SKIP, SKIP, None)
        yield ("step 2", {"a": 0.5}, [[2]], None, 1, SKIP, SKIP, None)
        raise ModelUnavailable("gpt2", "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set.")

    with pytest.warns(UserWarning, match="gpt2"):
        sent = list(inline_errors(stream, outputs, panel["notices"])())
    assert sent[0][0] == "" and sent[1][0] == "step 2"  # the first send clears a message left by the last run
    last = dict(zip(panel, sent[-1]))
    assert len(sent) == 3 and "gpt2" in last["notices"] and "--models lab" in last["notices"]
    assert last["label"] is None and last["table"] is None  # nothing of the stages sent before stays


def test_an_unexpected_error_gets_the_generic_message_and_is_logged(panel, caplog):
    def broken():
        raise KeyError("oops")

    with caplog.at_level(logging.ERROR, logger="playground"), pytest.warns(UserWarning):
        sent = inline_errors(broken, _outputs(panel), panel["notices"])()
    assert "Something went wrong (KeyError" in sent[0] and "still running" in sent[0]
    assert "unexpected error" in caplog.text


def test_a_single_output_event_and_a_message_outside_the_outputs(panel):
    event = inline_errors(_fails("no"), [panel["notices"]], panel["notices"])
    with pytest.warns(UserWarning):
        assert "playground-error" in event()
    assert inline_errors(lambda: "fine", [panel["notices"]], panel["notices"])() == "fine"
    with pytest.raises(ValueError, match="one of the event's outputs"):
        inline_errors(_fails(), [panel["label"]], panel["notices"])


def test_several_missing_models_are_named_in_one_message_with_one_command():
    reason = "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set."
    both = unavailable([ModelUnavailable("bert-base-uncased", reason), ModelUnavailable("gpt2", reason)])
    assert isinstance(both, ModelsUnavailable) and both.model_names == ("bert-base-uncased", "gpt2")
    assert str(both).startswith("Models 'bert-base-uncased' and 'gpt2' are unavailable: for each, it is not")
    assert "`python -m playground download bert-base-uncased gpt2`" in str(both)
    assert "--models lab" in str(both) and "--models tiny" in str(both)
    mixed = unavailable([ModelUnavailable("a", "offline."), ModelUnavailable("b", "not carded.", download_hint=False)])
    assert "Model 'a' is unavailable: offline. Model 'b' is unavailable: not carded." in str(mixed)
    assert "`python -m playground download a`" in str(mixed)  # a download fixes only the first
    one = ModelUnavailable("a", "offline.")
    assert unavailable([one]) is one


def test_compare_offline_names_bert_and_gpt2(monkeypatch):
    monkeypatch.setattr(loader, "hub_is_cached", lambda repo_id: False)
    monkeypatch.setattr(loader, "hub_offline_forced", lambda: True)
    catalog = load_catalog()
    ctx = AppContext(store=loader.ModelStore(catalog), profile=default_profile(catalog), catalog=catalog)
    with pytest.raises(ModelsUnavailable) as info:
        run_compare(ctx, "The [MASK] barked.", bert_model="bert-base-uncased", gpt_model="gpt2")
    assert "'bert-base-uncased' and 'gpt2'" in str(info.value)
    assert "`python -m playground download bert-base-uncased gpt2`" in str(info.value)


def _handler_with_request(ctx, text: str, request: gr.Request = None) -> str:
    return text


def test_events_bound_to_the_context_keep_the_request_hint_gradio_needs():
    """Gradio hands an event its gr.Request by type hint. An event bound to the app context as a method
    (`MethodType(handler, ctx)`, as the lab and Measure wire theirs) keeps the handler's own hints through the
    error wrappers (plain `functools.wraps`), so a lab run's Stop receives its session's request."""
    from types import MethodType

    from gradio.helpers import special_args
    from gradio.utils import get_type_hints

    from playground.ui.widgets import inline_errors, user_errors

    message = gr.Markdown()
    for event in (user_errors(MethodType(_handler_with_request, object())),
                  inline_errors(MethodType(_handler_with_request, object()), [message], message)):
        hints = get_type_hints(event)
        assert hints["text"] is str and hints["request"] is gr.Request
        request = gr.Request()
        args, *_ = special_args(event, ["hello"], request=request)
        assert args == ["hello", request]  # Gradio inserted the request where the handler takes it
