"""Issue 11: share links (a tab and its inputs in the URL query) and the interview tour, without a browser.

A link is read like any input: bad numbers, unknown tabs, overlong text and models this app does not offer are
left at their defaults with a notice, never an error. The tour's stops are links too, so each must read clean."""

import html
import re

import gradio as gr
import pytest

from playground.core.text_input import MAX_CHARS
from playground.ui import links, serving, tour
from playground.ui.links import Field, LinkedView, component_field, field_value, link_query, page_link, parse_link
from playground.ui.tabs.models import metric_choices

TOP_K = Field("top_k", "Top-k predictions", "int", 5, 1, 20)
FIELDS = (Field("text", "Sentence", "text", "The [MASK] barked."), TOP_K,
          Field("bert", "Encoder (BERT)", "choice", "tiny-bert", choices=("tiny-bert", "lab-bert")),
          Field("fast", "Fast mode", "bool", False),
          Field("temperature", "Temperature", "float", 1.0, 0.05, 2.0),
          Field("max_params", "Max parameters", "float", None, 0, 1e12, optional=True))
PLACES = ("compare", "pretraining", "pretraining-mlm", "lab")
VIEWS = {"compare": FIELDS}


@pytest.mark.parametrize("raw, expected", [("7", 7), ("7.0", 7), (" 20 ", 20)])
def test_numbers_are_parsed_as_the_input_would(raw, expected):
    assert field_value(TOP_K, raw) == expected


@pytest.mark.parametrize("raw", ["abc", "3.5", "0", "21", "nan", "inf", "", "1e400", "9" * 200])
def test_bad_numbers_are_refused_with_the_inputs_name(raw):
    with pytest.raises(Exception, match="Top-k predictions"):
        field_value(TOP_K, raw)


def test_booleans_choices_and_optional_numbers():
    fast, bert, limit = FIELDS[3], FIELDS[2], FIELDS[5]
    assert field_value(fast, "1") is True and field_value(fast, "OFF") is False
    with pytest.raises(Exception, match="1 or 0"):
        field_value(fast, "maybe")
    assert field_value(bert, "lab-bert") == "lab-bert"
    with pytest.raises(Exception, match="not one of the choices here.*tiny-bert"):
        field_value(bert, "bert-large-uncased")
    assert field_value(limit, "") is None and field_value(limit, "70") == 70.0


def test_a_visit_without_a_tab_opens_nothing():
    assert parse_link({}, PLACES, VIEWS) is None
    assert parse_link({"__theme": "dark", "utm_source": "x"}, PLACES, VIEWS) is None


def test_an_unknown_tab_is_a_notice_naming_the_tabs():
    request = parse_link({"tab": "<script>"}, PLACES, VIEWS)
    assert request.place is None
    assert "no tab '&lt;script&gt;'" in request.notices[0] and "compare, pretraining" in request.notices[0]


def test_bad_values_keep_their_defaults_and_say_so():
    request = parse_link({"tab": "compare", "top_k": "abc", "bert": "gpt-4", "temperature": "5", "fast": "1",
                          "bogus": "1", "view": "api"}, PLACES, VIEWS)
    assert request.place == "compare"
    assert request.values == {"text": "The [MASK] barked.", "top_k": 5, "bert": "tiny-bert", "fast": True,
                              "temperature": 1.0, "max_params": None}
    text = " ".join(request.notices)
    assert "`top_k`" in text and "Top-k predictions must be a whole number between 1 and 20" in text
    assert "`bert`" in text and "'gpt-4' is not one of the choices" in text
    assert "`temperature`" in text
    assert "'bogus'" in text and "view" not in text  # Gradio's own ?view=api is not ours to report
    assert len(request.notices) == 4


