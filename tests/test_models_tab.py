"""The Models tab without a server: the card listing, the fact sheet's topics and links, the chooser and
the measurements as the handlers return them (what /models, /choose_variant, /measure serve) and as the
view functions show them."""

import pytest

from playground.core.errors import PlaygroundError
from playground.tasks import measure
from playground.models.cards import CARDS_DIR, load_catalog
from playground.tasks.cards import pick_card
from playground.tasks.chooser import Constraints, choose, choose_variant_api
from playground.tasks.fact_sheet import TIMELINE, TOPICS, fact_sheet
from playground.tasks.model_overview import common_head, list_models, measure_api, reading_order, run_measure
from playground.ui.page import SEE_IT_LIVE
from playground.ui.tabs.models import (BENCHMARK_HEADERS, TABLE_HEADERS, breakable, card_markdown, choose_view,
                                       fact_sheet_markdown, measure_view, metric_dropdown, show_card, show_table,
                                       tab_js, table_rows, timeline_markdown)
from playground.ui.widgets import to_json
from playground.ui.tabs import models as models_tab
from playground.ui.tabs.models import params_millions, show_measurement, stop_measuring
import gradio as gr


@pytest.fixture()
def fresh_cache():
    measure.clear_cache()
    yield
    measure.clear_cache()


# ---- cards ----------------------------------------------------------------------------------------

def test_listing_has_every_card_with_derived_numbers(ctx):
    listing = to_json(list_models(ctx))
    assert listing["count"] == len(list(CARDS_DIR.glob("*.md"))) == len(listing["models"])
    bert_large = {m["slug"]: m for m in listing["models"]}["bert-large-uncased"]
    assert bert_large["kind"] == "runnable" and bert_large["architecture_kind"] == "encoder"
    assert bert_large["size_mb_fp32"] == round(335174458 * 4 / 1e6, 1)
    history = list_models(ctx, " History ")  # the API accepts any case and spacing
    assert history.count >= 7 and all(m.kind == "history" and not m.runnable for m in history.models)
    with pytest.raises(PlaygroundError, match="Kind must be one of"):
        list_models(ctx, "everything")


def test_table_and_card_views(ctx):
    rows, benchmarks = show_table(ctx, "all")
    assert len(rows) == len(benchmarks) == len(ctx.catalog.cards)
    assert all(len(r) == len(TABLE_HEADERS) for r in rows) and all(len(r) == len(BENCHMARK_HEADERS) for r in benchmarks)
    names = [r[0] for r in rows]
    assert "ALBERT base v2" in names and "BERT large (uncased)" in names and [r[0] for r in benchmarks] == names
    bert_large = rows[names.index("BERT large (uncased)")]
    assert bert_large[-1] == "runnable" and 90.9 in benchmarks[names.index("BERT large (uncased)")]
    history, _ = show_table(ctx, "history")
    assert "GPT-3 (175B)" in [r[0] for r in history] and "BERT large (uncased)" not in [r[0] for r in history]
    assert table_rows(reading_order(ctx.catalog.cards)) == rows
    # Hub ids and class names wrap only between their parts in the narrow table cells.
    assert breakable("huawei-noah/TinyBERT_General_4L") == "huawei-noah/<wbr>TinyBERT_<wbr>General_<wbr>4L"
    assert breakable("AlbertForQuestionAnswering", camel=True) == "Albert<wbr>For<wbr>Question<wbr>Answering"
    assert breakable("<b>") == "&lt;b&gt;"
    gpt3 = show_card(ctx, "history--gpt-3")
    assert "History card" in gpt3 and "Brown et al. 2020, Table 3.2" in gpt3
    assert "Runnable" in card_markdown(pick_card(ctx, "bert-large-uncased"))
    with pytest.raises(PlaygroundError, match="No model card"):
        pick_card(ctx, "nope")


# ---- fact sheet and timeline ----------------------------------------------------------------------

def test_every_fact_sheet_topic_links_to_a_tab():
    rows = fact_sheet(load_catalog())
    assert {t for r in rows for t in r.topics} <= set(TOPICS) == set(SEE_IT_LIVE)
    table = fact_sheet_markdown(rows, SEE_IT_LIVE)
    assert "Bidirectional" in table and "**Pre-training › Next sentence (BERT)**" in table
    assert "Sizes (from the model cards)" in table and "**Models** tab" in table
    js = tab_js(SEE_IT_LIVE["tokenizers"])
    assert 'data-tab-id="pretraining"' in js and 'data-tab-id="pretraining-tokenizers"' in js
    assert timeline_markdown(TIMELINE).count("\n") == len(TIMELINE) - 1


