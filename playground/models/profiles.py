"""Which model each task uses: the real Hub checkpoints (default), the tiny local ones (offline), or the lab
models trained here (offline, and they know something)."""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.models.cards import CardCatalog
from playground.models.lab import LAB_BERT, LAB_GPT, LAB_LABEL
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

# The lab models in every task that can use them: lab-bert is a masked LM only (no next-sentence head, so
# not offered for nsp), lab-gpt a causal LM; tasks without a lab model keep the tiny ones.
LAB_TASKS = {"fill-mask": LAB_BERT, "text-generation": LAB_GPT}
LAB_MODELS = {task: ((LAB_TASKS[task],) if task in LAB_TASKS else ()) + names for task, names in TINY_MODELS.items()}


@dataclass(frozen=True)
class Profile:
    name: str  # "default" | "tiny" | "lab"
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


def lab_profile() -> Profile:
    return Profile(name="lab", models=dict(LAB_MODELS), banner=LAB_LABEL)


def with_lab_models(profile: Profile, available: bool) -> Profile:
    """The profile with lab-bert / lab-gpt offered (after the default) where they can serve, if they exist."""
    if not available or profile.name == "lab":
        return profile
    models = {task: names + ((LAB_TASKS[task],) if task in LAB_TASKS and LAB_TASKS[task] not in names else ())
              for task, names in profile.models.items()}
    return Profile(name=profile.name, models=models, banner=profile.banner)
