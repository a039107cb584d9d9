"""Models tab: every model card in a sortable table, one card in detail, the BERT-vs-GPT fact sheet,
the timeline, and the variant chooser that measures candidates on this machine."""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

from playground.models.architectures import SPECS
from playground.models.cards import METRICS, ModelCardInfo
from playground.tasks.chooser import CHOOSER_TASKS, PREFERENCES, ChooserResult, Constraints, choose_with_measurements, resolve_task
from playground.core.errors import PlaygroundError
from playground.models.measure import (DEFAULT_INPUT_TOKENS, DEFAULT_REPEATS, MAX_INPUT_TOKENS, MAX_MODELS_PER_REQUEST,
                       MAX_REPEATS, MeasureReport, measure_models)
from playground.tasks.fact_sheet import LINKED_TABS, TIMELINE, TabLink, fact_sheet_markdown, short_name, timeline_markdown
from playground.ui.widgets import AppContext, notices_markdown, to_json, user_errors
from playground.ui.figures.models import TradeoffPoint, timeline_figure, tradeoff_figure

KINDS = ("all", "runnable", "history")
# Benchmark columns of the overview table (metric keys from cards.METRICS).
TABLE_METRICS = ("glue-test", "glue-dev", "squad-v1.1-f1-dev", "squad-v2.0-f1-dev", "sst2-dev", "lambada-zero-shot")
# Key numbers first (size, depth, benchmarks), descriptive columns after; the table scrolls sideways.
TABLE_HEADERS = ["Model", "Year", "Params (M)", "fp32 size (MB)", "Layers", "Hidden", "Heads",
                 *(METRICS[k].label for k in TABLE_METRICS), "Architecture", "Direction", "Objective", "Kind"]
TABLE_WIDTHS = ["220px", "65px", "90px", "90px", "70px", "75px", "65px", *("105px" for _ in TABLE_METRICS),
                "120px", "150px", "190px", "90px"]
TABLE_TYPES = ["str", "number", "number", "number", "number", "number", "number", *("number" for _ in TABLE_METRICS),
               "str", "str", "str", "str"]
RANKED_HEADERS = ["Rank", "Model", "Hub id", "Params (M)", "fp32 size (MB)", "Published score", "Measured ms",
                  "Ready to use", "Fits", "Why not"]
RANKED_WIDTHS = ["60px", "250px", "240px", "85px", "85px", "90px", "95px", "90px", "55px", "320px"]
MEASURE_HEADERS = ["Model", "Class built", "Parameters", "Weights (MB)", "Activation peak (MB)", "Peak memory (MB)",
                   "Latency median (ms)", "min–max (ms)", "Tokens", "Build (s)"]


def _cell(text: object) -> str:
    """A value that is safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _millions(n: int | None) -> float | None:
    return round(n / 1e6, 1) if n else None


def card_kind(card: ModelCardInfo) -> str:
    return "runnable" if card.runnable else "history"


def _table_score(card: ModelCardInfo, key: str) -> float | None:
    """The card's number for a column; blank when a history card lists several models under one metric."""
    matches = [b for b in card.benchmarks if METRICS[key].matches(b.name)]
    return matches[0].value if len(matches) == 1 else None


def table_rows(cards: list[ModelCardInfo]) -> list[list[Any]]:
    rows = []
    for c in cards:
        scores = [_table_score(c, k) for k in TABLE_METRICS]
        size = round(c.size_mb) if c.size_mb and c.runnable else None  # history models: nothing to download
        rows.append([c.display_name, c.year, _millions(c.parameters), size,
                     c.layers, c.hidden_size, c.heads, *scores, c.architecture_kind, c.context_direction or "",
                     c.objective_label, card_kind(c)])
    return rows


