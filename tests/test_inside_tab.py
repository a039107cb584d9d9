"""The Inside tab's views and figures, without a server: each result becomes Plotly figures whose hover carries
the exact values, tables with one row per layer, and an export that is a standalone HTML page (plotly.js
inlined, so it opens offline)."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.models.profiles import lab_profile
from playground.tasks import inside
from playground.tasks.context import AppContext
from playground.tasks.lab import runs
from playground.ui.tabs.inside import views
from playground.ui.figures.inside import standalone_html

MODELS = ("tiny-bert", "tiny-gpt2")


@pytest.fixture(scope="module")
def lens(ctx):
    return inside.run_lens(ctx, inside.DEFAULT_TEXT, 3, *MODELS)


def test_lens_view_draws_a_heatmap_per_model_with_tokens_and_exact_probabilities(lens):
    view = views.lens_view(lens)
    heat = view.bert_plot.data[0]
    assert isinstance(view.bert_plot, go.Figure) and heat.type == "heatmap"
    assert list(heat.y) == [row.layer for row in lens.bert.layers]
    assert heat.text[0][0] == lens.bert.layers[0].top[0].token and heat.z[0][0] == lens.bert.layers[0].top[0].probability
    assert "%{z:.4f}" in heat.hovertemplate and lens.bert.answer.token in heat.hovertemplate
    assert len(view.rows) == len(lens.bert.layers) and view.rows[-1][1] == 1  # the answer is top at the output
    assert view.figures == [view.bert_plot, view.gpt_plot, view.answer_plot] and view.json["bert"]["forward_passes"] == 1


def test_embedding_cache_attribution_and_probe_views(ctx):
    emb = views.embedding_view(inside.run_embeddings(ctx, *inside.DEFAULT_PAIRS[0], *MODELS))
    assert "bit-identical at **every** hidden state" in emb.summary.split("\n")[1]  # GPT-2's line
    assert [t.name for t in emb.plot.data] == list(MODELS)
    cache = views.cache_view(inside.run_cache(ctx, "The dog barked at the", "mailman", *MODELS))
    assert "can be reused" in cache.summary and "stale cached step (invalid" in cache.summary
    assert len(cache.rows) == 2 * 2  # two layers per tiny model
    attribution = views.attribution_view(inside.run_attribution(ctx, inside.DEFAULT_TEXT, "integrated_gradients",
                                                                *MODELS))
    assert "% gap" in attribution.summary and attribution.bert_plot.data[0].type == "bar"


def test_probe_view_shows_accuracy_control_and_selectivity(ctx):
    result = inside.run_probes(ctx, "noun_kind", 2, *MODELS)
    view = views.probe_view(result)
    assert len(view.plot.data) == 4  # labels and control, per model
    assert view.rows[0][4] == f"{result.bert.layers[0].selectivity:+.3f}" and "control task" in view.summary.lower()


def test_export_is_a_standalone_html_page_and_the_json(lens):
    view = views.lens_view(lens)
    html = standalone_html(view.figures)
    assert html.count("Plotly.newPlot") == 3 and len(html) > 1_000_000  # plotly.js inlined, once
    assert not re.search(r"<script[^>]*\bsrc=", html)  # nothing fetched: it opens offline
    files = views.export_files("inside-lens")(view.figures, view.json)
    assert [f.name for f in files] == ["inside-lens.html", "inside-lens.json"]
    assert views.export_files("inside-lens")(None, None) == []


def test_probe_view_warns_when_the_control_task_is_memorised(lab_probes):
    view = views.probe_view(lab_probes)
    assert "memorise each type's label" in view.summary  # 12 word types: the control is learned almost perfectly


@pytest.fixture(scope="module")
def lab_probes():
    store = ModelStore(load_catalog(), local_models={n: runs.SHIPPED_DIR / n for n in runs.SERVED_NAMES})
    lab = AppContext(store=store, profile=lab_profile(), catalog=load_catalog())
    return inside.run_probes(lab, "review_sentiment", 3, "lab-bert", "lab-gpt")
