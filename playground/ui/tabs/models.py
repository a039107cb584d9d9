"""Models tab: every model card in a sortable table, one card in detail, the BERT-vs-GPT fact sheet,
the timeline, and the variant chooser that measures candidates on this machine.

The handlers and their data live in `playground/tasks` (`model_overview`, `fact_sheet`, `chooser`, `measure`,
`cards`); this file lays the tab out, wires its events and turns results into what each component shows.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import html
import re
import threading
import time
from dataclasses import dataclass
from types import MethodType, SimpleNamespace
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence

import gradio as gr

from playground.core.text_input import markdown_literal, shown
from playground.tasks.cards import METRICS, ModelCardInfo, pick_card
from playground.tasks.chooser import (CHOOSER_TASKS, PREFERENCES, ChooserResult, Constraints, choose,
                                      choose_variant_api)
from playground.tasks.context import AppContext
from playground.tasks.fact_sheet import TIMELINE, TOPICS, FactRow, TimelineEvent, fact_sheet
from playground.tasks.measurements import (DEFAULT_INPUT_TOKENS, DEFAULT_REPEATS, MAX_INPUT_TOKENS,
                                           MAX_MODELS_PER_REQUEST, MAX_REPEATS, MeasureReport, StopFn)
from playground.tasks.model_overview import (KINDS, TradeoffResult, card_kind, cards_of_kind, estimate_measure,
                                             list_models, measurable_models, measure_api, run_measure)
from playground.ui.card_view import card_markdown
from playground.ui.exports import ExportFile, export_controls, export_event, figure_and_json, json_download, keeping
from playground.ui.figures.models import timeline_figure, tradeoff_figure
from playground.ui.links import LinkedView
from playground.ui.widgets import (duration, inline_errors, notices_markdown, publish_endpoint,
                                   stop_only_while_running, to_json, user_errors)

# Benchmark columns of the overview table (metric keys from cards.METRICS).
TABLE_METRICS = ("glue-test", "glue-test-avg", "glue-dev", "squad-v1.1-f1-dev", "squad-v2.0-f1-dev", "sst2-dev", "lambada-zero-shot")
# Two tables that fit a 1024 px window without hiding a column (widths in % of the table): the cards' key facts,
# and their published benchmarks (one column per metric, sortable).
TABLE_HEADERS = ["Model", "Year", "Params (M)", "fp32 size (MB)", "Layers", "Hidden", "Heads", "Architecture",
                 "Direction", "Objective", "Kind"]
TABLE_WIDTHS = ["14%", "6%", "7%", "7%", "7%", "7%", "7%", "12%", "12%", "11%", "9%"]
TABLE_TYPES = ["str", "number", "number", "number", "number", "number", "number", "str", "str", "str", "str"]
BENCHMARK_HEADERS = ["Model", *(METRICS[k].label for k in TABLE_METRICS)]
BENCHMARK_WIDTHS = ["22%", *("11%" for _ in TABLE_METRICS)]
BENCHMARK_TYPES = ["str", *("number" for _ in TABLE_METRICS)]
RANKED_HEADERS = ["Rank", "Model", "Hub id", "Params (M)", "fp32 size (MB)", "Published score", "Measured ms",
                  "Ready to use", "Fits", "Why not"]
RANKED_WIDTHS = ["6%", "15%", "18%", "7%", "7%", "9%", "9%", "8%", "5%", "15%"]
RANKED_TYPES = ["number", "str", "html", "number", "number", "number", "number", "str", "str", "str"]
MEASURE_HEADERS = ["Model", "Class built", "Params (M)", "Weights (MB)", "Activation peak (MB)", "Peak memory (MB)",
                   "Latency median (ms)", "min–max (ms)", "Tokens", "Build (s)"]
MEASURE_WIDTHS = ["18%", "18%", "7%", "8%", "10%", "8%", "8%", "9%", "7%", "6%"]
MEASURE_TYPES = ["html", "html", "number", "number", "number", "number", "number", "str", "number", "number"]
INTRO = ("Every model the playground knows, as **model cards**: architecture, size, pre-training objective and "
         "published benchmark numbers — each with its source (paper and table). ▶️ runnable models can be loaded by "
         "the other tabs; 📜 history cards describe models that shaped the field.")
CHOOSER_INTRO = ("## Variant chooser\n*“Your manager wants question answering with very limited resources — which "
                 "BERT variant do you use?”* State the task and your limits; the chooser ranks the runnable models "
                 "using the numbers on their cards. A limit of 0 means no limit.")
MEASURE_INTRO = ("### Measure on this machine\nEach model is built from its real configuration with **random "
                 "weights** — the computation per token is the real model's, and nothing is downloaded — then timed "
                 f"on a typical input. At most {MAX_MODELS_PER_REQUEST} models per request.")
TINY_MEASURE_NOTE = " **Tiny mode:** shrunken twins are measured, so the numbers only show the mechanics."
DEFAULT_TASK, DEFAULT_METRIC = "question-answering", "squad-v1.1-f1-dev"


@dataclass(frozen=True)
class TabLink:
    """A place in the app: a top-level tab (its id and label) and optionally one of its sub-tabs."""

    label: str  # shown to the user, e.g. "Pre-training › Tokenizers"
    tab_id: str
    subtab_id: str | None = None


# ---- results → what each component shows ---------------------------------------------------------

def _millions(n: int | None) -> float | None:
    return round(n / 1e6, 1) if n else None


def _table_score(card: ModelCardInfo, key: str) -> float | None:
    """The card's number for a column; blank when a history card lists several models under one metric."""
    matches = [b for b in card.benchmarks if METRICS[key].matches(b)]
    return matches[0].value if len(matches) == 1 else None