def filter_cards(cards: tuple[ModelCardInfo, ...], kind: str) -> list[ModelCardInfo]:
    if kind not in KINDS:
        raise PlaygroundError(f"Kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    return [c for c in cards if kind == "all" or card_kind(c) == kind]


def card_markdown(card: ModelCardInfo) -> str:
    """One card rendered for reading: facts table, sourced benchmarks, then the card's own prose."""
    extra = card.extra
    if card.runnable:
        where = ", ".join(f"`{t}`" for t in card.tasks) or "no playground task (measured and compared only)"
        badge = f"▶️ **Runnable** — Hub id [`{card.hub_id}`](https://huggingface.co/{card.hub_id}); used for: {where}"
    else:
        badge = "📜 **History card** — described for context; not runnable in the playground"
    shape = ", ".join(s for s in (
        f"{card.layers} layers" if card.layers else "", f"hidden size {card.hidden_size}" if card.hidden_size else "",
        f"{card.heads} heads" if card.heads else "",
        f"{card.max_positions} positions" if card.max_positions else "") if s)
    params = f"{card.parameters:,}" if card.parameters else "not stated"
    if extra.get("parameters_paper"):
        params += f" (as published: {extra['parameters_paper']})"
    vocab = " — ".join(str(v) for v in (f"{card.vocab_size:,}" if card.vocab_size else None, card.tokenizer) if v)
    paper = card.paper or {}
    facts = [
        ("Architecture", f"{card.architecture}" + (f" — {shape}" if shape else "")),
        ("Parameters", params),
        ("Vocabulary / tokenizer", vocab or "—"),
        ("Objective", card.objective),
        ("Pre-training data", extra.get("pretraining_data") or "—"),
        ("Context", card.context_direction or "—"),
        ("Year", card.year),
        ("Paper", f"[{paper.get('title', '—')}]({paper.get('url', '')}) — {paper.get('authors', '')}"),
        ("License", card.license or "—"),
    ]
    if extra.get("base_model"):
        facts.insert(1, ("Fine-tuned from", f"`{extra['base_model']}`"))
    if extra.get("fine_tuning_data"):
        facts.insert(2, ("Fine-tuning data", extra["fine_tuning_data"]))
    lines = [f"## {card.display_name}", badge, "", "| Field | Value |", "|---|---|"]
    lines += [f"| **{k}** | {_cell(v)} |" for k, v in facts]
    if card.benchmarks:
        lines += ["", "### Published benchmarks", "| Benchmark | Value | Source |", "|---|---|---|"]
        lines += [f"| {_cell(b.name)}{' ↓' if b.lower_is_better else ''} | {b.value:g} | {_cell(b.source)} |"
                  for b in card.benchmarks]
        if any(b.lower_is_better for b in card.benchmarks):
            lines.append("\n↓ lower is better.")
    else:
        lines += ["", "_No benchmark numbers on this card._"]
    body = card.body
    if body.startswith("# "):  # the card's own title repeats the heading above
        body = body.split("\n", 1)[1].lstrip() if "\n" in body else ""
    lines += ["", "---", "", body]
    return "\n".join(lines)


def ranked_rows(result: ChooserResult) -> list[list[Any]]:
    rows = []
    for i, c in enumerate(result.ranked, start=1):
        rows.append([i, c.display_name, c.hub_id, _millions(c.parameters), round(c.size_mb), c.score,
                     round(c.latency_ms, 1) if c.latency_ms is not None else None, "yes" if c.ready else "fine-tune",
                     "yes", ""])
    for c in sorted(result.rejected, key=lambda x: (len(x.violations), x.excess)):
        rows.append([None, c.display_name, c.hub_id, _millions(c.parameters), round(c.size_mb), c.score,
                     round(c.latency_ms, 1) if c.latency_ms is not None else None, "yes" if c.ready else "fine-tune",
                     "no", "; ".join(c.violations)])
    return rows


def measure_rows(report: MeasureReport) -> list[list[Any]]:
    return [[m.hub_id, m.model_class, m.parameters, round(m.weights_mb, 1), round(m.activation_peak_mb, 2),
             round(m.peak_memory_mb, 1), round(m.latency_ms, 2), f"{m.latency_min_ms:.2f}–{m.latency_max_ms:.2f}",
             m.input_tokens + m.decoder_tokens, round(m.build_seconds, 2)] for m in report.measurements]


def _tab_js(link: TabLink) -> str:
    """Client-side: click the tab's button (and the sub-tab's), falling back to the overflow menu by label."""
    top_label = link.label.split(" › ")[0]
    sub = f"setTimeout(() => {{ const s = document.querySelector('button[role=\"tab\"][data-tab-id=\"{link.subtab_id}\"]');" \
          " if (s) s.click(); }, 150);" if link.subtab_id else ""
    return (
        "() => {"
        f" const t = document.querySelector('button[role=\"tab\"][data-tab-id=\"{link.tab_id}\"]')"
        f" || [...document.querySelectorAll('.overflow-dropdown button')].find(b => b.textContent.trim() === '{top_label}');"
        f" if (t) {{ t.click(); {sub} window.scrollTo({{top: 0, behavior: 'smooth'}}); }}"
        " }"
    )


@functools.lru_cache(maxsize=1)
def _timeline():
    return timeline_figure(TIMELINE)


def build_models_tab(ctx: AppContext, tab: gr.Tab | None = None) -> None:
    catalog = ctx.catalog
    tiny = ctx.profile.is_tiny
    # Runnable first, then history; each by year, then size — the order a reader meets them.
    ordered = sorted(catalog.cards, key=lambda c: (not c.runnable, c.year, c.parameters or 0, c.display_name))
    card_choices = [(c.display_name if c.runnable else f"📜 {c.display_name}", c.slug) for c in ordered]
    measurable = [c.hub_id for c in catalog.runnable() if c.hub_id in SPECS]
    task_choices = [(t.label, t.key) for t in CHOOSER_TASKS.values()]

    def metric_choices(task_key: str) -> list[tuple[str, str]]:
        task = CHOOSER_TASKS.get(task_key)
        return [(METRICS[m].label, m) for m in (task.metrics if task else ())]

    # ---- handlers ---------------------------------------------------------------------------
    def show_table(kind: str):
        return table_rows(filter_cards(tuple(ordered), kind))

    def show_card(slug: str) -> str:
        card = catalog.by_slug(slug)
        if card is None:
            raise PlaygroundError(f"No model card '{slug}'. Pick one from the list.")
        return card_markdown(card)

    def on_task(task_key: str):
        choices = metric_choices(task_key)
        return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None,
                           interactive=bool(choices))

    def run_choose(task_key: str, metric: str | None, max_params: float | None, max_size: float | None,
                   max_latency: float | None, min_score: float | None, prefer: str, progress=gr.Progress()):
        """Rank the variants; with a latency limit, first measure the candidates that pass the other limits."""
        constraints = Constraints(task=task_key, max_parameters_m=max_params, max_size_mb=max_size,
                                  max_latency_ms=max_latency, min_score=min_score, metric=metric or None,
                                  prefer=prefer)
        result, report = choose_with_measurements(catalog, constraints, tiny=tiny, progress=progress)
        notices = notices_markdown(result.notices, report.notices if report else ())
        suggested = [c.hub_id for c in (result.ranked or result.closest) if c.hub_id in measurable]
        payload = {"result": to_json(result), "measurements": to_json(report) if report else None}
        return (result.explanation + ("\n\n" + notices if notices else ""), ranked_rows(result),
                gr.Dropdown(value=suggested[:MAX_MODELS_PER_REQUEST]), payload)

    def run_measure(hub_ids: list[str], task_key: str, metric: str | None, tokens: float, repeats: float,
                    progress=gr.Progress()):
        """Build each chosen model with random weights and time it; plot size vs latency vs score."""
        hub_ids = list(hub_ids or [])
        task = CHOOSER_TASKS.get(task_key)
        kinds = {card.architecture_kind for card in map(catalog.by_hub_id, hub_ids) if card}
        # The chooser's task head when every model can carry it; otherwise each model's own checkpoint class.
        head = task.head if task and kinds <= set(task.architectures) else None
        report = measure_models(hub_ids, head=head, input_tokens=tokens, repeats=repeats, tiny=tiny,
                                progress=progress)
        points = []
        for m in report.measurements:
            card = catalog.by_hub_id(m.hub_id)
            bench = card.score(metric) if card and metric else None
            points.append(TradeoffPoint(short_name(card) if card else m.hub_id, m.parameters, m.latency_ms,
                                        bench.value if bench else None))
        lengths = sorted({m.input_tokens for m in report.measurements})
        subtitle = (f"batch 1, {'/'.join(map(str, lengths))} tokens, {report.threads} CPU thread(s)"
                    + (" — tiny twins, not real sizes" if tiny else ""))
        figure = tradeoff_figure(points, METRICS[metric].label if metric else None, subtitle)
        built = f"with the {task.head} head" if head and task else "as their own checkpoint classes"
        method = (f"Models built {built}.  \n**Latency:** {report.latency_method}.  \n"
                  f"**Memory:** {report.memory_method}.")
        return (notices_markdown(report.notices) + ("\n\n" if report.notices else "") + method,
                measure_rows(report), figure, to_json(report))

    # ---- layout -----------------------------------------------------------------------------
    gr.Markdown("Every model the playground knows, as **model cards**: architecture, size, pre-training objective "
                "and published benchmark numbers — each with its source (paper and table). ▶️ runnable models can "
                "be loaded by the other tabs; 📜 history cards describe models that shaped the field.")
    with gr.Row():
        kind = gr.Radio(list(KINDS), value="all", label="Show", scale=1)
    cards_table = gr.Dataframe(value=table_rows(ordered), headers=TABLE_HEADERS, datatype=TABLE_TYPES,
                               interactive=False, label="All model cards (click a column header to sort)",
                               elem_id="models-table", max_height=640, wrap=True, column_widths=TABLE_WIDTHS)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            card_pick = gr.Dropdown(choices=card_choices, value=ordered[0].slug if ordered else None,
                                    label="Model card", elem_id="card-pick")
        with gr.Column(scale=3):
            card_view = gr.Markdown(card_markdown(ordered[0]) if ordered else "", elem_id="card-view")

    gr.Markdown("## BERT vs GPT — the fact sheet")
    gr.Markdown(fact_sheet_markdown(catalog), elem_id="fact-sheet")
    gr.Markdown("**See it live:**")
    with gr.Row():
        for link in LINKED_TABS:
            gr.Button(link.label, size="sm", variant="secondary").click(
                None, None, None, js=_tab_js(link), api_visibility="private")

    gr.Markdown("## How we got here")
    # Drawn when the tab is opened, not at start-up: matplotlib alone would add ~0.5 s before the app is served.
    timeline_plot = gr.Plot(label="Timeline", elem_id="timeline-plot")
    if tab is not None:
        tab.select(_timeline, None, timeline_plot, api_visibility="private")
    with gr.Accordion("Timeline as text, with citations", open=False):
        gr.Markdown(timeline_markdown())

    gr.Markdown("## Variant chooser\n*“Your manager wants question answering with very limited resources — which "
                "BERT variant do you use?”* State the task and your limits; the chooser ranks the runnable models "
                "using the numbers on their cards. A limit of 0 means no limit.")
    with gr.Row():
        task = gr.Dropdown(task_choices, value="question-answering", label="Task", elem_id="chooser-task")
        metric = gr.Dropdown(metric_choices("question-answering"), value="squad-v1.1-f1-dev",
                             label="Published benchmark to rank by")
        prefer = gr.Radio(list(PREFERENCES), value="score", label="Rank fitting models by")
    with gr.Row():
        max_params = gr.Number(value=None, label="Max parameters (millions; 0 = no limit)", minimum=0,
                               elem_id="chooser-max-params")
        max_size = gr.Number(value=None, label="Max size on disk, float32 (MB; 0 = no limit)", minimum=0,
                             elem_id="chooser-max-size")
        max_latency = gr.Number(value=None, label="Max latency on this machine (ms; 0 = no limit)", minimum=0,
                                elem_id="chooser-max-latency")
        min_score = gr.Number(value=None, label="Minimum published score (0 = none)", elem_id="chooser-min-score")
    choose = gr.Button("Choose a variant", variant="primary", elem_id="chooser-run")
    explanation = gr.Markdown(elem_id="chooser-explanation")
    ranked = gr.Dataframe(headers=RANKED_HEADERS, interactive=False, label="Ranking (fitting first)",
                          elem_id="chooser-ranking", wrap=True, column_widths=RANKED_WIDTHS)
    with gr.Accordion("Chooser result (JSON)", open=False):
        choose_json = gr.JSON()

    gr.Markdown("### Measure on this machine\nEach model is built from its real configuration with **random "
                "weights** — the computation per token is the real model's, and nothing is downloaded — then timed "
                f"on a typical input. At most {MAX_MODELS_PER_REQUEST} models per request."
                + (" **Tiny mode:** shrunken twins are measured, so the numbers only show the mechanics." if tiny
                   else ""))
    with gr.Row():
        to_measure = gr.Dropdown(measurable, value=measurable[:2], multiselect=True, label="Models to measure",
                                 elem_id="measure-models", scale=3)
        tokens = gr.Slider(16, MAX_INPUT_TOKENS, value=DEFAULT_INPUT_TOKENS, step=16, label="Input length (tokens)")
        repeats = gr.Slider(1, MAX_REPEATS, value=DEFAULT_REPEATS, step=1, label="Timed repeats")
    measure = gr.Button("Measure on this machine", elem_id="measure-run")
    measure_notes = gr.Markdown(elem_id="measure-notes")
    measure_table = gr.Dataframe(headers=MEASURE_HEADERS, interactive=False, label="Measurements",
                                 elem_id="measure-table")
    tradeoff_plot = gr.Plot(label="Size vs measured latency vs published score", elem_id="tradeoff-plot")
    with gr.Accordion("Measurements (JSON)", open=False):
        measure_json = gr.JSON()

    # ---- events -----------------------------------------------------------------------------
    kind.change(user_errors(show_table), [kind], [cards_table], api_visibility="private")
    card_pick.change(user_errors(show_card), [card_pick], [card_view], api_visibility="private")
    task.change(on_task, [task], [metric], api_visibility="private")
    choose.click(user_errors(run_choose), [task, metric, max_params, max_size, max_latency, min_score, prefer],
                 [explanation, ranked, to_measure, choose_json], api_visibility="private")
    measure.click(user_errors(run_measure), [to_measure, task, metric, tokens, repeats],
                  [measure_notes, measure_table, tradeoff_plot, measure_json], api_visibility="private")

    # ---- API endpoints (gradio_client): structured JSON ------------------------------------
    @user_errors
    def models_api(kind: str = "all") -> dict:
        """Every model card ("all", "runnable" or "history"): fields, sourced benchmarks, size, comparable scores."""
        cards = filter_cards(catalog.cards, str(kind).strip().lower())
        out = []
        for c in cards:
            item = to_json(c)
            item["kind"] = card_kind(c)
            item["architecture_kind"] = c.architecture_kind
            item["size_mb_fp32"] = round(c.size_mb, 1) if c.size_mb else None
            item["scores"] = {k: c.score(k).value for k in METRICS if c.score(k)}
            out.append(item)
        return {"count": len(out), "models": out}

    @user_errors
    def choose_variant_api(task: str, max_parameters_m: float | None = None, max_size_mb: float | None = None,
                           max_latency_ms: float | None = None, min_score: float | None = None,
                           metric: str | None = None, prefer: str = "score") -> dict:
        """Rank the runnable variants for a task under the limits (empty = no limit); a latency limit measures
        the candidates on this machine first (at most 4 per request)."""
        constraints = Constraints(task=task, max_parameters_m=max_parameters_m, max_size_mb=max_size_mb,
                                  max_latency_ms=max_latency_ms, min_score=min_score, metric=metric or None,
                                  prefer=prefer)
        result, report = choose_with_measurements(catalog, constraints, tiny=tiny)
        out = to_json(result)
        out["measurements"] = to_json(report) if report else None
        return out

    @user_errors
    def measure_api(models: list[str], input_tokens: int = DEFAULT_INPUT_TOKENS, repeats: int = DEFAULT_REPEATS,
                    task: str | None = None) -> dict:
        """Build each model from its config with random weights and measure forward latency and peak memory
        (at most 4 models per request; `task` picks the head, e.g. question-answering)."""
        head = resolve_task(task).head if task else None
        return to_json(measure_models(models, head=head, input_tokens=input_tokens, repeats=repeats, tiny=tiny))

    gr.api(models_api, api_name="models")
    gr.api(choose_variant_api, api_name="choose_variant")
    gr.api(measure_api, api_name="measure")