def _rendered(markdown: str) -> tuple[str, str]:
    """(HTML, visible text) of a notice as the page's Markdown would draw it: raw HTML allowed, and any link
    target taken (the page's renderer makes `[x](javascript:…)` a link and strips its target)."""
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark")
    md.validateLink = lambda url: True
    page = md.render(markdown)
    return page, html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("key, raw", [
    ("top_k", "<script>alert(1)</script>"),
    ("bert", "[x](javascript:alert(1))"),
    ("fast", "**bold** `tick` <b>&amp;"),
    ("a`b<i>c", "1"),  # an unknown key with a backtick
    ("tab", "<img src=x onerror=alert(1)>"),
])
def test_notices_show_a_bad_value_as_typed_escaped(key, raw):
    params = {"tab": "compare", key: raw}
    notice = links.notice_markdown(parse_link(params, PLACES, VIEWS).notices)
    page, text = _rendered(notice)
    assert "<script" not in page and "<a " not in page and "<img" not in page and "<b>" not in page
    assert "<code>" not in page.replace("<code>top_k</code>", "").replace("<code>bert</code>", "").replace(
        "<code>fast</code>", "")  # only the app's own key names are code
    typed = raw if key != "a`b<i>c" else key
    assert typed in text, text


def test_a_long_hostile_value_is_cut_in_its_notice():
    notice = links.notice_markdown(parse_link({"tab": "compare", "top_k": "<b>" * 500}, PLACES, VIEWS).notices)
    page, text = _rendered(notice)
    assert "<b>" not in page and "<b><b><b>" in text and len(text) < 400


def test_overlong_text_is_cut_to_the_apps_limit_with_a_notice():
    request = parse_link({"tab": "compare", "text": "a" * (MAX_CHARS + 500)}, PLACES, VIEWS)
    assert len(request.values["text"]) == MAX_CHARS
    assert f"cut to {MAX_CHARS:,} characters" in request.notices[0]


def test_a_place_without_inputs_opens_the_tab_only():
    request = parse_link({"tab": "lab"}, PLACES, VIEWS)
    assert request.place == "lab" and request.values == {} and request.notices == ()


def test_a_link_carries_what_differs_from_the_defaults_and_reads_back_the_same():
    values = {"text": "Paris is the [MASK] of France & more?", "top_k": 8.0, "bert": "lab-bert", "fast": True,
              "temperature": 0.35, "max_params": 70.0}
    query, notices = link_query("compare", FIELDS, values)
    assert notices == []
    assert query.startswith("?tab=compare&text=Paris%20is%20the%20%5BMASK%5D") and "top_k=8&" in query
    from urllib.parse import parse_qsl
    request = parse_link(dict(parse_qsl(query[1:], keep_blank_values=True)), PLACES, VIEWS)
    assert request.notices == () and request.values == {**values, "top_k": 8}
    # Defaults are left out: the link of an untouched tab is just its place.
    defaults = {f.name: f.default for f in FIELDS}
    assert link_query("compare", FIELDS, {**defaults, "top_k": 5.0}) == ("?tab=compare", [])


def test_a_link_leaves_out_what_it_could_not_be_opened_with():
    query, notices = link_query("compare", FIELDS, {"bert": "my/unlisted-model", "top_k": 3})
    assert query == "?tab=compare&top_k=3"
    assert "leaves out `bert`" in notices[0]


def test_the_page_address_is_used_only_when_it_is_a_plain_http_one():
    assert page_link("http://127.0.0.1:7860/", "?tab=lab") == "http://127.0.0.1:7860/?tab=lab"
    assert page_link("javascript:alert(1)", "?tab=lab") == "?tab=lab"
    assert page_link('https://x/"><img>', "?tab=lab") == "?tab=lab"


