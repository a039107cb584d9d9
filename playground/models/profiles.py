"""Which model each task uses: the real Hub checkpoints (default) or the tiny local ones (offline)."""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.models.cards import CardCatalog
from playground.models.registry import TASKS
from playground.models.tiny import TINY_LABEL


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
    """The registry's default model of every task first, then the other runnable cards that list the task."""
    models = {}
    for task in TASKS.values():
        if task.default_model:
            others = [c.hub_id for c in catalog.for_task(task.key) if c.hub_id and c.hub_id != task.default_model]
            models[task.key] = (task.default_model, *others)
    return Profile(name="default", models=models)


def tiny_profile() -> Profile:
    models = {task.key: task.tiny_models for task in TASKS.values() if task.tiny_models}
    return Profile(name="tiny", models=models, banner=TINY_LABEL)