def table_rows(cards: Sequence[ModelCardInfo]) -> list[list[Any]]:
    rows = []
    for c in cards:
        size = round(c.size_mb) if c.size_mb and c.runnable else None  # history models: nothing to download
        rows.append([c.display_name, c.year, _millions(c.parameters), size, c.layers, c.hidden_size, c.heads,
                     c.architecture_kind, c.context_direction or "", c.objective_label, card_kind(c)])
    return rows


def benchmark_rows(cards: Sequence[ModelCardInfo]) -> list[list[Any]]:
    return [[c.display_name, *(_table_score(c, k) for k in TABLE_METRICS)] for c in cards]


def breakable(name: str, camel: bool = False) -> str:
    """A hub id (or, with camel, a class name) as an HTML table cell that wraps only between its parts: after
    - (the browser's own rule), / and _ (`huawei-noah/<wbr>TinyBERT_<wbr>General…`) and, with camel, before an
    inner capital — never mid-word."""
    out = re.sub(r"([/_])", r"\1<wbr>", html.escape(name))
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "<wbr>", out) if camel else out


def card_choices(cards: Sequence[ModelCardInfo]) -> list[tuple[str, str]]:
    return [(c.display_name if c.runnable else f"📜 {c.display_name}", c.slug) for c in cards]


def fact_sheet_markdown(rows: Sequence[FactRow], links: Mapping[str, TabLink]) -> str:
    """The fact sheet as a table; "See it live" names the tab that shows each row's topics."""
    lines = ["| | BERT (encoder) | GPT (decoder) | See it live |", "|---|---|---|---|"]
    for r in rows:
        where = " · ".join(f"**{links[topic].label}**" for topic in r.topics) or "**Models** tab"
        lines.append(f"| **{r.aspect}** | {r.bert} | {r.gpt} | {where} — {r.try_it} |")
    return "\n".join(lines)


def timeline_markdown(events: Sequence[TimelineEvent]) -> str:
    return "\n".join(f"- **{e.year} — {e.title}**: {e.note} _({e.citation})_" for e in events)