def test_fields_come_from_the_input_components():
    with gr.Blocks():
        slider = gr.Slider(1, 20, value=5, step=1, label="Top-k")
        rate = gr.Slider(0.05, 2.0, value=1.0, step=0.05, label="Temperature")
        number = gr.Number(value=None, minimum=0, label="Max parameters")
        seed = gr.Number(value=0, precision=0, label="Seed")
        drop = gr.Dropdown([("Question answering", "question-answering"), ("Sentiment", "sentiment")],
                           value="sentiment", label="Task")
        box = gr.Checkbox(True, label="80/10/10")
        text = gr.Textbox("hello", label="Text")
    assert component_field("k", slider) == Field("k", "Top-k", "int", 5, 1, 20)
    assert component_field("t", rate).kind == "float"
    limit = component_field("m", number)
    assert limit.optional and limit.default is None and limit.minimum == 0
    assert component_field("seed", seed).kind == "int"
    assert component_field("task", drop).choices == ("question-answering", "sentiment")
    assert component_field("task", drop, ["a"]).choices == ("a",)
    assert component_field("rule", box).kind == "bool" and component_field("text", text).default == "hello"


def test_a_run_event_calls_the_buttons_function_on_the_links_values():
    calls = []

    def show(text, k):
        calls.append((text, k))
        return f"{text}:{k}", k

    def show_steps(text, k):
        yield text
        yield k

    view = LinkedView("x", {"text": None, "k": None}, show, [None, None])
    event = links.run_event(view)
    assert event({"serial": 1, "values": {"k": 3, "text": "hi"}}) == ("hi:3", 3) and calls == [("hi", 3)]
    assert serving.handler_name(event) == "show"  # grouped as the tab's own handler
    streamed = links.run_event(LinkedView("y", {"text": None, "k": None}, show_steps, [None]))
    assert list(streamed({"serial": 2, "values": {"text": "a", "k": 1}})) == ["a", 1]


# ---- the whole app (tiny models, built, not served) -------------------------------------------------

@pytest.fixture(scope="module")
def opener(tiny_demo):
    return tiny_demo.link_opener


def test_the_linkable_views_and_places(opener):
    assert {"compare", "pretraining-mlm", "pretraining-tokenizers", "sentiment", "question-answering",
            "summarization", "models"} <= set(opener.views)
    assert opener.parents["pretraining-mlm"] == "pretraining" and opener.parents["compare"] is None
    compare = {f.name: f for f in opener.views["compare"].fields}
    assert list(compare) == ["text", "top_k", "word", "layer", "head", "bert", "gpt", "fast", "influence"]
    assert compare["bert"].choices == tuple(value for _, value in opener.views["compare"].inputs["bert"].choices)
    # The chooser's metric may be any task's (the page sets the task's metric list when it fills it).
    from playground.tasks.chooser import CHOOSER_TASKS
    from playground.ui.tabs.models import metric_choices
    every = {key for task in CHOOSER_TASKS for _, key in metric_choices(task)}
    assert set({f.name: f for f in opener.views["models"].fields}["metric"].choices) == every


def test_opening_a_link_selects_fills_and_sets_only_its_views_state(opener):
    request = parse_link({"tab": "pretraining-mlm", "rate": "40", "seed": "7"}, list(opener.parents),
                         opener.fields())
    values = opener.values(request)
    outputs = opener.outputs()
    assert len(values) == len(outputs)
    by_component = dict(zip(map(id, outputs), values))
    assert by_component[id(opener.tabs)].selected == "pretraining"
    assert by_component[id(opener.subtabs["pretraining"])].selected == "pretraining-mlm"
    mlm = opener.views["pretraining-mlm"]
    assert by_component[id(mlm.inputs["rate"])] == 40 and by_component[id(mlm.inputs["seed"])] == 7
    assert by_component[id(mlm.state)]["values"]["rate"] == 40
    skipped = [v for v in values if isinstance(v, dict) and v == gr.skip()]
    assert by_component[id(opener.views["compare"].state)] in skipped  # other views do not run
    assert opener.values(None) == [gr.skip()] * len(outputs)