# ---- chooser --------------------------------------------------------------------------------------

def test_choose_ranks_and_explains(ctx):
    result = choose_variant_api(ctx, "question-answering", 70, None, None, None, None, "score")
    assert result.ranked[0].hub_id == "albert-base-v2" and not result.nothing_fits
    assert all(c.parameters <= 70e6 for c in result.ranked)
    assert "Recommended: ALBERT base v2" in result.explanation
    assert result.measurements is None  # no latency limit: nothing measured
    view = choose_view(result, ["albert-base-v2", "bert-base-uncased"])
    assert view.explanation.startswith(result.explanation) and "Fewer parameters ≠ faster" in view.explanation
    assert view.ranking[0][:3] == [1, "ALBERT base v2", "albert-base-v2"]
    assert [r[8] for r in view.ranking] == ["yes"] * len(result.ranked) + ["no"] * len(result.rejected)
    assert view.to_measure["value"] == ["albert-base-v2"]  # suggested, among the measurable ones
    assert view.json == to_json(result) and "measurements" in view.json


def test_choose_measures_for_a_latency_limit(ctx, fresh_cache):
    result = choose(ctx, Constraints(task="generation", max_latency_ms=60_000))
    measured = {m.hub_id for m in result.measurements.measurements}
    assert measured == {"gpt2", "gpt2-medium"} and all(m.tiny for m in result.measurements.measurements)
    assert {c.hub_id for c in result.ranked} == {"gpt2", "gpt2-medium"}
    assert all(c.latency_ms > 0 for c in result.ranked)


def test_metric_choices_follow_the_task():
    update = metric_dropdown("summarization")
    assert update.value == "xsum-rouge1" and update.interactive
    assert metric_dropdown("fill-mask").value is None and not metric_dropdown("fill-mask").interactive


# ---- measurements ---------------------------------------------------------------------------------

def test_measure_view_plots_size_latency_and_score(ctx, fresh_cache):
    result = run_measure(ctx, ["albert-base-v2", "distilbert-base-uncased"], "question-answering",
                         "squad-v1.1-f1-dev", 32, 1)
    assert result.head == "question-answering" and result.tiny
    assert [p.name for p in result.points] == ["ALBERT base v2", "DistilBERT base"]
    assert all(p.score is not None and p.latency_ms > 0 for p in result.points)
    view = measure_view(result)
    # Class names are cells that wrap between their words.
    assert [r[1].replace("<wbr>", "") for r in view.rows] == ["AlbertForQuestionAnswering",
                                                              "DistilBertForQuestionAnswering"]
    assert "Tiny mode" in view.notes and "with the question-answering head" in view.notes
    assert view.plot is not None and view.json == to_json(result.report)


def test_a_head_only_when_every_model_can_carry_it(ctx):
    assert common_head(ctx.catalog, ["albert-base-v2", "gpt2"], "question-answering") is None
    assert common_head(ctx.catalog, ["gpt2"], "generation") == "text-generation"
    assert common_head(ctx.catalog, ["gpt2"], None) is None


# ---- a measurement stops when its page goes away, or on Stop ---------------------------------------

class _Request:
    def __init__(self, session_hash):
        self.session_hash = session_hash


@pytest.fixture()
def waiting_measure(monkeypatch):
    """measure_one that waits for the request's stop flag (up to 10 s), then measures one pass, cut short."""
    import threading
    import time

    started, finished = threading.Event(), threading.Event()
    real = measure.measure_one

    def waiting(name, **kwargs):
        started.set()
        deadline = time.monotonic() + 10
        while not kwargs["stop"]() and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            return real(name, **kwargs)
        finally:
            finished.set()
    monkeypatch.setattr(measure, "measure_one", waiting)
    monkeypatch.setattr(models_tab, "MEASURE_POLL_S", 0.02)
    return started, finished


