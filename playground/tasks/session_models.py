"""The models a session may pick: the app's profile plus what that session trained itself.

A session's own models are served under names of their own — the Pretraining lab's run as `lab-bert@<run id>` /
`lab-gpt@<run id>`, the GPT → Assistant tab's as `lab-gpt-sft@<token>` / `lab-gpt-dpo@<token>` — and only that
session's dropdowns list them, right after the lab model they came from. Another session never sees them (its list
is the profile's). Names the store no longer serves (a pruned run) are left out.
"""

from __future__ import annotations

from playground.tasks.context import AppContext
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT

FILL_TASK, GEN_TASK = "fill-mask", "text-generation"
# Which lab model each task's own models follow in the list.
AFTER = {FILL_TASK: LAB_BERT, GEN_TASK: LAB_GPT}


def own_models(ctx: AppContext, owner: str, task: str) -> list[str]:
    """This session's own models for `task` that the store serves now (lab run first, then SFT, then DPO)."""
    if not owner or task not in AFTER:
        return []
    names: list[str] = []
    run = ctx.lab_sessions.get(owner)
    if run is not None:
        names.append(run.names.get(AFTER[task], ""))
    if task == GEN_TASK:
        names += sorted(ctx.assistant_sessions.get(owner).served, key=lambda n: ("dpo" in n, n))
    return [n for n in names if n and n in ctx.store.local_models]


def model_choices(ctx: AppContext, owner: str, task: str) -> list[str]:
    """The profile's models for `task` with this session's own inserted after the lab model they came from (after
    the lab-gpt-sft / lab-gpt-dpo that follow lab-gpt, or last)."""
    choices = ctx.profile.choices(task)
    own = [n for n in own_models(ctx, owner, task) if n not in choices]
    if not own:
        return choices
    anchor = AFTER[task]
    family = [i for i, name in enumerate(choices) if name == anchor or name.startswith(anchor + "-")]
    at = max(family) + 1 if family else len(choices)
    return [*choices[:at], *own, *choices[at:]]