def tab_js(link: TabLink) -> str:
    """Client-side: click the tab's button (and the sub-tab's), falling back to the overflow menu by label."""
    top_label = link.label.split(" › ")[0]
    button = "document.querySelector('button[role=\"tab\"][data-tab-id=\"{}\"]')".format
    sub = (f"setTimeout(() => {{ const s = {button(link.subtab_id)}; if (s) s.click(); }}, 150);"
           if link.subtab_id else "")
    overflow = ("[...document.querySelectorAll('.overflow-dropdown button')]"
                f".find(b => b.textContent.trim() === '{top_label}')")
    return (
        "() => {"
        f" const t = {button(link.tab_id)} || {overflow};"
        f" if (t) {{ t.click(); {sub} window.scrollTo({{top: 0, behavior: 'smooth'}}); }}"
        " }"
    )


@functools.lru_cache(maxsize=1)
def timeline_plot():
    return timeline_figure(TIMELINE)


def export_timeline() -> list[ExportFile]:
    """The timeline figure (PNG, SVG) and its events (JSON)."""
    return figure_and_json("timeline")(timeline_plot(), to_json(TIMELINE))


def metric_choices(task_key: str) -> list[tuple[str, str]]:
    task = CHOOSER_TASKS.get(task_key)
    return [(METRICS[m].label, m) for m in (task.metrics if task else ())]


def metric_dropdown(task_key: str, current: str | None = None) -> gr.Dropdown:
    """The metric choices of a chooser task, `current` kept if the task has it (a share link sets task and metric
    together), else the task's default metric (disabled when it has none)."""
    choices = metric_choices(task_key)
    keys = [key for _, key in choices]
    value = current if current in keys else keys[0] if keys else None
    return gr.Dropdown(choices=choices, value=value, interactive=bool(choices))