def test_stop_ends_the_measurement_and_shows_what_was_measured(ctx, fresh_cache, waiting_measure):
    started, _ = waiting_measure
    events = show_measurement(ctx, ["gpt2", "bert-base-uncased"], "generation", None, 32, 5,
                              _Request("session-a"), progress=None)
    assert next(events).json == gr.skip()  # still measuring: the outputs stay as they are
    assert started.wait(10)
    stop_measuring(_Request("someone-else"))  # another session's Stop leaves this one running
    assert next(events).json == gr.skip()
    stop_measuring(_Request("session-a"))
    view = [v for v in events][-1]
    report = view.json
    assert report["stopped"] and [m["hub_id"] for m in report["measurements"]] == ["gpt2"]
    assert report["measurements"][0]["stopped"] and report["not_measured"] == ["bert-base-uncased"]
    assert "Stopped after 1 of 2 model(s); not measured: bert-base-uncased" in view.notes
    assert "session-a" not in models_tab._MEASURE_STOPS


def test_leaving_the_page_stops_the_measurement(ctx, fresh_cache, waiting_measure):
    started, finished = waiting_measure
    events = show_measurement(ctx, ["gpt2", "bert-base-uncased"], "generation", None, 32, 5,
                              _Request("session-b"), progress=None)
    next(events)
    assert started.wait(10) and not finished.is_set()
    events.close()  # what Gradio does when the page is closed
    assert finished.wait(5)  # the worker stopped at its next check, not 10 s later
    assert measure.cached("gpt2", None, tiny=True) is None  # the cut-short timing is not remembered


def test_stop_between_models_names_the_rest_as_not_measured(fresh_cache):
    calls = []
    report = measure.measure_models(["gpt2", "bert-base-uncased", "albert-base-v2"], tiny=True, repeats=1,
                                    stop=lambda: len(calls) > 0, progress=lambda f, s: calls.append(f))
    assert report.stopped and [m.hub_id for m in report.measurements] == ["gpt2"]
    assert report.not_measured == ("bert-base-uncased", "albert-base-v2")


# ---- bad input: the handlers refuse with the sentence the UI and the API show ---------------------

@pytest.mark.parametrize("handler, args, message", [
    (choose_variant_api, ("translation",), "Unknown task 'translation'"),
    (choose_variant_api, ("qa", -1), "Max parameters"),
    (choose_variant_api, ("qa", None, None, None, None, "glue-dev"), "does not apply"),
    (measure_api, (["someone/evil-model"],), "No architecture"),
    (measure_api, ([],), "at least one model"),
    (list_models, ("everything",), "Kind must be one of"),
])
def test_bad_input_gives_a_clear_error(ctx, handler, args, message):
    with pytest.raises(PlaygroundError, match=message):
        handler(ctx, *args)


def test_the_measurement_says_how_long_it_will_take_before_it_runs(ctx, fresh_cache, waiting_measure, monkeypatch):
    monkeypatch.setattr(measure, "machine_speed", lambda: (1e10, 1e8))
    started, _ = waiting_measure
    events = show_measurement(ctx, ["gpt2", "bert-base-uncased"], "generation", None, 32, 5,
                              _Request("session-c"), progress=None)
    first = next(events)
    assert first.notes.startswith("⏳ Measuring 2 model(s): about **") and "on this machine" in first.notes
    assert first.json == gr.skip() and first.rows == gr.skip()  # nothing else changes yet
    assert started.wait(10)
    assert next(events).notes == gr.skip()  # said once; the notes keep it while the run goes on
    stop_measuring(_Request("session-c"))
    final = [v for v in events][-1]
    assert "estimated beforehand: about" in final.notes and final.notes.count("Took ") == 1


def test_parameter_counts_are_short_enough_not_to_wrap_mid_number():
    assert params_millions(109_514_298) == 109.5 and params_millions(52_000) == 0.05
    assert len(str(params_millions(570_000_000))) <= 6  # Pegasus large fits its narrow column


def test_each_measurements_row_has_its_median_within_its_own_range(ctx, fresh_cache):
    """The row's median and min–max come from the same timed passes (issue 23 saw 1.79 against 4.73–29.66)."""
    views = list(show_measurement(ctx, ["gpt2", "bert-base-uncased", "albert-base-v2"], "generation", None, 16, 4,
                                  None, progress=None))
    rows = views[-1].rows
    assert len(rows) == 3
    for row in rows:
        low, high = (float(x) for x in row[7].split(" – "))
        assert low <= row[6] <= high
