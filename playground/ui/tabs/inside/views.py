"""The Inside tab's views: each handler's result → what its section's components show (unit-tested without a
server). Every view also hands its Plotly figures to a gr.State, from which the section's Export button writes
a standalone interactive HTML file."""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

from playground.tasks.inside import (ATTRIBUTION_METHODS, INTEGRATED, AttributionComparison, CacheComparison,
                                     CacheResult, EmbeddingComparison, LensComparison, ProbeComparison, Timing)
from playground.ui.exports import ExportFile, json_file
from playground.ui.figures.inside import (BERT_COLOR, GPT_COLOR, answer_rank_figure, attribution_figure,
                                          lens_figure, probe_figure, similarity_figure, standalone_html)
from playground.ui.widgets import notices_markdown, percent, to_json

LENS_HEADERS = ["hidden state", "BERT: rank of its answer", "BERT: p", "GPT-2: rank of its answer", "GPT-2: p"]
CACHE_HEADERS = ["model", "layer", "earlier positions", "keys changed", "values changed", "max |Δ key|",
                 "max |Δ value|"]
PROBE_HEADERS = ["model", "hidden state", "accuracy (± sd)", "control (± sd)", "selectivity"]


class LensView(NamedTuple):
    notices: str
    bert_plot: Any
    gpt_plot: Any
    answer_plot: Any
    rows: list[list[Any]]
    json: Any
    figures: list[Any]


class EmbeddingView(NamedTuple):
    notices: str
    plot: Any
    summary: str
    json: Any
    figures: list[Any]


class CacheView(NamedTuple):
    notices: str
    summary: str
    rows: list[list[Any]]
    json: Any


class AttributionView(NamedTuple):
    notices: str
    bert_plot: Any
    gpt_plot: Any
    summary: str
    json: Any
    figures: list[Any]


class ProbeView(NamedTuple):
    notices: str
    plot: Any
    summary: str
    rows: list[list[Any]]
    json: Any
    figures: list[Any]


def lens_view(result: LensComparison) -> LensView:
    bert, gpt = result.bert, result.gpt
    rows = [[b.layer, b.answer_rank, percent(b.answer_probability), g.answer_rank, percent(g.answer_probability)]
            for b, g in zip(bert.layers, gpt.layers)] if len(bert.layers) == len(gpt.layers) else \
        [[b.layer, b.answer_rank, percent(b.answer_probability), "", ""] for b in bert.layers] + \
        [[g.layer, "", "", g.answer_rank, percent(g.answer_probability)] for g in gpt.layers]
    figures = [lens_figure(bert), lens_figure(gpt), answer_rank_figure(bert, gpt)]
    return LensView(notices_markdown(bert.notices, gpt.notices), *figures, rows, to_json(result), figures)


def _same(flags: Sequence[bool], layers: Sequence[str]) -> str:
    same = [name for name, flag in zip(layers, flags) if flag]
    return "bit-identical at **every** hidden state" if len(same) == len(layers) else \
        f"bit-identical at {', '.join(same)}" if same else "different at every hidden state"


def embedding_view(result: EmbeddingComparison) -> EmbeddingView:
    lines = [f"- **{side.model_name}** ({side.direction}): '{side.word}' is {_same(side.identical, side.layers)}; "
             f"cosine at the last layer {side.similarity[-1]:.4f}; static token embedding {side.static_similarity:.4f}."
             for side in (result.bert, result.gpt)]
    figure = similarity_figure(result)
    return EmbeddingView(notices_markdown(result.bert.notices, result.gpt.notices), figure, "\n".join(lines),
                         to_json(result), [figure])


def _ms(timing: Timing | None) -> str:
    return "—" if timing is None else f"{timing.median_ms:.2f} ms (min {timing.min_ms:.2f}, max {timing.max_ms:.2f})"