def check_metric(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A share link's metric must belong to its task: another task's is replaced by the task's first."""
    keys = [key for _, key in metric_choices(values.get("task"))]
    metric = values.get("metric")
    if not metric or metric in keys:
        return values, []
    default = keys[0] if keys else None
    task = CHOOSER_TASKS[values["task"]].label if values.get("task") in CHOOSER_TASKS else values.get("task")
    notice = (f"ignored `metric`: {markdown_literal(shown(metric))} is not a benchmark of the task "
              f"{markdown_literal(shown(task))}; " + (f"used its {markdown_literal(METRICS[default].label)}."
                                                      if default else "it has none."))
    return {**values, "metric": default}, [notice]


def ranked_rows(result: ChooserResult) -> list[list[Any]]:
    def row(rank: int | None, c, fits: str, why: str) -> list[Any]:
        return [rank, c.display_name, breakable(c.hub_id), _millions(c.parameters), round(c.size_mb), c.score,
                round(c.latency_ms, 1) if c.latency_ms is not None else None, "yes" if c.ready else "fine-tune",
                fits, why]

    rows = [row(i, c, "yes", "") for i, c in enumerate(result.ranked, start=1)]
    rows += [row(None, c, "no", "; ".join(c.violations))
             for c in sorted(result.rejected, key=lambda x: (len(x.violations), x.excess))]
    return rows


class ChooseView(NamedTuple):
    explanation: str
    ranking: list[list[Any]]
    to_measure: dict  # gr.update of the models to measure: the candidates, pre-selected
    json: Any


def choose_view(result: ChooserResult, measurable: Sequence[str]) -> ChooseView:
    report = result.measurements
    notices = notices_markdown(result.notices, report.notices if report else ())
    suggested = [c.hub_id for c in (result.ranked or result.closest) if c.hub_id in measurable]
    return ChooseView(result.explanation + ("\n\n" + notices if notices else ""), ranked_rows(result),
                      gr.update(value=suggested[:MAX_MODELS_PER_REQUEST]), to_json(result))


def params_millions(parameters: int) -> float:
    """109514298 → 109.5; a tiny twin's 52,000 → 0.05."""
    return round(parameters / 1e6, 1 if parameters >= 1e7 else 2)


def measure_rows(report: MeasureReport) -> list[list[Any]]:
    # Parameters in millions: a 9-digit count in its narrow column wrapped mid-number.
    return [[breakable(m.hub_id), breakable(m.model_class, camel=True), params_millions(m.parameters),
             round(m.weights_mb, 1), round(m.activation_peak_mb, 2),
             round(m.peak_memory_mb, 1), round(m.latency_ms, 2), f"{m.latency_min_ms:.2f} – {m.latency_max_ms:.2f}",
             m.input_tokens + m.decoder_tokens, round(m.build_seconds, 2)] for m in report.measurements]


class MeasureView(NamedTuple):
    notes: str
    rows: list[list[Any]]
    plot: Any  # matplotlib Figure
    json: Any


def measure_view(result: TradeoffResult) -> MeasureView:
    report = result.report
    lengths = sorted({m.input_tokens for m in report.measurements})
    subtitle = (f"batch 1, {'/'.join(map(str, lengths))} tokens, {report.threads} CPU thread(s)"
                + (" — tiny twins, not real sizes" if result.tiny else ""))
    built = f"with the {result.head} head" if result.head else "as their own checkpoint classes"
    method = (f"Models built {built}.  \n**Latency:** {report.latency_method}.  \n"
              f"**Memory:** {report.memory_method}.")
    return MeasureView(notices_markdown(report.notices) + ("\n\n" if report.notices else "") + method,
                       measure_rows(report), tradeoff_figure(result.points, result.metric_label, subtitle),
                       to_json(report))


# ---- UI events: handler + view --------------------------------------------------------------------

def show_table(ctx: AppContext, kind: str) -> tuple[list[list[Any]], list[list[Any]]]:
    """The card table and the benchmark table for the cards of one kind."""
    cards = cards_of_kind(ctx, kind)
    return table_rows(cards), benchmark_rows(cards)


def show_card(ctx: AppContext, slug: str) -> str:
    return card_markdown(pick_card(ctx, slug))


def show_choice(ctx: AppContext, task_key: str, metric: str | None, max_params: float | None,
                max_size: float | None, max_latency: float | None, min_score: float | None, prefer: str,
                progress=gr.Progress()) -> ChooseView:
    constraints = Constraints(task=task_key, max_parameters_m=max_params, max_size_mb=max_size,
                              max_latency_ms=max_latency, min_score=min_score, metric=metric or None, prefer=prefer)
    return choose_view(choose(ctx, constraints, progress), measurable_models(ctx.catalog))


def until_closed(work: Callable[[StopFn], Any], poll_s: float,
                 stop: threading.Event | None = None) -> Iterator[Any]:
    """Run `work(stop)` on a worker thread, yielding None every `poll_s` until it returns, then its result.

    Gradio closes an event's generator at a yield when its page is closed; the close sets `stop`, so the work
    ends at its next check instead of running on for nobody. Setting `stop` from elsewhere (a Stop button)
    ends it the same way, and its partial result is yielded. The worker runs in a copy of this thread's
    context, so a gr.Progress it is given still reaches the page."""
    stop = stop or threading.Event()
    worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="measure")
    future = worker.submit(contextvars.copy_context().run, work, stop.is_set)
    try:
        while True:
            try:
                result = future.result(timeout=poll_s)
                break
            except concurrent.futures.TimeoutError:
                yield None
        yield result
    finally:
        stop.set()  # closed early (the page is gone): the measurement ends at its next pass
        worker.shutdown(wait=False)


MEASURE_POLL_S = 0.5  # how soon a measurement notices that its page is gone
_MEASURE_STOPS: dict[str, threading.Event] = {}  # browser session → the stop flag of its running measurement
_MEASURE_STOPS_LOCK = threading.Lock()


def estimate_note(seconds: float, models: int) -> str:
    """What the notes say while a measurement runs: how long it should take here."""
    return (f"⏳ Measuring {models} model(s): about **{duration(seconds)}** on this machine (estimated from its speed "
            "just now; other programs sharing the CPU can make it longer). The bar shows each model as it goes; "
            "**Stop** keeps what was measured.")


