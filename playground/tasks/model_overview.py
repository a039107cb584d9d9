"""The Models tab's data beyond the chooser: the model cards as a listing (which ones, in which order,
with derived numbers), and measurements on this machine joined with the cards' published scores
(size vs latency vs score). Plain data, no gradio; the handlers at the end are what the tab and the
/models and /measure endpoints run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Iterable, Sequence

from playground.core.errors import PlaygroundError
from playground.models.architecture_specs import SPECS
from playground.models.cards import METRICS, CardCatalog, ModelCardInfo
from playground import tasks
from playground.tasks.chooser import CHOOSER_TASKS, resolve_task
from playground.tasks.context import AppContext
from playground.tasks.fact_sheet import short_name
from playground.core.text_input import check_int
from playground.tasks.measurements import (DEFAULT_INPUT_TOKENS, DEFAULT_REPEATS, MAX_INPUT_TOKENS, MAX_REPEATS,
                                           MeasureReport, ProgressFn, StopFn)

KINDS = ("all", "runnable", "history")


# ---- the card listing -----------------------------------------------------------------------------

def card_kind(card: ModelCardInfo) -> str:
    return "runnable" if card.runnable else "history"


def filter_cards(cards: Iterable[ModelCardInfo], kind: str) -> list[ModelCardInfo]:
    """The cards of one kind ("all", "runnable" or "history"), in the order given."""
    if kind not in KINDS:
        raise PlaygroundError(f"Kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    return [c for c in cards if kind == "all" or card_kind(c) == kind]


def reading_order(cards: Iterable[ModelCardInfo]) -> list[ModelCardInfo]:
    """Runnable first, then history; each by year, then size — the order a reader meets them."""
    return sorted(cards, key=lambda c: (not c.runnable, c.year, c.parameters or 0, c.display_name))


@dataclass(frozen=True)
class ListedCard(ModelCardInfo):
    """A card with the numbers a listing compares by (its JSON is the card's, plus these fields)."""

    kind: str = "runnable"  # "runnable" | "history"
    architecture_kind: str = ""  # canonical kind (the card's property, stored so the JSON carries it)
    size_mb_fp32: float | None = None  # weights on disk as float32
    scores: dict[str, float] = field(default_factory=dict)  # comparable published numbers, by METRICS key


@dataclass(frozen=True)
class CardListing:
    count: int
    models: tuple[ListedCard, ...]


def listed_card(card: ModelCardInfo) -> ListedCard:
    own = {f.name: getattr(card, f.name) for f in fields(ModelCardInfo)}
    scores = {key: bench.value for key in METRICS if (bench := card.score(key))}
    return ListedCard(**own, kind=card_kind(card), architecture_kind=card.architecture_kind,
                      size_mb_fp32=round(card.size_mb, 1) if card.size_mb else None, scores=scores)


def list_cards(catalog: CardCatalog, kind: str = "all") -> CardListing:
    """Every card of a kind, in the catalog's order, with its derived numbers."""
    cards = filter_cards(catalog.cards, str(kind).strip().lower())
    return CardListing(count=len(cards), models=tuple(map(listed_card, cards)))


def measurable_models(catalog: CardCatalog) -> list[str]:
    """Hub ids of the runnable models whose architecture can be built without a download (`architectures`)."""
    return [c.hub_id for c in catalog.runnable() if c.hub_id in SPECS]


# ---- size vs measured latency vs published score ---------------------------------------------------

@dataclass(frozen=True)
class TradeoffPoint:
    name: str
    parameters: int
    latency_ms: float
    score: float | None  # the card's published number on the chosen metric; None: none published


@dataclass(frozen=True)
class TradeoffResult:
    report: MeasureReport
    head: str | None  # the chooser task's head every model was built with; None: each model's own class
    metric: str | None
    metric_label: str | None
    points: tuple[TradeoffPoint, ...]  # one per measured model
    tiny: bool  # shrunken twins were measured, not the real sizes


def common_head(catalog: CardCatalog, hub_ids: Sequence[str], task_key: str | None) -> str | None:
    """The chooser task's head when every model can carry it; otherwise None (each model's own class)."""
    task = CHOOSER_TASKS.get(task_key or "")
    kinds = {card.architecture_kind for card in map(catalog.by_hub_id, hub_ids) if card}
    return task.head if task and kinds <= set(task.architectures) else None


def measure_tradeoff(catalog: CardCatalog, hub_ids: Sequence[str], task_key: str | None, metric: str | None,
                     input_tokens: int = DEFAULT_INPUT_TOKENS, repeats: int = DEFAULT_REPEATS, *,
                     tiny: bool = False, progress: ProgressFn | None = None,
                     stop: StopFn | None = None) -> TradeoffResult:
    """Build each model with random weights and time it; pair each with its card's published `metric`.
    `stop()` true ends the measurement cleanly with what was measured (see `measure_models`)."""
    hub_ids = list(hub_ids or [])
    head = common_head(catalog, hub_ids, task_key)
    report = tasks.measure.measure_models(hub_ids, head=head, input_tokens=input_tokens, repeats=repeats, tiny=tiny,
                            progress=progress, stop=stop)
    points = []
    for m in report.measurements:
        card = catalog.by_hub_id(m.hub_id)
        bench = card.score(metric) if card and metric else None
        points.append(TradeoffPoint(short_name(card) if card else m.hub_id, m.parameters, m.latency_ms,
                                    bench.value if bench else None))
    return TradeoffResult(report=report, head=head, metric=metric or None,
                          metric_label=METRICS[metric].label if metric else None, points=tuple(points), tiny=tiny)


def estimate_measure(ctx: AppContext, hub_ids: Sequence[str], task_key: str | None,
                     input_tokens: int = DEFAULT_INPUT_TOKENS, repeats: int = DEFAULT_REPEATS) -> float:
    """About how many seconds `run_measure` will take on this machine now (said before a run starts)."""
    hub_ids = [h for h in dict.fromkeys(hub_ids or []) if h in SPECS]
    if not hub_ids:
        return 0.0
    return tasks.measure.estimate_seconds(hub_ids, head=common_head(ctx.catalog, hub_ids, task_key),
                            input_tokens=check_int(input_tokens, "Input length (tokens)", 8, MAX_INPUT_TOKENS),
                            repeats=check_int(repeats, "Repeats", 1, MAX_REPEATS), tiny=ctx.profile.is_tiny)


# ---- the handlers: what the Models tab and /models, /measure run ---------------------------------

def list_models(ctx: AppContext, kind: str = "all") -> CardListing:
    """Every model card ("all", "runnable" or "history"): fields, sourced benchmarks, size, comparable scores."""
    return list_cards(ctx.catalog, kind)


def cards_of_kind(ctx: AppContext, kind: str = "all") -> list[ModelCardInfo]:
    """The cards of one kind in reading order (runnable first), as the tab's tables list them."""
    return filter_cards(reading_order(ctx.catalog.cards), kind)


def measure_api(ctx: AppContext, models: list[str], input_tokens: int = DEFAULT_INPUT_TOKENS,
                repeats: int = DEFAULT_REPEATS, task: str | None = None) -> MeasureReport:
    """Build each model from its config with random weights and measure forward latency and peak memory
    (at most 4 models per request; `task` picks the head, e.g. question-answering)."""
    head = resolve_task(task).head if task else None
    return tasks.measure.measure_models(models, head=head, input_tokens=input_tokens, repeats=repeats, tiny=ctx.profile.is_tiny)


def run_measure(ctx: AppContext, hub_ids: list[str], task_key: str, metric: str | None, tokens: float,
                repeats: float, progress: ProgressFn | None = None, stop: StopFn | None = None) -> TradeoffResult:
    """Build each chosen model with random weights and time it, paired with its published score."""
    return measure_tradeoff(ctx.catalog, hub_ids, task_key, metric, tokens, repeats, tiny=ctx.profile.is_tiny,
                            progress=progress, stop=stop)