def test_copy_link_describes_the_selected_view(opener):
    inputs = opener.inputs()
    compare = opener.views["compare"]
    values = [c.value for c in inputs]
    values[inputs.index(compare.inputs["text"])] = "A new [MASK] sentence."
    values[inputs.index(compare.inputs["top_k"])] = 9.0
    url, notices = opener.link("http://127.0.0.1:7860/", "compare", *values)
    assert url == "http://127.0.0.1:7860/?tab=compare&text=A%20new%20%5BMASK%5D%20sentence.&top_k=9" and not notices
    # A top tab with sub-tabs stands for the sub-tab shown (its first, until one is picked).
    assert opener.link("", "pretraining", *values)[0] == "?tab=pretraining-mlm"
    assert opener.link("", "lab", *values)[0] == "?tab=lab"
    values[inputs.index(compare.inputs["text"])] = "x" * 9000
    url, notices = opener.link("", "compare", *values)
    assert "cut to 4,000" in notices[0] and len(url) < 13000


@pytest.mark.parametrize("index", range(len(tour.TOUR)))
def test_every_tour_stop_reads_clean_and_opens_a_view_that_runs(opener, index):
    stop = tour.TOUR[index]
    request = tour.stop_request(stop, opener)
    assert request.notices == (), request.notices
    assert stop.place in opener.views  # each stop runs its tab
    assert stop.points.count(". ") + 1 <= 2 and len(stop.points) < 420  # one or two sentences
    values = tour.open_tour_stop(opener, index)
    assert values[-5] == index and f"step {index + 1} of {len(tour.TOUR)}" in values[-3]
    assert (values[-2].interactive, values[-1].interactive) == (index > 0, index < len(tour.TOUR) - 1)


def test_the_tour_covers_the_interview_topics():
    places = [s.place for s in tour.TOUR]
    assert places[:3] == ["compare"] * 3 and "pretraining-mlm" in places and places[-1] == "models"
    assert any(s.place in ("sentiment", "question-answering") for s in tour.TOUR)
    assert "[MASK]" in tour.TOUR[1].inputs["text"] and tour.TOUR[2].anchor == "attention-masks"
    # [CLS] is where a head is trained to read, not a sentence summary by itself.
    assert "trained to read" in tour.TOUR[0].points


def test_link_events_are_light_and_runs_share_their_tabs_budget(tiny_demo):
    serving.bound_concurrency(tiny_demo)
    groups = {}
    for fn in tiny_demo.fns.values():
        if fn.fn is not None:
            groups.setdefault(serving.handler_name(fn.fn), set()).add(fn.concurrency_id)
    for name in ("open_link_view", "share_link", "start_tour", "tour_step", "end_tour"):
        assert groups[name] == {serving.LIGHT_GROUP}, name
    assert groups["show_choice"] == {serving.MEASURE_GROUP}  # the chooser, from its button or from a link
    assert groups["show_run_compare_stages"] == {serving.MODEL_GROUP}  # Compare's streamed click


def test_a_links_metric_of_another_task_is_caught_when_the_link_is_read(opener):
    """Each field's choices allow any task's metric; the link's metric must be its own task's."""
    request = opener.checked(parse_link({"tab": "models", "task": "sentiment", "metric": "squad-v1.1-f1-dev"},
                                        list(opener.parents), opener.fields()))
    sentiment_metrics = [key for _, key in metric_choices("sentiment")]
    assert request.values["metric"] == sentiment_metrics[0] != "squad-v1.1-f1-dev"
    assert any("ignored `metric`" in n and "squad" in n for n in request.notices)
    models = opener.views["models"]
    by_component = dict(zip(map(id, opener.outputs()), opener.values(request)))
    assert by_component[id(models.state)]["values"]["metric"] == sentiment_metrics[0]  # what the run reads
    fine = opener.checked(parse_link({"tab": "models", "task": "question-answering", "metric": "squad-v1.1-f1-dev"},
                                     list(opener.parents), opener.fields()))
    assert fine.values["metric"] == "squad-v1.1-f1-dev" and not fine.notices