def _cache_line(side: CacheResult) -> str:
    verdict = ("no earlier key or value changed: the cache can be reused" if side.reusable else
               "earlier keys/values changed: the cache cannot be reused")
    kind = "cached step" if side.reusable else "stale cached step (invalid: reuses the changed keys)"
    step = (f"{kind} {_ms(side.cached_step)} vs full re-read {_ms(side.full_read)} (median of "
            f"{side.full_read.repeats}; its max |Δ logit| vs the full read: {side.cached_step_error:.2g})"
            if side.cached_step is not None else f"full re-read {_ms(side.full_read)}; no valid cached step")
    return f"- **{side.model_name}** appends `{side.appended}`: {verdict}. {step}."


def cache_view(result: CacheComparison) -> CacheView:
    rows = [[side.model_name, layer.layer, layer.positions, layer.keys_changed, layer.values_changed,
             f"{layer.max_key_change:.3g}", f"{layer.max_value_change:.3g}"]
            for side in (result.bert, result.gpt) for layer in side.layers]
    summary = "\n".join(_cache_line(side) for side in (result.bert, result.gpt))
    return CacheView(notices_markdown(result.bert.notices, result.gpt.notices), summary, rows, to_json(result))


def attribution_view(result: AttributionComparison) -> AttributionView:
    lines = [f"**Method:** {ATTRIBUTION_METHODS[result.method]} — {result.bert.method}",
             f"Passes per model: {result.forward_passes}."]
    if result.method == INTEGRATED:
        for name, check in ((result.bert.model_name, result.bert_check), (result.gpt.model_name, result.gpt_check)):
            lines.append(f"- {name}: attributions sum to {check.attribution_sum:.4f}, f(input) − f(baseline) = "
                         f"{check.f_input - check.f_baseline:.4f} ({100 * check.relative_error:.2f} % gap, "
                         f"{check.steps} steps)")
    figures = [attribution_figure(result.bert, BERT_COLOR), attribution_figure(result.gpt, GPT_COLOR)]
    return AttributionView(notices_markdown(result.bert.notices, result.gpt.notices), *figures, "\n".join(lines),
                           to_json(result), figures)


def probe_view(result: ProbeComparison) -> ProbeView:
    rows = [[side.model_name, l.layer, f"{l.accuracy:.3f} ± {l.accuracy_spread:.3f}",
             f"{l.control_accuracy:.3f} ± {l.control_spread:.3f}", f"{l.selectivity:+.3f}"]
            for side in (result.bert, result.gpt) for l in side.layers]
    b = result.bert
    summary = (f"**{result.description}** — {b.examples} labelled words ({b.word_types} word types), held-out 30 % "
               f"per repeat, {b.repeats} seeded repeats; majority-label accuracy {b.majority:.3f}. Control task: a "
               "random label per word type (Hewitt & Liang 2019); selectivity = accuracy − control accuracy. "
               f"Time: {result.bert.seconds:.1f} s + {result.gpt.seconds:.1f} s "
               f"({result.bert.forward_passes} + {result.gpt.forward_passes} batched passes).")
    memorised = [side.model_name for side in (result.bert, result.gpt)
                 if min(l.control_accuracy for l in side.layers) >= 0.95]
    if memorised:
        summary += (f"\n\n⚠️ The control task is learned almost perfectly ({', '.join(memorised)}): with only "
                    f"{b.word_types} word types a probe can memorise each type's label, so selectivity here is near "
                    "zero or negative and the accuracy alone says little; compare the models' accuracies instead.")
    figure = probe_figure(result)
    return ProbeView(notices_markdown(result.bert.notices, result.gpt.notices), figure, summary, rows,
                     to_json(result), [figure])


def export_files(stem: str):
    """The Export button's files: the section's figures as one standalone HTML page, and its JSON."""
    def make(figures: Any, result: Any) -> list[ExportFile]:
        files = [ExportFile(f"{stem}.html", standalone_html(figures).encode())] if figures else []
        return files + ([json_file(stem, result)] if result not in (None, "", {}, []) else [])
    make.__name__ = f"export_{stem.replace('-', '_')}"
    return make
