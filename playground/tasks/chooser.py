"""The variant chooser: "QA with very limited resources — which BERT variant?" answered from the cards.

The user states a task and constraints (max parameters, max size on disk, max latency measured on
this machine, minimum published score). `choose_variant` ranks the fitting runnable models and
explains the trade-off in plain words, citing each card's numbers and their sources. When nothing
fits, it says so and names what comes closest and why.

Scores come from the model cards (`cards.METRICS`). Only numbers of the same kind on the same split are
ranked against each other (an official GLUE score never against a paper's own GLUE average, dev never
against test); a candidate whose card has only another kind of number for the benchmark is not ranked on
it, and the explanation says so. `choose_variant` is a pure function: measured latencies are passed in.
`choose_with_measurements` measures the candidates first (`measure.py`) when a latency limit needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from playground import tasks
from playground.tasks.measurements import MeasureReport, ProgressFn
from playground.models.cards import BENCHMARK_KINDS, METRICS, CardCatalog, Metric, ModelCardInfo
from playground.core.errors import PlaygroundError
from playground.core.text_input import check_float
from playground.tasks.context import AppContext

PREFERENCES = ("score", "size", "latency")


@dataclass(frozen=True)
class ChooserTask:
    key: str
    label: str
    aliases: tuple[str, ...]
    architectures: tuple[str, ...]  # architecture kinds that can do the task
    metrics: tuple[str, ...]  # comparable published metrics, the default first
    # A registry.HEADS task: the head `measure.py` builds; checkpoints whose card lists it are ready to use.
    head: str
    needs_ready: bool = False  # only checkpoints that can already do it (no fine-tuning route)
    fine_tune_note: str = ""


CHOOSER_TASKS: dict[str, ChooserTask] = {t.key: t for t in (
    ChooserTask("question-answering", "Extractive question answering", ("qa", "question answering", "squad"),
                ("encoder",), ("squad-v1.1-f1-dev", "squad-v2.0-f1-dev"), "question-answering",
                fine_tune_note="needs fine-tuning on SQuAD first; its score is what the authors report after that"),
    ChooserTask("classification", "Sentence / pair classification (GLUE)",
                ("text-classification", "glue", "nli"), ("encoder",), ("glue-dev", "glue-test-avg", "glue-test"),
                "classification", fine_tune_note="needs fine-tuning on your labels; GLUE is the published proxy"),
    ChooserTask("sentiment", "Sentiment classification (SST-2)", ("sentiment-analysis", "sst-2", "sst2"),
                ("encoder",), ("sst2-dev", "sst2-test"), "sentiment",
                fine_tune_note="needs fine-tuning on sentiment data first; its score is the published SST-2 result"),
    ChooserTask("fill-mask", "Fill in a masked word", ("mlm", "masked-lm", "fill mask"), ("encoder",), (),
                "fill-mask", needs_ready=True),
    ChooserTask("generation", "Text generation / completion", ("text-generation", "completion", "generate"),
                ("decoder",), ("lambada-zero-shot", "wikitext103-ppl"), "text-generation",
                needs_ready=True),
    ChooserTask("summarization", "Abstractive summarization", ("summarisation", "summary"), ("encoder-decoder",),
                ("xsum-rouge1", "cnndm-rouge1"), "summarization", needs_ready=True),
)}


def resolve_task(task: object) -> ChooserTask:
    name = str(task or "").strip().lower().replace("_", "-")
    for t in CHOOSER_TASKS.values():
        if name == t.key or name in t.aliases:
            return t
    known = "; ".join(f"{t.key} ({t.label})" for t in CHOOSER_TASKS.values())
    raise PlaygroundError(f"Unknown task '{task}'. Choose one of: {known}.")


@dataclass(frozen=True)
class Constraints:
    task: str
    max_parameters_m: float | None = None  # millions of parameters
    max_size_mb: float | None = None  # float32 weights on disk
    max_latency_ms: float | None = None  # measured on this machine
    min_score: float | None = None  # on `metric`
    metric: str | None = None  # a METRICS key; default: the task's first metric
    prefer: str = "score"  # rank fitting models by "score", "size" or "latency"


@dataclass(frozen=True)
class Candidate:
    hub_id: str
    display_name: str
    parameters: int
    size_mb: float
    score: float | None
    score_name: str | None  # the benchmark as the card names it
    score_source: str | None
    score_kind: str | None  # "task, dev", "official, test", …: always the metric's kind and split
    latency_ms: float | None
    ready: bool  # already fine-tuned for the task (usable in the playground as is)
    layers: int | None
    hidden_size: int | None
    fits: bool
    violations: tuple[str, ...]  # plain-words reasons it does not fit
    excess: float  # summed relative overshoot of the violated limits (0 when it fits)
    other_numbers: tuple[str, ...] = ()  # the card's numbers for the same benchmark of another kind: never ranked


@dataclass(frozen=True)
class ChooserResult:
    task: str
    task_label: str
    metric: str | None
    metric_label: str | None
    higher_is_better: bool
    constraints: Constraints
    ranked: tuple[Candidate, ...]  # fitting candidates, best first
    rejected: tuple[Candidate, ...]
    nothing_fits: bool
    closest: tuple[Candidate, ...]  # when nothing fits: nearest misses, nearest first
    explanation: str  # Markdown, citing the cards
    notices: tuple[str, ...]
    compared: str | None = None  # what kind of number is ranked, e.g. "task, dev: one task's own metric …"
    measurements: MeasureReport | None = None  # the latencies measured for this answer, if any


def _limit(value: object, name: str, high: float) -> float | None:
    """A positive limit, or None for "no limit" (empty or 0: number fields show 0 when left empty)."""
    if value is None or value == "" or value == 0:
        return None
    return check_float(value, f"{name} (0 or empty = no limit)", 0.0, high, low_inclusive=False)


def validate(constraints: Constraints) -> tuple[ChooserTask, Constraints]:
    task = resolve_task(constraints.task)
    metric = constraints.metric or (task.metrics[0] if task.metrics else None)
    if constraints.metric and constraints.metric not in task.metrics:
        allowed = ", ".join(task.metrics) or "none (this task has no comparable published benchmark)"
        raise PlaygroundError(f"Metric '{constraints.metric}' does not apply to {task.key}. Choose one of: {allowed}.")
    prefer = str(constraints.prefer or "score").strip().lower()
    if prefer not in PREFERENCES:
        raise PlaygroundError(f"Rank by must be one of {', '.join(PREFERENCES)}, got {constraints.prefer!r}.")
    min_score = None if constraints.min_score in (None, "", 0) else check_float(
        constraints.min_score, "Minimum published score (0 or empty = none)", -1e9, 1e9)
    if min_score is not None and metric is None:
        raise PlaygroundError(f"{task.key} has no comparable published benchmark, so a minimum score cannot be "
                              "checked; leave it empty.")
    clean = Constraints(
        task=task.key, max_parameters_m=_limit(constraints.max_parameters_m, "Max parameters (millions)", 1e6),
        max_size_mb=_limit(constraints.max_size_mb, "Max size on disk (MB)", 1e7),
        max_latency_ms=_limit(constraints.max_latency_ms, "Max latency (ms)", 1e7),
        min_score=min_score, metric=metric, prefer=prefer)
    return task, clean


def candidate_cards(catalog: CardCatalog, task: ChooserTask) -> list[ModelCardInfo]:
    """Runnable models that can do the task: fine-tuned for it, or a general model one can fine-tune."""
    out = []
    for card in catalog.runnable():
        if card.architecture_kind not in task.architectures or not card.parameters:
            continue
        ready = task.head in card.tasks
        # A checkpoint fine-tuned for a different task (e.g. sentiment) is not a starting point for QA.
        if ready or (not task.needs_ready and not card.is_fine_tuned):
            out.append(card)
    return out


def _fmt_params(n: int) -> str:
    """Three significant digits: 11.2M, 67M, 335M, 8.3B."""
    return f"{n / 1e9:.3g}B" if n >= 1e9 else f"{n / 1e6:.3g}M"


def _evaluate(card: ModelCardInfo, task: ChooserTask, c: Constraints,
              latencies: Mapping[str, float]) -> Candidate:
    bench = card.score(c.metric) if c.metric else None
    metric = METRICS[c.metric] if c.metric else None
    latency = latencies.get(card.hub_id)
    size_mb = card.size_mb or 0.0
    violations: list[str] = []
    excess = 0.0
    if c.max_parameters_m is not None and card.parameters / 1e6 > c.max_parameters_m:
        violations.append(f"{_fmt_params(card.parameters)} parameters > {c.max_parameters_m:g}M")
        excess += card.parameters / 1e6 / c.max_parameters_m - 1
    if c.max_size_mb is not None and size_mb > c.max_size_mb:
        violations.append(f"{size_mb:.0f} MB > {c.max_size_mb:g} MB")
        excess += size_mb / c.max_size_mb - 1
    if c.max_latency_ms is not None:
        if latency is None:
            violations.append("latency not measured on this machine")
            excess += 1
        elif latency > c.max_latency_ms:
            violations.append(f"{latency:.0f} ms > {c.max_latency_ms:g} ms measured")
            excess += latency / c.max_latency_ms - 1
    if c.min_score is not None and metric is not None:
        if bench is None:
            violations.append(f"no published {metric.label} to check")
            excess += 1
        elif (bench.value < c.min_score) if metric.higher_is_better else (bench.value > c.min_score):
            word = "<" if metric.higher_is_better else ">"
            violations.append(f"{metric.label} {bench.value:g} {word} {c.min_score:g}")
            excess += abs(c.min_score - bench.value) / max(abs(c.min_score), 1e-9)
    others = card.other_numbers(c.metric) if c.metric else ()
    return Candidate(
        hub_id=card.hub_id or card.slug, display_name=card.display_name, parameters=card.parameters,
        size_mb=size_mb, score=bench.value if bench else None, score_name=bench.name if bench else None,
        score_source=bench.source if bench else None, score_kind=bench.kind_label if bench else None,
        latency_ms=latency, ready=task.head in card.tasks,
        layers=card.layers, hidden_size=card.hidden_size,
        fits=not violations, violations=tuple(violations), excess=excess,
        other_numbers=tuple(f"{b.name} {b.value:g} ({b.kind_label})" for b in others))


def _rank_key(c: Candidate, prefer: str, higher_is_better: bool):
    missing = float("inf")
    score = (-c.score if higher_is_better else c.score) if c.score is not None else missing
    latency = c.latency_ms if c.latency_ms is not None else missing
    if prefer == "size":
        return (c.parameters, score)
    if prefer == "latency":
        return (latency, c.parameters)
    return (score, c.parameters)


def _describe(c: Candidate, metric_label: str | None) -> str:
    parts = [f"{_fmt_params(c.parameters)} parameters (≈{c.size_mb:,.0f} MB as float32)"]
    if c.score is not None:
        parts.append(f"{c.score_name} **{c.score:g}** ({c.score_source})")
    elif metric_label:
        parts.append(f"no published {metric_label}")
    if c.latency_ms is not None:
        parts.append(f"**{c.latency_ms:,.0f} ms** per forward pass measured here")
    return "; ".join(parts)


def _compute_per_token(c: Candidate) -> int | None:
    """Rough matrix work per token: layers x width² (what the attention and feed-forward layers multiply)."""
    return c.layers * c.hidden_size ** 2 if c.layers and c.hidden_size else None


def _compute_note(ranked: list[Candidate]) -> str | None:
    """Warn when a top pick is much smaller than another fitting model but computes as much or more."""
    for a in ranked[:2]:
        for b in ranked:
            ca, cb = _compute_per_token(a), _compute_per_token(b)
            if ca and cb and a.parameters < 0.5 * b.parameters and ca >= 0.9 * cb:
                ratio = ca / cb
                work = ("about as much computation per token" if ratio < 1.1
                        else f"about {ratio:.1f}x the computation per token")
                return (f"**Fewer parameters ≠ faster:** {a.display_name} has {a.parameters / b.parameters:.0%} of "
                        f"the parameters of {b.display_name} but does {work} ({a.layers} layers × {a.hidden_size} "
                        f"vs {b.layers} × {b.hidden_size}). Measure both on this machine to see.")
    return None


def _compared(metric: Metric) -> str:
    return f"{metric.kind_label}: {BENCHMARK_KINDS[metric.kind]}"


def _kind_note(metric: Metric, candidates: list[Candidate]) -> str | None:
    """Names the candidates that have only another number for the benchmark (so are not ranked on it)."""
    unranked = [x for x in candidates if x.score is None and x.other_numbers]
    if not unranked:
        return None
    return (f"**Compared like for like:** only {metric.label} numbers ({metric.kind_label}) are ranked. These "
            "models publish only another number for this benchmark — a different measure, split or kind of "
            "average — so they are not ranked on it:\n"
            + "\n".join(f"- {x.display_name}: {'; '.join(x.other_numbers)}" for x in unranked))


def _explain(task: ChooserTask, c: Constraints, ranked: list[Candidate], closest: list[Candidate],
             higher_is_better: bool) -> str:
    metric_label = METRICS[c.metric].label if c.metric else None
    lines: list[str] = []  # Markdown blocks, joined by blank lines
    if not ranked:
        lines.append("**Nothing fits all the constraints.**")
        if closest:
            lines.append("What comes closest:\n" + "\n".join(
                f"- **{cand.display_name}** — misses on: {'; '.join(cand.violations)}. "
                f"{_describe(cand, metric_label)}." for cand in closest))
            lines.append("Relax the limit it misses on, or measure it if its latency is unknown.")
        return "\n\n".join(lines)
    best = ranked[0]
    how = {"score": f"the best published {metric_label or 'score'}", "size": "the fewest parameters",
           "latency": "the lowest measured latency"}[c.prefer]
    if c.prefer == "score" and not c.metric:
        how = "the fewest parameters (this task has no comparable published benchmark)"
    lines.append(f"**Recommended: {best.display_name}** (`{best.hub_id}`) — {how} among the {len(ranked)} "
                 f"model(s) that fit. {_describe(best, metric_label)}.")
    if task.needs_ready:
        lines.append("The playground runs it for this task as it is.")
    else:
        lines.append("Ready to use: it is already fine-tuned for this task." if best.ready
                     else f"Note: this is a pre-trained model; it {task.fine_tune_note}.")
        ready = next((x for x in ranked if x.ready), None)
        if not best.ready and ready:
            lines.append(f"Ready-made alternative with no training: **{ready.display_name}** — "
                         f"{_describe(ready, metric_label)}.")
    scored = [x for x in ranked if x.score is not None]
    if len(scored) >= 2:
        top = min(scored, key=lambda x: -x.score if higher_is_better else x.score)
        small = min(scored, key=lambda x: x.parameters)
        if top.hub_id != small.hub_id:
            share = small.score / top.score if higher_is_better and top.score else None
            kept = f", keeping {share:.0%} of it" if share else ""
            lines.append(
                f"**The trade-off:** {small.display_name} has {small.parameters / top.parameters:.0%} of the "
                f"parameters of {top.display_name} ({_fmt_params(small.parameters)} vs "
                f"{_fmt_params(top.parameters)}) and scores {small.score:g} vs {top.score:g} on {metric_label}{kept}.")
    note = _compute_note(ranked)
    if note:
        lines.append(note)
    others = ranked[1:4]
    if others:
        lines.append("Also fits:\n" + "\n".join(
            f"- {cand.display_name} — {_describe(cand, metric_label)}"
            f"{'' if cand.ready or task.needs_ready else ' (needs fine-tuning)'}." for cand in others))
    kind_note = _kind_note(METRICS[c.metric], ranked) if c.metric else None
    if kind_note:
        lines.append(kind_note)
    if scored and len({x.score_source.split(',')[0] for x in scored if x.score_source}) > 1:
        lines.append("_Scores come from different papers and runs (dev-set medians, single runs); treat "
                     "differences under about one point as noise._")
    return "\n\n".join(lines)


def choose_variant(catalog: CardCatalog, constraints: Constraints,
                   latencies: Mapping[str, float] | None = None) -> ChooserResult:
    """Rank the runnable models for a task under the constraints; `latencies` = {hub_id: ms} measured."""
    task, c = validate(constraints)
    cards = candidate_cards(catalog, task)
    if not cards:
        raise PlaygroundError(f"No runnable model card can do {task.key}.")
    metric = METRICS[c.metric] if c.metric else None
    higher = metric.higher_is_better if metric else True
    evaluated = [_evaluate(card, task, c, latencies or {}) for card in cards]
    ranked = sorted([x for x in evaluated if x.fits], key=lambda x: _rank_key(x, c.prefer, higher))
    rejected = [x for x in evaluated if not x.fits]
    closest = sorted(rejected, key=lambda x: (len(x.violations), x.excess))[:3] if not ranked else []
    notices: list[str] = []
    if c.prefer == "latency" and not any(x.latency_ms is not None for x in ranked):
        notices.append("Ranking by latency needs measurements; press “Measure on this machine” first. "
                       "Ranked by parameters meanwhile.")
    return ChooserResult(
        task=task.key, task_label=task.label, metric=c.metric, metric_label=metric.label if metric else None,
        higher_is_better=higher, constraints=c, ranked=tuple(ranked), rejected=tuple(rejected),
        nothing_fits=not ranked, closest=tuple(closest),
        explanation=_explain(task, c, ranked, closest, higher), notices=tuple(notices),
        compared=_compared(metric) if metric else None)


def models_to_measure(catalog: CardCatalog, constraints: Constraints) -> list[str]:
    """Candidates worth measuring for a latency limit: those that pass every other constraint, best first."""
    _, c = validate(constraints)
    result = choose_variant(catalog, replace(c, max_latency_ms=None,
                                             prefer="score" if c.prefer == "latency" else c.prefer))
    return [x.hub_id for x in result.ranked]


def choose_with_measurements(catalog: CardCatalog, constraints: Constraints, *, tiny: bool = False,
                             progress: ProgressFn | None = None) -> tuple[ChooserResult, MeasureReport | None]:
    """`choose_variant`, measuring the candidates first when a latency limit (or ranking) needs it.

    Only candidates that pass the other limits are measured: best score first, or smallest first when
    ranking by size or latency. Measurements are cached per process, so each request measures the
    next not-yet-measured candidates (at most `measurements.MAX_MODELS_PER_REQUEST`) and asking again
    covers the rest.
    """
    task, c = validate(constraints)
    report = None
    latencies: dict[str, float] = {}
    if c.max_latency_ms is not None or c.prefer == "latency":
        todo = models_to_measure(catalog, c)
        if c.prefer != "score":
            sizes = {card.hub_id: card.parameters for card in catalog.runnable()}
            todo.sort(key=lambda h: sizes.get(h) or 0)
        known = {h: m for h in todo if (m := tasks.measure.cached(h, task.head, tiny=tiny)) is not None}
        latencies = {h: m.latency_ms for h, m in known.items()}
        missing = [h for h in todo if h not in known]
        if missing:
            report = tasks.measure.measure_models(missing, head=task.head, tiny=tiny, progress=progress)
            latencies.update({m.hub_id: m.latency_ms for m in report.measurements})
    return choose_variant(catalog, c, latencies), report


# ---- the handlers: what the Models tab's chooser and /choose_variant run --------------------------

def choose(ctx: AppContext, constraints: Constraints,
           progress: ProgressFn | None = None) -> ChooserResult:
    """Rank the variants; with a latency limit, first measure the candidates that pass the other limits."""
    result, report = choose_with_measurements(ctx.catalog, constraints, tiny=ctx.profile.is_tiny, progress=progress)
    return replace(result, measurements=report)


def choose_variant_api(ctx: AppContext, task: str, max_parameters_m: float | None = None,
                       max_size_mb: float | None = None, max_latency_ms: float | None = None,
                       min_score: float | None = None, metric: str | None = None,
                       prefer: str = "score") -> ChooserResult:
    """Rank the runnable variants for a task under the limits (empty = no limit); a latency limit measures
    the candidates on this machine first (at most 4 per request)."""
    return choose(ctx, Constraints(task=task, max_parameters_m=max_parameters_m, max_size_mb=max_size_mb,
                                   max_latency_ms=max_latency_ms, min_score=min_score, metric=metric or None,
                                   prefer=prefer))