def show_measurement(ctx: AppContext, hub_ids: list[str], task_key: str, metric: str | None, tokens: float,
                     repeats: float, request: gr.Request | None = None,
                     progress=gr.Progress()) -> Iterator[MeasureView]:
    """The Measure event: unchanged outputs while it runs, then the view. Leaving the page stops it; Stop
    (`stop_measuring`) stops it and shows what was measured."""
    session = getattr(request, "session_hash", None)
    stop = threading.Event()
    if session:
        with _MEASURE_STOPS_LOCK:
            _MEASURE_STOPS[session] = stop
    work = functools.partial(run_measure, ctx, hub_ids, task_key, metric, tokens, repeats, progress)
    estimate, started = estimate_measure(ctx, hub_ids or [], task_key, tokens, repeats), time.perf_counter()
    waiting = MeasureView(*[gr.skip()] * len(MeasureView._fields))
    told = not estimate  # the first wait says how long it will take
    try:
        for result in until_closed(lambda is_stopped: work(stop=is_stopped), MEASURE_POLL_S, stop):
            if result is None:
                models = min(len(set(hub_ids)), MAX_MODELS_PER_REQUEST)
                yield waiting if told else waiting._replace(notes=estimate_note(estimate, models))
                told = True
                continue
            view = measure_view(result)
            took = f"Took {duration(time.perf_counter() - started)} (estimated beforehand: about {duration(estimate)})."
            yield view._replace(notes=f"{view.notes}\n\n{took}" if estimate else view.notes)
    finally:
        stop.set()  # closed here (the page is gone) before `until_closed` itself is: stop at once
        if session:
            with _MEASURE_STOPS_LOCK:
                if _MEASURE_STOPS.get(session) is stop:
                    del _MEASURE_STOPS[session]


def stop_measuring(request: gr.Request = None) -> None:
    """Stop: this browser session's running measurement ends at its next timed pass, keeping what it has."""
    session = getattr(request, "session_hash", None)
    with _MEASURE_STOPS_LOCK:
        stop = _MEASURE_STOPS.get(session) if session else None
    if stop is not None:
        stop.set()


# ---- layout ---------------------------------------------------------------------------------------

def _layout_cards(ctx: AppContext) -> SimpleNamespace:
    ordered = cards_of_kind(ctx)
    gr.Markdown(INTRO)
    with gr.Row():
        kind = gr.Radio(list(KINDS), value="all", label="Show", scale=1)
    table = gr.Dataframe(value=table_rows(ordered), headers=TABLE_HEADERS, datatype=TABLE_TYPES, interactive=False,
                         label="All model cards (click a column header to sort)", elem_id="models-table",
                         max_height=640, wrap=True, column_widths=TABLE_WIDTHS)
    benchmarks = gr.Dataframe(value=benchmark_rows(ordered), headers=BENCHMARK_HEADERS, datatype=BENCHMARK_TYPES,
                              interactive=False, label="Published benchmarks (each card's sources are in its detail "
                              "view below)", elem_id="models-benchmarks", max_height=640, wrap=True,
                              column_widths=BENCHMARK_WIDTHS)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            pick = gr.Dropdown(choices=card_choices(ordered), value=ordered[0].slug if ordered else None,
                               label="Model card", elem_id="card-pick")
        with gr.Column(scale=3):
            view = gr.Markdown(card_markdown(ordered[0]) if ordered else "", elem_id="card-view")
    return SimpleNamespace(kind=kind, table=table, benchmarks=benchmarks, pick=pick, view=view)


def _layout_fact_sheet(ctx: AppContext, links: Mapping[str, TabLink], tab: gr.Tab | None) -> None:
    gr.Markdown("## BERT vs GPT — the fact sheet")
    gr.Markdown(fact_sheet_markdown(fact_sheet(ctx.catalog), links), elem_id="fact-sheet")
    gr.Markdown("**See it live:**")
    with gr.Row():
        for topic in TOPICS:
            gr.Button(links[topic].label, size="sm", variant="secondary").click(
                None, None, None, js=tab_js(links[topic]), api_visibility="private")
    gr.Markdown("## How we got here")
    # Drawn when the tab is opened, not at start-up: matplotlib alone would add ~0.5 s before the app is served.
    plot = gr.Plot(label="Timeline", elem_id="timeline-plot")
    if tab is not None:
        tab.select(timeline_plot, None, plot, api_visibility="private")
    export = export_controls("timeline")
    export.button.click(user_errors(export_event(export_timeline)), None, export.files, api_visibility="private")
    with gr.Accordion("Timeline as text, with citations", open=False):
        gr.Markdown(timeline_markdown(TIMELINE))


