"""Which model each task uses: the real Hub checkpoints (default) or the tiny local ones (offline)."""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.models.cards import CardCatalog
from playground.models.tiny import TINY_LABEL

# Preferred default per task; other runnable cards that list the task become extra choices.
DEFAULT_MODELS = {
    "fill-mask": "bert-base-uncased",
    "text-generation": "gpt2",
    "nsp": "bert-base-uncased",
    "sentiment": "distilbert-base-uncased-finetuned-sst-2-english",
    "question-answering": "distilbert-base-cased-distilled-squad",
    "summarization": "google/pegasus-xsum",
}

TINY_MODELS = {
    "fill-mask": ("tiny-bert",),
    "text-generation": ("tiny-gpt2",),
    "nsp": ("tiny-bert",),
    "sentiment": ("tiny-distilbert-sst2",),
    "question-answering": ("tiny-distilbert-squad", "tiny-roberta-squad2"),
    "summarization": ("tiny-pegasus",),
}


@dataclass(frozen=True)
class Profile:
    name: str  # "default" | "tiny"
    models: dict[str, tuple[str, ...]] = field(default_factory=dict)  # task -> choices, default first
    banner: str = ""

    def choices(self, task: str) -> list[str]:
        return list(self.models.get(task, ()))

    def default(self, task: str) -> str:
        return self.models[task][0]

    @property
    def is_tiny(self) -> bool:
        return self.name == "tiny"


def default_profile(catalog: CardCatalog) -> Profile:
    models = {}
    for task, preferred in DEFAULT_MODELS.items():
        others = [c.hub_id for c in catalog.for_task(task) if c.hub_id and c.hub_id != preferred]
        models[task] = (preferred, *others)
    return Profile(name="default", models=models)


def tiny_profile() -> Profile:
    return Profile(name="tiny", models=dict(TINY_MODELS), banner=TINY_LABEL)
