"""Which model each task uses: the real Hub checkpoints (default), the tiny local ones (offline), or the lab
models trained here (offline, and they know something)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from playground.models.cards import CardCatalog
from playground.models.registry import TASKS
from playground.models.tiny import TINY_LABEL

# The Pretraining lab's models (`playground/tasks/lab/`), served by the ModelStore from the lab's run in use (or the
# pair shipped in `lab_pretrained/`).
LAB_BERT, LAB_GPT = "lab-bert", "lab-gpt"
# The lab heads (`playground/tasks/lab/heads.py`): lab-bert fine-tuned on the lab world, served where a run has them.
LAB_SENTIMENT, LAB_NSP, LAB_ELECTRA, LAB_QA = "lab-sentiment", "lab-nsp", "lab-electra", "lab-qa"
LAB_SUMMARIZER = "lab-summarizer"  # a small Pegasus of its own (`playground/tasks/lab/summarizer.py`)
LAB_HEADS = (LAB_SENTIMENT, LAB_NSP, LAB_ELECTRA, LAB_QA, LAB_SUMMARIZER)
LAB_LABEL = ("lab models — a small BERT and GPT trained on the playground's built-in corpus (they know its "
             "small world, not the internet's); tabs without a lab model use tiny untrained models")
# The lab models in every task that can use them: lab-bert is a masked LM only (no next-sentence head, so
# not offered for nsp), lab-gpt a causal LM; tasks without a lab model keep the tiny ones.
LAB_TASKS = {"fill-mask": LAB_BERT, "text-generation": LAB_GPT}
# …and the lab heads, for the tasks they were trained for (offered only when the run in use holds them).
LAB_HEAD_TASKS = {"sentiment": LAB_SENTIMENT, "nsp": LAB_NSP, "replaced-token-detection": LAB_ELECTRA,
                  "question-answering": LAB_QA, "summarization": LAB_SUMMARIZER}


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


def lab_task_models(served: Iterable[str] | None = None) -> dict[str, str]:
    """{task: lab model} for the lab models in `served` (None: lab-bert / lab-gpt and every lab head)."""
    both = {**LAB_TASKS, **LAB_HEAD_TASKS}
    return both if served is None else {task: name for task, name in both.items() if name in set(served)}


def lab_profile(served: Iterable[str] | None = None) -> Profile:
    """The lab models first wherever one serves (`served`: the lab models that exist), then the tiny ones."""
    lab = lab_task_models(served)
    models = {task: ((lab[task],) if task in lab else ()) + names for task, names in tiny_profile().models.items()}
    return Profile(name="lab", models=models, banner=LAB_LABEL)


def with_lab_models(profile: Profile, available: bool | Iterable[str]) -> Profile:
    """The profile with the lab models offered (after the default) where they can serve, if they exist
    (`available`: the lab models that exist, or True for lab-bert / lab-gpt)."""
    if not available or profile.name == "lab":
        return profile
    lab = lab_task_models(None if available is True else available)
    lab = {task: name for task, name in lab.items() if available is not True or task in LAB_TASKS}
    models = {task: names + ((lab[task],) if task in lab and lab[task] not in names else ())
              for task, names in profile.models.items()}
    return Profile(name=profile.name, models=models, banner=profile.banner)


# GPT → Assistant's shipped checkpoints (`playground/tasks/assistant/shipped.py`): lab-gpt after SFT and after DPO,
# offered after lab-gpt wherever it is (the causal-LM task).
ASSISTANT_GPTS = ("lab-gpt-sft", "lab-gpt-dpo")


def with_assistant_models(profile: Profile, available: bool) -> Profile:
    """The profile with lab-gpt-sft / lab-gpt-dpo offered right after lab-gpt (or last), if they are shipped."""
    if not available:
        return profile
    models = {}
    for task, names in profile.models.items():
        if task == "text-generation":
            rest = [n for n in names if n not in ASSISTANT_GPTS]
            at = rest.index(LAB_GPT) + 1 if LAB_GPT in rest else len(rest)
            names = (*rest[:at], *ASSISTANT_GPTS, *rest[at:])
        models[task] = tuple(names)
    return Profile(name=profile.name, models=models, banner=profile.banner)
