"""The one place that reads `model_cards/`: Markdown files with YAML front matter (the Hugging Face
model-card convention), parsed with `huggingface_hub.ModelCard`.

A model can only be loaded by the playground if a card names it (unless the user opts in to
unlisted models explicitly), so this module is also the allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

CARDS_DIR = Path(__file__).resolve().parent.parent / "model_cards"

# Fields every card must have; runnable cards must also have RUNNABLE_FIELDS.
REQUIRED_FIELDS = ("display_name", "runnable", "family", "architecture", "objective", "year", "paper")
RUNNABLE_FIELDS = (
    "hub_id", "tasks", "context_direction", "layers", "hidden_size", "heads",
    "parameters", "max_positions", "vocab_size", "tokenizer", "license",
)


@dataclass(frozen=True)
class Benchmark:
    name: str
    value: float
    source: str


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

    def benchmark(self, name_contains: str) -> Benchmark | None:
        needle = name_contains.lower()
        return next((b for b in self.benchmarks if needle in b.name.lower()), None)


class CardError(ValueError):
    """A card in model_cards/ does not follow the schema."""


def parse_card(path: Path) -> ModelCardInfo:
    from huggingface_hub import ModelCard  # light import, but keep package import instant

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
        if not {"name", "value", "source"} <= set(b):
            raise CardError(f"{path.name}: benchmark {b!r} needs name, value and source")
        benchmarks.append(Benchmark(name=str(b["name"]), value=float(b["value"]), source=str(b["source"])))
    values = {k: v for k, v in data.items() if k in known and k not in ("benchmarks", "tasks")}
    return ModelCardInfo(
        slug=path.stem,
        tasks=tuple(data.get("tasks") or ()),
        benchmarks=tuple(benchmarks),
        extra={k: v for k, v in data.items() if k not in known},
        body=card.text.strip(),
        **values,
    )


@dataclass(frozen=True)
class CardCatalog:
    cards: tuple[ModelCardInfo, ...]

    def by_hub_id(self, hub_id: str) -> ModelCardInfo | None:
        return next((c for c in self.cards if c.hub_id == hub_id), None)

    def runnable(self) -> list[ModelCardInfo]:
        return [c for c in self.cards if c.runnable]

    def for_task(self, task: str) -> list[ModelCardInfo]:
        return [c for c in self.runnable() if task in c.tasks]


@lru_cache(maxsize=4)
def load_catalog(cards_dir: Path = CARDS_DIR) -> CardCatalog:
    """Read every card once (cached); raises CardError on the first malformed card."""
    paths = sorted(Path(cards_dir).glob("*.md"))
    return CardCatalog(cards=tuple(parse_card(p) for p in paths))