def _layout_chooser() -> SimpleNamespace:
    gr.Markdown(CHOOSER_INTRO)
    with gr.Row():
        task = gr.Dropdown([(t.label, t.key) for t in CHOOSER_TASKS.values()], value=DEFAULT_TASK, label="Task",
                           elem_id="chooser-task")
        metric = gr.Dropdown(metric_choices(DEFAULT_TASK), value=DEFAULT_METRIC, label="Published benchmark to rank by")
        prefer = gr.Radio(list(PREFERENCES), value="score", label="Rank fitting models by")
    with gr.Row():
        max_params = gr.Number(value=None, label="Max parameters (millions; 0 = no limit)", minimum=0,
                               elem_id="chooser-max-params")
        max_size = gr.Number(value=None, label="Max size on disk, float32 (MB; 0 = no limit)", minimum=0,
                             elem_id="chooser-max-size")
        max_latency = gr.Number(value=None, label="Max latency on this machine (ms; 0 = no limit)", minimum=0,
                                elem_id="chooser-max-latency")
        min_score = gr.Number(value=None, label="Minimum published score (0 = none)", elem_id="chooser-min-score")
    run = gr.Button("Choose a variant", variant="primary", elem_id="chooser-run")
    explanation = gr.Markdown(elem_id="chooser-explanation")
    ranking = gr.Dataframe(headers=RANKED_HEADERS, interactive=False, label="Ranking (fitting first)",
                           elem_id="chooser-ranking", wrap=True, column_widths=RANKED_WIDTHS,
                           datatype=RANKED_TYPES)
    with gr.Accordion("Chooser result (JSON)", open=False):
        result_json = gr.JSON()
        json_download(result_json, "chooser")
    return SimpleNamespace(task=task, metric=metric, prefer=prefer, max_params=max_params, max_size=max_size,
                           max_latency=max_latency, min_score=min_score, run=run, explanation=explanation,
                           ranking=ranking, json=result_json)


def _layout_measure(ctx: AppContext) -> SimpleNamespace:
    measurable = measurable_models(ctx.catalog)
    gr.Markdown(MEASURE_INTRO + (TINY_MEASURE_NOTE if ctx.profile.is_tiny else ""))
    with gr.Row():
        models = gr.Dropdown(measurable, value=measurable[:2], multiselect=True, label="Models to measure",
                             elem_id="measure-models", scale=3)
        tokens = gr.Slider(16, MAX_INPUT_TOKENS, value=DEFAULT_INPUT_TOKENS, step=16, label="Input length (tokens)")
        repeats = gr.Slider(1, MAX_REPEATS, value=DEFAULT_REPEATS, step=1, label="Timed repeats")
    with gr.Row():
        run = gr.Button("Measure on this machine", elem_id="measure-run", scale=3)
        stop = gr.Button("Stop", variant="stop", elem_id="measure-stop", scale=1, interactive=False)
    notes = gr.Markdown(elem_id="measure-notes")
    table = gr.Dataframe(headers=MEASURE_HEADERS, interactive=False, label="Measurements", elem_id="measure-table",
                         wrap=True, column_widths=MEASURE_WIDTHS, datatype=MEASURE_TYPES)
    plot = gr.Plot(label="Size vs measured latency vs published score", elem_id="tradeoff-plot")
    export = export_controls("tradeoff")
    with gr.Accordion("Measurements (JSON)", open=False):
        result_json = gr.JSON()
    return SimpleNamespace(models=models, tokens=tokens, repeats=repeats, run=run, stop=stop, notes=notes,
                           table=table, plot=plot, json=result_json, export=export,
                           figure=gr.State(None, time_to_live=3600))  # the plot's figure, for Export


