"""The one place that reads `model_cards/`: Markdown files with YAML front matter (the Hugging Face
model-card convention), parsed with `huggingface_hub.ModelCard`.

A model can only be loaded by the playground if a card names it (unless the user opts in to
unlisted models explicitly), so this module is also the allow-list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard  # gradio has imported huggingface_hub already: free at start-up

CARDS_DIR = Path(__file__).resolve().parents[2] / "model_cards"

# Fields every card must have; runnable cards must also have RUNNABLE_FIELDS.
REQUIRED_FIELDS = ("display_name", "runnable", "family", "architecture", "objective", "year", "paper")
RUNNABLE_FIELDS = (
    "hub_id", "tasks", "context_direction", "layers", "hidden_size", "heads",
    "parameters", "max_positions", "vocab_size", "tokenizer", "license",
)


# What kind of number a benchmark entry is. Two numbers are only compared (ranked, subtracted) when
# their kind and split agree; an average is comparable only with averages built the same way.
BENCHMARK_KINDS: dict[str, str] = {
    "official": "the benchmark's own score, computed the way its organisers define it (GLUE: the test server's "
                "score over all nine tasks, WNLI included)",
    "paper-average": "an average the authors computed themselves over tasks they chose (BERT's Table 1 leaves out "
                     "WNLI); comparable only with averages from the same table",
    "task": "one task's own metric (accuracy, F1, exact match, perplexity, ROUGE, error rate), defined by the "
            "dataset, so it means the same wherever it is reported",
    "measurement": "depends on the authors' own setup rather than a shared test set (timings on their hardware, "
                   "human preference rates); shown, never ranked",
}
SPLITS = ("dev", "test")  # which part of the dataset the number was measured on


@dataclass(frozen=True)
class Benchmark:
    name: str
    value: float
    source: str  # paper (or official README / Hub card) *and* the table or section the number is in
    lower_is_better: bool = False  # error rates and perplexities
    split: str | None = None  # one of SPLITS; required by validate_card
    kind: str | None = None  # a BENCHMARK_KINDS key; required by validate_card
    averaged_over: str | None = None  # for a paper-average: which tasks, as the source built it

    @property
    def kind_label(self) -> str:
        """"paper-average, test": what kind of number it is, shown next to its value."""
        return ", ".join(x for x in (self.kind, self.split) if x) or "kind not stated"


# Architecture spellings in cards -> one canonical kind (tables, the chooser and the schema test use it).
ARCHITECTURE_KINDS = ("encoder", "decoder", "encoder-decoder", "lstm")
_ARCHITECTURE_ALIASES = {"encoder–decoder": "encoder-decoder", "seq2seq": "encoder-decoder",
                         "encoder decoder": "encoder-decoder", "awd-lstm": "lstm", "rnn": "lstm"}
# A source must say *where* in the publication the number is, not only which publication.
_SOURCE_LOCATOR = re.compile(r"table|section|§|figure|fig\.|abstract|appendix|readme|model card|page",
                             re.IGNORECASE)


@dataclass(frozen=True)
class Metric:
    """A published benchmark number that can be compared across cards.

    A card's benchmark counts as this metric when its name contains every needle (case-insensitive)
    *and* it is the same kind of number on the same split: "SQuAD v1.1 dev F1" and "SQuAD v1.1 F1 (dev)"
    are both `squad-v1.1-f1-dev`. `validate_card` keeps names unambiguous (a name that looks like a metric
    must have that metric's kind and split), so matching a bare name gives the same answer.
    """

    key: str
    label: str
    needles: tuple[str, ...]
    split: str
    kind: str
    dataset: tuple[str, ...]  # needles naming the benchmark itself ("glue"): its other numbers are other kinds
    higher_is_better: bool = True

    def named_like(self, benchmark_name: str) -> bool:
        name = benchmark_name.lower()
        return all(n in name for n in self.needles)

    def matches(self, benchmark: Benchmark | str) -> bool:
        if isinstance(benchmark, str):
            return self.named_like(benchmark)
        return self.named_like(benchmark.name) and benchmark.split == self.split and benchmark.kind == self.kind

    def same_dataset(self, benchmark: Benchmark) -> bool:
        """Another number for the same benchmark (a different measure, split or kind of average)."""
        name = benchmark.name.lower()
        return all(n in name for n in self.dataset)

    @property
    def kind_label(self) -> str:
        return f"{self.kind}, {self.split}"


# An average is tied to the table that built it (a needle names that table's authors), so two averages
# are only compared when the same table computed them.
METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("glue-dev", "GLUE macro-score (dev; DistilBERT paper, Table 1)", ("glue macro-score", "sanh"),
           "dev", "paper-average", ("glue",)),
    Metric("glue-test-avg", "GLUE average without WNLI (test; BERT paper, Table 1)", ("glue average", "devlin"),
           "test", "paper-average", ("glue",)),
    Metric("glue-test", "GLUE score (official, test server)", ("glue score", "official"), "test", "official",
           ("glue",)),
    Metric("squad-v1.1-f1-dev", "SQuAD v1.1 F1 (dev)", ("squad", "1.1", "f1", "dev"), "dev", "task",
           ("squad", "1.1")),
    Metric("squad-v2.0-f1-dev", "SQuAD 2.0 F1 (dev)", ("squad", "2.0", "f1", "dev"), "dev", "task",
           ("squad", "2.0")),
    Metric("sst2-dev", "SST-2 accuracy (dev)", ("sst-2", "accuracy", "dev"), "dev", "task", ("sst-2",)),
    Metric("sst2-test", "SST-2 accuracy (test)", ("sst-2", "accuracy", "test"), "test", "task", ("sst-2",)),
    Metric("lambada-zero-shot", "LAMBADA accuracy (zero-shot)", ("lambada", "accuracy", "zero-shot"), "test",
           "task", ("lambada",)),
    Metric("wikitext103-ppl", "WikiText-103 perplexity", ("wikitext-103", "perplexity"), "test", "task",
           ("wikitext-103",), higher_is_better=False),
    Metric("xsum-rouge1", "XSum ROUGE-1 (test)", ("xsum", "rouge-1"), "test", "task", ("xsum",)),
    Metric("cnndm-rouge1", "CNN/DailyMail ROUGE-1 (test)", ("cnn", "rouge-1"), "test", "task", ("cnn",)),
)}


@dataclass(frozen=True)
class ModelCardInfo:
    """One card's front matter (typed where the playground relies on it) plus its prose."""

    slug: str  # file name without .md
    display_name: str
    runnable: bool
    family: str
    architecture: str
    objective: str
    year: int
    paper: dict[str, str]
    hub_id: str | None = None
    tasks: tuple[str, ...] = ()
    context_direction: str | None = None
    layers: int | None = None
    hidden_size: int | None = None
    heads: int | None = None
    parameters: int | None = None
    max_positions: int | None = None
    vocab_size: int | None = None
    tokenizer: str | None = None
    license: str | None = None
    benchmarks: tuple[Benchmark, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    body: str = ""

    def score(self, metric_key: str) -> Benchmark | None:
        """The card's published number for a comparable metric (see METRICS), or None."""
        metric = METRICS[metric_key]
        return next((b for b in self.benchmarks if metric.matches(b)), None)

    def other_numbers(self, metric_key: str) -> tuple[Benchmark, ...]:
        """The card's numbers for the same benchmark that are *not* this metric: another measure, split or
        kind (e.g. a paper's own GLUE average when the metric is the official GLUE score)."""
        metric = METRICS[metric_key]
        return tuple(b for b in self.benchmarks if metric.same_dataset(b) and not metric.matches(b))

    @property
    def architecture_kind(self) -> str:
        kind = str(self.architecture).strip().lower()
        return _ARCHITECTURE_ALIASES.get(kind, kind)

    @property
    def is_fine_tuned(self) -> bool:
        """A task checkpoint built on another card's model (cards name it in `base_model`)."""
        return bool(self.extra.get("base_model"))

    @property
    def objective_label(self) -> str:
        """Short objective for tables: the card's `objective_short`, else its first clause."""
        short = self.extra.get("objective_short")
        if short:
            return str(short)
        first = re.split(r"[;(—]", self.objective)[0].strip()
        return re.sub(r"^pre-?training:\s*", "", first, flags=re.IGNORECASE)

    @property
    def size_mb(self) -> float | None:
        """Weights on disk as float32 (4 bytes per parameter), in MB; how checkpoints are usually stored."""
        return self.parameters * 4 / 1e6 if self.parameters else None


class CardError(ValueError):
    """A card in model_cards/ does not follow the schema."""


def _optional_text(value: object) -> str | None:
    return str(value).strip() if value is not None and str(value).strip() else None


def parse_card(path: Path) -> ModelCardInfo:
    card = ModelCard.load(path)
    data: dict[str, Any] = card.data.to_dict()
    missing = [f for f in REQUIRED_FIELDS if f not in data]
    if data.get("runnable"):
        missing += [f for f in RUNNABLE_FIELDS if f not in data]
    if missing:
        raise CardError(f"{path.name}: missing fields {missing}")
    known = {f for f in ModelCardInfo.__dataclass_fields__} - {"slug", "extra", "body"}
    benchmarks = []
    for b in data.get("benchmarks") or []:
        if not isinstance(b, dict) or not {"name", "value", "source"} <= set(b):
            raise CardError(f"{path.name}: benchmark {b!r} needs name, value and source")
        try:
            value = float(b["value"])
        except (TypeError, ValueError):
            raise CardError(f"{path.name}: benchmark {b['name']!r} has a non-numeric value {b['value']!r}") from None
        # split / kind / averaged_over are checked by validate_card (a missing one fails the tests, not the app).
        benchmarks.append(Benchmark(name=str(b["name"]), value=value, source=str(b["source"]),
                                    lower_is_better=bool(b.get("lower_is_better", False)),
                                    split=_optional_text(b.get("split")), kind=_optional_text(b.get("kind")),
                                    averaged_over=_optional_text(b.get("averaged_over"))))
    values = {k: v for k, v in data.items() if k in known and k not in ("benchmarks", "tasks")}
    return ModelCardInfo(
        slug=path.stem,
        tasks=tuple(data.get("tasks") or ()),
        benchmarks=tuple(benchmarks),
        extra={k: v for k, v in data.items() if k not in known},
        body=card.text.strip(),
        **values,
    )


def validate_card(card: ModelCardInfo, known_tasks: tuple[str, ...] = ()) -> list[str]:
    """Schema problems beyond the required fields (empty list = valid); used by the schema test.

    Kept out of `parse_card` on purpose: a stylistic problem in one card should fail the test suite,
    not stop the app from starting.
    """
    problems: list[str] = []
    if not isinstance(card.runnable, bool):
        problems.append(f"runnable must be true or false, got {card.runnable!r}")
    if card.architecture_kind not in ARCHITECTURE_KINDS:
        problems.append(f"architecture {card.architecture!r} is not one of {ARCHITECTURE_KINDS}")
    if not isinstance(card.year, int) or not 1980 <= card.year <= 2100:
        problems.append(f"year must be a four-digit year, got {card.year!r}")
    if not isinstance(card.paper, dict) or not card.paper.get("title") or not card.paper.get("url"):
        problems.append("paper needs a title and a url")
    for name in ("layers", "hidden_size", "heads", "parameters", "max_positions", "vocab_size"):
        value = getattr(card, name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            problems.append(f"{name} must be a positive whole number, got {value!r}")
    if card.runnable:
        if not card.hub_id:
            problems.append("a runnable card needs a hub_id")
        unknown = [t for t in card.tasks if known_tasks and t not in known_tasks]
        if unknown:
            problems.append(f"unknown tasks {unknown}; known: {list(known_tasks)}")
    elif card.hub_id:
        # The loader allows every hub_id named by a card, so a history card must not name one.
        problems.append("a history card (runnable: false) must not have a hub_id")
    for b in card.benchmarks:
        if not b.source.strip():
            problems.append(f"benchmark {b.name!r} has no source")
        elif not _SOURCE_LOCATOR.search(b.source):
            problems.append(f"benchmark {b.name!r}: source {b.source!r} does not say where (table, section, …)")
        problems += _benchmark_kind_problems(b)
    return problems


def _benchmark_kind_problems(b: Benchmark) -> list[str]:
    """Every number states its split and kind, and a name that looks like a comparable metric is that metric."""
    problems = []
    if b.split not in SPLITS:
        problems.append(f"benchmark {b.name!r}: split must be one of {SPLITS}, got {b.split!r}")
    if b.kind not in BENCHMARK_KINDS:
        problems.append(f"benchmark {b.name!r}: kind must be one of {tuple(BENCHMARK_KINDS)}, got {b.kind!r}")
    if b.kind == "paper-average" and not b.averaged_over:
        problems.append(f"benchmark {b.name!r}: a paper-average must say what it averages over (averaged_over)")
    for metric in METRICS.values():
        if not metric.named_like(b.name):
            continue
        if not metric.matches(b):
            problems.append(f"benchmark {b.name!r} is named like {metric.key} ({metric.kind_label}) but is "
                            f"{b.kind_label}: rename it or fix its kind/split")
        elif b.lower_is_better == metric.higher_is_better:
            problems.append(f"benchmark {b.name!r}: lower_is_better disagrees with {metric.key}")
    return problems


@dataclass(frozen=True)
class CardCatalog:
    cards: tuple[ModelCardInfo, ...]

    def by_hub_id(self, hub_id: str) -> ModelCardInfo | None:
        return next((c for c in self.cards if c.hub_id == hub_id), None)

    def runnable(self) -> list[ModelCardInfo]:
        return [c for c in self.cards if c.runnable]

    def for_task(self, task: str) -> list[ModelCardInfo]:
        return [c for c in self.runnable() if task in c.tasks]

    def by_slug(self, slug: str) -> ModelCardInfo | None:
        return next((c for c in self.cards if c.slug == slug), None)

    def history(self) -> list[ModelCardInfo]:
        return [c for c in self.cards if not c.runnable]


@lru_cache(maxsize=4)
def load_catalog(cards_dir: Path = CARDS_DIR) -> CardCatalog:
    """Read every card once (cached); raises CardError on the first malformed card."""
    paths = sorted(Path(cards_dir).glob("*.md"))
    return CardCatalog(cards=tuple(parse_card(p) for p in paths))
