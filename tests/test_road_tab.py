"""The RNN → Transformer tab's views: the shipped results become figures (a ±1 sd band per curve, every seed in
the hover) and summaries computed from the points shown; the tab's runs are in the lab's concurrency group."""

from __future__ import annotations

from playground.models.cards import load_catalog
from playground.tasks.fact_sheet import TIMELINE, timeline_problems
from playground.tasks.road.results import RoadPoint, load_shipped
from playground.ui.figures.road import alignment_figure, band_figure, gradient_figure, lm_figure, long_range_figure
from playground.ui.serving import LAB_HANDLERS, LIGHT_HANDLERS
from playground.ui.tabs.road import long_range_summary, seq2seq_summary


def test_a_curve_has_its_band_and_every_seed_in_its_hover():
    points = [RoadPoint("LSTM", 1, 0.5, 0.1, (0.4, 0.6)), RoadPoint("LSTM", 4, 0.8, 0.0, (0.8, 0.8))]
    fig = band_figure(points, "t", "x", "y")
    band, line = fig.data
    assert list(band.y) == [0.6, 0.8, 0.8, 0.4]  # mean + sd forward, mean − sd back
    assert list(line.y) == [0.5, 0.8] and "seeds: 0.4, 0.6" in line.hovertext[0]


def test_the_shipped_results_draw_and_their_summaries_quote_the_points():
    shipped = load_shipped()
    for fig in (lm_figure(shipped.lm), long_range_figure(shipped.long_range), gradient_figure(shipped.gradients),
                alignment_figure(shipped.seq2seq.alignment)):
        assert fig.data
    last = max(p.x for p in shipped.long_range.points)
    lstm = next(p for p in shipped.long_range.points if p.series == "LSTM" and p.x == last)
    assert f"{lstm.mean:.0%} ± {lstm.sd:.0%}" in long_range_summary(shipped.long_range)
    assert "with attention" in seq2seq_summary(shipped.seq2seq)


def test_runs_wait_in_the_lab_group_and_stop_does_not():
    assert {"_road_lm_event", "road_long_range", "_road_seq2seq_event", "road_gradients"} <= LAB_HANDLERS
    assert {"_road_stop_event", "road_results"} <= LIGHT_HANDLERS


def test_elmo_sits_between_ulmfit_and_gpt_in_the_timeline_with_a_sourced_card():
    titles = [e.title for e in TIMELINE]
    assert titles.index("ULMFiT") < titles.index("ELMo") < titles.index("GPT")
    catalog = load_catalog()
    card = catalog.by_slug(next(e.card for e in TIMELINE if e.title == "ELMo"))
    assert card.year == 2018 and "1802.05365" in card.paper["url"]
    assert card.benchmarks and all("Peters et al. 2018, Table 1" in b.source for b in card.benchmarks)
    assert timeline_problems(catalog) == []