# ---- wiring ---------------------------------------------------------------------------------------

def build_models_tab(ctx: AppContext, links: Mapping[str, TabLink], tab: gr.Tab | None = None) -> LinkedView:
    """The Models tab. `links`: which tab shows each fact-sheet topic; `tab`: the timeline is drawn when it opens.
    Returns the chooser as a share link opens it."""
    cards = _layout_cards(ctx)
    _layout_fact_sheet(ctx, links, tab)
    chooser = _layout_chooser()
    measure = _layout_measure(ctx)
    private = dict(api_visibility="private")
    cards.kind.change(user_errors(functools.partial(show_table, ctx)), [cards.kind], [cards.table, cards.benchmarks],
                      **private)
    cards.pick.change(inline_errors(functools.partial(show_card, ctx), [cards.view], cards.view), [cards.pick],
                      [cards.view], **private)
    chooser.task.change(metric_dropdown, [chooser.task, chooser.metric], [chooser.metric], **private)
    choose_inputs = dict(task=chooser.task, metric=chooser.metric, max_params=chooser.max_params,
                         max_size=chooser.max_size, max_latency=chooser.max_latency, min_score=chooser.min_score,
                         prefer=chooser.prefer)
    # A failure stays in the explanation / the notes (`inline_errors`); the models to measure are the user's choice.
    choose_outputs = [chooser.explanation, chooser.ranking, measure.models, chooser.json]  # ChooseView
    show = inline_errors(functools.partial(show_choice, ctx), choose_outputs, chooser.explanation,
                         keep=[measure.models])
    chooser.run.click(show, list(choose_inputs.values()), choose_outputs, **private)
    measure_event = MethodType(show_measurement, ctx)  # a bound method: Gradio reads its gr.Request hint
    measure_outputs = [measure.notes, measure.table, measure.plot, measure.json]  # MeasureView
    stop_only_while_running(measure.run, measure.stop, lambda: measure.run.click(
        keeping(inline_errors(measure_event, measure_outputs, measure.notes), 2),
        [measure.models, chooser.task, chooser.metric, measure.tokens, measure.repeats],
        measure_outputs + [measure.figure], **private))  # then the figure kept for Export
    measure.export.button.click(user_errors(export_event(figure_and_json("tradeoff"))),
                                [measure.figure, measure.json], measure.export.files, **private)
    measure.stop.click(stop_measuring, None, None, **private)  # the measurement then shows what it has

    def models(kind: str = "all") -> dict:
        """Every model card ("all", "runnable" or "history"): fields, sourced benchmarks, size, comparable scores."""
        return to_json(list_models(ctx, kind))

    publish_endpoint(models, "models", serves=list_models)

    def choose_variant(task: str, max_parameters_m: float | None = None, max_size_mb: float | None = None,
                       max_latency_ms: float | None = None, min_score: float | None = None,
                       metric: str | None = None, prefer: str = "score") -> dict:
        """Rank the runnable variants for a task under the limits (empty = no limit); a latency limit measures
        the candidates on this machine first (at most 4 per request).
        """
        return to_json(choose_variant_api(ctx, task, max_parameters_m, max_size_mb, max_latency_ms, min_score, metric,
                                          prefer))

    publish_endpoint(choose_variant, "choose_variant", serves=choose_variant_api)

    def measure(models: list[str], input_tokens: int = 128, repeats: int = 5, task: str | None = None) -> dict:
        """Build each model from its config with random weights and measure forward latency and peak memory
        (at most 4 models per request; `task` picks the head, e.g. question-answering).
        """
        return to_json(measure_api(ctx, models, input_tokens, repeats, task))

    publish_endpoint(measure, "measure", serves=measure_api)

    every_metric = list(dict.fromkeys(key for task in CHOOSER_TASKS for _, key in metric_choices(task)))
    return LinkedView("models", choose_inputs, show, choose_outputs, anchor="chooser-explanation",
                      choices={"metric": every_metric}, check=check_metric,
                      fill=lambda v: {"metric": metric_dropdown(v["task"], v["metric"])})
